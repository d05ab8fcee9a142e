// SteppedDriver's construction: node state, input trains, probes, and the split
// of the LIF nodes into blocks (engine/stepped/stepped_driver.h).
#include <algorithm>
#include <cmath>

#include "engine/core/rank_share.h"
#include "engine/stepped/stepped_driver.h"
#include "engine/stepped/stepped_driver_parts.h"

namespace spikeq::inline stepped {

SteppedDriver::~SteppedDriver() = default;

SteppedDriver::SteppedDriver(const Network& network, std::uint64_t trial, RunSink& sink,
                             const std::atomic<bool>* stop, unsigned threads, EpochExchange* exchange)
    : net_(network), trial_(trial), sink_(sink), stop_(stop), exchange_(exchange), plan_(make_step_plan(network)) {
  records_sources_ = exchange_ == nullptr || exchange_->rank() == 0;
  init_state();
  init_trains();
  init_probes();
  init_blocks(threads);
}

void SteppedDriver::init_state() {
  const NetworkSpec& spec = net_.spec();
  const std::size_t n_pops = spec.populations.size();
  stats_.spikes_per_population.assign(n_pops, 0);
  lif_of_population_.assign(n_pops, -1);

  std::vector<bool> own_train(n_pops, false);
  for (std::size_t i = 0; i < n_pops; ++i) own_train[i] = spec.recording.spikes_from[i];
  for (std::size_t p = 0; p < spec.projections.size(); ++p)
    if (net_.projections()[p].delivers_spikes) own_train[spec.projections[p].source] = true;
  for (std::size_t i = 0; i < n_pops; ++i)
    stats_.population_simulated.push_back(spec.populations[i].kind == ModelKind::Lif || own_train[i]);

  // Epoch length: the smallest LIF-sourced delay (>= 1 step, check_step_grid),
  // at most a flush interval.
  epoch_steps_ = plan_.flush_every;
  for (std::size_t p = 0; p < spec.projections.size(); ++p)
    if (net_.projections()[p].delivers_spikes && spec.populations[spec.projections[p].source].kind == ModelKind::Lif)
      epoch_steps_ = std::min<std::uint64_t>(epoch_steps_, plan_.delay_steps[p]);
  epoch_steps_ = std::max<std::uint64_t>(epoch_steps_, 1);

  bool any_noisy = false;
  for (std::size_t i = 0; i < n_pops; ++i) {
    const PopulationSpec& ps = spec.populations[i];
    const PopulationTable& pt = net_.populations()[i];
    if (ps.kind == ModelKind::Poisson) {
      if (!own_train[i]) continue;
      SourcePopulation sp;
      sp.population = static_cast<std::uint16_t>(i);
      sp.first = pt.first;
      sp.recorded = spec.recording.spikes_from[i];
      sp.log_q = std::log1p(-plan_.spike_probability[i]);
      source_pops_.push_back(std::move(sp));
      continue;
    }
    LifPopulation lp;
    lp.population = static_cast<std::uint16_t>(i);
    lp.first = pt.first;
    lp.lif_first = lif_count_;
    lp.size = pt.size;
    lp.noisy = ps.lif.sigma_mv > 0;
    lp.recorded = spec.recording.spikes_from[i];
    lp.m_mv = ps.lif.mean_target_mv();
    lp.v_th_mv = ps.lif.v_th_mv;
    lp.v_reset_mv = ps.lif.v_reset_mv;
    lp.refractory_steps = plan_.refractory_steps[i];
    lp.c = lif_stepped::coefficients(plan_.dt_ms, ps.lif.tau_m_ms, ps.lif.sigma_mv);
    any_noisy |= lp.noisy;
    lif_of_population_[i] = static_cast<std::int32_t>(lif_pops_.size());
    lif_pops_.push_back(lp);
    lif_count_ += pt.size;
  }

  v_mv_.assign(lif_count_, 0.0);
  refractory_left_.assign(lif_count_, 0);
  if (any_noisy) noise_.assign(lif_count_, StreamCursor{});
  ring_.assign(static_cast<std::size_t>(plan_.ring_slots) * lif_count_, 0.0);
  const std::uint64_t seed = spec.seed;
  for (const LifPopulation& lp : lif_pops_) {
    const LifParams& params = spec.populations[lp.population].lif;
    for (std::uint32_t j = 0; j < lp.size; ++j) {
      double v = params.v_init_low_mv;
      if (params.v_init_high_mv > params.v_init_low_mv) {
        // The event engine's draw: both engines start from the same state.
        RngStream rng(seed, trial_, Purpose::InitialState, lp.population, j);
        v += (params.v_init_high_mv - params.v_init_low_mv) * (1.0 - rng.uniform_open0());
      }
      v_mv_[lp.lif_first + j] = v;
    }
  }
  for (SourcePopulation& sp : source_pops_) {
    const std::uint32_t size = net_.populations()[sp.population].size;
    sp.next_step.resize(size);
    sp.rng.reserve(size);
    for (std::uint32_t j = 0; j < size; ++j) {
      sp.rng.emplace_back(seed, trial_, Purpose::SteppedSource, sp.population, j);
      sp.next_step[j] = stepped::bernoulli_gap(sp.rng.back().uniform_open0(), sp.log_q, plan_.steps + 1);
    }
  }

  edge_targets_.resize(spec.projections.size());
  for (std::size_t p = 0; p < spec.projections.size(); ++p) {
    const LifPopulation& target = lif_pops_[static_cast<std::size_t>(lif_of_population_[spec.projections[p].target])];
    edge_targets_[p] = {spec.projections[p].weight_mv, target.first - target.lif_first};
  }
}

void SteppedDriver::init_trains() {
  const NetworkSpec& spec = net_.spec();
  const std::uint64_t seed = spec.seed;
  std::vector<std::vector<std::size_t>> into(spec.populations.size());
  for (std::size_t p = 0; p < spec.projections.size(); ++p)
    if (!net_.projections()[p].delivers_spikes) into[spec.projections[p].target].push_back(p);
  // Only this process's nodes have trains (the others' stay empty ranges).
  const RankShare share = rank_share(spec, exchange_ ? exchange_->rank() : 0, exchange_ ? exchange_->ranks() : 1);
  train_begin_.assign(lif_count_ + 1, 0);
  for (const LifPopulation& lp : lif_pops_) {
    for (std::uint32_t j = 0; j < lp.size; ++j) {
      train_begin_[lp.lif_first + j] = static_cast<std::uint32_t>(trains_.size());
      if (lp.lif_first + j < share.lif_begin || lp.lif_first + j >= share.lif_end) continue;
      for (std::size_t p : into[lp.population]) {
        const ProjectionSpec& ps = spec.projections[p];
        const std::uint32_t k_in = net_.in_degrees(p)[j];
        const double prob = plan_.spike_probability[ps.source];
        if (k_in == 0 || prob <= 0.0) continue;
        InputTrain tr{};
        tr.law = binomials_.index(static_cast<std::uint32_t>(p), k_in, prob);
        tr.projection = static_cast<std::uint32_t>(p);
        tr.local_target = j;
        tr.sparse = binomials_.sparse(tr.law);
        tr.next_step = std::uint64_t{plan_.delay_steps[p]} + 1;
        if (tr.sparse) {
          const auto name = StreamCursor::name(seed, trial_, Purpose::SteppedInput, p, j);
          tr.next_step += binomials_.gap(tr.law, [&] { return tr.rng.next_u64(name); }, plan_.steps + 1) - 1;
        }
        trains_.push_back(tr);
      }
    }
  }
  train_begin_[lif_count_] = static_cast<std::uint32_t>(trains_.size());
}

void SteppedDriver::init_probes() {
  const NetworkSpec& spec = net_.spec();
  for (std::uint32_t k = 0; k < spec.recording.voltage_probes.size(); ++k) {
    const VoltageProbeSpec& vp = spec.recording.voltage_probes[k];
    const LifPopulation& lp = lif_pops_[static_cast<std::size_t>(lif_of_population_[vp.population])];
    Probe probe;
    probe.index = k;
    probe.start_ms = vp.start_ms;
    probe.interval_ms = vp.interval_ms;
    probe.next_step = probe_step(probe);
    if (vp.node_ids.empty()) {
      for (std::uint32_t j = 0; j < lp.size; ++j) probe.nodes.push_back(lp.first + j);
    } else {
      for (std::uint64_t j : vp.node_ids) probe.nodes.push_back(lp.first + static_cast<NodeId>(j));
      std::sort(probe.nodes.begin(), probe.nodes.end());
    }
    for (NodeId n : probe.nodes) probe.lif.push_back(n - lp.first + lp.lif_first);
    probes_.push_back(std::move(probe));
  }
}

// This process's LIF nodes (all of them when it is the only one; the split of
// engine/core/rank_share.h, in LIF order, which is the LIF index order here),
// in blocks of about equal size; with at least 64 nodes a block, the inner
// boundaries are rounded down to multiples of 16 so that two blocks rarely
// share a cache line of the state or of a ring row. The split changes nothing
// in the output: every order of summation is the network's, not the blocks'.
void SteppedDriver::init_blocks(unsigned threads) {
  const std::uint64_t rank = exchange_ ? exchange_->rank() : 0, ranks = exchange_ ? exchange_->ranks() : 1;
  const RankShare share = rank_share(net_.spec(), rank, ranks);
  check_stores_share(net_, share, rank, ranks);  // the whole network, or this process's part
  const auto lo = static_cast<std::uint32_t>(share.lif_begin), hi = static_cast<std::uint32_t>(share.lif_end);
  const std::uint64_t own = hi - lo;
  const std::uint64_t wanted = std::max(threads, 1u);
  const std::uint64_t n_blocks = own == 0 ? 1 : std::min<std::uint64_t>(wanted, own);
  const bool align = own >= 64 * n_blocks;
  blocks_.resize(n_blocks);
  for (std::uint64_t b = 0; b < n_blocks; ++b) {
    Block& block = blocks_[b];
    auto bound = [&](std::uint64_t i) {
      if (i == 0) return lo;
      if (i == n_blocks) return hi;
      const auto at = static_cast<std::uint32_t>(lo + i * own / n_blocks);
      return align ? std::max(lo, at & ~std::uint32_t{15}) : at;
    };
    block.lif_begin = bound(b);
    block.lif_end = bound(b + 1);
    block.index = static_cast<std::uint32_t>(b);
    block.counts_fan_outs = b == 0 && rank == 0;
    for (std::uint32_t p = 0; p < lif_pops_.size(); ++p) {
      const LifPopulation& lp = lif_pops_[p];
      const std::uint32_t seg_lo = std::max(block.lif_begin, lp.lif_first);
      const std::uint32_t seg_hi = std::min(block.lif_end, lp.lif_first + lp.size);
      if (seg_lo >= seg_hi) continue;
      if (block.segments.empty()) block.node_begin = lp.first + (seg_lo - lp.lif_first);
      block.node_end = lp.first + (seg_hi - lp.lif_first);
      block.segments.push_back({p, seg_lo - lp.lif_first, seg_hi - lp.lif_first});
    }
    for (const Probe& probe : probes_) {
      const auto p_lo = std::lower_bound(probe.lif.begin(), probe.lif.end(), block.lif_begin) - probe.lif.begin();
      const auto p_hi = std::lower_bound(probe.lif.begin(), probe.lif.end(), block.lif_end) - probe.lif.begin();
      block.probe_nodes.emplace_back(static_cast<std::uint32_t>(p_lo), static_cast<std::uint32_t>(p_hi));
    }
    block.current.fired_at.assign(epoch_steps_ + 1, 0);
    block.spikes_per_population.assign(net_.spec().populations.size(), 0);
  }
  epoch_spikes_.fired_at.assign(epoch_steps_ + 1, 0);
  rank_spikes_.resize(ranks);
  // One block, and the network stores only its nodes' edges (one process, or
  // this process's part): rows are taken whole.
  whole_ = n_blocks == 1 && stores_only(net_, share.node_begin, share.node_end);
  if (n_blocks > 1) arena_ = std::make_unique<Arena>(static_cast<int>(n_blocks));
  if (!whole_) init_row_splits();
}

// Which delay groups have every row ascending in target (true of the example
// networks, whose projections out of one group reach populations in id order),
// and in those rows where each block's stretch begins. Other rows are filtered
// edge by edge, so any row order is correct.
void SteppedDriver::init_row_splits() {
  const NodeId* targets = net_.targets().data();
  const std::size_t bounds = blocks_.size() + 1;
  std::uint64_t rows = 0;
  rows_ascending_.resize(net_.populations().size());
  for (std::size_t pop = 0; pop < net_.populations().size(); ++pop) {
    const std::size_t groups = plan_.group_delay_steps[pop].size();
    std::vector<bool>& ascending = rows_ascending_[pop];
    ascending.assign(groups, true);
    const PopulationTable& pt = net_.populations()[pop];
    for (std::size_t g = 0; g < groups; ++g)
      for (NodeId n = pt.first; n < pt.first + pt.size && ascending[g]; ++n)
        ascending[g] = std::is_sorted(targets + net_.group_begin(n, g), targets + net_.group_end(n, g));
    if (groups > 0) rows = std::max<std::uint64_t>(rows, pt.group_base + std::uint64_t{pt.size} * groups);
  }
  row_splits_.assign(rows * bounds, 0);
  for (std::size_t pop = 0; pop < net_.populations().size(); ++pop) {
    const PopulationTable& pt = net_.populations()[pop];
    const std::size_t groups = rows_ascending_[pop].size();
    for (std::size_t g = 0; g < groups; ++g) {
      if (!rows_ascending_[pop][g]) continue;
      for (NodeId n = pt.first; n < pt.first + pt.size; ++n) {
        const NodeId* begin = targets + net_.group_begin(n, g);
        const NodeId* end = targets + net_.group_end(n, g);
        std::uint32_t* split = row_splits_.data() + (pt.group_base + (n - pt.first) * groups + g) * bounds;
        auto at = [&](NodeId node) { return static_cast<std::uint32_t>(std::lower_bound(begin, end, node) - begin); };
        for (std::size_t b = 0; b < blocks_.size(); ++b) split[b] = at(blocks_[b].node_begin);
        split[blocks_.size()] = at(blocks_.back().node_end);
      }
    }
  }
}

}  // namespace spikeq::stepped
