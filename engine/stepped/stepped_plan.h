// StepPlan: a Network mapped onto the time grid of the stepped engine — every
// time in the spec (duration, delays, refractory periods, probe times) turned
// into a whole number of steps, every Poisson rate into a per-step probability —
// and the checks that refuse what a grid cannot represent. Built once per run;
// the stepped driver then works in steps only.
//
// Rounding: a time x becomes round(x/dt) steps, to nearest, halves up. The
// quotient is taken with a relative slack of 1e-12 before rounding, so a time
// written as an exact multiple or half-multiple of dt in decimal (0.25 ms at
// dt 0.1) rounds as written even when the binary quotient falls a hair short.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/network.h"

namespace spikeq::inline stepped {

struct StepPlan {
  double dt_ms = 0;
  std::uint64_t steps = 0;  // K: grid points t_k = k dt for k = 0..K, K dt = duration
  // Per population: LIF refractory steps R = round(t_ref/dt); Poisson per-step
  // spike probability p = rate dt (0 for LIF).
  std::vector<std::uint32_t> refractory_steps;
  std::vector<double> spike_probability;
  // Per projection: round(delay/dt). LIF sources: >= 1. Poisson sources: >= 0.
  std::vector<std::uint32_t> delay_steps;
  // Per population, per delay group (PopulationTable::group_delays_ms): steps.
  std::vector<std::vector<std::uint32_t>> group_delay_steps;
  // Ring buffer length: the largest delivery delay in steps, plus one.
  std::uint32_t ring_slots = 1;
  // Steps per sink batch: about 10 ms of simulated time, at least one step.
  std::uint64_t flush_every = 1;
};

// round(ms/dt) as described above. Requires ms >= 0, dt > 0.
std::uint64_t round_to_steps(double ms, double dt_ms);

// Refuses, with Error (BadInput) — one line naming the field and value — what the
// grid of spec.simulation.dt_ms cannot represent:
//  * the duration is not a whole number of steps (as NEST requires);
//  * a Poisson population that emits spikes (its own train, or independent trains
//    into a projection) has rate*dt > 1: a Bernoulli source fires at most once a step;
//  * a projection from a LIF population has delay < dt: its spike would have to
//    act within the step that produced it;
//  * Euler–Maruyama with dt >= 2 tau_m: the step is unstable (|1 - dt/tau| >= 1);
//  * a delay or refractory period exceeds 2^32 - 2 steps.
// Needs only the spec, so a CLI can call it before creating any output.
void check_step_grid(const NetworkSpec& spec);

// Maps the network onto its grid; runs check_step_grid first.
StepPlan make_step_plan(const Network& network);

// How a projection is named in messages: `projection "ee"`, or
// `projections[2] (exc -> inh)` when it has no name.
std::string describe_projection(const NetworkSpec& spec, std::size_t projection);

}  // namespace spikeq::stepped
