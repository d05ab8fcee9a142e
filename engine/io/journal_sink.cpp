#include "engine/io/journal_sink.h"

#include <array>

#include "engine/io/run_data.h"

namespace spikeq::inline io {
namespace {

constexpr std::size_t kConvert = 4096;  // rows converted at a time

nlohmann::json meta(const char* kind, const char* record, const NetworkSpec& spec) {
  return {{"kind", kind}, {"record", record}, {"netdef_name", spec.name}, {"layout", RunLayout::of(spec).to_json()}};
}

}  // namespace

JournalSink::JournalSink(const Network& network, const std::string& dir, double sync_interval_s) : net_(network) {
  const NetworkSpec& spec = network.spec();
  spikes_ = std::make_unique<JournalWriter>(dir + "/" + kSpikes, journal::Kind::Spikes, sizeof(SpikeRow),
                                            meta("spikes", "<f8 time_ms, <u4 node, <u4 population", spec),
                                            std::size_t{1} << 20, sync_interval_s);
  if (!spec.recording.voltage_probes.empty())
    voltages_ = std::make_unique<JournalWriter>(dir + "/" + kVoltages, journal::Kind::Voltages, sizeof(SampleRow),
                                                meta("voltages", "<f8 time_ms, <f8 v_mv, <u4 probe, <u4 node", spec),
                                                std::size_t{1} << 20, sync_interval_s);
}

JournalSink::~JournalSink() { abandon(); }

void JournalSink::spikes(std::span<const SpikeRecord> batch) {
  std::array<SpikeRow, kConvert> rows;
  for (std::size_t begin = 0; begin < batch.size(); begin += kConvert) {
    const std::size_t n = std::min(kConvert, batch.size() - begin);
    for (std::size_t i = 0; i < n; ++i) {
      const SpikeRecord& s = batch[begin + i];
      const std::uint16_t p = net_.population_of(s.node);
      rows[i] = {s.time_ms, s.node - net_.populations()[p].first, p};
    }
    spikes_->append(rows.data(), n);
  }
  spikes_->end_batch();
}

void JournalSink::samples(std::span<const VoltageSample> batch) {
  if (!voltages_) return;
  std::array<SampleRow, kConvert> rows;
  for (std::size_t begin = 0; begin < batch.size(); begin += kConvert) {
    const std::size_t n = std::min(kConvert, batch.size() - begin);
    for (std::size_t i = 0; i < n; ++i) {
      const VoltageSample& v = batch[begin + i];
      rows[i] = {v.time_ms, v.v_mv, v.probe, v.node - net_.populations()[net_.population_of(v.node)].first};
    }
    voltages_->append(rows.data(), n);
  }
  voltages_->end_batch();
}

void JournalSink::close() {
  spikes_->close();
  if (voltages_) voltages_->close();
}

void JournalSink::abandon() noexcept {
  spikes_->abandon();
  if (voltages_) voltages_->abandon();
}

}  // namespace spikeq::io
