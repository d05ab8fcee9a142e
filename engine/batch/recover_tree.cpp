// Recovering a tree of runs (engine/io/recover.h): every run directory below DIR
// (trial-KKKK/, point-PPPP/[trial-KKKK/]), then the indexes a killed batch never
// wrote or left stale — trials.json per point, sweep.json and sweep.tsv — built
// by the functions that write them at the end of a batch (engine/batch/trials.h,
// engine/batch/sweep.h), from what the trial manifests record.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/analysis/recorded_run.h"
#include "engine/analysis/summary.h"
#include "engine/io/durable_file.h"
#include "engine/io/input_file.h"
#include "engine/io/manifest.h"
#include "engine/batch/recover_tree.h"
#include "engine/io/run_directory.h"
#include "engine/batch/sweep.h"
#include "engine/batch/trials.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"
#include "netdefs/sweep_points.h"

namespace spikeq::inline batch {
namespace fs = std::filesystem;

namespace {

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Trials per point and points per sweep an index may list: what the manifests and
// directory names claim is bounded by this before anything is sized by it.
constexpr std::uint64_t kMaxIndexEntries = 1000000;
constexpr std::uint64_t kMaxIndexTrials = 2000000;  // points x trials of a rebuilt sweep index

// Subdirectories of `dir` named PREFIX + a number below kMaxIndexEntries, sorted.
std::vector<std::string> numbered_subdirs(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    // Up to 9 digits: the batch writes 4 or more, and the number fits any integer.
    if (!e.is_directory(ec) || name.rfind(prefix, 0) != 0 || name.size() == prefix.size() ||
        name.size() > prefix.size() + 9)
      continue;
    if (std::all_of(name.begin() + static_cast<long>(prefix.size()), name.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        std::stoull(name.substr(prefix.size())) < kMaxIndexEntries)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<nlohmann::json> read_json(const std::string& path) {
  if (!exists(path)) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(read_input_file(path));
    if (j.is_object()) return j;
  } catch (const nlohmann::json::exception&) {
  } catch (const Error&) {
  }
  return std::nullopt;
}

template <typename T>
T field(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

// A count read from a file, ignored beyond kMaxIndexEntries.
std::uint64_t bounded(std::uint64_t n) { return n < kMaxIndexEntries ? n : 0; }

// One point of a batch: its trial directories and what their manifests say.
struct PointState {
  std::string dir;                         // DIR (trials) or DIR/point-PPPP
  std::map<std::uint64_t, nlohmann::json> manifests;  // by trial index
  std::uint64_t trials = 0;                // how many the batch ran per point
  std::optional<NetworkSpec> spec;         // the point's netdef, from a manifest
  PointResult result;
};

// Reads a point's trial manifests (after recovery) and rebuilds its results as
// the batch would have reported them (engine/batch/trials.h TrialResult).
PointState read_point(const std::string& dir, const std::optional<nlohmann::json>& old_index) {
  PointState point;
  point.dir = dir;
  for (const std::string& name : numbered_subdirs(dir, "trial-")) {
    const std::optional<nlohmann::json> m = read_json(dir + "/" + name + "/manifest.json");
    if (!m) continue;
    const std::uint64_t k = field<std::uint64_t>(*m, "trial", std::stoull(name.substr(6)));
    if (trial_dir_name(k) != name) continue;  // a directory that is not this trial's
    point.manifests[k] = *m;
    point.trials = std::max(point.trials, bounded(field<std::uint64_t>(*m, "trials", 0)));
  }
  if (old_index) point.trials = std::max(point.trials, bounded(field<std::uint64_t>(*old_index, "trials", 0)));
  if (!point.manifests.empty()) point.trials = std::max(point.trials, point.manifests.rbegin()->first + 1);
  for (const auto& [k, m] : point.manifests) {
    if (point.spec) break;
    try {
      point.spec = load_netdef_text(field<std::string>(m, "netdef_resolved", ""), dir + "/" + trial_dir_name(k));
    } catch (const Error&) {
    }
  }
  point.result.trials.resize(point.trials);
  for (std::uint64_t k = 0; k < point.trials; ++k) {
    TrialResult& t = point.result.trials[k];
    t.trial = k;
    t.dir = dir + "/" + trial_dir_name(k);
    const auto it = point.manifests.find(k);
    if (it == point.manifests.end()) continue;  // never started (or killed before its manifest)
    const nlohmann::json& m = it->second;
    // A word that is not a status reads as a failure: never as a run that completed.
    t.status = parse_status(field<std::string>(m, "status", "failed")).value_or(RunStatus::Failed);
    t.error = field<std::string>(m, "error", "");
    t.wall_s = field<double>(m, "wall_s", 0.0);
    t.stats.simulated_ms = field<double>(m, "simulated_ms", 0.0);
    if (m.contains("events") && m["events"].is_object()) {
      t.stats.recurrent_pulses = field<std::uint64_t>(m["events"], "recurrent_pulses", 0);
      t.stats.external_pulses = field<std::uint64_t>(m["events"], "external_pulses", 0);
      t.stats.queue_entries = field<std::uint64_t>(m["events"], "queue_entries", 0);
    }
    if (t.status == RunStatus::Running) continue;  // could not be recovered: no summary
    try {
      t.summary = analysis::summarize(analysis::load_run(t.dir), analysis::SummaryOptions{});
    } catch (const Error&) {
      // Too short for any statistic, or unreadable: listed without a summary.
    }
  }
  std::vector<analysis::RunSummary> complete;
  for (const TrialResult& t : point.result.trials)
    if (t.status == RunStatus::Complete && t.summary) complete.push_back(*t.summary);
  if (!complete.empty()) {
    try {
      point.result.aggregate = analysis::aggregate(complete);
    } catch (const Error&) {
    }
  }
  return point;
}

// Frozen unless a manifest shows a trial built from its own streams.
bool redrawn(const std::vector<PointState>& points, const std::optional<nlohmann::json>& old_index) {
  for (const PointState& p : points)
    for (const auto& [k, m] : p.manifests)
      if (k != 0 && field<std::uint64_t>(m, "connectivity_trial", 0) == k) return true;
  return old_index && field<std::string>(*old_index, "connectivity", "frozen") == "redrawn";
}

std::uint64_t networks_built(const std::vector<PointState>& points, bool redraw) {
  std::uint64_t n = 0;
  for (const PointState& p : points) n += redraw ? p.manifests.size() : (p.manifests.empty() ? 0 : 1);
  return n;
}

// The statuses an index lists, to compare with what the manifests now say.
bool same_statuses(const nlohmann::json& index, const char* list, const char* key,
                   const std::vector<std::string>& statuses) {
  const auto it = index.find(list);
  if (it == index.end() || !it->is_array() || it->size() != statuses.size()) return false;
  for (std::size_t i = 0; i < statuses.size(); ++i)
    if (!(*it)[i].is_object() || field<std::string>((*it)[i], key, "") != statuses[i]) return false;
  return true;
}

PointResult not_started_point(std::uint32_t trials) {
  PointResult p;
  p.trials.resize(trials);
  return p;
}

void write_text_file(const std::string& path, const std::string& text) {
  PendingFile pending(path);
  std::FILE* f = std::fopen(pending.tmp().c_str(), "w");
  if (!f) throw Error(path + ": cannot create: " + std::strerror(errno), Error::Kind::Runtime);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw Error(path + ": write failed: " + std::strerror(errno), Error::Kind::Runtime);
  pending.publish();
}

std::string relative(const std::string& root, const std::string& path) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 ? path.substr(root.size() + 1) : path;
}

// Writes one point's trials.json if it is missing or its statuses are stale.
void rebuild_trials_index(const std::string& root, const PointState& point, const BatchResult& batch, const BatchOptions& options, bool threads_known,
                          TreeRecoverReport& report) {
  const std::string path = point.dir + "/trials.json";
  const std::optional<nlohmann::json> old = read_json(path);
  std::vector<std::string> statuses;
  for (const TrialResult& t : point.result.trials) statuses.push_back(status_name(t.status));
  if (old && same_statuses(*old, "trial_runs", "status", statuses)) return;
  if (point.manifests.empty()) return;  // nothing ran here: nothing to index
  BatchPoint bp;
  bp.spec = point.spec.value_or(NetworkSpec{});
  if (!point.spec) {  // its name and seed as the manifests give them
    const nlohmann::json& m = point.manifests.begin()->second;
    bp.spec.name = field<std::string>(m, "name", "");
    bp.spec.seed = field<std::uint64_t>(m, "seed", 0);
  }
  bp.dir = point.dir;
  nlohmann::json j = trials_json(bp, point.result, batch, options);
  if (old && !threads_known) j["threads"] = (*old)["threads"];
  else if (!threads_known) j["threads"] = nullptr;  // not recorded anywhere once the batch was killed
  j["recovered_utc"] = utc_now_iso8601();
  write_json_file(point.dir, "trials.json", j);
  report.rewritten.push_back(relative(root, path));
}

struct SweepDefinition {
  std::vector<SweepSpec> sweeps;
  std::vector<std::vector<double>> values;  // per point
};

// The sweep's definition from an earlier sweep.json.
std::optional<SweepDefinition> sweeps_from_index(const nlohmann::json& index) {
  try {
    SweepDefinition def;
    for (const auto& s : index.at("sweeps")) {
      SweepSpec spec;
      spec.paths = s.at("paths").get<std::vector<std::string>>();
      spec.name = s.at("name").get<std::string>();
      spec.scale = s.at("scale").get<double>();
      spec.values = s.at("values").get<std::vector<double>>();
      def.sweeps.push_back(std::move(spec));
    }
    const auto& points = index.at("points");
    if (points.size() != index.at("point_count").get<std::size_t>() || points.size() > netdef::kMaxSweepPoints)
      return std::nullopt;
    for (const auto& p : points) {
      std::vector<double> values;
      for (const SweepSpec& s : def.sweeps) values.push_back(p.at("values").at(s.name).get<double>());
      def.values.push_back(std::move(values));
    }
    return def;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// The sweep's definition from the netdef file the manifests name, if it gives
// exactly the points' netdefs: point q's netdef (which holds every --set of the
// run) moved to point p's values must be point p's netdef, for every point that
// ran. Not so when the sweep came from --sweep flags, or the file changed since.
std::optional<SweepDefinition> sweeps_from_netdef(const std::vector<PointState>& points, std::string& why) {
  std::string netdef;
  const PointState* base = nullptr;
  for (const PointState& p : points) {
    for (const auto& [k, m] : p.manifests)
      if (netdef.empty()) netdef = field<std::string>(m, "netdef_path", "");
    if (!base && p.spec) base = &p;
  }
  if (netdef.empty() || !exists(netdef)) {
    why = "no sweep.json, and the netdef \"" + netdef + "\" the manifests name is not there";
    return std::nullopt;
  }
  if (!base) {
    why = "no sweep.json, and no point's manifest holds a netdef that loads";
    return std::nullopt;
  }
  try {
    const NetworkSpec file = load_netdef_file(netdef);
    if (file.sweeps.empty()) {
      why = "no sweep.json, and " + netdef + " has no sweep (it was given by --sweep flags)";
      return std::nullopt;
    }
    const std::size_t n = netdef::sweep_point_count(file.sweeps);
    if (n < points.size() || n > netdef::kMaxSweepPoints) {
      why = "no sweep.json, and " + netdef + "'s sweep does not have the directory's points";
      return std::nullopt;
    }
    SweepDefinition def{file.sweeps, {}};
    for (std::size_t p = 0; p < n; ++p) {
      def.values.push_back(netdef::sweep_point_values(file.sweeps, p));
      if (p >= points.size()) continue;
      for (const auto& [k, m] : points[p].manifests) {
        const NetworkSpec moved = load_sweep_point(*base->spec, netdef::sweep_point_overrides(file.sweeps, p), netdef);
        if (field<std::string>(m, "netdef_resolved", "") != moved.resolved_text) {
          why = "no sweep.json, and " + netdef + "'s sweep does not give point " + std::to_string(p) +
                "'s netdef (a sweep given by --sweep flags, or the file changed)";
          return std::nullopt;
        }
        break;  // the trials of a point share its netdef
      }
    }
    return def;
  } catch (const Error& e) {
    why = std::string("no sweep.json, and the netdef does not give the points: ") + e.what();
    return std::nullopt;
  }
}

void rebuild_sweep_indexes(const std::string& root, std::vector<PointState>& points, const BatchResult& batch_in,
                           const BatchOptions& options, TreeRecoverReport& report) {
  const std::optional<nlohmann::json> old = read_json(root + "/sweep.json");
  std::string why;
  std::optional<SweepDefinition> def = old ? sweeps_from_index(*old) : sweeps_from_netdef(points, why);
  if (old && !def) why = "sweep.json is unreadable";
  if (!def) {
    report.notes.push_back("sweep.json, sweep.tsv: not rebuilt: " + why);
    return;
  }
  if (def->values.size() * std::max<std::uint64_t>(1, options.trials) > kMaxIndexTrials) {
    report.notes.push_back("sweep.json, sweep.tsv: not rebuilt: " + std::to_string(def->values.size()) + " points x " +
                           std::to_string(options.trials) + " trials: more than recover indexes at once");
    return;
  }
  // Stale: missing, or statuses that differ from the trials'.
  std::vector<std::string> statuses;
  for (std::size_t p = 0; p < def->values.size(); ++p) {
    if (p < points.size()) statuses.push_back(status_name(points[p].result.status()));
    else statuses.push_back(status_name(not_started_point(options.trials).status()));
  }
  if (old && exists(root + "/sweep.tsv") && same_statuses(*old, "points", "status", statuses)) return;

  const NetworkSpec* any_spec = nullptr;
  for (const PointState& p : points)
    if (p.spec && !any_spec) any_spec = &*p.spec;
  if (!any_spec) {
    report.notes.push_back("sweep.json, sweep.tsv: not rebuilt: no point's manifest holds a netdef that loads");
    return;
  }
  BatchResult batch = batch_in;
  std::vector<BatchPoint> bps;
  batch.points.clear();
  for (std::size_t p = 0; p < def->values.size(); ++p) {
    BatchPoint bp;
    bp.spec = p < points.size() && points[p].spec ? *points[p].spec : *any_spec;
    bp.values = def->values[p];
    bp.dir = root + "/" + point_dir_name(p);
    bps.push_back(std::move(bp));
    if (p < points.size()) batch.points.push_back(points[p].result);
    else batch.points.push_back(not_started_point(options.trials));
  }
  nlohmann::json j = sweep_json(def->sweeps, bps, batch, options);
  for (const char* key : {"threads", "wall_s"}) j[key] = old && old->contains(key) ? (*old)[key] : nlohmann::json(nullptr);
  j["recovered_utc"] = utc_now_iso8601();
  write_json_file(root, "sweep.json", j);
  write_text_file(root + "/sweep.tsv", sweep_tsv(def->sweeps, bps, batch, analysis::SummaryOptions{}));
  report.rewritten.push_back("sweep.json");
  report.rewritten.push_back("sweep.tsv");
}

}  // namespace

int TreeRecoverReport::exit_code() const {
  bool bad_input = false;
  for (const Failure& f : failures) {
    if (f.runtime) return 1;
    bad_input = true;
  }
  if (bad_input) return 2;
  for (const RecoverReport& r : runs)
    if (!r.gaps.empty()) return 3;
  return 0;
}

TreeRecoverReport recover_tree(const std::string& dir, const RecoverOptions& options) {
  TreeRecoverReport report;
  if (exists(dir + "/manifest.json")) {
    report.layout = "run";
    report.runs.push_back(recover_run_directory(dir, options));
    return report;
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory");
  const bool trials = !numbered_subdirs(dir, "trial-").empty();
  const std::vector<std::string> point_names = trials ? std::vector<std::string>{} : numbered_subdirs(dir, "point-");
  if (!trials && point_names.empty()) throw Error(dir + ": no run here (no manifest.json, trial-*/ or point-*/)");
  report.layout = trials ? "trials" : "sweep";
  std::vector<std::string> point_dirs;
  if (trials) point_dirs.push_back(dir);
  for (const std::string& name : point_names) point_dirs.push_back(dir + "/" + name);

  // Every run directory first.
  for (const std::string& p : point_dirs) {
    std::vector<std::string> run_dirs;
    if (exists(p + "/manifest.json")) run_dirs.push_back(p);  // a point of one run without trial directories
    for (const std::string& t : numbered_subdirs(p, "trial-")) run_dirs.push_back(p + "/" + t);
    for (const std::string& run : run_dirs) {
      if (!exists(run + "/manifest.json")) {
        report.not_started.push_back(relative(dir, run));
        continue;
      }
      try {
        report.runs.push_back(recover_run_directory(run, options));
      } catch (const Error& e) {
        report.failures.push_back({run, e.what(), e.kind() == Error::Kind::Runtime});
      }
    }
  }

  // Then the indexes, from the manifests as they now are.
  std::vector<PointState> points;
  for (const std::string& p : point_dirs) points.push_back(read_point(p, read_json(p + "/trials.json")));
  std::uint64_t trials_per_point = 0;
  for (const PointState& p : points) trials_per_point = std::max(trials_per_point, p.trials);
  for (PointState& p : points)
    if (p.trials < trials_per_point) {  // a point whose last trials never started
      for (std::uint64_t k = p.trials; k < trials_per_point; ++k) {
        TrialResult t;
        t.trial = k;
        t.dir = p.dir + "/" + trial_dir_name(k);
        p.result.trials.push_back(std::move(t));
      }
      p.trials = trials_per_point;
    }
  const std::optional<nlohmann::json> old_first =
      read_json(trials ? dir + "/trials.json" : dir + "/sweep.json");
  BatchOptions options_out;
  options_out.trials = static_cast<std::uint32_t>(trials_per_point);
  options_out.redraw_connectivity = redrawn(points, old_first);
  for (const PointState& p : points)
    for (const auto& [k, m] : p.manifests)
      if (options_out.netdef_path.empty()) options_out.netdef_path = field<std::string>(m, "netdef_path", "");
  BatchResult batch;
  batch.networks_built = networks_built(points, options_out.redraw_connectivity);
  bool threads_known = false;
  if (old_first && old_first->contains("threads") && (*old_first)["threads"].is_number_unsigned()) {
    batch.threads = (*old_first)["threads"].get<unsigned>();
    threads_known = true;
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!exists(points[i].dir + "/manifest.json") || !points[i].manifests.empty())
      rebuild_trials_index(dir, points[i], batch, options_out, threads_known, report);
  }
  if (!trials) {
    // Points are point-0000 ... in order; a missing directory is a point never started.
    std::vector<PointState> by_index;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::size_t index = std::stoul(fs::path(points[i].dir).filename().string().substr(6));
      if (index >= by_index.size()) by_index.resize(index + 1);  // < kMaxIndexEntries
      by_index[index] = std::move(points[i]);
    }
    for (std::size_t i = 0; i < by_index.size(); ++i)
      if (by_index[i].dir.empty()) {
        by_index[i].dir = dir + "/" + point_dir_name(i);
        by_index[i].result.trials.resize(trials_per_point);
      }
    rebuild_sweep_indexes(dir, by_index, batch, options_out, report);
  }
  return report;
}

}  // namespace spikeq::batch
