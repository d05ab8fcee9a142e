// SteppedDriver's run: epochs of steps; in each, every block of LIF nodes, on its
// own thread, adds the previous epoch's LIF spikes into its nodes' ring slots and
// then advances its nodes through the epoch (engine/stepped/stepped_driver.h).
#include "engine/stepped/stepped_driver.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include <algorithm>

#include "engine/core/stop_check.h"
#include "engine/stepped/stepped_driver_parts.h"

namespace spikeq::inline stepped {

// Runs `work` on every block: in place with one block; otherwise on the arena's
// threads, one block each (static partition, whose task affinity keeps a block on
// the same thread, and its state in that core's cache, from one epoch to the next).
template <class Work>
void SteppedDriver::for_each_block(Work&& work) {
  if (!arena_) {
    for (Block& b : blocks_) work(b);
    return;
  }
  arena_->arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, blocks_.size(), 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t i = r.begin(); i != r.end(); ++i) work(blocks_[i]);
        },
        tbb::static_partitioner());
  });
}

RunStats SteppedDriver::run() {
  const std::uint64_t steps = plan_.steps;
  // One parallel pass per epoch: each block first fans the previous epoch's LIF
  // spikes into its own nodes (their arrivals are all in this epoch or later),
  // then advances its nodes through this one.
  std::uint64_t prev_k0 = 0, prev_k1 = 0;
  bool pending = false;  // the previous epoch's LIF spikes are not fanned out yet
  auto epoch = [&](std::uint64_t k0, std::uint64_t k1) {
    prepare_epoch(k0, k1);
    for_each_block([&](Block& b) {
      if (pending) fan_out_epoch(b, prev_k0, prev_k1);
      advance_block(b, k0, k1);
    });
    agreed_stop_ = gather_epoch_spikes(k0, k1);
    prev_k0 = k0;
    prev_k1 = k1;
    pending = true;
  };
  epoch(0, 0);  // t = 0: nodes that start at threshold fire; probes at t = 0
  std::uint64_t flushed = 0;  // last step handed to the sink
  for (std::uint64_t k0 = 1; k0 <= steps;) {
    const std::uint64_t k1 = std::min(k0 + epoch_steps_ - 1, steps);
    epoch(k0, k1);
    // After the epoch everything stamped up to t_k1 is final, so a stop ends the
    // run there, with its output a prefix of the uninterrupted run's.
    const bool stop = k1 < steps && agreed_stop_;
    if (k1 / plan_.flush_every > flushed / plan_.flush_every || k1 == steps || stop) {
      flush();
      flushed = k1;
      stats_.simulated_ms = k1 == steps ? net_.spec().duration_ms : static_cast<double>(k1) * plan_.dt_ms;
      if (stop) {
        stats_.interrupted = true;
        // Counted as if the run went on: the pulses of the last epoch's spikes
        // that land within the duration (after the last epoch, every arrival is past it).
        for_each_block([&](Block& b) { fan_out_epoch(b, prev_k0, prev_k1); });
        break;
      }
      fault_point("run");
    }
    k0 = k1 + 1;
  }
  for (const Block& b : blocks_) {
    for (std::size_t p = 0; p < b.spikes_per_population.size(); ++p)
      stats_.spikes_per_population[p] += b.spikes_per_population[p];
    stats_.external_pulses += b.external_pulses;
    stats_.recurrent_pulses += b.recurrent_pulses;
    stats_.queue_entries += b.queue_entries;
  }
  // Each process counted its own nodes (rank 0 also the Poisson sources and the fan-outs).
  if (exchange_) sum_counts_over_processes(*exchange_, stats_);
  return stats_;
}

