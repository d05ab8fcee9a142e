// Rate theory for a NetworkSpec: what firing rate and ISI CV each population
// should show, from the input moments (models/README.md §2), the Siegert formula
// (§3) and, where LIF populations drive each other, the self-consistent mean
// field of Brunel (2000) (§4). Used by `spikeq theory` and by the statistical
// tests that hold simulations to it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "engine/theory/siegert.h"
#include "netdefs/spec.h"

namespace spikeq::inline theory {

// Expected number of edges a target node receives through `proj` (the rule's
// definition lives with the connection rules, engine/core/connect.h).
double expected_indegree(const NetworkSpec& spec, const ProjectionSpec& proj);

// A LIF population's input moments as linear functions of the rates of the LIF
// populations (models/README.md §2): per input, mu += tau K w nu and sigma^2 += tau K w^2 nu,
// nu in 1/ms. Poisson sources and the background drive are the fixed part.
struct InputCoefficients {
  double mu_fixed_mv = 0;    // background mu + Poisson-source mean
  double var_fixed_mv2 = 0;  // background sigma^2 + Poisson-source variance
  std::vector<double> mu_mv_per_hz;    // indexed by source population; 0 for Poisson ones
  std::vector<double> var_mv2_per_hz;  // same
};
InputCoefficients input_coefficients(const NetworkSpec& spec, std::size_t population);

// The same coefficients for every population at once, sparse: one entry per
// projection from a LIF population (`lif_sources[k]` the source population of
// the k-th term). O(populations + projections), for loops over all populations.
struct SparseInput {
  double mu_fixed_mv = 0;
  double var_fixed_mv2 = 0;
  std::vector<std::size_t> lif_sources;
  std::vector<double> mu_mv_per_hz;
  std::vector<double> var_mv2_per_hz;
};
std::vector<SparseInput> sparse_inputs(const NetworkSpec& spec);

// mu: total input mean including background, excluding E_l (m = E_l + mu_mv).
// sigma: total amplitude, sigma^2 = sigma_bg^2 + sigma_input^2.
struct InputMoments {
  double mu_mv = 0;
  double sigma_mv = 0;
};
// `rates_hz` holds one rate per population; only the LIF entries are read.
InputMoments input_moments(const NetworkSpec& spec, std::size_t population,
                           const std::vector<double>& rates_hz);

struct PopulationTheory {
  bool is_lif = false;
  double rate_hz = 0;
  double cv_isi = 0;
  double mu_mv = 0;     // input mean incl. background, excluding E_l
  double sigma_mv = 0;  // total noise amplitude
  bool recurrent = false;  // on a loop of LIF -> LIF projections
  bool converged = true;   // false: the self-consistent solve failed; numbers are the last iterate
  std::string formula;
};

// One entry per population, in spec order. LIF rates that depend on other LIF
// populations are solved jointly (damped fixed-point iteration, Newton as
// fallback), started from silence, so the solution found is one that the rate
// dynamics tau dnu/dt = -nu + Siegert(nu) reaches from low activity. Use
// mean_field_solutions_hz to see every solution of a homogeneous network.
//
// Cost and failure: linear in populations + projections, plus
//  * one Siegert rate (~2 us) per LIF population and one ISI CV (a double
//    integral, ~2 ms) per noisy one, each remembered by its exact arguments
//    (identical populations cost one), at most kMaxCvIntegrals CVs a call (the
//    rest are NaN: 40,000 different noisy populations would take 80 s);
//    `with_cv` = false skips them (the manifest needs rates only);
//  * the joint solve of LIF populations that drive each other: with at most
//    kMaxJointPopulations unknowns as above; with more, the populations on no
//    cycle are evaluated in topological order, cycles of at most
//    kMaxJointPopulations are solved one by one, upstream first, and larger
//    cycles (and all they drive) are reported not converged, rate NaN.
// Never throws on a validated spec: input moments that overflow (no netdef
// within the validated ranges gets there) give a NaN rate, converged = false.
std::vector<PopulationTheory> predict(const NetworkSpec& spec, bool with_cv = true);
// The joint solve's steps are bounded (engine/theory/fixed_point.h): at ~2 us per
// Siegert rate, 256 unknowns (the 254 populations of a multi-area model) take
// at most seconds.
inline constexpr std::size_t kMaxJointPopulations = 256;
inline constexpr std::size_t kMaxCvIntegrals = 1000;

// A network whose LIF populations all share the neuron parameters and receive
// the same input moments when they all fire at one rate nu (Brunel's model A
// with E and I alike): one equation nu = Siegert(mu(nu), sigma(nu)).
struct HomogeneousMeanField {
  double tau_m_ms = 20;
  double t_ref_ms = 2;
  double v_th_mv = 20;
  double v_reset_mv = 10;
  double e_l_mv = 0;
  double mu_fixed_mv = 0;  // incl. background mu
  double var_fixed_mv2 = 0;  // incl. background sigma^2
  double mu_mv_per_hz = 0;
  double var_mv2_per_hz = 0;
  double siegert_hz(double nu_hz) const;
};

// The reduction, or nullopt when the LIF populations differ (or there are none).
std::optional<HomogeneousMeanField> homogeneous_reduction(const NetworkSpec& spec);

// Every solution of nu = Siegert(nu) in [0, max_rate_hz], ascending. The sign of
// Siegert(nu) - nu is scanned on a grid dense at low rates (`grid_points` points,
// quadratic spacing) and each change refined by TOMS 748 to ~1e-12 relative.
// Solutions closer together than the grid spacing, or tangent ones, can be missed.
// max_rate_hz defaults to 1/t_ref (10 kHz when t_ref = 0).
std::vector<double> mean_field_solutions_hz(const HomogeneousMeanField& mf,
                                            std::size_t grid_points = 400,
                                            double max_rate_hz = 0);

}  // namespace spikeq::theory
