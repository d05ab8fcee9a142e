#include "engine/event/event_driver.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/core/rank_share.h"
#include "engine/core/stop_check.h"
#include "models/lif.h"
#include "models/poisson.h"
#include "netdefs/error.h"

namespace spikeq::inline event {
namespace {
constexpr double kNever = std::numeric_limits<double>::infinity();
}

// Per-population constants, precomputed once so the per-event code reads one
// small table entry instead of the spec.
struct EventDriver::PopulationModel {
  bool lif = false;
  bool recorded = false;
  bool noisy = false;          // sigma > 0: OU between events, bridge tests
  bool drift_crosses = false;  // sigma = 0 and m > theta: crossings between events
  bool own_train = false;      // Poisson: the node's own train is needed
  // sigma = 0 and e^((epoch + t_ref)/tau) far from overflow: the membrane is kept
  // as a scaled deviation (see Membrane), so a pulse costs no exp.
  bool scaled = false;
  double gap_mv = 0;  // theta - m: the threshold on the scaled deviation is gap * scale
  double rate_per_ms = 0;
  double tau_m_ms = 1, inv_tau = 1, m_mv = 0, v_th_mv = 0, v_reset_mv = 0, t_ref_ms = 0, sigma_mv = 0;
  double check_ms = 0, tolerance_ms = 0;
  // Noisy only, for a full piece of check_ms: e^(-h/tau), the transition sd and
  // sigma^2 sinh(h/tau) of the bridge test, so most pieces cost no exp or sinh.
  double check_decay = 0, check_sd_mv = 0, check_sigma2_sinh = 0;
};

// A delivery's targets are sorted, so their population changes only a few times
// per row: the population's model and scale at t are looked up once per change.
struct EventDriver::ScaleCache {
  std::uint32_t population = ~0u;
  const PopulationModel* model = nullptr;
  double scale = 0;
  ScaleCache& at(const EventDriver& driver, NodeId n, double t) {
    const std::uint16_t p = driver.net_.population_of(n);
    if (p != population) {
      population = p;
      model = &driver.models_[p];
      scale = model->scaled ? driver.scale_at(*model, t) : 0.0;
    }
    return *this;
  }
};

struct EventDriver::Parallel {
  tbb::task_arena arena;
  explicit Parallel(unsigned threads) : arena(static_cast<int>(threads)) {}
};

EventDriver::~EventDriver() = default;

EventDriver::EventDriver(const Network& network, std::uint64_t trial, RunSink& sink,
                         const std::atomic<bool>* stop, unsigned threads, EpochExchange* exchange)
    : net_(network), trial_(trial), sink_(sink), stop_(stop), exchange_(exchange),
      duration_ms_(network.spec().duration_ms) {
  const NetworkSpec& spec = net_.spec();
  // Epoch length: the smallest delay of any LIF-sourced projection (d_min); with
  // none, 10 ms, a bound on how long output waits before reaching the sink.
  epoch_ms_ = 10.0;
  for (const ProjectionSpec& ps : spec.projections)
    if (spec.populations[ps.source].kind == ModelKind::Lif) epoch_ms_ = std::min(epoch_ms_, ps.delay_ms);
  models_.resize(spec.populations.size());
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& ps = spec.populations[i];
    PopulationModel& pm = models_[i];
    pm.recorded = spec.recording.spikes_from[i];
    if (ps.kind == ModelKind::Poisson) {
      pm.rate_per_ms = ps.poisson.rate_hz * 1e-3;
      pm.own_train = pm.recorded;
      continue;
    }
    const LifParams& lp = ps.lif;
    pm.lif = true;
    pm.tau_m_ms = lp.tau_m_ms;
    pm.inv_tau = 1.0 / lp.tau_m_ms;
    pm.m_mv = lp.mean_target_mv();
    pm.v_th_mv = lp.v_th_mv;
    pm.v_reset_mv = lp.v_reset_mv;
    pm.t_ref_ms = lp.t_ref_ms;
    pm.sigma_mv = lp.sigma_mv;
    pm.noisy = lp.sigma_mv > 0;
    pm.drift_crosses = !pm.noisy && pm.m_mv > lp.v_th_mv;
    pm.check_ms = spec.simulation.ou_check_interval_ms;
    pm.tolerance_ms = spec.simulation.crossing_tolerance_ms;
    pm.scaled = !pm.noisy && (epoch_ms_ + lp.t_ref_ms) * pm.inv_tau < 200.0;
    pm.gap_mv = lp.v_th_mv - pm.m_mv;
    pm.check_decay = std::exp(-pm.check_ms * pm.inv_tau);
    pm.check_sd_mv = lif::ou_transition_sd(pm.sigma_mv, pm.check_decay);
    pm.check_sigma2_sinh = pm.sigma_mv * pm.sigma_mv * std::sinh(pm.check_ms * pm.inv_tau);
  }
  weight_mv_.resize(spec.projections.size());
  for (std::size_t p = 0; p < spec.projections.size(); ++p) {
    weight_mv_[p] = spec.projections[p].weight_mv;
    if (net_.projections()[p].delivers_spikes &&
        spec.populations[spec.projections[p].source].kind == ModelKind::Poisson)
      models_[spec.projections[p].source].own_train = true;
  }
  init_blocks(threads);
  init_pulse_counts();
  init_state();
}

