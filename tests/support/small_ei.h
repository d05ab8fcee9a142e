// A small recurrent E/I network (200 LIF neurons, Brunel-like) that runs in a
// few milliseconds, for the trials and sweep tests.
#pragma once

#include <string>

namespace spikeq::test {

inline const std::string kSmallEiNetdef = R"pb(
name: "small_ei"
duration_ms: 200
seed: 7
populations { name: "ext" size: 1 poisson { rate_hz: 6000 } }
populations { name: "exc" size: 160
  lif { tau_m_ms: 20 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 v_init { uniform { low_mv: 0 high_mv: 20 } } } }
populations { name: "inh" size: 40
  lif { tau_m_ms: 20 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 v_init { uniform { low_mv: 0 high_mv: 20 } } } }
projections { name: "ext_exc" source: "ext" target: "exc" all_to_all {} weight_mv: 0.2 }
projections { name: "ext_inh" source: "ext" target: "inh" all_to_all {} weight_mv: 0.2 }
projections { name: "ee" source: "exc" target: "exc" fixed_indegree { indegree: 16 } weight_mv: 0.2 delay_ms: 1.5 }
projections { name: "ei" source: "exc" target: "inh" fixed_indegree { indegree: 16 } weight_mv: 0.2 delay_ms: 1.5 }
projections { name: "ie" source: "inh" target: "exc" fixed_indegree { indegree: 4 } weight_mv: -1 delay_ms: 1.5 }
projections { name: "ii" source: "inh" target: "inh" fixed_indegree { indegree: 4 } weight_mv: -1 delay_ms: 1.5 }
recording { spikes_from: "exc" spikes_from: "inh" }
)pb";

}  // namespace spikeq::test
