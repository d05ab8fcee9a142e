// Brunel (2000) model A at reduced size (N_E = 4000, N_I = 1000, C_E = 400,
// C_I = 100, J = 0.2 mV, g = 5, D = 1.5 ms) for the recurrent statistical tests.
// The external drive is given by the caller: the event test uses one merged
// source, the stepped test C_E sources a grid can step (lambda*dt < 1).
#pragma once

#include <string>

namespace spikeq::test {

inline std::string reduced_brunel_netdef(const std::string& name, int seed, const std::string& ext_population) {
  return "name: \"" + name + "\"\nduration_ms: 1200\nseed: " + std::to_string(seed) + "\n" + ext_population +
         "\n" + R"pb(
populations {
  name: "exc"
  size: 4000
  lif {
    tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2
    v_init { uniform { low_mv: 0 high_mv: 20 } }
  }
}
populations {
  name: "inh"
  size: 1000
  lif {
    tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2
    v_init { uniform { low_mv: 0 high_mv: 20 } }
  }
}
projections { name: "ext_exc" source: "ext" target: "exc" all_to_all {} weight_mv: 0.2 }
projections { name: "ext_inh" source: "ext" target: "inh" all_to_all {} weight_mv: 0.2 }
projections { name: "ee" source: "exc" target: "exc" fixed_indegree { indegree: 400 } weight_mv: 0.2 delay_ms: 1.5 }
projections { name: "ei" source: "exc" target: "inh" fixed_indegree { indegree: 400 } weight_mv: 0.2 delay_ms: 1.5 }
projections { name: "ie" source: "inh" target: "exc" fixed_indegree { indegree: 100 } weight_mv: -1.0 delay_ms: 1.5 }
projections { name: "ii" source: "inh" target: "inh" fixed_indegree { indegree: 100 } weight_mv: -1.0 delay_ms: 1.5 }
recording { spikes_from: "exc" spikes_from: "inh" }
)pb";
}

}  // namespace spikeq::test
