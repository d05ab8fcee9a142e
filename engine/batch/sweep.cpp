#include "engine/batch/sweep.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "netdefs/error.h"
#include "netdefs/format.h"
#include "netdefs/loader.h"
#include "netdefs/sweep_points.h"

namespace spikeq::inline batch {
namespace {

std::string number(double x) {
  if (!std::isfinite(x)) return "nan";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

std::string window_name(double w) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "fano_%gms", w);
  return buf;
}

bool probed(const NetworkSpec& spec, std::size_t population) {
  for (const VoltageProbeSpec& p : spec.recording.voltage_probes)
    if (p.population == population) return true;
  return false;
}

}  // namespace

std::vector<BatchPoint> sweep_points(const NetworkSpec& base, const std::vector<SweepSpec>& sweeps,
                                     const std::string& dir, const std::string& origin) {
  const std::size_t n = netdef::sweep_point_count(sweeps);
  if (n == 0) throw Error(origin + ": a sweep has no values");
  if (n > netdef::kMaxSweepPoints)
    throw Error(origin + ": more than " + std::to_string(netdef::kMaxSweepPoints) + " sweep points");
  std::vector<BatchPoint> points;
  points.reserve(n);
  for (std::size_t p = 0; p < n; ++p) {
    const std::vector<std::string> sets = netdef::sweep_point_overrides(sweeps, p);
    BatchPoint& point = points.emplace_back();
    try {
      point.spec = load_sweep_point(base, sets, origin);
    } catch (const Error& e) {
      std::string text;
      for (const std::string& s : sets) text += (text.empty() ? "" : " ") + s;
      throw Error("sweep point " + std::to_string(p) + " (" + text + "): " + e.what());
    }
    point.values = netdef::sweep_point_values(sweeps, p);
    point.dir = dir + "/" + point_dir_name(p);
  }
  return points;
}

std::string sweep_tsv(const std::vector<SweepSpec>& sweeps, const std::vector<BatchPoint>& points,
                      const BatchResult& result, const analysis::SummaryOptions& options) {
  std::string out = "point";
  for (const SweepSpec& s : sweeps) out += "\t" + s.name;
  if (points.empty()) return out + "\tstatus\n";
  const NetworkSpec& spec = points.front().spec;
  std::vector<std::size_t> pops;
  for (std::size_t i = 0; i < spec.populations.size(); ++i)
    if (spec.recording.spikes_from[i]) pops.push_back(i);
  for (std::size_t i : pops) {
    const std::string& name = spec.populations[i].name;
    for (const char* stat : {"rate_hz", "rate_sem_hz", "cv_isi", "synchrony", "coincident_fraction"}) out += "\t" + name + "." + stat;
    for (double w : options.fano_windows_ms) out += "\t" + name + "." + window_name(w);
    if (probed(spec, i)) out += "\t" + name + ".chi";
  }
  out += "\tstatus\n";
  for (std::size_t p = 0; p < points.size(); ++p) {
    out += std::to_string(p);
    for (double v : points[p].values) out += "\t" + netdef::format_number(v);
    const std::optional<analysis::RunSummary>& agg = result.points[p].aggregate;
    for (std::size_t i : pops) {
      const analysis::PopulationSummary* s = agg && i < agg->populations.size() ? &agg->populations[i] : nullptr;
      const auto cell = [&](double x) { out += "\t" + number(s ? x : analysis::kNaN); };
      cell(s ? s->rate_hz.value : 0);
      cell(s ? s->rate_hz.se : 0);
      cell(s ? s->cv_isi.value : 0);
      cell(s ? s->synchrony.value : 0);
      cell(s ? s->coincident_fraction.value : 0);
      for (double w : options.fano_windows_ms) {
        double f = analysis::kNaN;
        if (s)
          for (const analysis::FanoEstimate& e : s->fano)
            if (e.window_ms == w) f = e.fano.value;
        cell(f);
      }
      if (probed(spec, i)) cell(s ? s->chi.value : 0);
    }
    out += std::string("\t") + status_name(result.points[p].status()) + "\n";
  }
  return out;
}

nlohmann::json sweep_json(const std::vector<SweepSpec>& sweeps, const std::vector<BatchPoint>& points,
                          const BatchResult& result, const BatchOptions& options) {
  nlohmann::json j;
  j["kind"] = "sweep";
  j["netdef_path"] = options.netdef_path;
  if (!points.empty()) j["name"] = points.front().spec.name;
  nlohmann::json list = nlohmann::json::array();
  for (const SweepSpec& s : sweeps) list.push_back({{"paths", s.paths}, {"name", s.name}, {"scale", s.scale}, {"values", s.values}});
  j["sweeps"] = list;
  j["point_count"] = points.size();
  j["trials"] = options.trials;
  j["connectivity"] = options.redraw_connectivity ? "redrawn" : "frozen";
  j["threads"] = result.threads;
  if (result.ranks > 1) j["ranks"] = result.ranks;
  j["networks_built"] = result.networks_built;
  j["wall_s"] = result.wall_s;
  RunStatus status = RunStatus::Complete;
  nlohmann::json pts = nlohmann::json::array();
  for (std::size_t p = 0; p < points.size(); ++p) {
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t i = 0; i < sweeps.size(); ++i) values[sweeps[i].name] = points[p].values[i];
    const RunStatus st = result.points[p].status();
    if (st == RunStatus::Failed) status = RunStatus::Failed;
    else if (st != RunStatus::Complete && status == RunStatus::Complete) status = RunStatus::Interrupted;
    pts.push_back({{"point", p},
                   {"dir", std::filesystem::path(points[p].dir).filename().string()},
                   {"values", values},
                   {"status", status_name(st)},
                   {"trials_complete", result.points[p].complete()}});
  }
  j["status"] = status_name(status);
  j["points"] = pts;
  j["files"] = {"sweep.tsv", "sweep.json"};
  return j;
}

}  // namespace spikeq::batch
