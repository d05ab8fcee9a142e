#include "engine/io/h5_voltages.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/io/durable_file.h"
#include "engine/io/h5_file.h"
#include "engine/io/input_file.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
namespace {

constexpr std::size_t kBufferValues = std::size_t{1} << 17;  // 1 MiB of V per probe

std::size_t rows_per_buffer(std::size_t columns) { return std::max<std::size_t>(1, kBufferValues / columns); }

struct ProbeOut {
  std::vector<std::uint64_t> columns;
  h5::Handle time_ms, v_mv;
  std::vector<SampleRow> group;  // the samples at one time, as they arrive
  std::vector<double> times, values;
  hsize_t written = 0;
};

void flush_rows(const h5::File& file, ProbeOut& p) {
  file.write_rows(p.time_ms.get(), H5T_NATIVE_DOUBLE, p.written, p.times.size(), p.times.data());
  file.write_rows(p.v_mv.get(), H5T_NATIVE_DOUBLE, p.written, p.times.size(), p.values.data());
  p.written += p.times.size();
  p.times.clear();
  p.values.clear();
}

// Samples at one time arrive sorted by node, r per node when r rows share the
// time: sample i * r + j is row j, column i.
void close_group(const h5::File& file, ProbeOut& p) {
  if (p.group.empty()) return;
  const std::size_t n = p.columns.size(), r = p.group.size() / n;
  if (p.group.size() % n != 0) file.fail("probe samples do not fill whole rows");
  for (std::size_t j = 0; j < r; ++j) {
    p.times.push_back(p.group[0].time_ms);
    for (std::size_t i = 0; i < n; ++i) {
      const SampleRow& s = p.group[i * r + j];
      if (s.node != p.columns[i]) file.fail("probe sampled an unexpected node");
      p.values.push_back(s.v_mv);
    }
  }
  p.group.clear();
  if (p.times.size() >= rows_per_buffer(n)) flush_rows(file, p);
}

}  // namespace

void write_voltage_report(const std::string& path, const RunLayout& layout, SampleSource& source) {
  const std::size_t n_probes = layout.probes.size();
  std::vector<std::uint64_t> counts(n_probes, 0);
  source.read([&](std::span<const SampleRow> rows) {
    for (const SampleRow& s : rows) {
      if (s.probe >= n_probes) throw Error(path + ": sample of an unknown probe", Error::Kind::Runtime);
      ++counts[s.probe];
    }
  });

  PendingFile pending(path);
  h5::File file = h5::File::create(pending.tmp());
  h5::Handle probes = file.create_group(file.id(), "probes");
  std::vector<ProbeOut> out(n_probes);
  for (std::size_t k = 0; k < n_probes; ++k) {
    ProbeOut& p = out[k];
    p.columns = layout.probe_columns(k);
    const hsize_t n = p.columns.size(), rows = n > 0 ? counts[k] / n : 0;
    if (n == 0 ? counts[k] != 0 : counts[k] % n != 0)
      throw Error(path + ": probe " + std::to_string(k) + " has an incomplete row of samples", Error::Kind::Runtime);
    h5::Handle group = file.create_group(probes.get(), std::to_string(k));
    const ProbeLayout& probe = layout.probes[k];
    file.write_attribute(group.get(), "population", layout.populations.at(probe.population).name);
    file.write_attribute(group.get(), "interval_ms", probe.interval_ms);
    file.write_attribute(group.get(), "start_ms", probe.start_ms);
    h5::Handle ids = file.create_dataset(group.get(), "node_ids", H5T_STD_U64LE, {n});
    file.write_rows(ids.get(), H5T_NATIVE_UINT64, 0, n, p.columns.data());
    p.time_ms = file.create_dataset(group.get(), "time_ms", H5T_IEEE_F64LE, {rows});
    file.write_attribute(p.time_ms.get(), "units", std::string("ms"));
    p.v_mv = file.create_dataset(group.get(), "v_mv", H5T_IEEE_F64LE, {rows, n});
    file.write_attribute(p.v_mv.get(), "units", std::string("mV"));
  }

  source.read([&](std::span<const SampleRow> rows) {
    for (const SampleRow& s : rows) {
      ProbeOut& p = out[s.probe];
      if (!p.group.empty() && p.group[0].time_ms != s.time_ms) close_group(file, p);
      p.group.push_back(s);
    }
  });
  for (ProbeOut& p : out) {
    close_group(file, p);
    flush_rows(file, p);
  }
  out.clear();
  probes.reset();
  file.close();
  pending.publish();
}

H5SampleSource::H5SampleSource(std::string path, RunLayout layout) : path_(std::move(path)), layout_(std::move(layout)) {}

namespace {

std::string number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

struct ProbeIn {
  std::uint32_t probe = 0;
  std::string where;  // "/probes/<k>"
  std::vector<std::uint64_t> columns;
  h5::Handle time_ms, v_mv;
  hsize_t rows = 0, next = 0;  // rows in the file; next to load
  std::vector<double> times, values;
  std::size_t at = 0;
  double previous_ms = 0;

