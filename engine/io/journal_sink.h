// The crash-safe sink of a run: streams spikes (and voltage samples) into
// DIR/spikes.journal (and DIR/voltages.journal) as batches arrive, one journal
// batch per driver batch, synced about once a second (engine/io/journal_writer.h).
// Recording memory is the writers' buffers (1 MiB each) whatever the run length.
#pragma once

#include <memory>
#include <string>

#include "engine/io/journal_writer.h"
#include "engine/core/recording.h"

namespace spikeq::inline io {

class JournalSink : public RunSink {
 public:
  static constexpr const char* kSpikes = "spikes.journal";
  static constexpr const char* kVoltages = "voltages.journal";

  // Creates the journals (voltages only when the netdef has probes).
  JournalSink(const Network& network, const std::string& dir, double sync_interval_s = 1.0);
  ~JournalSink() override;

  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;
  // Writes what is buffered, syncs, closes. Throws Error (Runtime) naming the file.
  void close();
  // Closes without writing more (after a failure); never throws.
  void abandon() noexcept;
  bool has_voltages() const { return voltages_ != nullptr; }

 private:
  const Network& net_;
  std::unique_ptr<JournalWriter> spikes_, voltages_;
};

}  // namespace spikeq::io
