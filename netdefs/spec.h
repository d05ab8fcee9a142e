// NetworkSpec: a validated network definition as plain C++ structs.
// Everything after the loader works on these; protobuf types never leave netdefs/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/lif.h"  // LifParams: the LIF neuron's parameters

namespace spikeq {

struct PoissonParams {
  double rate_hz = 0;
  bool operator==(const PoissonParams&) const = default;
};

enum class ModelKind { Poisson, Lif };

struct PopulationSpec {
  std::string name;
  std::uint64_t size = 0;
  ModelKind kind = ModelKind::Lif;
  PoissonParams poisson;  // meaningful when kind == Poisson
  LifParams lif;          // meaningful when kind == Lif
  bool operator==(const PopulationSpec&) const = default;
};

enum class RuleKind { FixedIndegree, OneToOne, AllToAll, PairwiseBernoulli };

struct ProjectionSpec {
  std::string name;
  std::size_t source = 0;  // index into NetworkSpec::populations
  std::size_t target = 0;
  RuleKind rule = RuleKind::AllToAll;
  std::uint64_t indegree = 0;  // FixedIndegree
  double p = 0;                // PairwiseBernoulli
  bool allow_autapses = false;
  bool allow_multapses = false;  // FixedIndegree only
  double weight_mv = 0;
  double delay_ms = 0;
  bool independent_trains = true;  // Poisson sources only
  bool operator==(const ProjectionSpec&) const = default;
};

enum class SimMode { Event, Stepped };
// The word manifests and JSON use: "event" | "stepped"; parse_mode reads it back
// (anything else reads as the event engine, the default).
inline const char* mode_name(SimMode m) { return m == SimMode::Stepped ? "stepped" : "event"; }
inline SimMode parse_mode(const std::string& word) { return word == "stepped" ? SimMode::Stepped : SimMode::Event; }
enum class Integrator { EulerMaruyama, Exact };

struct SimulationSpec {
  SimMode mode = SimMode::Event;
  double dt_ms = 0.1;
  Integrator integrator = Integrator::EulerMaruyama;
  std::uint32_t trials = 1;
  double ou_check_interval_ms = 0.1;
  double crossing_tolerance_ms = 1e-6;
  bool operator==(const SimulationSpec&) const = default;
};

struct VoltageProbeSpec {
  std::size_t population = 0;
  std::vector<std::uint64_t> node_ids;  // within the population; empty = every node
  double interval_ms = 1;
  double start_ms = 1;
  bool operator==(const VoltageProbeSpec&) const = default;
};

struct RecordingSpec {
  std::vector<bool> spikes_from;  // per population; all true when the netdef lists none
  std::vector<VoltageProbeSpec> voltage_probes;
  bool operator==(const RecordingSpec&) const = default;
};

// One swept parameter (netdef `sweep {}` or `spikeq run --sweep`): --set paths
// that take each value (times `scale`) together (a range already expanded).
struct SweepSpec {
  std::vector<std::string> paths;
  std::string name;  // sweep.tsv column; never empty after loading
  std::vector<double> values;
  double scale = 1;
  bool operator==(const SweepSpec&) const = default;
};

struct NetworkSpec {
  std::string name;
  double duration_ms = 0;
  std::uint64_t seed = 1;
  std::vector<PopulationSpec> populations;
  std::vector<ProjectionSpec> projections;
  SimulationSpec simulation;
  RecordingSpec recording;
  std::vector<SweepSpec> sweeps;  // empty: a single point
  // The definition after --set overrides, as protobuf text: what manifests record
  // and what reloads to the same spec.
  std::string resolved_text;
  bool operator==(const NetworkSpec&) const = default;

  std::uint64_t total_nodes() const {
    std::uint64_t n = 0;
    for (const auto& p : populations) n += p.size;
    return n;
  }
};

}  // namespace spikeq