// This process's range of nodes (all of them when it is the only one), cut into
// blocks of consecutive ids with about equal numbers of LIF nodes (Poisson nodes
// receive nothing: they go with whichever range and block they fall in).
void EventDriver::init_blocks(unsigned threads) {
  const NetworkSpec& spec = net_.spec();
  const std::uint64_t rank = exchange_ ? exchange_->rank() : 0, ranks = exchange_ ? exchange_->ranks() : 1;
  records_sources_ = rank == 0;
  const RankShare share = rank_share(spec, rank, ranks);
  const std::uint64_t lo = share.lif_begin, hi = share.lif_end;
  own_first_ = share.node_begin;
  own_last_ = share.node_end;
  // The network holds the edges into every node this process owns (all of
  // them, or this process's part), and nothing else is needed of it.
  check_stores_share(net_, share, rank, ranks);
  const std::uint64_t count = std::max<std::uint64_t>(1, std::min<std::uint64_t>(threads, hi - lo));
  blocks_.resize(count);
  for (std::uint64_t k = 1; k < count; ++k) {
    blocks_[k].first = lif_node(spec, lo + k * (hi - lo) / count);
    blocks_[k - 1].last = blocks_[k].first;
  }
  blocks_.front().first = own_first_;
  blocks_.back().last = own_last_;
  // One block whose nodes are all the network stores edges into: rows are its own.
  blocks_.front().whole = count == 1 && stores_only(net_, own_first_, own_last_);
  for (Block& b : blocks_) {
    b.stop_check = StopCheck(stop_);
    b.spikes_per_population.assign(spec.populations.size(), 0);
  }
  if (count > 1) parallel_ = std::make_unique<Parallel>(static_cast<unsigned>(count));
}

void EventDriver::init_pulse_counts() {
  const NetworkSpec& spec = net_.spec();
  std::vector<std::vector<std::uint32_t>> into(spec.populations.size());
  projection_slot_.assign(spec.projections.size(), 0);
  for (std::size_t p = 0; p < spec.projections.size(); ++p) {
    if (!net_.projections()[p].delivers_spikes) continue;
    auto& slots = into[spec.projections[p].target];
    projection_slot_[p] = static_cast<std::uint32_t>(slots.size());
    slots.push_back(static_cast<std::uint32_t>(p));
  }
  slots_ = 0;
  for (const auto& slots : into) slots_ = std::max(slots_, static_cast<std::uint32_t>(slots.size()));
  if (slots_ == 0) return;  // nothing is delivered through the graph
  slot_projection_.assign(spec.populations.size() * slots_, 0);
  for (std::size_t i = 0; i < into.size(); ++i)
    std::copy(into[i].begin(), into[i].end(), slot_projection_.begin() + static_cast<std::ptrdiff_t>(i * slots_));
  pulse_counts_.assign(static_cast<std::size_t>(net_.node_count()) * slots_, 0);
  instant_marks_.assign(net_.node_count(), kUnmarked);
}

