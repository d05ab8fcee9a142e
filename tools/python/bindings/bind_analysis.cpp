// The analysis commands from Python, returning the JSON text their --json
// prints (the package parses it): `spikeq stats`, `spikeq compare` and
// `spikeq converge`, on run directories (the very code path of the CLI) or on
// runs held in memory (NumPy arrays and their manifests, turned into the
// analysis::RecordedRun that analysis::load_run would read from their files).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <span>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "engine/analysis/summary.h"
#include "engine/analysis/compare.h"
#include "engine/batch/converge.h"
#include "engine/core/memory_estimate.h"
#include "engine/io/run_data.h"
#include "engine/io/run_lock.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"

namespace spikeq::python {
namespace {

const char* const kLiveNote = "a live run: its files are not finished";  // as `spikeq stats`

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  return it != j.end() && !it->is_null() ? it->get<T>() : fallback;
}

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Ids = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

// One probe's samples as the Python side holds them (spikeq_run.Probe).
struct ProbeIn {
  std::uint32_t probe = 0;
  std::uint32_t population = 0;
  std::vector<std::uint64_t> columns;
  Doubles times;
  Doubles v;
  std::size_t row = 0;
  std::size_t rows() const { return static_cast<std::size_t>(times.shape(0)); }
  bool done() const { return row >= rows(); }
  double time() const { return times.at(static_cast<py::ssize_t>(row)); }
};

// A run held in Python: (manifest JSON text, {population: (times_ms, node_ids)},
// [(probe, node_ids, times_ms, v_mv)]) -> what analysis::load_run reads from its
// files: the manifest's fields, spikes per population, and each population's
// samples in the order the file readers give them (engine/io/h5_voltages.cpp: the
// probes merged by time, lowest probe first; within an instant, node by node).
analysis::RecordedRun recorded_run(const py::handle& input, const std::string& label) {
  const auto items = input.cast<py::tuple>();
  const std::string origin = label + " manifest";
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(items[0].cast<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": not valid JSON: " + e.what());
  }
  analysis::RecordedRun run;
  try {
    run.name = get_or<std::string>(m, "name", "");
    run.mode = parse_mode(get_or<std::string>(m, "mode", "event"));
    run.dt_ms = get_or<double>(m, "dt_ms", 0.0);
    run.integrator = get_or<std::string>(m, "integrator", "");
    run.seed = get_or<std::uint64_t>(m, "seed", 0);
    run.trial = get_or<std::uint64_t>(m, "trial", 0);
    run.status = get_or<std::string>(m, "status", "");
    run.duration_ms = m.at("duration_ms").get<double>();
    run.simulated_ms = get_or<double>(m, "simulated_ms", run.duration_ms);
    run.netdef_resolved = get_or<std::string>(m, "netdef_resolved", "");
    for (const auto& p : m.at("populations")) {
      analysis::PopulationSpikes pop;
      pop.name = p.at("name").get<std::string>();
      pop.size = p.at("size").get<std::uint64_t>();
      pop.lif = get_or<std::string>(p, "model", "lif") == "lif";
      pop.recorded = get_or<bool>(p, "recorded", true) && !(p.contains("spikes") && p["spikes"].is_null());
      run.populations.push_back(std::move(pop));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": " + e.what());
  }
  const RunLayout layout = RunLayout::from_manifest(m, origin);
  run.voltages.resize(run.populations.size());

