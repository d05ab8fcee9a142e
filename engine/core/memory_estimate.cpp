#include "engine/core/memory_estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "engine/core/connect.h"
#include "engine/core/network.h"
#include "engine/core/network_build.h"
#include "engine/core/rank_share.h"
#include "engine/core/recording.h"
#include "engine/core/rng.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

// A byte count that saturates at 2^64 - 1 instead of wrapping: a network too
// large to count is "more than any limit", never a small number.
class Bytes {
 public:
  static constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  constexpr Bytes(std::uint64_t value = 0) : value_(value) {}  // NOLINT: a count of bytes
  // From an expected count (edges, spikes): rounded up, NaN and overflow saturate.
  static Bytes of(double value) {
    if (!(value < 1.8e19)) return Bytes(value >= 0 || std::isnan(value) ? kMax : 0);
    return Bytes(value > 0 ? static_cast<std::uint64_t>(std::ceil(value)) : 0);
  }
  Bytes operator+(Bytes other) const {
    std::uint64_t sum = 0;
    return __builtin_add_overflow(value_, other.value_, &sum) ? Bytes(kMax) : Bytes(sum);
  }
  Bytes operator*(Bytes other) const {
    std::uint64_t product = 0;
    return __builtin_mul_overflow(value_, other.value_, &product) ? Bytes(kMax) : Bytes(product);
  }
  Bytes& operator+=(Bytes other) { return *this = *this + other; }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_;
};

Bytes max(Bytes a, Bytes b) { return a.value() > b.value() ? a : b; }

// Sizes of the engine's per-element structures (engine/event/event_driver.h,
// engine/core/network.cpp); where a structure is private, its size is spelled out.
constexpr std::uint64_t kGraphBytesPerEdge = sizeof(NodeId) + sizeof(EdgeData);
// Per node in the graph: CSR row start (8), population index (2).
constexpr std::uint64_t kGraphBytesPerNode = 8 + 2;
// Building (engine/core/network_build.h) holds the final arrays, plus a byte
// per kept draw from a source population above kKeptNarrowSources nodes, the
// per-block tables (build_block_bytes_bound) and per thread: the sampler pool
// (4 bytes per node of the largest source population), its undo log and the
// draw buffer (4 + 4 bytes per source of the largest in-degree), and for
// independent-train projections an out-degree count and a touched list
// (4 + 4 bytes per node of their largest source population).
constexpr std::uint64_t kBuildBytesPerPoolNode = 4;
constexpr std::uint64_t kBuildBytesPerIndegree = 8;
constexpr std::uint64_t kBuildBytesPerIndependentSource = 8;
// Per node of one trial: membrane (32), train and probe indexes (8), crossing
// time (8), instant mark (1), and while probes are set up a list head (24).
constexpr std::uint64_t kStateBytesPerNode = 32 + 8 + 8 + 1;
constexpr std::uint64_t kProbeSetupBytesPerNode = 24;
constexpr std::uint64_t kBytesPerTrain = 64;                          // InputTrain, one cache line
constexpr std::uint64_t kBytesPerSourceTrain = 8 + sizeof(RngStream);  // SourceTrain
constexpr std::uint64_t kBytesPerProbeCursor = 16;
// An epoch's spike sits in the epoch buffer and, when it is delivered, in the
// delivery queue; a sample sits in the epoch's sample buffer.
constexpr std::uint64_t kBytesPerEpochSpike = sizeof(SpikeRecord) + 24;
constexpr std::uint64_t kBytesPerEpochSample = sizeof(VoltageSample);
// Recording: the spike and sample journals' 1 MiB buffers, TSV sinks alike.
constexpr std::uint64_t kRecordingBufferBytes = 4ull << 20;
// A finished trial read back for its summary (engine/analysis/recorded_run.h): a spike
// is a time and a node (12), a sample a time and a value (16).
constexpr std::uint64_t kReadbackBytesPerSpike = 12;
constexpr std::uint64_t kReadbackBytesPerSample = 16;
// Batch bookkeeping per trial: its result and progress entry (~512 bytes) and
// per population its counts and summary (~1 KiB, engine/batch/trials.h).
constexpr std::uint64_t kRecordBytesPerTrial = 512;
constexpr std::uint64_t kRecordBytesPerPopulation = 1024;
// No LIF delay: the event engine's epoch is 10 ms (engine/event/event_driver.cpp).
constexpr double kDefaultEpochMs = 10;