void EventDriver::init_state() {
  const NetworkSpec& spec = net_.spec();
  const NodeId n_nodes = net_.node_count();
  const std::uint64_t seed = spec.seed;
  membrane_.assign(n_nodes, Membrane{0, 0, kNever, 0});
  stats_.spikes_per_population.assign(spec.populations.size(), 0);
  for (const PopulationModel& pm : models_) stats_.population_simulated.push_back(pm.lif || pm.own_train);
  bool any_noisy = false, any_drift = false;
  for (const auto& pm : models_) {
    any_noisy |= pm.noisy;
    any_drift |= pm.drift_crosses;
  }
  if (any_noisy) noise_rng_.resize(n_nodes);
  if (any_drift) crossing_ms_.assign(n_nodes, kNever);

  // Merged input trains: the independent trains of one projection into one target
  // superpose into a single Poisson train of rate indegree * rate (models/README.md §1),
  // so C inputs cost one train, not C. Independent trains start at the projection's
  // delay: they stand for sources that began firing at t = 0.
  std::vector<std::vector<std::size_t>> trains_into_population(spec.populations.size());
  for (std::size_t p = 0; p < spec.projections.size(); ++p)
    if (!net_.projections()[p].delivers_spikes) trains_into_population[spec.projections[p].target].push_back(p);
  train_begin_.assign(n_nodes + 1, 0);
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationTable& pop = net_.populations()[i];
    for (NodeId local = 0; local < pop.size; ++local) {
      const NodeId n = pop.first + local;
      train_begin_[n] = static_cast<std::uint32_t>(trains_.size());
      if (!owns(n)) continue;  // another process's node: no trains here (64 bytes each)
      for (std::size_t p : trains_into_population[i]) {
        const ProjectionSpec& ps = spec.projections[p];
        const double rate = net_.in_degrees(p)[local] * spec.populations[ps.source].poisson.rate_hz * 1e-3;
        InputTrain tr{kNever, rate, StreamCursor{}, static_cast<std::uint32_t>(p), local};
        tr.next_ms = ps.delay_ms + next_interval_ms(tr);
        trains_.push_back(tr);
      }
    }
  }
  train_begin_[n_nodes] = static_cast<std::uint32_t>(trains_.size());
  one_train_only_ = !any_drift;
  for (NodeId n = 0; n < n_nodes; ++n) one_train_only_ &= train_begin_[n + 1] - train_begin_[n] <= 1;

  // Probe cursors, grouped by node.
  const auto& probe_specs = spec.recording.voltage_probes;
  std::vector<std::vector<ProbeCursor>> per_node(probe_specs.empty() ? 0 : n_nodes);
  for (std::uint32_t k = 0; k < probe_specs.size(); ++k) {
    const VoltageProbeSpec& vp = probe_specs[k];
    const PopulationTable& pop = net_.populations()[vp.population];
    // Relative slack of 1e-9 so that e.g. (3 - 0.1)/0.1 = 28.999999999999996 counts 29.
    const double span = (duration_ms_ - vp.start_ms) / vp.interval_ms;
    probe_samples_.push_back(span < 0 ? 0 : static_cast<std::uint64_t>(std::floor(span + 1e-9)) + 1);
    const double first = probe_samples_.back() > 0 ? vp.start_ms : kNever;
    if (vp.node_ids.empty())
      for (NodeId local = 0; local < pop.size; ++local) per_node[pop.first + local].push_back({first, k, 0});
    else
      for (std::uint64_t local : vp.node_ids) per_node[pop.first + local].push_back({first, k, 0});
  }
  if (!per_node.empty()) {
    probe_begin_.assign(n_nodes + 1, 0);
    for (NodeId n = 0; n < n_nodes; ++n) {
      probe_begin_[n] = static_cast<std::uint32_t>(probes_.size());
      probes_.insert(probes_.end(), per_node[n].begin(), per_node[n].end());
    }
    probe_begin_[n_nodes] = static_cast<std::uint32_t>(probes_.size());
    one_train_only_ = false;
  }

  source_trains_.resize(spec.populations.size());
  epoch_deliveries_.reserve(1024);
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationTable& pop = net_.populations()[i];
    const PopulationModel& pm = models_[i];
    if (pm.own_train) {
      auto& trains = source_trains_[i];
      trains.reserve(pop.size);
      for (NodeId local = 0; local < pop.size; ++local) {
        SourceTrain st{kNever, RngStream(seed, trial_, Purpose::SourceTrain, i, local)};
        st.next_ms = poisson::next_arrival_ms(0.0, pm.rate_per_ms, st.rng.exponential());
        trains.push_back(st);
      }
    }
    if (!pm.lif) continue;
    const LifParams& lp = spec.populations[i].lif;
    for (NodeId local = 0; local < pop.size; ++local) {
      const NodeId n = pop.first + local;
      double v = lp.v_init_low_mv;
      if (lp.v_init_high_mv > lp.v_init_low_mv) {
        RngStream rng(seed, trial_, Purpose::InitialState, i, local);
        v += (lp.v_init_high_mv - lp.v_init_low_mv) * (1.0 - rng.uniform_open0());
      }
      membrane_[n].v_mv = pm.scaled ? v - pm.m_mv : v;  // base 0: scale 1
      if (pm.noisy) noise_rng_[n] = RngStream(seed, trial_, Purpose::MembraneNoise, i, local);
      if (v >= pm.v_th_mv) {
        // Starting at or above threshold fires at once (the process owning n
        // fires it; its deliveries are traded at the first epoch's end).
        if (owns(n)) spike(blocks_.front(), n, 0.0);
      } else if (pm.drift_crosses) {
        crossing_ms_[n] = lif::time_to_threshold_ms(v, pm.m_mv, pm.v_th_mv, pm.tau_m_ms);
      }
      refresh_next_internal(n);
    }
  }
}

// A stop seen at an epoch boundary ends the run there. A stop seen inside an
// epoch (StopCheck in the loops that can run long) abandons that epoch: its
// spikes and samples are dropped and the run ends at the epoch's start, so what
// reached the sink is exactly the uninterrupted run's output before that time.
// With several processes the stop is agreed in the epoch's trade, so all of them
// end at the same epoch, in either way.
RunStats EventDriver::run() {
  queue_.reserve(1024);
  try {
    if (parallel_)
      parallel_->arena.execute([this] { run_epochs(); });
    else
      run_epochs();
  } catch (const Stopped&) {
    for (Block& b : blocks_) {
      b.spikes.clear();
      b.samples.clear();
    }
    stats_.interrupted = true;
  }
  if (exchange_) sum_counts_over_processes(*exchange_, stats_);
  return stats_;
}