  bool done() const { return at >= times.size(); }
  double time() const { return times[at]; }
  const double* row() const { return values.data() + at * columns.size(); }
  void load(const h5::File& file) {
    const hsize_t n = std::min<hsize_t>(rows_per_buffer(columns.size()), rows - next);
    times.resize(n);
    values.resize(n * columns.size());
    file.read_rows(time_ms.get(), H5T_NATIVE_DOUBLE, next, n, times.data());
    file.read_rows(v_mv.get(), H5T_NATIVE_DOUBLE, next, n, values.data());
    for (std::size_t j = 0; j < n; ++j) {
      const hsize_t row = next + j;
      const double t = times[j];
      if (!std::isfinite(t) || t < 0)
        file.refuse(where + "/time_ms[" + std::to_string(row) + "] = " + number(t) + ": not a finite time >= 0");
      if (row > 0 && t < previous_ms)
        file.refuse(where + "/time_ms[" + std::to_string(row) + "] = " + number(t) + ": earlier than time_ms[" +
                    std::to_string(row - 1) + "] = " + number(previous_ms));
      previous_ms = t;
      for (std::size_t i = 0; i < columns.size(); ++i)
        if (!std::isfinite(values[j * columns.size() + i]))
          file.refuse(where + "/v_mv[" + std::to_string(row) + ", " + std::to_string(i) +
                      "] = " + number(values[j * columns.size() + i]) + ": not a finite voltage");
    }
    next += n;
    at = 0;
  }
  void advance(const h5::File& file) {
    if (++at == times.size() && next < rows) load(file);
  }
};

// Opens and checks probe k's datasets against the layout: node_ids equal to the
// probe's columns, time_ms [T] and v_mv [T, n], all stored in the file.
ProbeIn open_probe(const h5::File& file, hid_t probes, const RunLayout& layout, std::uint32_t k) {
  ProbeIn p;
  p.probe = k;
  p.where = "/probes/" + std::to_string(k);
  if (!file.exists(probes, std::to_string(k))) file.refuse(p.where + ": missing (the run has this probe)");
  const h5::Handle group = file.open_group(probes, std::to_string(k));
  for (const char* name : {"node_ids", "time_ms", "v_mv"})
    if (!file.exists(group.get(), name)) file.refuse(p.where + "/" + name + ": missing");
  p.columns = layout.probe_columns(k);
  const hsize_t n = p.columns.size();
  const h5::Handle ids = file.open_dataset(group.get(), "node_ids");
  const std::vector<hsize_t> id_dims = file.dims(ids.get());
  if (id_dims.size() != 1 || id_dims[0] != n)
    file.refuse(p.where + "/node_ids: not " + std::to_string(n) + " ids (the nodes the probe samples)");
  if (file.type_class(ids.get()) != H5T_INTEGER) file.refuse(p.where + "/node_ids: not integers");
  file.check_stored(ids.get(), p.where + "/node_ids", n);
  std::vector<std::uint64_t> stored(n);
  file.read_rows(ids.get(), H5T_NATIVE_UINT64, 0, n, stored.data());
  for (std::size_t i = 0; i < n; ++i)
    if (stored[i] != p.columns[i])
      file.refuse(p.where + "/node_ids[" + std::to_string(i) + "] = " + std::to_string(stored[i]) + ": the probe's node is " +
                  std::to_string(p.columns[i]));
  p.time_ms = file.open_dataset(group.get(), "time_ms");
  p.v_mv = file.open_dataset(group.get(), "v_mv");
  if (file.type_class(p.time_ms.get()) != H5T_FLOAT) file.refuse(p.where + "/time_ms: not floating-point numbers");
  if (file.type_class(p.v_mv.get()) != H5T_FLOAT) file.refuse(p.where + "/v_mv: not floating-point numbers");
  const std::vector<hsize_t> t_dims = file.dims(p.time_ms.get()), v_dims = file.dims(p.v_mv.get());
  if (t_dims.size() != 1) file.refuse(p.where + "/time_ms: not 1-dimensional");
  p.rows = t_dims[0];
  if (v_dims.size() != 2 || v_dims[0] != p.rows || v_dims[1] != n)
    file.refuse(p.where + "/v_mv: not [" + std::to_string(p.rows) + ", " + std::to_string(n) +
                "] (time_ms rows by node_ids)");
  file.check_stored(p.time_ms.get(), p.where + "/time_ms", p.rows);
  const bool huge = n > 0 && p.rows > std::numeric_limits<hsize_t>::max() / n;
  file.check_stored(p.v_mv.get(), p.where + "/v_mv", huge ? std::numeric_limits<hsize_t>::max() : p.rows * n);
  return p;
}

}  // namespace

void H5SampleSource::read(const Chunk& chunk) {
  const h5::File file = h5::File::open(path_);
  if (!file.exists(file.id(), "probes")) file.refuse("no /probes group");
  const h5::Handle probes = file.open_group(file.id(), "probes");
  file.for_each_link(probes.get(), [&](const std::string& name) {
    bool known = false;
    for (std::size_t k = 0; k < layout_.probes.size() && !known; ++k) known = name == std::to_string(k);
    if (!known) file.refuse("/probes/" + printable(name) + ": not a voltage probe of this run");
  });
  std::vector<ProbeIn> in;
  for (std::uint32_t k = 0; k < layout_.probes.size(); ++k) {
    ProbeIn p = open_probe(file, probes.get(), layout_, k);
    if (p.columns.empty()) continue;
    p.load(file);
    in.push_back(std::move(p));
  }
  std::vector<SampleRow> out;
  std::vector<std::vector<double>> group;  // rows sharing one time
  for (;;) {
    ProbeIn* next = nullptr;  // earliest time, then lowest probe
    for (ProbeIn& p : in)
      if (!p.done() && (!next || p.time() < next->time())) next = &p;
    if (!next) break;
    const double t = next->time();
    group.clear();
    while (!next->done() && next->time() == t) {
      group.emplace_back(next->row(), next->row() + next->columns.size());
      next->advance(file);
    }
    for (std::size_t i = 0; i < next->columns.size(); ++i)
      for (const std::vector<double>& row : group)
        out.push_back({t, row[i], next->probe, static_cast<std::uint32_t>(next->columns[i])});
    if (out.size() >= kBufferValues) {
      chunk(out);
      out.clear();
    }
  }
  if (!out.empty()) chunk(out);
}

}  // namespace spikeq::io