struct Counts {
  double edges = 0;     // stored in the graph (or the part): those of spike-delivering projections
  double synapses = 0;  // every projection's, independent-train inputs included
  double largest_indegree = 0;  // the build's per-target draw buffer
  double nodes = 0, lif_nodes = 0;
  double trains = 0;          // merged independent input trains (one per projection and target)
  double source_nodes = 0;    // Poisson nodes whose own train is generated
  double in_degree_slots = 0; // per projection, one counter per target node
  double delay_groups = 0;    // per node, its delay groups (the build's slots)
  std::uint64_t projections = 0;
  double pulse_slots = 0;     // per node and population, the most projections delivering into one population
  double largest_pool = 0;    // fixed_indegree without multapses: one source pool per build thread
  double wide_kept_edges = 0; // fixed_indegree edges from populations above kKeptNarrowSources nodes
  double largest_independent_source = 0;
  double poisson_hz = 0;      // generated Poisson spikes per second, all nodes
  double recorded_poisson_hz = 0;
  double drift_hz = 0;        // LIF spikes per second by drift alone (e_l + mu above threshold)
  double recorded_drift_hz = 0;
  double probe_nodes = 0, samples = 0;
  double epoch_ms = kDefaultEpochMs;
  double ring_slots = 0;      // stepped: largest LIF delay in steps, + 1
  bool noisy = false;
  // A part (RunShape::ranks > 1): its whole-network edge count per slot (4
  // bytes), and while it is built, the sums over the processes (8 bytes per
  // slot and per source node of each projection).
  bool part = false;
  double part_sums = 0;
};

Counts count(const NetworkSpec& spec, const RunShape& shape) {
  Counts c;
  // The targets whose edges are stored, per population: all, or the part's.
  std::vector<double> stored_targets(spec.populations.size());
  c.part = shape.ranks > 1;
  const RankShare share = c.part ? rank_share(spec, shape.rank, shape.ranks) : RankShare{};
  for (std::size_t i = 0, first = 0; i < spec.populations.size(); first += spec.populations[i].size, ++i) {
    const std::uint64_t end = first + spec.populations[i].size;
    stored_targets[i] = c.part ? static_cast<double>(std::clamp<std::uint64_t>(share.node_end, first, end) -
                                                     std::clamp<std::uint64_t>(share.node_begin, first, end))
                               : static_cast<double>(spec.populations[i].size);
  }
  c.projections = spec.projections.size();
  const std::size_t n = spec.populations.size();
  std::vector<bool> generated(n, false);
  std::vector<double> groups(n, 0), slots(n, 0);
  std::vector<std::vector<double>> delays(n);
  for (std::size_t i = 0; i < n; ++i) {
    const PopulationSpec& p = spec.populations[i];
    c.nodes += static_cast<double>(p.size);
    if (p.kind == ModelKind::Lif) {
      c.lif_nodes += static_cast<double>(p.size);
      c.noisy = c.noisy || p.lif.sigma_mv > 0;
      // The free membrane's own rate, as validation bounds it (netdefs/validate_budgets.cpp).
      const double m = p.lif.mean_target_mv();
      if (m > p.lif.v_th_mv) {
        const double period_ms =
            p.lif.t_ref_ms + p.lif.tau_m_ms * std::log1p((p.lif.v_th_mv - p.lif.v_reset_mv) / (m - p.lif.v_th_mv));
        const double hz = static_cast<double>(p.size) * (period_ms > 0 ? 1000.0 / period_ms : 1e300);
        c.drift_hz += hz;
        if (spec.recording.spikes_from[i]) c.recorded_drift_hz += hz;
      }
    }
    generated[i] = p.kind == ModelKind::Poisson && spec.recording.spikes_from[i];
  }
  for (const ProjectionSpec& p : spec.projections) {
    const double targets = static_cast<double>(spec.populations[p.target].size);
    const double source_size = static_cast<double>(spec.populations[p.source].size);
    const double indegree = expected_indegree(p, spec.populations[p.source].size, p.source == p.target);
    const double edges = indegree * targets;
    c.synapses += edges;
    if (c.part) c.part_sums += source_size;
    // The build draws one target's sources into a buffer, stored or not.
    c.largest_indegree = std::max(c.largest_indegree, edges / std::max(targets, 1.0));
    if (p.rule == RuleKind::FixedIndegree && !p.allow_multapses) c.largest_pool = std::max(c.largest_pool, source_size);
    const bool poisson = spec.populations[p.source].kind == ModelKind::Poisson;
    if (poisson && p.independent_trains) {
      // Only a rate per target: an in-degree each, no stored edge (engine/core/network.cpp).
      c.in_degree_slots += targets;
      c.trains += targets;
      c.largest_independent_source = std::max(c.largest_independent_source, source_size);
      continue;
    }
    const double stored = indegree * stored_targets[p.target];
    c.edges += stored;
    if (p.rule == RuleKind::FixedIndegree && source_size > static_cast<double>(kKeptNarrowSources) &&
        source_size <= static_cast<double>(kKeptSources))
      c.wide_kept_edges += stored;
    if (poisson) generated[p.source] = true;
    slots[p.target] += 1;
    // Distinct delays of a source are its delay groups (engine/core/network.cpp).
    if (std::find(delays[p.source].begin(), delays[p.source].end(), p.delay_ms) == delays[p.source].end())
      delays[p.source].push_back(p.delay_ms);
    if (!poisson) {
      c.epoch_ms = std::min(c.epoch_ms, p.delay_ms);
      if (spec.simulation.mode == SimMode::Stepped && spec.simulation.dt_ms > 0)
        c.ring_slots = std::max(c.ring_slots, p.delay_ms / spec.simulation.dt_ms + 1);
    }
  }
  double max_slots = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const PopulationSpec& p = spec.populations[i];
    c.delay_groups += static_cast<double>(p.size) * static_cast<double>(delays[i].size());
    if (c.part) c.part_sums += static_cast<double>(p.size) * static_cast<double>(delays[i].size());
    max_slots = std::max(max_slots, slots[i]);
    if (!generated[i]) continue;
    c.source_nodes += static_cast<double>(p.size);
    c.poisson_hz += static_cast<double>(p.size) * p.poisson.rate_hz;
    if (spec.recording.spikes_from[i]) c.recorded_poisson_hz += static_cast<double>(p.size) * p.poisson.rate_hz;
  }
  // The engine sizes pulse counters by the population with the most incoming
  // spike-delivering projections, for every node and every population (its
  // slot table): quadratic when many populations feed one
  // (engine/event/event_driver.cpp, init_pulse_counts).
  c.pulse_slots = (c.nodes + static_cast<double>(n)) * max_slots;
  for (const VoltageProbeSpec& probe : spec.recording.voltage_probes) {
    const double nodes = probe.node_ids.empty() ? static_cast<double>(spec.populations[probe.population].size)
                                                : static_cast<double>(probe.node_ids.size());
    const double per_node =
        probe.start_ms > spec.duration_ms ? 0 : std::floor((spec.duration_ms - probe.start_ms) / probe.interval_ms) + 1;
    c.probe_nodes += nodes;
    c.samples += nodes * per_node;
  }
  return c;
}