// Serial, before the blocks run: the epoch's Poisson spikes (each node's own
// stream, so the draws do not depend on the order) and its probe times.
void SteppedDriver::prepare_epoch(std::uint64_t k0, std::uint64_t k1) {
  source_spikes_.clear();
  for (SourcePopulation& sp : source_pops_) {
    std::uint64_t fired = 0;
    for (std::size_t j = 0; j < sp.next_step.size(); ++j) {
      while (sp.next_step[j] <= k1) {
        const std::uint64_t k = sp.next_step[j];
        const NodeId n = sp.first + static_cast<NodeId>(j);
        source_spikes_.push_back({k, n});
        if (sp.recorded && records_sources_) source_records_.push_back({static_cast<double>(k) * plan_.dt_ms, n});
        ++fired;
        sp.next_step[j] = k + stepped::bernoulli_gap(sp.rng[j].uniform_open0(), sp.log_q, plan_.steps + 1);
      }
    }
    if (records_sources_) stats_.spikes_per_population[sp.population] += fired;
  }
  std::sort(source_spikes_.begin(), source_spikes_.end(), [](const StepSpike& a, const StepSpike& b) {
    return a.step != b.step ? a.step < b.step : a.node < b.node;
  });
  source_spikes_at_.resize(k1 - k0 + 2);
  std::size_t s = 0;
  for (std::uint64_t k = k0; k <= k1 + 1; ++k) {
    while (s < source_spikes_.size() && source_spikes_[s].step < k) ++s;
    source_spikes_at_[k - k0] = static_cast<std::uint32_t>(s);
  }

  probe_times_.clear();
  for (std::uint32_t p = 0; p < probes_.size(); ++p) {
    Probe& probe = probes_[p];
    while (probe.next_step <= k1) {
      probe_times_.push_back({probe.next_step, p});
      ++probe.taken;
      probe.next_step = probe_step(probe);
    }
  }
  std::sort(probe_times_.begin(), probe_times_.end(), [](const ProbeTime& a, const ProbeTime& b) {
    return a.step != b.step ? a.step < b.step : a.probe < b.probe;
  });
}

// Steps k0..k1 for the block's nodes: the step's Poisson spikes into its own
// nodes, the update, then its probe samples.
void SteppedDriver::advance_block(Block& b, std::uint64_t k0, std::uint64_t k1) {
  const bool exact = net_.spec().simulation.integrator == Integrator::Exact;
  b.current.fired.clear();
  std::size_t next_probe = 0;
  for (std::uint64_t k = k0; k <= k1; ++k) {
    const std::uint64_t i = k - k0;
    b.current.fired_at[i] = static_cast<std::uint32_t>(b.current.fired.size());
    if (k == 0) {
      fire_initial(b);
    } else {
      for (std::uint32_t s = source_spikes_at_[i]; s < source_spikes_at_[i + 1]; ++s)
        fan_out(b, source_spikes_[s].node, k);
      double* slot = ring_.data() + static_cast<std::size_t>(k % plan_.ring_slots) * lif_count_;
      for (const Block::Segment& seg : b.segments) {
        const LifPopulation& lp = lif_pops_[seg.pop];
        if (exact) {
          lp.noisy ? update_range<true, true>(b, lp, seg.j_begin, seg.j_end, k, slot)
                   : update_range<true, false>(b, lp, seg.j_begin, seg.j_end, k, slot);
        } else {
          lp.noisy ? update_range<false, true>(b, lp, seg.j_begin, seg.j_end, k, slot)
                   : update_range<false, false>(b, lp, seg.j_begin, seg.j_end, k, slot);
        }
      }
    }
    const double t = static_cast<double>(k) * plan_.dt_ms;
    for (; next_probe < probe_times_.size() && probe_times_[next_probe].step == k; ++next_probe) {
      const Probe& probe = probes_[probe_times_[next_probe].probe];
      const auto [m_begin, m_end] = b.probe_nodes[probe_times_[next_probe].probe];
      for (std::uint32_t m = m_begin; m < m_end; ++m)
        b.samples.push_back({t, probe.index, probe.nodes[m], v_mv_[probe.lif[m]]});
    }
  }
  b.current.fired_at[k1 - k0 + 1] = static_cast<std::uint32_t>(b.current.fired.size());
}

// t = 0: a node that starts at or above threshold fires at once (as in the event engine).
void SteppedDriver::fire_initial(Block& b) {
  for (const Block::Segment& seg : b.segments) {
    const LifPopulation& lp = lif_pops_[seg.pop];
    for (std::uint32_t j = seg.j_begin; j < seg.j_end; ++j) {
      const std::uint32_t i = lp.lif_first + j;
      if (v_mv_[i] < lp.v_th_mv) continue;
      v_mv_[i] = lp.v_reset_mv;
      refractory_left_[i] = lp.refractory_steps;
      b.current.fired.push_back(lp.first + j);
      ++b.spikes_per_population[lp.population];
      if (lp.recorded) b.spikes.push_back({0.0, lp.first + j});
    }
  }
}