void EventDriver::run_epochs() {
  double t = 0;
  std::uint64_t k = 0;
  while (t < duration_ms_) {
    if (!exchange_ && stop_ && stop_->load(std::memory_order_relaxed)) throw Stopped();
    // Epoch ends as multiples of epoch_ms, so rounding never accumulates.
    const double t_end = std::min(duration_ms_, static_cast<double>(++k) * epoch_ms_);
    const bool stop_after = run_epoch(t_end, t_end >= duration_ms_);
    t = t_end;
    stats_.simulated_ms = t;
    fault_point("run");
    if (stop_after && t < duration_ms_) {
      stats_.interrupted = true;
      return;
    }
  }
}

bool EventDriver::run_epoch(double t_end, bool last) {
  epoch_end_ms_ = t_end;
  emit_source_spikes(blocks_.front(), t_end);
  take_epoch_deliveries(t_end);
  if (parallel_) {
    // One block per thread, each kept by its thread from epoch to epoch (static
    // partition), so a block's nodes stay in that core's cache.
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, blocks_.size(), 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t i = r.begin(); i != r.end(); ++i) run_block(blocks_[i], t_end, last);
        },
        tbb::static_partitioner());
  } else {
    run_block(blocks_.front(), t_end, last);
  }
  EpochFlags flags;
  for (const Block& b : blocks_) flags.abandon |= b.stopped;
  if (flags.abandon && !exchange_) throw Stopped();
  base_ms_ = t_end;
  outgoing_.clear();
  for (Block& b : blocks_) {
    outgoing_.insert(outgoing_.end(), b.outgoing.begin(), b.outgoing.end());
    b.outgoing.clear();
  }
  Block& root = blocks_.front();
  for (std::size_t i = 1; i < blocks_.size(); ++i) {  // one list each; hand_over_batch sorts them
    root.spikes.insert(root.spikes.end(), blocks_[i].spikes.begin(), blocks_[i].spikes.end());
    root.samples.insert(root.samples.end(), blocks_[i].samples.begin(), blocks_[i].samples.end());
    blocks_[i].spikes.clear();
    blocks_[i].samples.clear();
  }
  if (exchange_) {
    flags.stop = stop_ && stop_->load(std::memory_order_relaxed);
    // Everyone's deliveries (in any order: they go into the heap); the recorded
    // spikes and samples to rank 0 (in any order: hand_over_batch sorts them).
    exchange_->begin(flags);
    exchange_->put(outgoing_);
    exchange_->put(root.spikes);
    exchange_->put(root.samples);
    flags = exchange_->trade();
    if (flags.abandon) throw Stopped();
    outgoing_.clear();
    root.spikes.clear();
    root.samples.clear();
    const bool is_root = exchange_->rank() == 0;
    for (unsigned r = 0; r < exchange_->ranks(); ++r) {
      exchange_->take(r, &outgoing_);
      exchange_->take(r, is_root ? &root.spikes : nullptr);
      exchange_->take(r, is_root ? &root.samples : nullptr);
    }
  }
  for (const Delivery& d : outgoing_) queue_.push(d);
  for (Block& b : blocks_) collect_counts(b);
  flush_epoch();
  return flags.stop;
}

// Every delivery of an instant t < t_end is queued by now (LIF spikes of this
// epoch are delivered at t_end or later; Poisson spikes were queued above), so
// the entries popped here hold each instant's complete set.
void EventDriver::take_epoch_deliveries(double t_end) {
  epoch_deliveries_.clear();
  instant_starts_.clear();
  while (!queue_.empty() && queue_.top().time_ms < t_end) {
    if (epoch_deliveries_.empty() || queue_.top().time_ms != epoch_deliveries_.back().time_ms)
      instant_starts_.push_back(epoch_deliveries_.size());
    epoch_deliveries_.push_back(queue_.pop());
  }
  instant_starts_.push_back(epoch_deliveries_.size());
}

// One block's epoch: its targets' pulses, instant by instant, then its nodes
// brought up to the epoch end. A stop inside is reported through b.stopped (an
// exception must not cross the parallel loop while other blocks run).
void EventDriver::run_block(Block& b, double t_end, bool last) {
  try {
    for (std::size_t i = 0; i + 1 < instant_starts_.size(); ++i) {
      const std::size_t first = instant_starts_[i], end = instant_starts_[i + 1];
      b.stop_check.tick(32);  // per instant, not per pulse
      const Delivery& d = epoch_deliveries_[first];
      if (end < epoch_deliveries_.size() && b.whole) prefetch_row(row_in(b, epoch_deliveries_[end]));
      if (end - first == 1 && net_.populations()[net_.population_of(d.source)].group_targets_distinct[d.group])
        deliver_single(b, d, row_in(b, d));  // the common case: each target gets one pulse
      else
        deliver_coincident(b, first, end);
    }
    end_epoch_nodes(b, t_end, last);
  } catch (const Stopped&) {
    b.stopped = true;
  }
}

