// The range of every number spikeq takes, in one place: the netdef's fields
// (netdefs/spikeq.proto states each one next to the field), the command-line
// flags, and the budgets a whole network must fit. Each bound is chosen from
// what the engine can do in bounded time and memory, or from a width in its
// data structures; the comment says which. Validation (netdefs/validate*.cpp)
// refuses anything outside, naming the field, its value and the bound.
#pragma once

#include <cstdint>

namespace spikeq::limits {

// --- Times, ms --------------------------------------------------------------

// duration_ms, delays, t_ref, intervals and probe start times. 1e9 ms is 11.6
// days of model time; at that time a double still resolves 1.2e-7 ms, below the
// default crossing tolerance, so spike times keep their meaning.
inline constexpr double kMaxTimeMs = 1e9;

// crossing_tolerance_ms. A double cannot place a spike at t ~ 1e4 ms more finely
// than ~1e-12 ms, so a finer bisection only costs steps that change nothing.
inline constexpr double kMinToleranceMs = 1e-12;

// tau_m_ms. 1 µs spans every real membrane; below it e^(-t/tau) over the run's
// intervals is 0 to double precision and the model degenerates. Above, up to
// 1e12 ms: a membrane that keeps a count (a perfect integrator over any run: its
// leak over 1e6 ms is 1e-6 relative), used to read input counts off V.
inline constexpr double kMinTauMs = 1e-3;
inline constexpr double kMaxTauMs = 1e12;

// --- Voltages and rates -----------------------------------------------------

// |e_l_mv|, |v_th_mv|, |v_reset_mv|, |v_init|, |mu_mv|, sigma_mv, |weight_mv|:
// 1e6 V, far beyond any neuron (a threshold of 1e9 mV is a node that never
// fires, a counter). Keeps every sum the theory forms (sigma^2 + tau K w^2 nu
// over 65535 projections: at most ~1e60) finite, so it never fails on a valid netdef.
inline constexpr double kMaxAbsMv = 1e9;

// poisson.rate_hz of one node: one spike per ns. The whole run's Poisson events
// are bounded separately (kMaxPoissonEvents).
inline constexpr double kMaxRateHz = 1e9;

// --- Structure --------------------------------------------------------------

// Node ids are 32-bit and the top value marks "no node".
inline constexpr std::uint64_t kMaxNodes = 4294967294u;
// Every node stores its population index, every edge its projection index, in
// 16 bits (engine/core/network.h).
inline constexpr std::uint64_t kMaxPopulations = 65535;
inline constexpr std::uint64_t kMaxProjections = 65535;
// Expected edges of the whole network. Per-node in- and out-degree counters are
// 32-bit, so a total below 2^32 guarantees none wraps (4e9 edges also take
// ~110 GB to build, more than most machines have).
inline constexpr double kMaxEdges = 4e9;

// --- Runs -------------------------------------------------------------------

// simulation.trials and --trial K < kMaxTrials: every trial is a directory and a
// record in trials.json, and the batch keeps one result per trial in memory.
inline constexpr std::uint64_t kMaxTrials = 1000000;
// --threads: each thread reserves a stack and a network's state; beyond 1024 they
// only contend for cores no machine running this has.
inline constexpr std::uint64_t kMaxThreads = 1024;
// --memory-limit-mb: 1e9 MB (a petabyte) keeps the limit in bytes within 64 bits.
inline constexpr double kMaxMemoryLimitMb = 1e9;

// --- Work budgets of one run --------------------------------------------------
// Bounded work means bounded time: at the measured 4e7-8e7 events/s (README,
// "Performance") 1e12 events is a few hours (balanced_input for 1e7 ms, the
// "run until stopped" of the signal tests, is 2.5e11). Beyond that the number is
// almost always a typo (a rate in Hz for one in kHz, a delay of 1e-300), and
// the run would not end in anyone's lifetime.

// Expected Poisson spikes generated plus Poisson arrivals delivered: rate x
// (generated nodes + edges) x duration, summed over Poisson populations.
inline constexpr double kMaxPoissonEvents = 1e12;
// LIF populations that fire by drift alone (e_l + mu above threshold): their
// spikes and the pulses they deliver, at the free membrane's rate 1/(t_ref +
// tau ln((m - V_r)/(m - theta))). This also keeps the interval between two such
// spikes far above a double's resolution of t.
inline constexpr double kMaxDriftEvents = 1e12;
// Event mode: the run advances in epochs of the smallest LIF-sourced delay (at
// most 10 ms), each with a fixed cost (a sort, a hand-over to the recorder).
inline constexpr double kMaxEpochs = 1e9;
// Event mode, sigma_mv > 0: OU pieces checked for a hidden crossing, noisy
// nodes x duration / ou_check_interval_ms.
inline constexpr double kMaxOuPieces = 1e12;
// Voltage samples of all probes (written to disk, read back by `stats`), and
// the probed node entries (each a cursor in memory).
inline constexpr double kMaxProbeSamples = 1e9;
// Stepped mode: grid steps (each with a fixed cost), and LIF node updates
// (steps x LIF nodes, at the measured 4e7 neuron-steps/s a few hours).
inline constexpr double kMaxSteps = 1e9;
inline constexpr double kMaxNodeSteps = 1e12;

// --- Sweeps -----------------------------------------------------------------

// Points x (populations + projections): every point is a whole network that is
// validated, loaded and kept (as text and as structs) while the sweep runs.
inline constexpr double kMaxSweepEntries = 1e6;

}  // namespace spikeq::limits
