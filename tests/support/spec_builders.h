// Small NetworkSpec builders for engine tests, so they do not depend on netdef text.
#pragma once

#include "netdefs/spec.h"

namespace spikeq::test {

inline PopulationSpec lif_population(const std::string& name, std::uint64_t size) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.kind = ModelKind::Lif;
  return p;
}

inline PopulationSpec poisson_population(const std::string& name, std::uint64_t size, double rate_hz) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.kind = ModelKind::Poisson;
  p.poisson.rate_hz = rate_hz;
  return p;
}

inline ProjectionSpec projection(std::size_t source, std::size_t target, RuleKind rule, double weight_mv,
                                 double delay_ms) {
  ProjectionSpec p;
  p.source = source;
  p.target = target;
  p.rule = rule;
  p.weight_mv = weight_mv;
  p.delay_ms = delay_ms;
  return p;
}

inline NetworkSpec network(std::vector<PopulationSpec> pops, std::vector<ProjectionSpec> projs,
                           double duration_ms = 100, std::uint64_t seed = 1) {
  NetworkSpec s;
  s.name = "test";
  s.duration_ms = duration_ms;
  s.seed = seed;
  s.populations = std::move(pops);
  s.projections = std::move(projs);
  s.recording.spikes_from.assign(s.populations.size(), true);
  return s;
}

}  // namespace spikeq::test
