#include "engine/io/run_data.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>
#include <string_view>

#include "engine/io/input_file.h"
#include "netdefs/error.h"

namespace spikeq::inline io {

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

RunLayout RunLayout::from_json(const nlohmann::json& j, const std::string& origin) {
  RunLayout layout;
  try {
    for (const auto& p : j.at("populations"))
      layout.populations.push_back({p.at("name").get<std::string>(), p.at("size").get<std::uint64_t>(),
                                    p.at("recorded").get<bool>()});
    for (const auto& p : j.at("probes")) {
      const auto population = p.at("population").get<std::uint64_t>();
      if (population >= layout.populations.size())
        throw Error(origin + ": recording layout: probe of population " + std::to_string(population) +
                    ": there are " + std::to_string(layout.populations.size()));
      layout.probes.push_back({static_cast<std::uint32_t>(population), p.at("node_ids").get<std::vector<std::uint64_t>>(),
                               p.at("interval_ms").get<double>(), p.at("start_ms").get<double>()});
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": recording layout: " + e.what());
  }
  layout.validate(origin);
  return layout;
}

RunLayout RunLayout::from_manifest(const nlohmann::json& manifest, const std::string& origin) {
  RunLayout layout;
  try {
    for (const auto& p : manifest.at("populations"))
      layout.populations.push_back({p.at("name").get<std::string>(), p.at("size").get<std::uint64_t>(),
                                    p.at("recorded").get<bool>()});
    if (manifest.contains("voltage_probes"))
      for (const auto& p : manifest.at("voltage_probes")) {
        const std::string name = p.at("population").get<std::string>();
        const auto population = layout.population_index(name);
        if (!population) throw Error(origin + ": voltage probe of an unknown population \"" + name + "\"");
        layout.probes.push_back({*population, p.at("node_ids").get<std::vector<std::uint64_t>>(),
                                 p.at("interval_ms").get<double>(), p.at("start_ms").get<double>()});
      }
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": " + e.what());
  }
  layout.validate(origin);
  return layout;
}

void RunLayout::validate(const std::string& origin) const {
  if (populations.empty()) throw Error(origin + ": no populations");
  std::uint64_t total = 0;
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < populations.size(); ++i) {
    const PopulationLayout& p = populations[i];
    // As the netdef loader requires: names appear in messages and HDF5 paths.
    const bool identifier = !p.name.empty() && p.name.size() <= 256 && std::isalpha(static_cast<unsigned char>(p.name[0])) &&
                            std::all_of(p.name.begin(), p.name.end(), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                            });
    if (!identifier)
      throw Error(origin + ": population " + std::to_string(i) + ": name \"" + printable(p.name) +
                  "\": must match [A-Za-z][A-Za-z0-9_]*");
    const std::string where = origin + ": population " + std::to_string(i) + " \"" + p.name + "\"";
    if (p.size < 1 || p.size > kMaxNodes - total)
      throw Error(where + ": size " + std::to_string(p.size) + ": must be >= 1 and the sizes at most " +
                  std::to_string(kMaxNodes) + " in all (node ids are 32-bit)");
    total += p.size;
    if (!names.insert(p.name).second) throw Error(where + ": the name is used twice");
  }
  for (std::size_t k = 0; k < probes.size(); ++k) {
    const ProbeLayout& p = probes[k];
    if (p.population >= populations.size())
      throw Error(origin + ": voltage probe " + std::to_string(k) + ": no population " + std::to_string(p.population));
    for (std::size_t i = 0; i < p.node_ids.size(); ++i)
      if (p.node_ids[i] >= populations[p.population].size)
        throw Error(origin + ": voltage probe " + std::to_string(k) + ": node_ids[" + std::to_string(i) +
                    "] = " + std::to_string(p.node_ids[i]) + ": not below the population size " +
                    std::to_string(populations[p.population].size));
  }
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

}  // namespace spikeq::io