  const auto spikes = items[1].cast<py::dict>();
  for (analysis::PopulationSpikes& pop : run.populations) {
    if (!spikes.contains(pop.name)) continue;
    const auto pair = spikes[py::str(pop.name)].cast<py::tuple>();
    const Doubles t = pair[0].cast<Doubles>();
    const Ids ids = pair[1].cast<Ids>();
    if (t.ndim() != 1 || ids.ndim() != 1 || t.shape(0) != ids.shape(0))
      throw Error(label + ": spikes of " + pop.name + ": times_ms and node_ids differ in length");
    const std::size_t n = static_cast<std::size_t>(t.shape(0));
    pop.times_ms.assign(t.data(), t.data() + n);
    pop.node_ids.resize(n);
    const std::uint64_t* raw = ids.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (raw[i] >= pop.size)
        throw Error(label + ": spikes of " + pop.name + ": node_ids[" + std::to_string(i) + "] = " +
                    std::to_string(raw[i]) + ": not below the population size " + std::to_string(pop.size));
      pop.node_ids[i] = static_cast<std::uint32_t>(raw[i]);
    }
  }

  std::vector<ProbeIn> probes;
  for (const py::handle& h : items[2].cast<py::list>()) {
    const auto e = h.cast<py::tuple>();
    ProbeIn p;
    p.probe = e[0].cast<std::uint32_t>();
    if (p.probe >= layout.probes.size()) throw Error(label + ": voltage probe " + std::to_string(p.probe) + " unknown");
    p.population = layout.probes[p.probe].population;
    p.columns = e[1].cast<std::vector<std::uint64_t>>();
    p.times = e[2].cast<Doubles>();
    p.v = e[3].cast<Doubles>();
    if (p.columns.empty()) continue;
    if (p.v.ndim() != 2 || p.v.shape(0) != p.times.shape(0) ||
        static_cast<std::size_t>(p.v.shape(1)) != p.columns.size())
      throw Error(label + ": voltage probe " + std::to_string(p.probe) + ": v_mv is not [times, nodes]");
    probes.push_back(std::move(p));
  }
  for (;;) {
    ProbeIn* next = nullptr;
    for (ProbeIn& p : probes)
      if (!p.done() && (!next || p.time() < next->time())) next = &p;
    if (!next) break;
    const double t = next->time();
    const std::size_t first = next->row;
    while (!next->done() && next->time() == t) ++next->row;
    analysis::PopulationVoltages& out = run.voltages[next->population];
    const std::size_t n = next->columns.size();
    const double* v = next->v.data();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t r = first; r < next->row; ++r) {
        out.times_ms.push_back(t);
        out.node_ids.push_back(static_cast<std::uint32_t>(next->columns[i]));
        out.v_mv.push_back(v[r * n + i]);
      }
  }
  return run;
}

analysis::SummaryOptions summary_options(double from_ms, double to_ms, const std::vector<double>& windows_ms,
                                         double sync_bin_ms) {
  analysis::SummaryOptions so;
  so.from_ms = from_ms;
  if (to_ms > 0) so.to_ms = to_ms;
  if (!windows_ms.empty()) so.fano_windows_ms = windows_ms;
  so.sync_bin_ms = sync_bin_ms;
  return so;
}

// As `spikeq stats --json` words a point's summary (tools/spikeq/cmd_stats.cpp).
nlohmann::json with_theory(const analysis::RunSummary& s, bool isi_density) {
  nlohmann::json j = analysis::summary_json(s);
  if (const auto th = analysis::theory_of(s)) j["theory"] = theory::theory_json(*th, isi_density);
  return j;
}

// Points as (label, [trial runs]): one point with label "" is a run (or its
// trials), else the sweep's form {"points": [{label, summary}]}.
nlohmann::json stats_json(const std::vector<std::pair<std::string, std::vector<analysis::RecordedRun>>>& points,
                          const analysis::SummaryOptions& so, bool isi_density) {
  nlohmann::json out_points = nlohmann::json::array(), single;
  for (const auto& [label, runs] : points) {
    std::vector<analysis::RunSummary> trials;
    for (const analysis::RecordedRun& r : runs) trials.push_back(analysis::summarize(r, so));
    const nlohmann::json j = with_theory(analysis::aggregate(trials), isi_density);
    if (label.empty()) single = j;
    else out_points.push_back({{"label", label}, {"summary", j}});
  }
  return single.is_null() ? nlohmann::json{{"points", out_points}} : single;
}

std::vector<analysis::RecordedRun> runs_of(const py::list& inputs, const std::string& label) {
  std::vector<analysis::RecordedRun> runs;
  for (const py::handle& h : inputs) runs.push_back(recorded_run(h, label));
  return runs;
}

// A side of `compare`: a directory (the CLI's load_side) or (label, [runs]).
analysis::CompareSide side_of(const py::handle& side, const analysis::SummaryOptions& so) {
  if (py::isinstance<py::str>(side)) {
    const std::string dir = side.cast<std::string>();
    refuse_if_live(dir, kLiveNote);
    return analysis::load_side(dir, so);
  }
  const auto pair = side.cast<py::tuple>();
  const std::string label = pair[0].cast<std::string>();
  const std::vector<analysis::RecordedRun> runs = runs_of(pair[1].cast<py::list>(), label);
  return analysis::make_side(runs, so, label);
}

}  // namespace

