#include "engine/io/h5_spikes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <queue>
#include <tuple>

#include "engine/io/durable_file.h"
#include "engine/io/h5_file.h"
#include "engine/io/input_file.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
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

std::string number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// One population's datasets, read chunk by chunk; every row checked.
struct PopulationIn {
  std::uint32_t population = 0;
  std::string where;        // "/spikes/<name>"
  std::uint64_t pop_size = 0;
  h5::Handle timestamps, node_ids;
  bool signed_ids = false;  // node_ids stored signed: read as int64, negatives refused
  hsize_t size = 0, next = 0;  // rows in the file; next row to load
  std::vector<double> times;
  std::vector<std::uint64_t> nodes;
  std::size_t at = 0;  // position in the loaded rows
  double previous_ms = 0;

  std::size_t chunk_rows = kReadRows;

  bool load(const h5::File& file) {
    const hsize_t n = std::min<hsize_t>(chunk_rows, size - next);
    times.resize(n);
    nodes.resize(n);
    file.read_rows(timestamps.get(), H5T_NATIVE_DOUBLE, next, n, times.data());
    file.read_rows(node_ids.get(), signed_ids ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64, next, n, nodes.data());
    for (std::size_t i = 0; i < n; ++i) {
      const hsize_t row = next + i;
      const double t = times[i];
      if (!std::isfinite(t) || t < 0)
        file.refuse(where + "/timestamps[" + std::to_string(row) + "] = " + number(t) + ": not a finite time >= 0");
      if (row > 0 && t < previous_ms)
        file.refuse(where + "/timestamps[" + std::to_string(row) + "] = " + number(t) + ": earlier than timestamps[" +
                    std::to_string(row - 1) + "] = " + number(previous_ms) + " (spikeq reads reports sorted by time)");
      previous_ms = t;
      if (signed_ids && static_cast<std::int64_t>(nodes[i]) < 0)
        file.refuse(where + "/node_ids[" + std::to_string(row) + "] = " +
                    std::to_string(static_cast<std::int64_t>(nodes[i])) + ": negative");
      if (nodes[i] >= pop_size)
        file.refuse(where + "/node_ids[" + std::to_string(row) + "] = " + std::to_string(nodes[i]) +
                    ": not below the population size " + std::to_string(pop_size));
    }
    next += n;
    at = 0;
    return n > 0;
  }
};

// Rows of a 1-d dataset the file really stores (h5::File::check_stored).
hsize_t stored_rows(const h5::File& file, hid_t dataset, const std::string& where) {
  const std::vector<hsize_t> dims = file.dims(dataset);
  if (dims.size() != 1) file.refuse(where + ": " + std::to_string(dims.size()) + "-dimensional, expected 1");
  file.check_stored(dataset, where, dims[0]);
  return dims[0];
}

}  // namespace

void H5SpikeSource::read(const Chunk& chunk) {
  const h5::File file = h5::File::open(path_);
  if (!file.exists(file.id(), "spikes")) file.refuse("not a SONATA spike report (no /spikes group)");
  const h5::Handle spikes = file.open_group(file.id(), "spikes");
  file.for_each_link(spikes.get(), [&](const std::string& name) {
    if (!layout_.population_index(name)) file.refuse("/spikes/" + printable(name) + ": not a population of this run");
  });
  std::vector<PopulationIn> in;
  for (std::uint32_t p = 0; p < layout_.populations.size(); ++p) {
    const PopulationLayout& layout = layout_.populations[p];
    PopulationIn pop;
    pop.where = "/spikes/" + layout.name;
    if (!file.exists(spikes.get(), layout.name)) {
      if (layout.recorded) file.refuse(pop.where + ": missing (the run records this population)");
      continue;
    }
    // The `sorting` attribute is not read: the time order is checked row by row,
    // and HDF5 1.10.8 crashes (a memcpy in H5Aexists) on a damaged attribute
    // message, so every attribute read is a crash surface on hostile files.
    const h5::Handle group = file.open_group(spikes.get(), layout.name);
    for (const char* name : {"timestamps", "node_ids"})
      if (!file.exists(group.get(), name)) file.refuse(pop.where + "/" + name + ": missing");
    pop.population = p;
    pop.pop_size = layout.size;
    pop.timestamps = file.open_dataset(group.get(), "timestamps");
    pop.node_ids = file.open_dataset(group.get(), "node_ids");
    if (file.type_class(pop.timestamps.get()) != H5T_FLOAT)
      file.refuse(pop.where + "/timestamps: not floating-point numbers");
    if (file.type_class(pop.node_ids.get()) != H5T_INTEGER) file.refuse(pop.where + "/node_ids: not integers");
    pop.signed_ids = file.is_signed(pop.node_ids.get());
    pop.size = stored_rows(file, pop.timestamps.get(), pop.where + "/timestamps");
    const hsize_t ids = stored_rows(file, pop.node_ids.get(), pop.where + "/node_ids");
    if (ids != pop.size)
      file.refuse(pop.where + ": timestamps has " + std::to_string(pop.size) + " rows, node_ids " +
                  std::to_string(ids) + " (datasets of one population have equal lengths)");
    // A few MB of read buffers in all, however many populations.
    pop.chunk_rows = std::max<std::size_t>(1024, kBufferRows / layout_.populations.size());
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
    rows.push_back({t, static_cast<std::uint32_t>(node), pop});  // node < population size < 2^32: checked
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

}  // namespace spikeq::io