template <bool Exact, bool Noisy>
void SteppedDriver::update_range(Block& b, const LifPopulation& lp, std::uint32_t j_begin, std::uint32_t j_end,
                                 std::uint64_t k, double* slot) {
  const std::uint64_t seed = net_.spec().seed;
  StreamCursor::Name noise_name = StreamCursor::name(seed, trial_, Purpose::SteppedNoise, lp.population, 0);
  std::uint64_t external = 0;
  const std::size_t fired_before = b.current.fired.size();
  for (std::uint32_t j = j_begin; j < j_end; ++j) {
    const std::uint32_t i = lp.lif_first + j;
    double input_mv = slot[i];
    slot[i] = 0.0;
    for (std::uint32_t t = train_begin_[i]; t < train_begin_[i + 1]; ++t) {
      InputTrain& tr = trains_[t];
      if (tr.sparse ? k != tr.next_step : k < tr.next_step) continue;
      const auto name = StreamCursor::name(seed, trial_, Purpose::SteppedInput, tr.projection, tr.local_target);
      auto draw = [&] { return tr.rng.next_u64(name); };
      std::uint32_t count;
      if (tr.sparse) {
        count = binomials_.sample_nonzero(tr.law, draw);
        tr.next_step = k + binomials_.gap(tr.law, draw, plan_.steps + 1);
      } else {
        count = binomials_.sample(tr.law, draw);
      }
      input_mv += count * edge_targets_[tr.projection].weight_mv;
      external += count;
    }
    if (refractory_left_[i] > 0) {  // clamped at V_r, input dropped
      --refractory_left_[i];
      continue;
    }
    double xi = 0.0;
    if constexpr (Noisy) {
      noise_name.b = j;
      xi = normal_variate([&] { return noise_[i].next_u64(noise_name); });
    }
    double v = Exact ? lif_stepped::exact_step(v_mv_[i], lp.m_mv, lp.c.decay, lp.c.exact_noise, xi)
                     : lif_stepped::euler_maruyama_step(v_mv_[i], lp.m_mv, lp.c.euler_rate, lp.c.euler_noise, xi);
    v += input_mv;
    if (v >= lp.v_th_mv) {
      v = lp.v_reset_mv;
      refractory_left_[i] = lp.refractory_steps;
      b.current.fired.push_back(lp.first + j);
    }
    v_mv_[i] = v;
  }
  b.external_pulses += external;
  const std::size_t spikes = b.current.fired.size() - fired_before;
  if (spikes == 0) return;
  b.spikes_per_population[lp.population] += spikes;
  if (!lp.recorded) return;
  const double t = static_cast<double>(k) * plan_.dt_ms;
  for (std::size_t s = fired_before; s < b.current.fired.size(); ++s) b.spikes.push_back({t, b.current.fired[s]});
}

// The previous epoch's LIF spikes of every block and process, in (step, node)
// order, into this block's nodes.
void SteppedDriver::fan_out_epoch(Block& b, std::uint64_t k0, std::uint64_t k1) {
  const EpochSpikes& all = epoch_spikes_;
  for (std::uint64_t k = k0; k <= k1; ++k) {
    const std::uint64_t i = k - k0;
    for (std::uint32_t s = all.fired_at[i]; s < all.fired_at[i + 1]; ++s) {
      if (s + 1 < all.fired_at[i + 1]) prefetch_edges(b, all.fired[s + 1]);
      fan_out(b, all.fired[s], k);
    }
  }
}