void EventDriver::end_epoch_nodes(Block& b, double t_end, bool last) {
  // Probe samples at exactly the duration belong to the run; nothing else there does.
  const double t_until = last ? std::nextafter(t_end, kNever) : t_end;
  for (std::size_t i = 0; i < models_.size(); ++i) {
    const PopulationModel& pm = models_[i];
    if (!pm.lif) continue;
    const PopulationTable& pop = net_.populations()[i];
    const NodeId first = std::max(pop.first, b.first), end = std::min(pop.first + pop.size, b.last);
    for (NodeId n = first; n < end; ++n) {
      b.stop_check.tick();
      if (membrane_[n].next_internal_ms < t_until) advance(b, n, t_until);
      // A noisy membrane can cross threshold with no event at all: check the path
      // up to the epoch end so such spikes are found within their epoch.
      if (pm.noisy && membrane_[n].t_last_ms < t_end) propagate_noisy(b, n, t_end);
      if (pm.scaled) rebase_scaled(n, pm, t_end);
    }
  }
}

void EventDriver::collect_counts(Block& b) {
  for (std::size_t i = 0; i < b.spikes_per_population.size(); ++i) {
    stats_.spikes_per_population[i] += b.spikes_per_population[i];
    b.spikes_per_population[i] = 0;
  }
  stats_.recurrent_pulses += b.recurrent_pulses;
  stats_.external_pulses += b.external_pulses;
  stats_.queue_entries += b.queue_entries;
  b.recurrent_pulses = b.external_pulses = b.queue_entries = 0;
}

void EventDriver::emit_source_spikes(Block& b, double t_end) {
  for (std::size_t i = 0; i < source_trains_.size(); ++i) {
    const PopulationModel& pm = models_[i];
    const NodeId first = net_.populations()[i].first;
    for (std::size_t local = 0; local < source_trains_[i].size(); ++local) {
      SourceTrain& st = source_trains_[i][local];
      b.stop_check.tick();
      while (st.next_ms < t_end) {
        b.stop_check.tick();
        spike(b, first + static_cast<NodeId>(local), st.next_ms);
        st.next_ms = poisson::next_arrival_ms(st.next_ms, pm.rate_per_ms, st.rng.exponential());
      }
    }
  }
}

// Fetches a target's membrane and first input train into cache ahead of use.
inline void EventDriver::prefetch_target(NodeId n, bool has_trains) const {
  __builtin_prefetch(&membrane_[n], 1);
  if (has_trains) __builtin_prefetch(&trains_[train_begin_[n]], 1);
}

// The part of d's row that lands in block b (rows are ascending in target).
EventDriver::Row EventDriver::row_in(const Block& b, const Delivery& d) const {
  Row row{net_.group_begin(d.source, d.group), net_.group_end(d.source, d.group)};
  if (b.whole) return row;
  const NodeId* targets = net_.targets().data();
  row.begin = static_cast<std::uint64_t>(std::lower_bound(targets + row.begin, targets + row.end, b.first) - targets);
  row.end = static_cast<std::uint64_t>(std::lower_bound(targets + row.begin, targets + row.end, b.last) - targets);
  return row;
}

void EventDriver::deliver_single(Block& b, const Delivery& d, Row row) {
  const NodeId* targets = net_.targets().data();
  const EdgeData* edges = net_.edge_projections().data();
  // Targets are ascending but sparse (a few hundred bytes apart): too irregular for
  // the hardware prefetcher, so fetch the membrane and first input train of the
  // target kPrefetchAhead edges on while this one is processed.
  const bool has_trains = !trains_.empty();
  ScaleCache cache;
  for (std::uint64_t e = row.begin; e < row.end; ++e) {
    if (e + kPrefetchAhead < row.end) prefetch_target(targets[e + kPrefetchAhead], has_trains);
    const NodeId n = targets[e];
    receive(b, n, d.time_ms, weight_mv_[edges[e].projection], cache.at(*this, n, d.time_ms));
  }
  b.recurrent_pulses += row.end - row.begin;
}

// Several deliveries at one instant (or one whose group lists a target twice).
// Most targets still get one pulse (two random rows of ~1000 targets out of
// 10^4 share ~10% of them). So the targets are marked first, one byte per node
// (kSeen at the first hit, kSeveral at the second, when the target's pulse counts
// are started). Then every target not marked kSeveral takes its pulse as in
// deliver_single, and the others have their pulses counted per slot and take the
// summed jump at the end. Each pass clears the marks it was the last to need.
void EventDriver::deliver_coincident(Block& b, std::size_t first, std::size_t end) {
  b.touched.clear();
  const double t = epoch_deliveries_[first].time_ms;
  const Delivery& last = epoch_deliveries_[end - 1];
  const bool last_distinct = net_.populations()[net_.population_of(last.source)].group_targets_distinct[last.group];
  for (std::size_t i = first; i + 1 < end; ++i) mark_targets(b, row_in(b, epoch_deliveries_[i]));
  const Row last_row = row_in(b, last);
  if (!last_distinct) mark_targets(b, last_row);
  ScaleCache cache;
  // Nothing is marked after the last delivery: unless it can list a target twice,
  // its targets are found to be hit several times while it is taken (kSeen).
  if (last_distinct) take_pulses<true>(b, last_row, t, cache);
  for (std::size_t i = first; i + 1 < end; ++i) take_pulses<false>(b, row_in(b, epoch_deliveries_[i]), t, cache);
  if (!last_distinct) take_pulses<false>(b, last_row, t, cache);
  for (const NodeId n : b.touched) {
    instant_marks_[n] = kUnmarked;
    const std::uint32_t* counts = &pulse_counts_[static_cast<std::size_t>(n) * slots_];
    const std::uint32_t* slot_projections = slot_projection_.data() + std::size_t{net_.population_of(n)} * slots_;
    double jump_mv = 0.0;
    for (std::uint32_t k = 0; k < slots_; ++k)
      if (counts[k] != 0) jump_mv += counts[k] * weight_mv_[slot_projections[k]];
    receive(b, n, t, jump_mv, cache.at(*this, n, t));
  }
}

