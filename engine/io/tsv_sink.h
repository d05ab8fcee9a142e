// Streams a run's spikes (and voltage samples) to tab-separated text files.
// spikes.tsv: header `population<TAB>node_id<TAB>time_ms`, one spike a line,
// node ids local to the population, times with 17 significant digits (exact
// round trip of the double), in the order the driver hands them over: time,
// then population, then node. Flushed and synced about once a second of wall
// time, so a killed run loses at most that (engine/io/run_directory.h).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "engine/core/recording.h"

namespace spikeq::inline io {

class TsvSink : public RunSink {
 public:
  // Opens DIR/spikes.tsv (and DIR/voltages.tsv when the netdef has probes).
  TsvSink(const Network& network, const std::string& dir);
  ~TsvSink() override;
  TsvSink(const TsvSink&) = delete;
  TsvSink& operator=(const TsvSink&) = delete;

  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;
  // Flushes and closes; throws Error (Runtime) naming the file if any write failed.
  void close();

 private:
  std::FILE* open(const std::string& path);
  void check(std::FILE* f, const std::string& path);
  void sync_if_due();

  const Network& net_;
  std::string spikes_path_, voltages_path_;
  std::FILE* spikes_ = nullptr;
  std::FILE* voltages_ = nullptr;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
};

}  // namespace spikeq::io