// Block b's part of node n's delay group g: the edges [begin, end), and whether
// they must still be filtered by target (rows not ascending).
SteppedDriver::Stretch SteppedDriver::block_edges(const Block& b, NodeId n, std::uint32_t g) const {
  Stretch st{net_.group_begin(n, g), net_.group_end(n, g), false};
  if (whole_ || st.begin == st.end) return st;
  const std::uint16_t population = net_.population_of(n);
  if (!rows_ascending_[population][g]) {
    st.filter = true;
    return st;
  }
  const PopulationTable& pt = net_.populations()[population];
  const std::size_t bounds = blocks_.size() + 1;
  const std::uint32_t* split =
      row_splits_.data() + (pt.group_base + (n - pt.first) * pt.group_delays_ms.size() + g) * bounds;
  const std::uint64_t row_begin = st.begin;
  st.begin = row_begin + split[b.index];
  st.end = row_begin + split[b.index + 1];
  return st;
}

// Asks for block b's edges of node n's spike ahead of their fan-out: a spike's
// stretch is a few cache lines read once, too short for the hardware prefetcher
// to ramp up, so without this every line is a miss.
void SteppedDriver::prefetch_edges(const Block& b, NodeId n) const {
  const NodeId* targets = net_.targets().data();
  const EdgeData* edges = net_.edge_projections().data();
  const std::size_t groups = plan_.group_delay_steps[net_.population_of(n)].size();
  for (std::uint32_t g = 0; g < groups; ++g) {
    const Stretch st = block_edges(b, n, g);
    for (std::uint64_t e = st.begin; e < st.end; e += 64 / sizeof(NodeId)) __builtin_prefetch(targets + e);
    for (std::uint64_t e = st.begin; e < st.end; e += 64 / sizeof(EdgeData)) __builtin_prefetch(edges + e);
  }
}

// Adds the pulses of node n's spike at step k that reach block b's nodes to the
// ring slots of their arrival steps, walking n's out-edges group by group in CSR
// order. Arrivals after the last step are not delivered, and not counted.
void SteppedDriver::fan_out(Block& b, NodeId n, std::uint64_t k) {
  const std::vector<std::uint32_t>& delays = plan_.group_delay_steps[net_.population_of(n)];
  const NodeId* targets = net_.targets().data();
  const EdgeData* edges = net_.edge_projections().data();
  for (std::uint32_t g = 0; g < delays.size(); ++g) {
    const std::uint64_t arrival = k + delays[g];
    if (arrival > plan_.steps) continue;
    if (b.counts_fan_outs) {
      const std::uint64_t edges_in_group = net_.group_edges_all_ranks(n, g);  // every process's
      b.recurrent_pulses += edges_in_group;
      b.queue_entries += edges_in_group > 0;
    }
    const Stretch st = block_edges(b, n, g);
    double* row = ring_.data() + static_cast<std::size_t>(arrival % plan_.ring_slots) * lif_count_;
    if (!st.filter) {
      for (std::uint64_t e = st.begin; e < st.end; ++e) {
        const EdgeTarget& et = edge_targets_[edges[e].projection];
        row[targets[e] - et.lif_shift] += et.weight_mv;
      }
    } else {
      for (std::uint64_t e = st.begin; e < st.end; ++e) {
        if (targets[e] < b.node_begin || targets[e] >= b.node_end) continue;
        const EdgeTarget& et = edge_targets_[edges[e].projection];
        row[targets[e] - et.lif_shift] += et.weight_mv;
      }
    }
  }
}

// Probe times are start + j interval (multiplied, not summed, so no drift), up to
// the duration; each is sampled at its nearest grid point.
std::uint64_t SteppedDriver::probe_step(const Probe& probe) const {
  const double t = probe.start_ms + static_cast<double>(probe.taken) * probe.interval_ms;
  if (t > net_.spec().duration_ms * (1.0 + 1e-12)) return plan_.steps + 1;
  return std::min(round_to_steps(t, plan_.dt_ms), plan_.steps);
}

void SteppedDriver::flush() {
  batch_spikes_.insert(batch_spikes_.end(), source_records_.begin(), source_records_.end());
  source_records_.clear();
  for (Block& b : blocks_) {
    batch_spikes_.insert(batch_spikes_.end(), b.spikes.begin(), b.spikes.end());
    batch_samples_.insert(batch_samples_.end(), b.samples.begin(), b.samples.end());
    b.spikes.clear();
    b.samples.clear();
  }
  hand_over_batch(sink_, batch_spikes_, batch_samples_);
}

}  // namespace spikeq::stepped