// The start of the next delivery's target list, fetched while this instant is
// processed (each row starts at a random place in a graph far larger than cache).
void EventDriver::prefetch_row(Row row) const {
  const std::uint64_t end = std::min(row.end, row.begin + 64);
  for (std::uint64_t e = row.begin; e < end; e += 16) {
    __builtin_prefetch(&net_.targets()[e]);
    __builtin_prefetch(&net_.edge_projections()[e]);
  }
}

void EventDriver::mark_targets(Block& b, Row row) {
  const NodeId* targets = net_.targets().data();
  std::uint8_t* marks = instant_marks_.data();
  for (std::uint64_t e = row.begin; e < row.end; ++e) {
    const NodeId n = targets[e];
    const std::uint8_t mark = marks[n];
    if (mark == kSeen) start_counting(b, n);
    else if (mark == kUnmarked) marks[n] = kSeen;
  }
}

inline void EventDriver::start_counting(Block& b, NodeId n) {
  instant_marks_[n] = kSeveral;
  std::fill_n(&pulse_counts_[static_cast<std::size_t>(n) * slots_], slots_, 0u);
  b.touched.push_back(n);
}

template <bool LastUnmarked>
void EventDriver::take_pulses(Block& b, Row row, double t, ScaleCache& cache) {
  const NodeId* targets = net_.targets().data();
  const EdgeData* edges = net_.edge_projections().data();
  std::uint8_t* marks = instant_marks_.data();
  const bool has_trains = !trains_.empty();
  for (std::uint64_t e = row.begin; e < row.end; ++e) {
    if (e + kPrefetchAhead < row.end) prefetch_target(targets[e + kPrefetchAhead], has_trains);
    const NodeId n = targets[e];
    const std::uint32_t projection = edges[e].projection;
    std::uint8_t mark = marks[n];
    if (LastUnmarked && mark == kSeen) {
      start_counting(b, n);
      mark = kSeveral;
    }
    if (mark == kSeveral) {
      ++pulse_counts_[static_cast<std::size_t>(n) * slots_ + projection_slot_[projection]];
    } else {
      if (!LastUnmarked) marks[n] = kUnmarked;
      receive(b, n, t, weight_mv_[projection], cache.at(*this, n, t));
    }
  }
  b.recurrent_pulses += row.end - row.begin;
}

inline void EventDriver::receive(Block& b, NodeId n, double t, double recurrent_mv, const ScaleCache& cache) {
  receive(b, n, t, recurrent_mv, *cache.model, cache.scale);
}

inline void EventDriver::receive(Block& b, NodeId n, double t, double recurrent_mv, const PopulationModel& pm,
                                 double scale) {
  Membrane& mem = membrane_[n];
  if (mem.next_internal_ms < t) advance(b, n, t);
  // An own event at exactly t (rare: a train arrival, a predicted crossing, a probe).
  const double own_mv = mem.next_internal_ms == t ? own_pulses_at(b, n, t) : 0.0;
  pulse(b, n, t, recurrent_mv + own_mv, pm, scale);
}

double EventDriver::own_pulses_at(Block& b, NodeId n, double t) {
  if (!crossing_ms_.empty() && crossing_ms_[n] == t) spike(b, n, t);  // V reached theta at t: fires first
  double sum_mv = 0.0;  // trains in projection order
  for (std::uint32_t k = train_begin_[n]; k < train_begin_[n + 1]; ++k) {
    InputTrain& tr = trains_[k];
    if (tr.next_ms != t) continue;
    sum_mv += weight_mv_[tr.projection];
    tr.next_ms = t + next_interval_ms(tr);
    ++b.external_pulses;
  }
  refresh_next_internal(n);
  return sum_mv;
}

