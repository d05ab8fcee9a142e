// Networks with tens of thousands of populations cost time linear in their size
// (issue 15: 40,000 one-node populations took 33-200 s, quadratic or worse in
// theory, the theory report and compare), and theory never throws or runs
// unbounded, whatever a netdef's structure: a cycle too large to solve jointly
// is reported not converged, input moments that overflow give NaN.
//
// The time bounds are generous (a loaded 2-core machine, sanitizer builds): the
// fixed code takes well under a second for each step; the quadratic one took
// 78 s for `predict` alone on 40,000 populations.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <string>

#include "engine/analysis/compare.h"
#include "engine/io/manifest.h"
#include "engine/core/network.h"
#include "engine/theory/theory.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"
#include "spec_builders.h"

using namespace spikeq;

namespace {

constexpr double kBoundS = 15.0;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `step`, checks it took less than kBoundS, and says which step it was.
template <class F>
void timed(const char* what, F&& step) {
  const auto t0 = std::chrono::steady_clock::now();
  step();
  const double s = seconds_since(t0);
  INFO(what << " took " << s << " s");
  CHECK(s < kBoundS);
}

// n one-node LIF populations as netdef text; `lif` is the body of each lif {}.
std::string one_node_populations(std::size_t n, const std::string& lif) {
  std::string text = "name: \"many\" duration_ms: 10\n";
  text.reserve(n * 64);
  for (std::size_t i = 0; i < n; ++i)
    text += "populations { name: \"p" + std::to_string(i) + "\" size: 1 lif { " + lif + " } }\n";
  return text;
}

// populations p0..p(n-1), each noisy, p(i) -> p(i+1) (and p(n-1) -> p0 for a ring).
NetworkSpec noisy_chain(std::size_t n, bool ring, double weight_mv = 0.1) {
  std::vector<PopulationSpec> pops;
  std::vector<ProjectionSpec> projs;
  for (std::size_t i = 0; i < n; ++i) {
    PopulationSpec p = test::lif_population("p" + std::to_string(i), 1);
    p.lif.mu_mv = 15;
    p.lif.sigma_mv = 2;
    pops.push_back(p);
  }
  for (std::size_t i = 0; i + 1 < n + (ring ? 1 : 0); ++i)
    projs.push_back(test::projection(i, (i + 1) % n, RuleKind::OneToOne, weight_mv, 1.0));
  return test::network(pops, projs);
}

}  // namespace

TEST_CASE("40,000 one-node populations: load, build, theory and manifest in bounded time", "[theory][scale]") {
  const std::string text = one_node_populations(40000, "");
  NetworkSpec spec;
  timed("load_netdef_text", [&] { spec = load_netdef_text(text, "many.pbtxt"); });
  REQUIRE(spec.populations.size() == 40000);
  std::unique_ptr<Network> net;
  timed("Network", [&] { net = std::make_unique<Network>(spec); });
  std::vector<PopulationTheory> theory;
  timed("predict", [&] { theory = predict(spec); });
  REQUIRE(theory.size() == 40000);
  CHECK(theory.back().converged);
  CHECK(theory.back().rate_hz == 0);  // at rest, no input
  timed("theory_report", [&] { CHECK(theory::theory_report(spec).populations.size() == 40000); });
  timed("make_manifest", [&] {
    RunStats stats;
    stats.spikes_per_population.assign(40000, 0);
    stats.population_simulated.assign(40000, true);
    CHECK(make_manifest(*net, stats, RunInfo{})["populations"].size() == 40000);
  });
}

TEST_CASE("40,000 identical noisy populations cost one ISI CV integral", "[theory][scale]") {
  const NetworkSpec spec = load_netdef_text(one_node_populations(40000, "mu_mv: 15 sigma_mv: 2"), "same.pbtxt");
  std::vector<PopulationTheory> theory;
  timed("predict", [&] { theory = predict(spec); });
  REQUIRE(theory.size() == 40000);
  CHECK(std::isfinite(theory.front().cv_isi));
  CHECK(theory.front().cv_isi > 0.5);
  CHECK(theory.back().cv_isi == theory.front().cv_isi);
  CHECK(theory.back().rate_hz == theory.front().rate_hz);
}