void bind_analysis(py::module_& m) {
  m.def(
      "stats_dir",
      [](const std::string& dir, double from_ms, double to_ms, const std::vector<double>& windows_ms,
         double sync_bin_ms, bool isi_density) {
        const analysis::SummaryOptions so = summary_options(from_ms, to_ms, windows_ms, sync_bin_ms);
        py::gil_scoped_release free;
        refuse_if_live(dir, kLiveNote);
        std::vector<std::pair<std::string, std::vector<analysis::RecordedRun>>> points;
        for (const analysis::RunPoint& p : analysis::discover_runs(dir)) {
          std::vector<analysis::RecordedRun> runs;
          for (const std::string& t : p.trial_dirs) runs.push_back(analysis::load_run(t));
          points.emplace_back(p.label, std::move(runs));
        }
        return stats_json(points, so, isi_density).dump();
      },
      py::arg("dir"), py::arg("from_ms") = 0.0, py::arg("to_ms") = 0.0, py::arg("windows_ms") = std::vector<double>{},
      py::arg("sync_bin_ms") = 1.0, py::arg("isi_density") = false, "`spikeq stats DIR --json`, as JSON text.");
  m.def(
      "stats_runs",
      [](const py::list& points, double from_ms, double to_ms, const std::vector<double>& windows_ms,
         double sync_bin_ms, bool isi_density) {
        const analysis::SummaryOptions so = summary_options(from_ms, to_ms, windows_ms, sync_bin_ms);
        std::vector<std::pair<std::string, std::vector<analysis::RecordedRun>>> in;
        for (const py::handle& h : points) {
          const auto pair = h.cast<py::tuple>();
          const std::string label = pair[0].cast<std::string>();
          in.emplace_back(label, runs_of(pair[1].cast<py::list>(), label.empty() ? "run" : label));
        }
        py::gil_scoped_release free;
        return stats_json(in, so, isi_density).dump();
      },
      py::arg("points"), py::arg("from_ms") = 0.0, py::arg("to_ms") = 0.0, py::arg("windows_ms") = std::vector<double>{},
      py::arg("sync_bin_ms") = 1.0, py::arg("isi_density") = false,
      "`spikeq stats --json` of runs held in memory: [(label, [(manifest, spikes, voltages)])].");
  m.def(
      "compare",
      [](const py::object& a, const py::object& b, double alpha, double from_ms, double to_ms,
         const std::vector<double>& windows_ms, bool isi_density) {
        const analysis::SummaryOptions so = summary_options(from_ms, to_ms, windows_ms, 1.0);
        const analysis::CompareSide side_a = side_of(a, so);
        const analysis::CompareSide side_b = side_of(b, so);
        py::gil_scoped_release free;
        const auto theory = analysis::theory_of(side_a.summary);
        const analysis::Comparison c = analysis::compare(side_a, side_b, alpha, theory ? &*theory : nullptr);
        nlohmann::json j = analysis::comparison_json(c);
        if (theory) j["theory"] = theory::theory_json(*theory, isi_density);
        return j.dump();
      },
      py::arg("a"), py::arg("b"), py::arg("alpha") = 0.01, py::arg("from_ms") = 0.0, py::arg("to_ms") = 0.0,
      py::arg("windows_ms") = std::vector<double>{}, py::arg("isi_density") = false,
      "`spikeq compare A B --json`; each side a directory or (label, [runs]).");
  m.def(
      "converge",
      [](const std::string& text, const std::string& origin, const std::vector<std::string>& overrides,
         const std::vector<double>& dts_ms, const std::vector<std::string>& integrators, std::uint32_t trials,
         double from_ms, std::uint64_t threads) {
        const NetworkSpec spec = load_netdef_text(text, origin, overrides);
        RunShape shape = batch_shape(spec, 1, threads, false);
        shape.trials = trials;
        check_memory(spec, origin, available_memory_bytes(), shape);
        batch::ConvergeOptions co;
        co.dts_ms = dts_ms;
        co.trials = trials;
        co.threads = static_cast<int>(threads);
        co.summary.from_ms = from_ms >= 0 ? from_ms : analysis::kNaN;
        if (!integrators.empty()) {
          co.integrators.clear();
          for (const std::string& i : integrators)
            co.integrators.push_back(i == "exact" ? Integrator::Exact : Integrator::EulerMaruyama);
        }
        py::gil_scoped_release free;
        return batch::converge_json(batch::run_converge(spec, co)).dump();
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides"), py::arg("dts_ms"), py::arg("integrators"),
      py::arg("trials"), py::arg("from_ms"), py::arg("threads"), "`spikeq converge --json`, as JSON text.");
}

}  // namespace spikeq::python