void EventDriver::advance(Block& b, NodeId n, double t_until) {
  Membrane& mem = membrane_[n];
  while (mem.next_internal_ms < t_until) {
    b.stop_check.tick();  // a fast train or probe can hold a node here for long
    const double t = mem.next_internal_ms;
    const std::uint32_t which = mem.next_internal;
    if (which != kCrossing && (which & kProbe)) {
      sample_probe(b, n, which & ~kProbe, t);  // crossings and trains at t came first
      refresh_next_internal(n);
      continue;
    }
    const PopulationModel& pm = models_[net_.population_of(n)];
    double w_mv;
    if (which == kCrossing) {
      w_mv = own_pulses_at(b, n, t);  // fires, and takes any train arriving at t too
    } else {
      // The usual case: one train arrival. Anything else of n's at exactly t joins it.
      InputTrain& tr = trains_[which];
      w_mv = weight_mv_[tr.projection];
      tr.next_ms = t + next_interval_ms(tr);
      ++b.external_pulses;
      if (one_train_only_)
        mem.next_internal_ms = tr.next_ms;  // the node's only own event
      else
        refresh_next_internal(n);
      if (mem.next_internal_ms == t) w_mv += own_pulses_at(b, n, t);
    }
    pulse(b, n, t, w_mv, pm, pm.scaled ? scale_at(pm, t) : 0.0);
  }
}

void EventDriver::sample_probe(Block& b, NodeId n, std::uint32_t k, double t) {
  Membrane& mem = membrane_[n];
  ProbeCursor& pc = probes_[k];
  const bool refractory = t < mem.t_last_ms;
  const double v = refractory ? models_[net_.population_of(n)].v_reset_mv : voltage_at(b, n, t);
  b.samples.push_back({t, pc.probe, n, v});
  const VoltageProbeSpec& vp = net_.spec().recording.voltage_probes[pc.probe];
  ++pc.next_index;
  pc.next_ms = pc.next_index < probe_samples_[pc.probe]
                   ? std::min(duration_ms_, vp.start_ms + static_cast<double>(pc.next_index) * vp.interval_ms)
                   : kNever;
}

double EventDriver::next_interval_ms(InputTrain& train) const {
  if (train.rate_per_ms <= 0.0) return kNever;
  const auto name = StreamCursor::name(net_.spec().seed, trial_, Purpose::InputTrain, train.projection,
                                       train.local_target);
  return poisson::interval_ms(train.rate_per_ms, train.rng.exponential(name));
}

inline void EventDriver::pulse(Block& b, NodeId n, double t, double w_mv, const PopulationModel& pm,
                               double scale) {
  Membrane& mem = membrane_[n];
  if (t < mem.t_last_ms) return;  // refractory: pulse ignored
  if (pm.scaled) {
    mem.v_mv += w_mv * scale;
    if (mem.v_mv >= pm.gap_mv * scale) return spike(b, n, t);
  } else {
    propagate(b, n, t);
    if (t < mem.t_last_ms) return;  // a hidden crossing made the node refractory
    if (lif::apply_pulse(mem.v_mv, w_mv, pm.v_th_mv)) return spike(b, n, t);
  }
  if (pm.drift_crosses) {
    const double v = pm.scaled ? pm.m_mv + mem.v_mv / scale : mem.v_mv;
    crossing_ms_[n] = t + lif::time_to_threshold_ms(v, pm.m_mv, pm.v_th_mv, pm.tau_m_ms);
    refresh_next_internal(n);
  }
}

// Brings an unscaled membrane's V to time t (scaled ones need nothing).
void EventDriver::propagate(Block& b, NodeId n, double t) {
  const PopulationModel& pm = models_[net_.population_of(n)];
  if (pm.scaled) return;
  if (pm.noisy) return propagate_noisy(b, n, t);
  Membrane& mem = membrane_[n];
  mem.v_mv = lif::relax(mem.v_mv, pm.m_mv, std::exp((mem.t_last_ms - t) * pm.inv_tau));
  mem.t_last_ms = t;
}

// V at time t >= t_last (for noisy membranes the sample becomes the state, which
// keeps the process exact).
double EventDriver::voltage_at(Block& b, NodeId n, double t) {
  const PopulationModel& pm = models_[net_.population_of(n)];
  if (pm.scaled) return pm.m_mv + membrane_[n].v_mv / scale_at(pm, t);
  propagate(b, n, t);
  return membrane_[n].v_mv;
}

double EventDriver::scale_at(const PopulationModel& pm, double t) const {
  return std::exp((t - base_ms_) * pm.inv_tau);
}

// Moves a scaled membrane's origin to new_base_ms; V itself is unchanged.
void EventDriver::rebase_scaled(NodeId n, const PopulationModel& pm, double new_base_ms) {
  membrane_[n].v_mv *= std::exp((base_ms_ - new_base_ms) * pm.inv_tau);
}