TEST_CASE("more distinct noisy populations than kMaxCvIntegrals: rates for all, CVs NaN past the cap",
          "[theory][scale]") {
  std::vector<PopulationSpec> pops;
  for (std::size_t i = 0; i < kMaxCvIntegrals + 5; ++i) {
    PopulationSpec p = test::lif_population("p" + std::to_string(i), 1);
    p.lif.mu_mv = 15 + 1e-6 * static_cast<double>(i);
    p.lif.sigma_mv = 2;
    pops.push_back(p);
  }
  const NetworkSpec spec = test::network(pops, {});
  std::vector<PopulationTheory> theory;
  timed("predict", [&] { theory = predict(spec); });
  CHECK(std::isfinite(theory[kMaxCvIntegrals - 1].cv_isi));
  CHECK(std::isnan(theory[kMaxCvIntegrals].cv_isi));
  for (const PopulationTheory& t : theory) {
    CHECK(t.converged);
    CHECK(std::isfinite(t.rate_hz));
  }
  // Without the CVs (the manifest's call) nothing is integrated at all.
  timed("predict without CV", [&] { CHECK(std::isnan(predict(spec, false).front().cv_isi)); });
}

TEST_CASE("a feed-forward chain longer than one joint solve is evaluated upstream first, same rates",
          "[theory][scale]") {
  // 200 unknowns: one joint solve; 600: component by component. The common
  // prefix must agree to the solver's tolerance.
  const auto joint = predict(noisy_chain(200, false));
  const auto chained = predict(noisy_chain(600, false));
  for (std::size_t i = 0; i < 200; ++i) {
    INFO("population " << i);
    CHECK(chained[i].converged);
    CHECK_FALSE(chained[i].recurrent);
    CHECK(chained[i].rate_hz == Approx(joint[i].rate_hz).epsilon(1e-8));
  }
  std::vector<PopulationTheory> long_chain;
  timed("predict, chain of 40,000", [&] { long_chain = predict(noisy_chain(40000, false)); });
  CHECK(long_chain.back().converged);
  CHECK(long_chain.back().formula.rfind("Siegert with predicted upstream", 0) == 0);
  CHECK(long_chain.back().rate_hz == Approx(chained[599].rate_hz).epsilon(1e-9));
}

TEST_CASE("a cycle of more populations than one joint solve takes is reported not converged, quickly",
          "[theory][scale]") {
  // A small ring is solved jointly.
  const auto small = predict(noisy_chain(3, true));
  CHECK(small[0].recurrent);
  CHECK(small[0].converged);
  std::vector<PopulationTheory> theory;
  timed("predict, ring of 40,000", [&] { theory = predict(noisy_chain(40000, true)); });
  for (std::size_t i : {std::size_t{0}, std::size_t{39999}}) {
    CHECK(theory[i].recurrent);
    CHECK_FALSE(theory[i].converged);
    CHECK(std::isnan(theory[i].rate_hz));
  }
  timed("theory_report, ring of 40,000", [&] { theory::theory_report(noisy_chain(40000, true)); });
}

TEST_CASE("theory never throws: moments that overflow give NaN and not converged", "[theory]") {
  // Beyond the validated ranges on purpose (|weight_mv| > 1e9 is refused by
  // the loader): the library still must not throw or hang.
  std::vector<PopulationSpec> pops = {test::poisson_population("ext", 100, 10), test::lif_population("n", 10)};
  NetworkSpec ff = test::network(pops, {test::projection(0, 1, RuleKind::AllToAll, 1e308, 0)});
  std::vector<PopulationTheory> t;
  REQUIRE_NOTHROW(t = predict(ff));
  CHECK_FALSE(t[1].converged);
  CHECK(std::isnan(t[1].rate_hz));
  REQUIRE_NOTHROW(theory::theory_report(ff));

  // Recurrent: the joint solve and the homogeneous mean field see NaN too.
  NetworkSpec rec = test::network({test::lif_population("e", 10)},
                                  {test::projection(0, 0, RuleKind::AllToAll, 1e308, 1.0)});
  rec.populations[0].lif.sigma_mv = 1;
  REQUIRE_NOTHROW(t = predict(rec));
  CHECK_FALSE(t[0].converged);
  REQUIRE_NOTHROW(theory::theory_report(rec));
  HomogeneousMeanField mf;
  mf.mu_mv_per_hz = 1e308;
  mf.var_mv2_per_hz = 1e308;
  REQUIRE_NOTHROW(mean_field_solutions_hz(mf));
}

