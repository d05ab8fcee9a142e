#include "engine/h5_spikes.h"

#include <algorithm>
#include <queue>
#include <tuple>

#include "engine/durable_file.h"
#include "engine/h5_file.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

constexpr std::size_t kBufferRows = std::size_t{1} << 18;  // 4 MiB of rows across populations
constexpr std::size_t kReadRows = std::size_t{1} << 16;

struct PopulationOut {
  h5::Handle timestamps, node_ids;
  std::vector<double> times;
  std::vector<std::uint64_t> nodes;
  hsize_t written = 0;
};

void flush(const h5::File& file, PopulationOut& out) {
  file.write_rows(out.timestamps.get(), H5T_NATIVE_DOUBLE, out.written, out.times.size(), out.times.data());
  file.write_rows(out.node_ids.get(), H5T_NATIVE_UINT64, out.written, out.nodes.size(), out.nodes.data());
  out.written += out.times.size();
  out.times.clear();
  out.nodes.clear();
}

}  // namespace

std::vector<std::uint64_t> write_spike_report(const std::string& path, const RunLayout& layout, SpikeSource& source) {
  const std::size_t n_pops = layout.populations.size();
  std::vector<std::uint64_t> counts(n_pops, 0);
  source.read([&](std::span<const SpikeRow> rows) {
    for (const SpikeRow& r : rows) {
      if (r.population >= n_pops) throw Error(path + ": spike of an unknown population", Error::Kind::Runtime);
      ++counts[r.population];
    }
  });

  PendingFile pending(path);
  h5::File file = h5::File::create(pending.tmp());
  file.write_attribute(file.id(), "magic", std::uint32_t{0x0A7A});
  file.write_attribute(file.id(), "version", std::vector<std::uint32_t>{0, 1});
  h5::Handle spikes = file.create_group(file.id(), "spikes");
  std::vector<PopulationOut> out(n_pops);
  const std::size_t per_population = std::max<std::size_t>(1024, kBufferRows / std::max<std::size_t>(1, n_pops));
  for (std::size_t p = 0; p < n_pops; ++p) {
    if (!layout.populations[p].recorded && counts[p] == 0) continue;
    h5::Handle group = file.create_group(spikes.get(), layout.populations[p].name);
    file.write_sorting_by_time(group.get());
    out[p].timestamps = file.create_dataset(group.get(), "timestamps", H5T_IEEE_F64LE, {counts[p]});
    file.write_attribute(out[p].timestamps.get(), "units", std::string("ms"));
    out[p].node_ids = file.create_dataset(group.get(), "node_ids", H5T_STD_U64LE, {counts[p]});
    out[p].times.reserve(std::min<std::uint64_t>(counts[p], per_population));
    out[p].nodes.reserve(std::min<std::uint64_t>(counts[p], per_population));
  }

  source.read([&](std::span<const SpikeRow> rows) {
    for (const SpikeRow& r : rows) {
      PopulationOut& o = out[r.population];
      if (o.written + o.times.size() >= counts[r.population])
        throw Error(path + ": spikes changed while writing", Error::Kind::Runtime);
      o.times.push_back(r.time_ms);
      o.nodes.push_back(r.node);
      if (o.times.size() >= per_population) flush(file, o);
    }
  });
  for (std::size_t p = 0; p < n_pops; ++p)
    if (out[p].timestamps.get() >= 0) {
      flush(file, out[p]);
      if (out[p].written != counts[p]) throw Error(path + ": spikes changed while writing", Error::Kind::Runtime);
    }
  out.clear();
  spikes.reset();
  file.close();
  pending.publish();
  return counts;
}

H5SpikeSource::H5SpikeSource(std::string path, RunLayout layout) : path_(std::move(path)), layout_(std::move(layout)) {}

namespace {

struct PopulationIn {
  std::uint32_t population = 0;
  h5::Handle timestamps, node_ids;
  hsize_t size = 0, next = 0;  // rows in the file; next row to load
  std::vector<double> times;
  std::vector<std::uint64_t> nodes;
  std::size_t at = 0;  // position in the loaded rows

  std::size_t chunk_rows = kReadRows;

  bool load(const h5::File& file) {
    const hsize_t n = std::min<hsize_t>(chunk_rows, size - next);
    times.resize(n);
    nodes.resize(n);
    file.read_rows(timestamps.get(), H5T_NATIVE_DOUBLE, next, n, times.data());
    file.read_rows(node_ids.get(), H5T_NATIVE_UINT64, next, n, nodes.data());
    next += n;
    at = 0;
    return n > 0;
  }
};

}  // namespace

void H5SpikeSource::read(const Chunk& chunk) {
  const h5::File file = h5::File::open(path_);
  if (!file.exists(file.id(), "spikes")) file.fail("not a SONATA spike report (no /spikes)");
  const h5::Handle spikes = file.open_group(file.id(), "spikes");
  std::vector<PopulationIn> in;
  for (std::uint32_t p = 0; p < layout_.populations.size(); ++p) {
    if (!file.exists(spikes.get(), layout_.populations[p].name)) continue;
    const h5::Handle group = file.open_group(spikes.get(), layout_.populations[p].name);
    PopulationIn pop;
    pop.population = p;
    pop.timestamps = file.open_dataset(group.get(), "timestamps");
    pop.node_ids = file.open_dataset(group.get(), "node_ids");
    pop.size = file.dims(pop.timestamps.get()).at(0);
    // A few MB of read buffers in all, however many populations.
    pop.chunk_rows = std::max<std::size_t>(1024, kBufferRows / layout_.populations.size());
    if (file.dims(pop.node_ids.get()).at(0) != pop.size) file.fail(layout_.populations[p].name + ": datasets differ in length");
    in.push_back(std::move(pop));
  }
  // Merge by (time, population, node): the order the run wrote.
  using Head = std::tuple<double, std::uint32_t, std::uint64_t, std::size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (std::size_t k = 0; k < in.size(); ++k)
    if (in[k].load(file)) heads.emplace(in[k].times[0], in[k].population, in[k].nodes[0], k);
  std::vector<SpikeRow> rows;
  rows.reserve(kReadRows);
  while (!heads.empty()) {
    const auto [t, pop, node, k] = heads.top();
    heads.pop();
    rows.push_back({t, static_cast<std::uint32_t>(node), pop});
    if (rows.size() == kReadRows) {
      chunk(rows);
      rows.clear();
    }
    PopulationIn& src = in[k];
    if (++src.at == src.times.size() && !src.load(file)) continue;
    heads.emplace(src.times[src.at], src.population, src.nodes[src.at], k);
  }
  if (!rows.empty()) chunk(rows);
}

}  // namespace spikeq
