#include "engine/io/manifest.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "engine/theory/theory.h"
#include "netdefs/error.h"
#include "spikeq_version.h"

namespace spikeq::inline io {

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json make_manifest(const Network& net, const RunStats& stats, const RunInfo& info) {
  return make_manifest(net.spec(), net.connectivity_trial(), stats, info);
}

nlohmann::json make_manifest(const NetworkSpec& spec, std::uint64_t connectivity_trial, const RunStats& stats,
                             const RunInfo& info) {
  nlohmann::json m;
  m["spikeq_version"] = kVersion;
  m["build"] = {{"git_revision", kGitRevision}, {"build_type", kBuildType}};
  m["netdef_path"] = info.netdef_path;
  m["netdef_resolved"] = spec.resolved_text;
  m["name"] = spec.name;
  m["seed"] = spec.seed;
  m["mode"] = mode_name(spec.simulation.mode);
  if (spec.simulation.mode == SimMode::Stepped) {
    m["dt_ms"] = spec.simulation.dt_ms;
    m["integrator"] = spec.simulation.integrator == Integrator::Exact ? "exact" : "euler_maruyama";
  }
  m["trials"] = spec.simulation.trials;
  m["trial"] = info.trial;
  m["connectivity_trial"] = connectivity_trial;  // 0: the frozen network
  if (!info.format.empty()) m["format"] = info.format;
  m["status"] = status_name(info.status);
  if (!info.error.empty()) m["error"] = info.error;
  m["duration_ms"] = spec.duration_ms;
  m["simulated_ms"] = stats.simulated_ms;
  m["started_utc"] = info.started_utc;
  m["finished_utc"] = info.finished_utc;
  m["wall_s"] = info.wall_s;
  m["build_s"] = info.build_s;
  const double seconds_simulated = stats.simulated_ms * 1e-3;
  m["events"] = {{"recurrent_pulses", stats.recurrent_pulses},
                 {"external_pulses", stats.external_pulses},
                 {"total", stats.events()},
                 {"queue_entries", stats.queue_entries},
                 {"per_wall_second", info.wall_s > 0 ? static_cast<double>(stats.events()) / info.wall_s : 0.0}};
  // Rates only: the ISI CVs (a double integral per noisy population) are not recorded here.
  const std::vector<PopulationTheory> theory = predict(spec, /*with_cv=*/false);
  nlohmann::json pops = nlohmann::json::array();
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& p = spec.populations[i];
    const std::uint64_t n = i < stats.spikes_per_population.size() ? stats.spikes_per_population[i] : 0;
    nlohmann::json entry = {{"name", p.name},
                            {"size", p.size},
                            {"model", p.kind == ModelKind::Lif ? "lif" : "poisson"},
                            {"recorded", static_cast<bool>(spec.recording.spikes_from[i])},
                            {"spikes", n},
                            {"rate_hz", seconds_simulated > 0 ? static_cast<double>(n) / (static_cast<double>(p.size) * seconds_simulated) : 0.0}};
    if (i < stats.population_simulated.size() && !stats.population_simulated[i]) {
      entry["spikes"] = nullptr;  // only its independent trains were generated
      entry["rate_hz"] = nullptr;
    }
    if (theory[i].converged) entry["theory"] = {{"rate_hz", theory[i].rate_hz}, {"formula", theory[i].formula}};
    pops.push_back(entry);
  }
  m["populations"] = pops;
  nlohmann::json probes = nlohmann::json::array();
  for (const VoltageProbeSpec& p : spec.recording.voltage_probes)
    probes.push_back({{"population", spec.populations[p.population].name},
                      {"node_ids", p.node_ids},  // empty: every node
                      {"interval_ms", p.interval_ms},
                      {"start_ms", p.start_ms}});
  m["voltage_probes"] = probes;
  m["files"] = info.files;
  return m;
}

void write_json_file(const std::string& dir, const std::string& name, const nlohmann::json& json) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw Error(path + ": cannot create: " + std::strerror(errno), Error::Kind::Runtime);
  const std::string text = json.dump(2) + "\n";
  // Synced before the rename, so after a power loss the file is the old one or the new one.
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                  (::fsync(fileno(f)) == 0 || errno == EINVAL);
  const int err = errno;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(path + ": write failed: " + std::strerror(ok ? errno : err), Error::Kind::Runtime);
}

void write_manifest(const std::string& dir, const nlohmann::json& manifest) {
  write_json_file(dir, "manifest.json", manifest);
}

}  // namespace spikeq::io