TEST_CASE("theory of a netdef at the edges of the validated ranges is finite or not converged, never a throw",
          "[theory]") {
  const std::string text = R"(
    duration_ms: 1
    populations { name: "ext" size: 1 poisson { rate_hz: 1e9 } }
    populations { name: "n" size: 1000 lif { tau_m_ms: 1e12 e_l_mv: -1e9 v_th_mv: 1e9 v_reset_mv: -1e9
                                             t_ref_ms: 0 mu_mv: 1e9 sigma_mv: 1e9 } }
    populations { name: "m" size: 1000 lif { tau_m_ms: 1e-3 v_th_mv: -999999999 v_reset_mv: -1e9 v_init { fixed_mv: 1e9 } } }
    projections { source: "ext" target: "n" all_to_all {} weight_mv: 1e9 }
    projections { source: "n" target: "n" fixed_indegree { indegree: 1000 allow_multapses: true } weight_mv: -1e9 delay_ms: 0.1 }
    projections { source: "n" target: "m" all_to_all {} weight_mv: 1e9 delay_ms: 0.1 }
  )";
  NetworkSpec spec;
  try {
    spec = load_netdef_text(text, "edges.pbtxt");
  } catch (const Error& e) {
    FAIL("the edge-of-range netdef must validate: " << e.what());
  }
  std::vector<PopulationTheory> t;
  REQUIRE_NOTHROW(t = predict(spec));
  for (const PopulationTheory& p : t) CHECK((!p.converged || std::isfinite(p.rate_hz)));
  REQUIRE_NOTHROW(theory::theory_report(spec));
}

TEST_CASE("compare refuses two runs with no population in common, naming both", "[analysis]") {
  auto run_with = [](const std::string& name, bool recorded) {
    analysis::RecordedRun run;
    run.name = "r";
    run.mode = SimMode::Event;
    run.duration_ms = run.simulated_ms = 100;
    analysis::PopulationSpikes p;
    p.name = name;
    p.size = 2;
    p.lif = true;
    p.recorded = recorded;
    for (double t = 1; t < 100; t += 10) {
      p.times_ms.push_back(t);
      p.node_ids.push_back(0);
    }
    run.populations.push_back(p);
    run.voltages.resize(1);
    return std::vector<analysis::RecordedRun>{run};
  };
  const analysis::SummaryOptions opt;
  const auto a = run_with("exc", true), b = run_with("inh", true), c = run_with("exc", false);
  const auto side_a = analysis::make_side(a, opt, "runs/A"), side_b = analysis::make_side(b, opt, "runs/B");
  CHECK_THROWS_WITH(analysis::compare(side_a, side_b, 0.01, nullptr),
                    "runs/A and runs/B: no population in common (\"exc\" against \"inh\"); nothing to compare");
  const auto side_c = analysis::make_side(c, opt, "runs/C");
  CHECK_THROWS_WITH(analysis::compare(side_c, side_c, 0.01, nullptr),
                    Catch::Contains("runs/C and runs/C: no population is recorded in both"));
  // Sanity: a population in common still compares.
  CHECK(analysis::compare(side_a, side_a, 0.01, nullptr).populations.size() == 1);
}

TEST_CASE("compare of runs with 40,000 populations each is n log n", "[analysis][scale]") {
  analysis::RecordedRun run;
  run.name = "r";
  run.mode = SimMode::Event;
  run.duration_ms = run.simulated_ms = 100;
  for (std::size_t i = 0; i < 40000; ++i) {
    analysis::PopulationSpikes p;
    p.name = "p" + std::to_string(i);
    p.size = 1;
    p.lif = true;
    p.recorded = true;
    run.populations.push_back(p);
  }
  run.voltages.resize(1);
  const std::vector<analysis::RecordedRun> runs = {run};
  const analysis::SummaryOptions opt;
  analysis::CompareSide side;
  timed("make_side", [&] { side = analysis::make_side(runs, opt, "A"); });
  timed("compare", [&] { CHECK(analysis::compare(side, side, 0.01, nullptr).populations.size() == 40000); });
}

