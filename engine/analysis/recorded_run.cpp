#include "engine/core/run_status.h"
#include "engine/analysis/recorded_run.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "engine/io/h5_spikes.h"
#include "engine/io/input_file.h"
#include "engine/io/h5_voltages.h"
#include "engine/io/run_data.h"
#include "engine/io/tsv_rows.h"
#include "netdefs/error.h"

namespace spikeq::analysis {
namespace {

namespace fs = std::filesystem;

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  return it != j.end() && !it->is_null() ? it->get<T>() : fallback;
}

}  // namespace

std::vector<std::vector<double>> PopulationSpikes::trains() const {
  std::vector<std::vector<double>> t(size);
  for (std::size_t i = 0; i < times_ms.size(); ++i) t[node_ids[i]].push_back(times_ms[i]);
  for (auto& one : t)
    if (!std::is_sorted(one.begin(), one.end())) std::sort(one.begin(), one.end());
  return t;
}

int RecordedRun::population_index(const std::string& pop_name) const {
  for (std::size_t i = 0; i < populations.size(); ++i)
    if (populations[i].name == pop_name) return static_cast<int>(i);
  return -1;
}

RecordedRun load_run(const std::string& dir) {
  const std::string manifest_path = dir + "/manifest.json";
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_input_file(manifest_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest_path + ": not valid JSON: " + e.what());
  }
  RecordedRun run;
  run.dir = dir;
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
      PopulationSpikes pop;
      pop.name = p.at("name").get<std::string>();
      pop.size = p.at("size").get<std::uint64_t>();
      pop.lif = get_or<std::string>(p, "model", "lif") == "lif";
      pop.recorded = get_or<bool>(p, "recorded", true) && !(p.contains("spikes") && p["spikes"].is_null());
      run.populations.push_back(std::move(pop));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest_path + ": " + e.what());
  }
  run.voltages.resize(run.populations.size());
  // Checked like a netdef (engine/io/run_data.h): the readers bound what they read by it.
  const RunLayout layout = RunLayout::from_manifest(m, manifest_path);
  auto has = [&](const char* f) { return fs::exists(dir + "/" + std::string(f)); };
  // The format readers (engine/h5_*.h, engine/io/tsv_rows.h) hand over rows with
  // population-local node ids; HDF5 first, as `spikeq run` writes it by default.
  std::unique_ptr<SpikeSource> spikes;
  if (has("spikes.h5")) spikes = std::make_unique<H5SpikeSource>(dir + "/spikes.h5", layout);
  else if (has("spikes.tsv")) spikes = std::make_unique<TsvSpikeSource>(dir + "/spikes.tsv", layout);
  else throw Error(dir + ": no spikes.h5 or spikes.tsv (a killed run? try spikeq recover " + dir + ")");
  spikes->read([&](std::span<const SpikeRow> rows) {
    for (const SpikeRow& r : rows) {
      // The readers refuse these already (engine/io/h5_spikes.h, engine/io/tsv_rows.h); kept
      // as the last guard before indexing.
      if (r.population >= run.populations.size() || r.node >= run.populations[r.population].size)
        throw Error(dir + ": spike of an unknown population or node");
      run.populations[r.population].times_ms.push_back(r.time_ms);
      run.populations[r.population].node_ids.push_back(r.node);
    }
  });
  std::unique_ptr<SampleSource> samples;
  if (has("voltages.h5")) samples = std::make_unique<H5SampleSource>(dir + "/voltages.h5", layout);
  else if (has("voltages.tsv")) samples = std::make_unique<TsvSampleSource>(dir + "/voltages.tsv", layout);
  if (samples)
    samples->read([&](std::span<const SampleRow> rows) {
      for (const SampleRow& r : rows) {
        if (r.probe >= layout.probes.size()) throw Error(dir + ": sample of an unknown probe");
        PopulationVoltages& v = run.voltages[layout.probes[r.probe].population];
        v.times_ms.push_back(r.time_ms);
        v.node_ids.push_back(r.node);
        v.v_mv.push_back(r.v_mv);
      }
    });
  return run;
}

RecordingSink::RecordingSink(const Network& network, std::uint64_t trial) : net_(network) {
  const NetworkSpec& spec = network.spec();
  run_.name = spec.name;
  run_.mode = spec.simulation.mode;
  if (spec.simulation.mode == SimMode::Stepped) {
    run_.dt_ms = spec.simulation.dt_ms;
    run_.integrator = spec.simulation.integrator == Integrator::Exact ? "exact" : "euler_maruyama";
  }
  run_.seed = spec.seed;
  run_.trial = trial;
  run_.duration_ms = spec.duration_ms;
  run_.netdef_resolved = spec.resolved_text;
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    PopulationSpikes p;
    p.name = spec.populations[i].name;
    p.size = spec.populations[i].size;
    p.lif = spec.populations[i].kind == ModelKind::Lif;
    p.recorded = spec.recording.spikes_from[i];
    run_.populations.push_back(std::move(p));
  }
  run_.voltages.resize(spec.populations.size());
}

void RecordingSink::spikes(std::span<const SpikeRecord> batch) {
  for (const SpikeRecord& s : batch) {
    const std::uint16_t p = net_.population_of(s.node);
    PopulationSpikes& pop = run_.populations[p];
    pop.times_ms.push_back(s.time_ms);
    pop.node_ids.push_back(s.node - net_.populations()[p].first);
  }
}

void RecordingSink::samples(std::span<const VoltageSample> batch) {
  for (const VoltageSample& s : batch) {
    const std::uint16_t p = net_.population_of(s.node);
    PopulationVoltages& v = run_.voltages[p];
    v.times_ms.push_back(s.time_ms);
    v.node_ids.push_back(s.node - net_.populations()[p].first);
    v.v_mv.push_back(s.v_mv);
  }
}

RecordedRun RecordingSink::finish(double simulated_ms, bool complete) {
  run_.simulated_ms = simulated_ms;
  run_.status = status_name(complete ? RunStatus::Complete : RunStatus::Interrupted);
  return std::move(run_);
}

std::vector<RunPoint> discover_runs(const std::string& dir) {
  auto sorted_subdirs = [](const std::string& d, const std::string& prefix) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.is_directory() && e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  };
  auto trials_of = [&](const std::string& d) {
    if (fs::exists(d + "/manifest.json")) return std::vector<std::string>{d};
    std::vector<std::string> trials;
    for (const std::string& t : sorted_subdirs(d, "trial-"))
      if (fs::exists(t + "/manifest.json")) trials.push_back(t);
    return trials;
  };
  if (!fs::is_directory(dir)) throw Error(dir + ": not a directory");
  std::vector<RunPoint> points;
  if (auto trials = trials_of(dir); !trials.empty()) {
    points.push_back({"", std::move(trials)});
    return points;
  }
  for (const std::string& p : sorted_subdirs(dir, "point-"))
    if (auto trials = trials_of(p); !trials.empty())
      points.push_back({fs::path(p).filename().string(), std::move(trials)});
  if (points.empty()) throw Error(dir + ": no run here (no manifest.json, trial-*/ or point-*/)");
  return points;
}

}  // namespace spikeq::analysis
