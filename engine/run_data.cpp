#include "engine/run_data.h"

#include <algorithm>
#include <numeric>

#include "netdefs/error.h"

namespace spikeq {

RunLayout RunLayout::of(const NetworkSpec& spec) {
  RunLayout layout;
  for (std::size_t i = 0; i < spec.populations.size(); ++i)
    layout.populations.push_back({spec.populations[i].name, spec.populations[i].size,
                                  static_cast<bool>(spec.recording.spikes_from[i])});
  for (const VoltageProbeSpec& p : spec.recording.voltage_probes)
    layout.probes.push_back({static_cast<std::uint32_t>(p.population), p.node_ids, p.interval_ms, p.start_ms});
  return layout;
}

nlohmann::json RunLayout::to_json() const {
  nlohmann::json pops = nlohmann::json::array(), probe_list = nlohmann::json::array();
  for (const PopulationLayout& p : populations)
    pops.push_back({{"name", p.name}, {"size", p.size}, {"recorded", p.recorded}});
  for (const ProbeLayout& p : probes)
    probe_list.push_back({{"population", p.population},
                      {"node_ids", p.node_ids},
                      {"interval_ms", p.interval_ms},
                      {"start_ms", p.start_ms}});
  return {{"populations", pops}, {"probes", probe_list}};
}

RunLayout RunLayout::from_json(const nlohmann::json& j) {
  RunLayout layout;
  try {
    for (const auto& p : j.at("populations"))
      layout.populations.push_back({p.at("name").get<std::string>(), p.at("size").get<std::uint64_t>(),
                                    p.at("recorded").get<bool>()});
    for (const auto& p : j.at("probes")) {
      ProbeLayout probe{p.at("population").get<std::uint32_t>(), p.at("node_ids").get<std::vector<std::uint64_t>>(),
                        p.at("interval_ms").get<double>(), p.at("start_ms").get<double>()};
      if (probe.population >= layout.populations.size())
        throw Error("bad recording layout: probe population out of range", Error::Kind::Runtime);
      layout.probes.push_back(std::move(probe));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("bad recording layout: ") + e.what(), Error::Kind::Runtime);
  }
  return layout;
}

RunLayout RunLayout::from_manifest(const nlohmann::json& manifest) {
  RunLayout layout;
  try {
    for (const auto& p : manifest.at("populations"))
      layout.populations.push_back({p.at("name").get<std::string>(), p.at("size").get<std::uint64_t>(),
                                    p.at("recorded").get<bool>()});
    if (manifest.contains("voltage_probes"))
      for (const auto& p : manifest.at("voltage_probes")) {
        const auto population = layout.population_index(p.at("population").get<std::string>());
        if (!population) throw Error("manifest.json: probe of an unknown population", Error::Kind::Runtime);
        layout.probes.push_back({*population, p.at("node_ids").get<std::vector<std::uint64_t>>(),
                                 p.at("interval_ms").get<double>(), p.at("start_ms").get<double>()});
      }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("manifest.json: ") + e.what(), Error::Kind::Runtime);
  }
  return layout;
}

std::optional<std::uint32_t> RunLayout::population_index(const std::string& name) const {
  for (std::size_t i = 0; i < populations.size(); ++i)
    if (populations[i].name == name) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

std::vector<std::uint64_t> RunLayout::probe_columns(std::size_t probe) const {
  const ProbeLayout& p = probes.at(probe);
  std::vector<std::uint64_t> columns = p.node_ids;
  if (columns.empty()) {
    columns.resize(populations.at(p.population).size);
    std::iota(columns.begin(), columns.end(), std::uint64_t{0});
  }
  std::sort(columns.begin(), columns.end());
  return columns;
}

}  // namespace spikeq
