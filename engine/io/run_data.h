// What a run directory records, independent of the file format: the layout
// (populations, probes) and the rows of spikes and voltage samples, plus the
// streams that readers of each format (journal, HDF5, TSV) offer to writers of
// another. Rows carry population-local node ids, as every output file does.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netdefs/spec.h"

namespace spikeq::inline io {

struct SpikeRow {
  double time_ms;
  std::uint32_t node;        // local to the population
  std::uint32_t population;  // netdef order
};

struct SampleRow {
  double time_ms;
  double v_mv;
  std::uint32_t probe;  // index into the netdef's voltage probes
  std::uint32_t node;   // local to the probe's population
};

struct PopulationLayout {
  std::string name;
  std::uint64_t size = 0;
  bool recorded = false;  // its spikes are recorded
  bool operator==(const PopulationLayout&) const = default;
};

struct ProbeLayout {
  std::uint32_t population = 0;
  std::vector<std::uint64_t> node_ids;  // as in the netdef; empty = every node
  double interval_ms = 0;
  double start_ms = 0;
  bool operator==(const ProbeLayout&) const = default;
};

// Enough of the netdef to read and write a run's files without building the network.
// A layout read from a file (a manifest, a journal's meta) is checked like a
// netdef would be: sizes >= 1 and at most kMaxNodes in all (node ids are 32-bit),
// unique names, probes of existing populations and nodes; otherwise Error
// (BadInput) naming `origin`. The readers rely on it to bound what they allocate.
struct RunLayout {
  static constexpr std::uint64_t kMaxNodes = 4294967294u;  // as the netdef loader allows

  std::vector<PopulationLayout> populations;
  std::vector<ProbeLayout> probes;

  static RunLayout of(const NetworkSpec& spec);
  static RunLayout from_json(const nlohmann::json& j, const std::string& origin = "journal");
  // From a run's manifest.json (its "populations" and "voltage_probes").
  static RunLayout from_manifest(const nlohmann::json& manifest, const std::string& origin = "manifest.json");
  bool operator==(const RunLayout&) const = default;
  void validate(const std::string& origin) const;
  nlohmann::json to_json() const;
  std::optional<std::uint32_t> population_index(const std::string& name) const;
  // The nodes a probe samples at each time, in the order samples arrive (sorted,
  // duplicates kept): the columns of its voltage matrix.
  std::vector<std::uint64_t> probe_columns(std::size_t probe) const;
};

// A time-ordered stream of rows that can be read more than once (HDF5 writers
// count in a first pass, then write). `read` calls `chunk` with successive
// batches of rows, each at most a few MB, in order.
template <typename Row>
class RowSource {
 public:
  using Chunk = std::function<void(std::span<const Row>)>;
  virtual ~RowSource() = default;
  virtual void read(const Chunk& chunk) = 0;
};
using SpikeSource = RowSource<SpikeRow>;
using SampleSource = RowSource<SampleRow>;

}  // namespace spikeq::io
