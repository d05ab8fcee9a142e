#include "engine/stepped/stepped_driver.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/stop_check.h"
#include "models/lif_stepped.h"

namespace spikeq::inline stepped {

// Per LIF population: the constants of its update loop.
struct SteppedDriver::LifPopulation {
  std::uint16_t population = 0;
  NodeId first = 0;              // global id of node 0
  std::uint32_t lif_first = 0;   // LIF index of node 0
  std::uint32_t size = 0;
  bool noisy = false;
  double m_mv = 0, v_th_mv = 0, v_reset_mv = 0;
  std::uint32_t refractory_steps = 0;
  lif_stepped::StepCoefficients c;
};

// Per Poisson population with its own train: each node's next spike step.
struct SteppedDriver::SourcePopulation {
  std::uint16_t population = 0;
  NodeId first = 0;
  double log_q = 0;  // ln(1 - p)
  std::vector<std::uint64_t> next_step;
  std::vector<RngStream> rng;  // (SteppedSource, population, node)
};

struct SteppedDriver::Probe {
  std::uint32_t index = 0;  // into NetworkSpec::recording.voltage_probes
  double start_ms = 0, interval_ms = 0;
  std::uint64_t taken = 0;      // probe times t_j = start + j interval, j < taken, are done
  std::uint64_t next_step = 0;  // grid step of t_taken (steps + 1: none left)
  std::vector<NodeId> nodes;          // global ids, ascending
  std::vector<std::uint32_t> lif;     // their LIF indices
};

SteppedDriver::~SteppedDriver() = default;

SteppedDriver::SteppedDriver(const Network& network, std::uint64_t trial, RunSink& sink,
                             const std::atomic<bool>* stop)
    : net_(network), trial_(trial), sink_(sink), stop_(stop), plan_(make_step_plan(network)) {
  init_state();
  init_trains();
  init_probes();
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

  bool any_noisy = false;
  for (std::size_t i = 0; i < n_pops; ++i) {
    const PopulationSpec& ps = spec.populations[i];
    const PopulationTable& pt = net_.populations()[i];
    if (ps.kind == ModelKind::Poisson) {
      if (!own_train[i]) continue;
      SourcePopulation sp;
      sp.population = static_cast<std::uint16_t>(i);
      sp.first = pt.first;
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
  train_begin_.assign(lif_count_ + 1, 0);
  for (const LifPopulation& lp : lif_pops_) {
    for (std::uint32_t j = 0; j < lp.size; ++j) {
      train_begin_[lp.lif_first + j] = static_cast<std::uint32_t>(trains_.size());
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

RunStats SteppedDriver::run() {
  const std::uint64_t steps = plan_.steps;
  // t = 0: a node that starts at or above threshold fires at once (as in the event engine).
  for (const LifPopulation& lp : lif_pops_)
    for (std::uint32_t j = 0; j < lp.size; ++j)
      if (v_mv_[lp.lif_first + j] >= lp.v_th_mv) {
        v_mv_[lp.lif_first + j] = lp.v_reset_mv;
        refractory_left_[lp.lif_first + j] = lp.refractory_steps;
        spike(lp.first + j, lp.population, 0);
        fan_out(lp.first + j, lp.population, 0);
      }
  sample_probes(0);
  for (std::uint64_t k = 1; k <= steps; ++k) {
    step(k);
    // Checked after every step (a step is a pass over every node, so one load is
    // nothing): after step k everything stamped up to t_k is final, so a stop
    // ends the run there, with its output a prefix of the uninterrupted run's.
    const bool stop = k < steps && stop_ && stop_->load(std::memory_order_relaxed);
    if (k % plan_.flush_every != 0 && k != steps && !stop) continue;
    flush();
    stats_.simulated_ms = k == steps ? net_.spec().duration_ms : static_cast<double>(k) * plan_.dt_ms;
    if (stop) {
      stats_.interrupted = true;
      break;
    }
    fault_point("run");
  }
  return stats_;
}

void SteppedDriver::step(std::uint64_t k) {
  fire_sources(k);
  double* slot = ring_.data() + static_cast<std::size_t>(k % plan_.ring_slots) * lif_count_;
  const bool exact = net_.spec().simulation.integrator == Integrator::Exact;
  fired_.clear();
  for (const LifPopulation& lp : lif_pops_) {
    if (exact) {
      lp.noisy ? update_population<true, true>(lp, k, slot) : update_population<true, false>(lp, k, slot);
    } else {
      lp.noisy ? update_population<false, true>(lp, k, slot) : update_population<false, false>(lp, k, slot);
    }
  }
  for (NodeId n : fired_) fan_out(n, net_.population_of(n), k);
  sample_probes(k);
}

template <bool Exact, bool Noisy>
void SteppedDriver::update_population(const LifPopulation& lp, std::uint64_t k, double* slot) {
  const std::uint64_t seed = net_.spec().seed;
  StreamCursor::Name noise_name = StreamCursor::name(seed, trial_, Purpose::SteppedNoise, lp.population, 0);
  std::uint64_t external = 0;
  std::uint64_t spikes = 0;
  for (std::uint32_t j = 0; j < lp.size; ++j) {
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
      fired_.push_back(lp.first + j);
      ++spikes;
    }
    v_mv_[i] = v;
  }
  stats_.external_pulses += external;
  if (spikes == 0) return;
  stats_.spikes_per_population[lp.population] += spikes;
  if (!net_.spec().recording.spikes_from[lp.population]) return;
  const double t = static_cast<double>(k) * plan_.dt_ms;
  for (auto it = fired_.end() - static_cast<std::ptrdiff_t>(spikes); it != fired_.end(); ++it)
    batch_spikes_.push_back({t, *it});
}

void SteppedDriver::fire_sources(std::uint64_t k) {
  for (SourcePopulation& sp : source_pops_) {
    for (std::size_t j = 0; j < sp.next_step.size(); ++j) {
      if (sp.next_step[j] != k) continue;
      const NodeId n = sp.first + static_cast<NodeId>(j);
      spike(n, sp.population, k);
      fan_out(n, sp.population, k);
      sp.next_step[j] = k + stepped::bernoulli_gap(sp.rng[j].uniform_open0(), sp.log_q, plan_.steps + 1);
    }
  }
}

void SteppedDriver::spike(NodeId n, std::uint16_t population, std::uint64_t k) {
  ++stats_.spikes_per_population[population];
  if (net_.spec().recording.spikes_from[population])
    batch_spikes_.push_back({static_cast<double>(k) * plan_.dt_ms, n});
}

// Adds the spike's pulses to the ring slots of their arrival steps, walking the
// source's out-edges group by group in CSR order (targets ascending). Arrivals
// after the last step are not delivered, and not counted.
void SteppedDriver::fan_out(NodeId n, std::uint16_t population, std::uint64_t k) {
  const std::vector<std::uint32_t>& delays = plan_.group_delay_steps[population];
  const NodeId* targets = net_.targets().data();
  const EdgeData* edges = net_.edge_projections().data();
  for (std::uint32_t g = 0; g < delays.size(); ++g) {
    const std::uint64_t arrival = k + delays[g];
    if (arrival > plan_.steps) continue;
    const std::uint64_t begin = net_.group_begin(n, g);
    const std::uint64_t end = net_.group_end(n, g);
    if (begin == end) continue;
    double* row = ring_.data() + static_cast<std::size_t>(arrival % plan_.ring_slots) * lif_count_;
    for (std::uint64_t e = begin; e < end; ++e) {
      const EdgeTarget& et = edge_targets_[edges[e].projection];
      row[targets[e] - et.lif_shift] += et.weight_mv;
    }
    stats_.recurrent_pulses += end - begin;
    ++stats_.queue_entries;
  }
}

// Probe times are start + j interval (multiplied, not summed, so no drift), up to
// the duration; each is sampled at its nearest grid point.
std::uint64_t SteppedDriver::probe_step(const Probe& probe) const {
  const double t = probe.start_ms + static_cast<double>(probe.taken) * probe.interval_ms;
  if (t > net_.spec().duration_ms * (1.0 + 1e-12)) return plan_.steps + 1;
  return std::min(round_to_steps(t, plan_.dt_ms), plan_.steps);
}

void SteppedDriver::sample_probes(std::uint64_t k) {
  const double t = static_cast<double>(k) * plan_.dt_ms;
  for (Probe& probe : probes_) {
    while (probe.next_step == k) {
      for (std::size_t m = 0; m < probe.nodes.size(); ++m)
        batch_samples_.push_back({t, probe.index, probe.nodes[m], v_mv_[probe.lif[m]]});
      ++probe.taken;
      probe.next_step = probe_step(probe);
    }
  }
}

void SteppedDriver::flush() { hand_over_batch(sink_, batch_spikes_, batch_samples_); }

}  // namespace spikeq::stepped
