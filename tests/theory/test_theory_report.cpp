// engine/theory/theory_report.h on the example netdefs. Reference numbers:
//  * input moments by hand from models/README.md Q6–Q7 (netdef headers show the arithmetic);
//  * Siegert rates and CVs: scipy 1.10.1 quad/dblquad on the textbook integrands,
//    cross-checked with mpmath (tests/theory/theory_reference.py, the same
//    numbers test_theory_siegert.cpp uses);
//  * Brunel (2000) model A mean-field solutions: scipy brentq on the same
//    equation (test_theory_network.cpp); g = 3, eta = 0.8 has three.
#include <catch2/catch.hpp>

#include "engine/theory/theory_report.h"
#include "netdefs/loader.h"

using namespace spikeq;

namespace {
NetworkSpec example(const std::string& name, const std::vector<std::string>& sets = {}) {
  return load_netdef_file(std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name, sets);
}
}  // namespace

TEST_CASE("theory: Poisson sources", "[analysis]") {
  const TheoryReport r = theory_report(example("poisson.pbtxt"));
  REQUIRE(r.populations.size() == 2);
  const PopulationPrediction& slow = r.populations[0];
  CHECK_FALSE(slow.lif);
  CHECK(slow.rate_hz == 5);
  CHECK(slow.cv_isi == 1);
  CHECK(slow.fano_long == 1);
  CHECK(slow.isi_mean_ms == Approx(200));
  CHECK(slow.fano_formula.find("Q5") != std::string::npos);
  CHECK_FALSE(r.recurrent);
}

TEST_CASE("theory: white-noise LIF (ou_lif) is Siegert, exact", "[analysis]") {
  const PopulationPrediction p = theory_report(example("ou_lif.pbtxt")).populations.at(0);
  CHECK(p.white_noise_only);
  CHECK(p.mu_mv == 15);
  CHECK(p.sigma_mv == 5);
  CHECK(p.rate_hz == Approx(9.46079980575913).epsilon(1e-9));
  CHECK(p.cv_isi == Approx(0.81475721165945).epsilon(1e-8));
  CHECK(p.fano_long == Approx(0.81475721165945 * 0.81475721165945).epsilon(1e-8));
  CHECK(p.free_v_mean_mv == 15);
  CHECK(p.free_v_var_mv2 == 12.5);
  CHECK_FALSE(p.free_membrane_applies);  // theta - m = 5 mV < 3 x 3.54 mV
  CHECK(p.rate_formula.find("exact for white noise") != std::string::npos);
}

TEST_CASE("theory: balanced input term by term (models/README.md Q6-Q7)", "[analysis]") {
  const TheoryReport r = theory_report(example("balanced_input.pbtxt"));
  const PopulationPrediction& p = r.populations.at(3);
  REQUIRE(p.inputs.size() == 3);
  // r tau J K: 10 Hz x 20 ms x 0.1 mV x 1000 = 20 mV; 10 x 20 x (-0.5) x 250 = -25; 12.5 x 20 x 0.1 x 1000 = 25.
  CHECK(p.inputs[0].mu_mv == Approx(20));
  CHECK(p.inputs[1].mu_mv == Approx(-25));
  CHECK(p.inputs[2].mu_mv == Approx(25));
  // r tau J^2 K: 2, 12.5, 2.5 mV^2.
  CHECK(p.inputs[0].var_mv2 == Approx(2));
  CHECK(p.inputs[1].var_mv2 == Approx(12.5));
  CHECK(p.inputs[2].var_mv2 == Approx(2.5));
  CHECK(p.mu_mv == Approx(20));
  CHECK(p.sigma_mv == Approx(std::sqrt(17.0)));
  CHECK(p.free_v_var_mv2 == Approx(8.5));  // Q9: sigma^2 / 2
  CHECK_FALSE(p.white_noise_only);
  CHECK(p.rate_hz == Approx(24.9263469320501).epsilon(1e-9));
  CHECK(p.cv_isi == Approx(0.53746391317077).epsilon(1e-8));
  CHECK(p.rate_formula.find("diffusion approximation") != std::string::npos);
}

TEST_CASE("theory: free membrane (models/README.md Q9)", "[analysis]") {
  const PopulationPrediction p = theory_report(example("free_membrane.pbtxt")).populations.at(2);
  CHECK(p.free_v_mean_mv == Approx(-5));   // E_l + r tau J (C_E - g C_I)
  CHECK(p.free_v_var_mv2 == Approx(7.25));  // 14.5 / 2
  CHECK(p.free_membrane_applies);
  CHECK(p.rate_hz == 0);
}

TEST_CASE("theory: Brunel model A mean field, one and three solutions", "[analysis]") {
  const TheoryReport ai = theory_report(example("brunel2000_ai.pbtxt"));
  CHECK(ai.recurrent);
  CHECK(ai.homogeneous);
  REQUIRE(ai.solutions.size() == 1);
  CHECK(ai.solutions[0].rate_hz == Approx(37.9496970857634).epsilon(1e-9));
  CHECK(ai.solutions[0].stable);
  CHECK(ai.populations[1].rate_hz == Approx(37.9496970857634).epsilon(1e-8));
  CHECK(ai.populations[1].recurrent);
  // g = 3, eta = 0.8 (C_E = 1000 external inputs at nu_ext = 8 Hz): quiet (stable),
  // middle (unstable), active (stable: refractoriness saturates it).
  const TheoryReport bi = theory_report(load_netdef_text(R"pb(
name: "brunel_g3_eta08" duration_ms: 100
populations { name: "ext" size: 1000 poisson { rate_hz: 8 } }
populations { name: "exc" size: 10000 lif { tau_m_ms: 20 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 } }
populations { name: "inh" size: 2500 lif { tau_m_ms: 20 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 } }
projections { source: "ext" target: "exc" fixed_indegree { indegree: 1000 } weight_mv: 0.1 }
projections { source: "ext" target: "inh" fixed_indegree { indegree: 1000 } weight_mv: 0.1 }
projections { source: "exc" target: "exc" fixed_indegree { indegree: 1000 } weight_mv: 0.1 delay_ms: 1.5 }
projections { source: "exc" target: "inh" fixed_indegree { indegree: 1000 } weight_mv: 0.1 delay_ms: 1.5 }
projections { source: "inh" target: "exc" fixed_indegree { indegree: 250 } weight_mv: -0.3 delay_ms: 1.5 }
projections { source: "inh" target: "inh" fixed_indegree { indegree: 250 } weight_mv: -0.3 delay_ms: 1.5 }
)pb", "brunel_g3_eta08"));
  REQUIRE(bi.solutions.size() == 3);
  CHECK(bi.solutions[0].rate_hz == Approx(0.00391119858490716).epsilon(1e-7));
  CHECK(bi.solutions[1].rate_hz == Approx(2.19525620198772).epsilon(1e-8));
  CHECK(bi.solutions[2].rate_hz == Approx(302.0855245309).epsilon(1e-9));
  CHECK(bi.solutions[0].stable);
  CHECK_FALSE(bi.solutions[1].stable);
  CHECK(bi.solutions[1].slope > 1);
  CHECK(bi.solutions[2].stable);
  const std::string text = format_theory(bi);
  CHECK(text.find("unstable") != std::string::npos);
  const nlohmann::json j = theory_json(bi);
  CHECK(j.at("mean_field").at("solutions").size() == 3);
  CHECK(j.at("populations").at(1).at("formulas").at("rate").get<std::string>().find("Brunel 2000") !=
        std::string::npos);
}