Bytes graph_bytes(const Counts& c) {
  return Bytes::of(c.edges) * kGraphBytesPerEdge + Bytes::of(c.nodes) * kGraphBytesPerNode +
         Bytes::of(c.delay_groups) * (c.part ? 8 + 4 : 8) + Bytes::of(c.in_degree_slots) * 4;
}

// The build's peak: while edges are placed (engine/core/network_build.h); the
// in-degree tables of independent trains come later but are counted here too.
Bytes build_bytes(const Counts& c, std::uint64_t threads) {
  const Bytes blocks = build_block_bytes_bound(Bytes::of(c.delay_groups).value(), c.projections, c.edges);
  const Bytes per_thread = Bytes::of(c.largest_pool) * kBuildBytesPerPoolNode +
                           Bytes::of(c.largest_indegree) * kBuildBytesPerIndegree +
                           Bytes::of(c.largest_independent_source) * kBuildBytesPerIndependentSource;
  return graph_bytes(c) + Bytes::of(c.wide_kept_edges) + blocks + Bytes(threads) * per_thread +
         Bytes::of(c.part_sums) * 8;
}

Bytes state_bytes(const NetworkSpec& spec, const Counts& c) {
  Bytes b = Bytes::of(c.nodes) * kStateBytesPerNode + Bytes::of(c.trains) * kBytesPerTrain +
            Bytes::of(c.source_nodes) * kBytesPerSourceTrain + Bytes::of(c.pulse_slots) * 4 + kRecordingBufferBytes;
  if (c.noisy) b += Bytes::of(c.nodes) * sizeof(RngStream);
  if (c.probe_nodes > 0) b += Bytes::of(c.nodes) * kProbeSetupBytesPerNode + Bytes::of(c.probe_nodes) * kBytesPerProbeCursor;
  if (spec.simulation.mode == SimMode::Stepped) {
    b += Bytes::of(c.ring_slots) * Bytes::of(c.lif_nodes) * 8;
    return b;
  }
  // One epoch's buffers: twice the expected Poisson and drift spikes (room for
  // the fluctuation), a spike per LIF node, the epoch's share of the samples.
  const double epochs = std::max(1.0, spec.duration_ms / c.epoch_ms);
  b += Bytes::of(2 * (c.poisson_hz + c.drift_hz) * c.epoch_ms / 1000 + c.lif_nodes) * kBytesPerEpochSpike;
  b += Bytes::of(c.samples / epochs + c.probe_nodes) * kBytesPerEpochSample;
  return b;
}

}  // namespace