TEST_CASE("10,000 projections out of one population of 1,000,000 nodes: build cost follows the edges",
          "[network][scale]") {
  // Each projection's out-degree statistics used to walk the whole source
  // population (1e10 steps here). Ten distinct delays keep the per-(node, delay
  // group) row table at 1e7 entries (the memory estimate counts it).
  std::vector<PopulationSpec> pops = {test::lif_population("big", 1000000)};
  std::vector<ProjectionSpec> projs;
  for (std::size_t i = 0; i < 10000; ++i) {
    pops.push_back(test::lif_population("t" + std::to_string(i), 1));
    ProjectionSpec p =
        test::projection(0, i + 1, RuleKind::FixedIndegree, 0.1, 1.0 + 0.5 * static_cast<double>(i % 10));
    p.indegree = 1;
    projs.push_back(p);
  }
  const NetworkSpec spec = test::network(pops, projs);
  std::unique_ptr<Network> net;
  timed("Network", [&] { net = std::make_unique<Network>(spec); });
  REQUIRE(net->populations()[0].group_delays_ms.size() == 10);
  const ProjectionTable& last = net->projections().back();
  CHECK(last.delay_group == 9);
  CHECK(last.edges == 1);
  CHECK(last.out_degree.min == 0);
  CHECK(last.out_degree.max == 1);
  CHECK(last.out_degree.mean == Approx(1e-6));
  CHECK(last.in_degree.min == 1);
  // Spike-delivering projections keep no per-target in-degree array.
  CHECK(net->in_degrees(0).empty());
}

TEST_CASE("10,000 distinct delays out of one node: delay groups found by lookup, not by scan",
          "[network][scale]") {
  // Each delay was looked up in a list of the source's delays (quadratic in its
  // projections).
  std::vector<PopulationSpec> pops = {test::lif_population("one", 1)};
  std::vector<ProjectionSpec> projs;
  for (std::size_t i = 0; i < 10000; ++i) {
    pops.push_back(test::lif_population("t" + std::to_string(i), 1));
    ProjectionSpec p = test::projection(0, i + 1, RuleKind::AllToAll, 0.1, 1.0 + 1e-3 * static_cast<double>(i));
    projs.push_back(p);
  }
  projs.push_back(test::projection(0, 1, RuleKind::AllToAll, 0.1, 1.0));  // a repeated delay joins group 0
  std::unique_ptr<Network> net;
  timed("Network", [&] { net = std::make_unique<Network>(test::network(pops, projs)); });
  REQUIRE(net->populations()[0].group_delays_ms.size() == 10000);
  CHECK(net->populations()[0].group_delays_ms[9999] == 1.0 + 1e-3 * 9999);
  CHECK(net->projections()[9999].delay_group == 9999);
  CHECK(net->projections()[10000].delay_group == 0);
}

TEST_CASE("out-degree statistics: every source reached, and a projection that reaches none", "[network]") {
  std::vector<PopulationSpec> pops = {test::lif_population("a", 3), test::lif_population("b", 3)};
  ProjectionSpec all = test::projection(0, 1, RuleKind::AllToAll, 0.1, 1.0);
  ProjectionSpec none = test::projection(0, 1, RuleKind::PairwiseBernoulli, 0.1, 2.0);
  none.p = 0;
  const Network net(test::network(pops, {all, none}));
  CHECK(net.projections()[0].out_degree.min == 3);
  CHECK(net.projections()[0].out_degree.max == 3);
  CHECK(net.projections()[0].out_degree.mean == 3);
  CHECK(net.projections()[1].out_degree.min == 0);
  CHECK(net.projections()[1].out_degree.max == 0);
  CHECK(net.projections()[1].out_degree.mean == 0);
}
