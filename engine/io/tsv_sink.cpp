#include "engine/io/tsv_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netdefs/error.h"

namespace spikeq::inline io {

TsvSink::TsvSink(const Network& network, const std::string& dir)
    : net_(network), spikes_path_(dir + "/spikes.tsv"), voltages_path_(dir + "/voltages.tsv") {
  spikes_ = open(spikes_path_);
  std::fputs("population\tnode_id\ttime_ms\n", spikes_);
  if (!network.spec().recording.voltage_probes.empty()) {
    voltages_ = open(voltages_path_);
    std::fputs("probe\tpopulation\tnode_id\ttime_ms\tv_mv\n", voltages_);
  }
}

TsvSink::~TsvSink() {
  if (spikes_) std::fclose(spikes_);
  if (voltages_) std::fclose(voltages_);
}

std::FILE* TsvSink::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw Error(path + ": cannot create: " + std::strerror(errno), Error::Kind::Runtime);
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  return f;
}

void TsvSink::check(std::FILE* f, const std::string& path) {
  if (std::ferror(f)) throw Error(path + ": write failed: " + std::strerror(errno), Error::Kind::Runtime);
}

void TsvSink::spikes(std::span<const SpikeRecord> batch) {
  const auto& pops = net_.spec().populations;
  for (const SpikeRecord& s : batch) {
    const std::uint16_t p = net_.population_of(s.node);
    std::fprintf(spikes_, "%s\t%u\t%.17g\n", pops[p].name.c_str(), s.node - net_.populations()[p].first,
                 s.time_ms);
  }
  check(spikes_, spikes_path_);
  sync_if_due();
}

void TsvSink::samples(std::span<const VoltageSample> batch) {
  sync_if_due();
  if (!voltages_) return;
  const auto& pops = net_.spec().populations;
  for (const VoltageSample& v : batch) {
    const std::uint16_t p = net_.population_of(v.node);
    std::fprintf(voltages_, "%u\t%s\t%u\t%.17g\t%.17g\n", v.probe, pops[p].name.c_str(),
                 v.node - net_.populations()[p].first, v.time_ms, v.v_mv);
  }
  check(voltages_, voltages_path_);
}

void TsvSink::sync_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_sync_ < std::chrono::seconds(1)) return;
  last_sync_ = now;
  for (auto [f, path] : {std::pair{spikes_, &spikes_path_}, std::pair{voltages_, &voltages_path_}}) {
    if (!f) continue;
    if (std::fflush(f) != 0 || (::fdatasync(fileno(f)) != 0 && errno != EINVAL))
      throw Error(*path + ": write failed: " + std::strerror(errno), Error::Kind::Runtime);
  }
}

void TsvSink::close() {
  for (auto [f, path] : {std::pair{&spikes_, &spikes_path_}, std::pair{&voltages_, &voltages_path_}}) {
    if (!*f) continue;
    const bool failed = std::fflush(*f) != 0 || std::ferror(*f);
    const int err = errno;
    std::fclose(*f);
    *f = nullptr;
    if (failed) throw Error(*path + ": write failed: " + std::strerror(err), Error::Kind::Runtime);
  }
}

}  // namespace spikeq::io