RunShape batch_shape(const NetworkSpec& spec, std::uint64_t points, std::uint64_t threads, bool redraw_connectivity) {
  RunShape shape;
  shape.points = std::max<std::uint64_t>(points, 1);
  shape.trials = std::max<std::uint32_t>(spec.simulation.trials, 1);
  shape.threads = threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  shape.redraw_connectivity = redraw_connectivity;
  return shape;
}

std::uint64_t MemoryEstimate::peak_bytes() const {
  const Bytes network = max(Bytes(build_peak_bytes), Bytes(graph_bytes));
  if (trials_total <= 1) return max(Bytes(build_peak_bytes), Bytes(graph_bytes) + Bytes(state_bytes)).value();
  return (Bytes(networks_in_flight) * network + Bytes(trials_in_flight) * (Bytes(state_bytes) + readback_bytes) +
          Bytes(trials_total) * record_bytes)
      .value();
}

MemoryEstimate estimate_memory(const NetworkSpec& spec, const RunShape& shape) {
  const Counts c = count(spec, shape);
  MemoryEstimate m;
  m.edges = c.synapses;
  m.stored_edges = c.edges;
  m.graph_bytes = graph_bytes(c).value();
  m.build_peak_bytes = build_bytes(c, std::max<std::uint64_t>(shape.threads, 1)).value();
  m.state_bytes = state_bytes(spec, c).value();
  m.trials_total = (Bytes(shape.points) * shape.trials).value();
  const std::uint64_t threads = std::max<std::uint64_t>(shape.threads, 1);
  m.trials_in_flight = std::min(threads, m.trials_total);
  m.networks_in_flight = shape.redraw_connectivity ? m.trials_in_flight : std::min(threads, shape.points);
  m.readback_bytes = (Bytes::of((c.recorded_poisson_hz + c.recorded_drift_hz) * spec.duration_ms / 1000) *
                          kReadbackBytesPerSpike +
                      Bytes::of(c.samples) * kReadbackBytesPerSample)
                         .value();
  m.record_bytes = (Bytes(kRecordBytesPerTrial) + Bytes(spec.populations.size()) * kRecordBytesPerPopulation).value();
  return m;
}

std::uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream in(line);
    std::string key;
    std::uint64_t kib = 0;
    if (in >> key >> kib && key == "MemAvailable:") return (Bytes(kib) * 1024).value();
  }
  return 8ull << 30;  // no /proc: assume a modest machine rather than none
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

void check_memory(const NetworkSpec& spec, const std::string& origin, std::uint64_t limit_bytes) {
  check_memory(spec, origin, limit_bytes, batch_shape(spec, 1, 0, false));
}

void check_memory(const NetworkSpec& spec, const std::string& origin, std::uint64_t limit_bytes,
                  const RunShape& shape) {
  const MemoryEstimate m = estimate_memory(spec, shape);
  if (m.peak_bytes() <= limit_bytes) return;
  char detail[160];
  std::snprintf(detail, sizeof detail, "%.3g edges", m.edges);
  std::string text = detail;
  if (m.trials_total > 1) {
    std::snprintf(detail, sizeof detail, "; %llu network%s and %llu of %llu trials in memory at once",
                  static_cast<unsigned long long>(m.networks_in_flight), m.networks_in_flight == 1 ? "" : "s",
                  static_cast<unsigned long long>(m.trials_in_flight),
                  static_cast<unsigned long long>(m.trials_total));
    text += detail;
  }
  if (shape.ranks > 1) {
    std::snprintf(detail, sizeof detail, "; rank %llu of %llu stores %.3g edges of the graph",
                  static_cast<unsigned long long>(shape.rank), static_cast<unsigned long long>(shape.ranks),
                  m.stored_edges);
    text += detail;
  }
  const std::string peak = m.peak_bytes() == Bytes::kMax ? "more than 16 EiB" : format_bytes(static_cast<double>(m.peak_bytes()));
  throw Error(origin + ": estimated memory " + peak + " (" + text + ") exceeds the limit of " +
              format_bytes(static_cast<double>(limit_bytes)) + " (--memory-limit-mb sets it)");
}

std::uint64_t memory_limit_bytes(double mb) {
  return mb > 0 ? static_cast<std::uint64_t>(mb * 1048576.0) : available_memory_bytes();
}

}  // namespace spikeq