// OU path from t_last to t in pieces of at most check_ms. Each piece's end is
// drawn from the exact transition law; the bridge test then decides whether the
// path touched threshold inside the piece, and if so the crossing is located and
// the node fires there (models/README.md §3, "Spikes between events").
void EventDriver::propagate_noisy(Block& b, NodeId n, double t) {
  Membrane& mem = membrane_[n];
  const PopulationModel& pm = models_[net_.population_of(n)];
  RngStream& rng = noise_rng_[n];
  while (mem.t_last_ms < t) {
    b.stop_check.tick();  // a short check interval makes many pieces
    const bool full = t - mem.t_last_ms >= pm.check_ms;
    const double h = full ? pm.check_ms : t - mem.t_last_ms;
    const double decay = full ? pm.check_decay : std::exp(-h * pm.inv_tau);
    const double sd = full ? pm.check_sd_mv : lif::ou_transition_sd(pm.sigma_mv, decay);
    const double x0 = mem.v_mv;
    const double x1 = lif::ou_step_pre(x0, pm.m_mv, decay, sd, rng.normal());
    const double p_cross = lif::bridge_crossing_probability_pre(
        x0, x1, pm.v_th_mv, full ? pm.check_sigma2_sinh : pm.sigma_mv * pm.sigma_mv * std::sinh(h * pm.inv_tau));
    // Below 2^-53 a uniform draw could not tell p from 0: skip it (and its cost).
    const bool crossed = p_cross >= 1.0 || (p_cross > 0x1p-53 && rng.uniform_open0() <= p_cross);
    if (!crossed) {
      mem.v_mv = x1;
      mem.t_last_ms += h;
      continue;
    }
    const double dt = lif::locate_crossing_ms(
        x0, x1, h, pm.m_mv, pm.v_th_mv, pm.sigma_mv, pm.tau_m_ms, pm.tolerance_ms,
        [&] {
          b.stop_check.tick();  // a tolerance near the rounding of t makes a long search
          return rng.normal();
        },
        [&] { return rng.uniform_open0(); });
    spike(b, n, mem.t_last_ms + dt);
  }
}

void EventDriver::spike(Block& b, NodeId n, double t) {
  const std::uint16_t pop_index = net_.population_of(n);
  const PopulationModel& pm = models_[pop_index];
  const PopulationTable& pop = net_.populations()[pop_index];
  if (t < duration_ms_ && (pm.lif || records_sources_)) {
    ++b.spikes_per_population[pop_index];
    if (pm.recorded) b.spikes.push_back({t, n});
  }
  for (std::uint32_t g = 0; g < pop.group_delays_ms.size(); ++g) {
    // The whole network's row, not the edges stored here: with a part
    // (network.h, "Parts") the row's targets may all be other processes'.
    if (net_.group_edges_all_ranks(n, g) == 0) continue;
    // A LIF spike of this epoch reaches nobody before its end (delay >= d_min);
    // the max only repairs the last-bit rounding of t + delay against the epoch
    // end, so that an instant's deliveries are never split over two epochs.
    const double arrival_ms = t + pop.group_delays_ms[g];
    // A Poisson source's spike (emitted before the epoch, by every process) may
    // be due in this epoch: straight into the heap.
    if (pm.lif)
      b.outgoing.push_back({std::max(arrival_ms, epoch_end_ms_), n, g});
    else
      queue_.push({arrival_ms, n, g});
    if (pm.lif || records_sources_) ++b.queue_entries;
  }
  if (!pm.lif) return;
  Membrane& mem = membrane_[n];
  // Refractory from t on (with t_ref = 0 still at t itself).
  mem.t_last_ms = lif::refractory_end_ms(t, pm.t_ref_ms);
  mem.v_mv = pm.scaled ? (pm.v_reset_mv - pm.m_mv) * scale_at(pm, mem.t_last_ms) : pm.v_reset_mv;
  if (pm.drift_crosses) {
    crossing_ms_[n] = mem.t_last_ms + lif::time_to_threshold_ms(pm.v_reset_mv, pm.m_mv, pm.v_th_mv, pm.tau_m_ms);
    refresh_next_internal(n);
  }
}

// Earliest internal event; ties go to the crossing, then the lowest train index
// (all trains at one instant are taken together by own_pulses_at), then probes in
// probe order.
void EventDriver::refresh_next_internal(NodeId n) {
  double next = kNever;
  std::uint32_t which = 0;
  if (!crossing_ms_.empty() && crossing_ms_[n] < next) {
    next = crossing_ms_[n];
    which = kCrossing;
  }
  for (std::uint32_t k = train_begin_[n]; k < train_begin_[n + 1]; ++k)
    if (trains_[k].next_ms < next) {
      next = trains_[k].next_ms;
      which = k;
    }
  if (!probe_begin_.empty())
    for (std::uint32_t k = probe_begin_[n]; k < probe_begin_[n + 1]; ++k)
      if (probes_[k].next_ms < next) {
        next = probes_[k].next_ms;
        which = kProbe | k;
      }
  membrane_[n].next_internal_ms = next;
  membrane_[n].next_internal = which;
}

// The epoch's spikes and samples, gathered into the first block by run_epoch
// (hand_over_batch sorts them into a total order).
void EventDriver::flush_epoch() { hand_over_batch(sink_, blocks_.front().spikes, blocks_.front().samples); }

}  // namespace spikeq::event
