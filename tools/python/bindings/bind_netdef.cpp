// Netdefs from Python: read a file, resolve text + --set overrides into a
// validated network (the loader of netdefs/loader.h, so the messages are the
// CLI's), describe it, and what theory predicts for it (`spikeq theory --json`).
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "engine/theory/theory_report.h"
#include "netdefs/error.h"
#include "netdefs/format.h"
#include "netdefs/limits.h"
#include "netdefs/loader.h"
#include "spikeq_version.h"

namespace spikeq::python {
namespace {

const char* model_name(ModelKind k) { return k == ModelKind::Lif ? "lif" : "poisson"; }

const char* rule_name(RuleKind r) {
  switch (r) {
    case RuleKind::FixedIndegree: return "fixed_indegree";
    case RuleKind::OneToOne: return "one_to_one";
    case RuleKind::AllToAll: return "all_to_all";
    case RuleKind::PairwiseBernoulli: return "pairwise_bernoulli";
  }
  return "";
}

// The validated network as plain JSON (units in the keys, as in the schema).
nlohmann::json describe(const NetworkSpec& spec) {
  nlohmann::json j;
  j["name"] = spec.name;
  j["duration_ms"] = spec.duration_ms;
  j["seed"] = spec.seed;
  j["resolved_text"] = spec.resolved_text;
  const SimulationSpec& sim = spec.simulation;
  j["simulation"] = {{"mode", mode_name(sim.mode)},
                     {"dt_ms", sim.dt_ms},
                     {"integrator", sim.integrator == Integrator::Exact ? "exact" : "euler"},
                     {"trials", sim.trials},
                     {"ou_check_interval_ms", sim.ou_check_interval_ms},
                     {"crossing_tolerance_ms", sim.crossing_tolerance_ms}};
  nlohmann::json pops = nlohmann::json::array();
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& p = spec.populations[i];
    nlohmann::json e = {{"name", p.name}, {"size", p.size}, {"model", model_name(p.kind)},
                        {"recorded", static_cast<bool>(spec.recording.spikes_from[i])}};
    if (p.kind == ModelKind::Poisson) {
      e["poisson"] = {{"rate_hz", p.poisson.rate_hz}};
    } else {
      const LifParams& l = p.lif;
      e["lif"] = {{"tau_m_ms", l.tau_m_ms}, {"e_l_mv", l.e_l_mv}, {"v_th_mv", l.v_th_mv},
                  {"v_reset_mv", l.v_reset_mv}, {"t_ref_ms", l.t_ref_ms}, {"v_init_low_mv", l.v_init_low_mv},
                  {"v_init_high_mv", l.v_init_high_mv}, {"mu_mv", l.mu_mv}, {"sigma_mv", l.sigma_mv}};
    }
    pops.push_back(e);
  }
  j["populations"] = pops;
  nlohmann::json projs = nlohmann::json::array();
  for (const ProjectionSpec& p : spec.projections) {
    nlohmann::json e = {{"name", p.name},
                        {"source", spec.populations[p.source].name},
                        {"target", spec.populations[p.target].name},
                        {"rule", rule_name(p.rule)},
                        {"weight_mv", p.weight_mv},
                        {"delay_ms", p.delay_ms}};
    if (p.rule == RuleKind::FixedIndegree) e["indegree"] = p.indegree;
    if (p.rule == RuleKind::PairwiseBernoulli) e["p"] = p.p;
    if (spec.populations[p.source].kind == ModelKind::Poisson) e["independent_trains"] = p.independent_trains;
    projs.push_back(e);
  }
  j["projections"] = projs;
  nlohmann::json probes = nlohmann::json::array();
  for (const VoltageProbeSpec& p : spec.recording.voltage_probes)
    probes.push_back({{"population", spec.populations[p.population].name}, {"node_ids", p.node_ids},
                      {"interval_ms", p.interval_ms}, {"start_ms", p.start_ms}});
  j["voltage_probes"] = probes;
  nlohmann::json sweeps = nlohmann::json::array();
  for (const SweepSpec& s : spec.sweeps)
    sweeps.push_back({{"name", s.name}, {"paths", s.paths}, {"values", s.values}, {"scale", s.scale}});
  j["sweeps"] = sweeps;
  j["total_nodes"] = spec.total_nodes();
  return j;
}

NetworkSpec load(const NetdefSource& src) { return load_netdef_text(src.text, src.origin, src.overrides); }

}  // namespace

void bind_netdef(py::module_& m) {
  m.attr("version") = std::string(kVersion) + " (" + kGitRevision + ", " + kBuildType + ")";
  // The CLI's bounds on flags that are not netdef fields (netdefs/limits.h).
  py::dict bounds;
  bounds["max_threads"] = limits::kMaxThreads;
  bounds["max_time_ms"] = limits::kMaxTimeMs;
  bounds["max_trials"] = limits::kMaxTrials;
  bounds["max_memory_limit_mb"] = limits::kMaxMemoryLimitMb;
  m.attr("limits") = bounds;
  m.def(
      "format_number", [](double x) { return netdef::format_number(x); },
      "A number as the CLI's messages write it (the shortest text that reads back to it).");

  m.def(
      "read_netdef",
      [](const std::string& path, const std::vector<std::string>& overrides) {
        // Checked as `spikeq` loads a file (its messages), then the text as written.
        (void)load_netdef_file(path, overrides);
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) throw Error(path + ": cannot read");
        return text.str();
      },
      py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
      "The text of a netdef file, after checking that it loads (with `overrides`) as `spikeq` loads it.");

  m.def(
      "resolve",
      [](const std::string& text, const std::string& origin, const std::vector<std::string>& overrides) {
        return describe(load({text, origin, overrides})).dump();
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides") = std::vector<std::string>{},
      "Loads netdef text with --set overrides; JSON text describing the validated network.");

  m.def(
      "theory",
      [](const std::string& text, const std::string& origin, const std::vector<std::string>& overrides,
         bool isi_density) {
        const NetworkSpec spec = load({text, origin, overrides});
        py::gil_scoped_release free;
        return theory::theory_json(theory::theory_report(spec), isi_density).dump();
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides") = std::vector<std::string>{},
      py::arg("isi_density") = false,
      "`spikeq theory --json` of the netdef, as JSON text (isi_density: with the ISI densities the plots draw).");
}

}  // namespace spikeq::python
