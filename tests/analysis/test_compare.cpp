// engine/analysis/compare.h and engine/batch/converge.h: verdicts on constructed data, and the
// convergence study's bookkeeping on a small white-noise network (its physics is
// checked at scale by tests/stats/test_stepped_convergence.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/analysis/compare.h"
#include "engine/batch/converge.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"

using namespace spikeq;
using namespace spikeq::analysis;

namespace {

// A population of n nodes, node i firing regularly with period `period_ms`
// starting at phase i (so ISIs are all equal: CV 0).
RecordedRun regular(std::uint64_t n, double period_ms, double duration_ms) {
  RecordedRun run;
  run.name = "regular";
  run.mode = SimMode::Event;
  run.duration_ms = run.simulated_ms = duration_ms;
  PopulationSpikes p;
  p.name = "p";
  p.size = n;
  p.lif = true;
  p.recorded = true;
  for (double t = 0.5; t <= duration_ms; t += period_ms)
    for (std::uint32_t i = 0; i < n; ++i) {
      const double ti = t + 0.37 * i;
      if (ti <= duration_ms) {
        p.times_ms.push_back(ti);
        p.node_ids.push_back(i);
      }
    }
  run.populations.push_back(p);
  run.voltages.resize(1);
  return run;
}

QuantityComparison row(const Comparison& c, const std::string& key) {
  for (const QuantityComparison& q : c.populations.at(0).rows)
    if (q.key == key) return q;
  FAIL("no row " << key);
  return {};
}

}  // namespace

TEST_CASE("compare: identical runs are consistent, a shifted rate differs", "[analysis]") {
  const SummaryOptions opt;
  const std::vector<RecordedRun> a = {regular(50, 10, 1000)};
  const CompareSide sa = make_side(a, opt, "A");
  const Comparison same = compare(sa, sa, 0.01, nullptr);
  CHECK(same.consistent);
  CHECK(row(same, "isi_ks").diff.value == 0);  // KS statistic D
  CHECK(row(same, "isi_ks").consistent);

  // Each node with its own rate: the rate SE is nonzero, so a z test applies.
  auto varied = [](double scale) {
    RecordedRun run = regular(1, 10, 1000);
    run.populations[0].size = 40;
    run.populations[0].times_ms.clear();
    run.populations[0].node_ids.clear();
    for (std::uint32_t i = 0; i < 40; ++i)
      for (double t = 1; t <= 1000; t += scale * (8 + 0.1 * i)) {
        run.populations[0].times_ms.push_back(t + 0.01 * i);
        run.populations[0].node_ids.push_back(i);
      }
    return run;
  };
  const std::vector<RecordedRun> b1 = {varied(1.0)}, b2 = {varied(1.25)};
  const CompareSide s1 = make_side(b1, opt, "B1"), s2 = make_side(b2, opt, "B2");
  const Comparison c = compare(s1, s2, 0.01, nullptr);
  const QuantityComparison rate = row(c, "rate_hz");
  CHECK(rate.tested);
  CHECK(rate.diff.value < 0);
  CHECK_FALSE(rate.consistent);
  CHECK(rate.p < 1e-6);
  CHECK_FALSE(c.consistent);
  CHECK(c.differing >= 1);
  const nlohmann::json j = comparison_json(c);
  CHECK(j.at("overall").at("verdict") == "differs");
  CHECK(j.at("populations").at(0).at("quantities").at(0).at("key") == "rate_hz");
  CHECK(format_comparison(c).find("differs") != std::string::npos);
  CHECK_THROWS_AS(compare(s1, s2, 0, nullptr), Error);
}

TEST_CASE("converge: bookkeeping, thread-count independence, refusals", "[analysis]") {
  const NetworkSpec spec = load_netdef_file(std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/ou_lif.pbtxt",
                                            {"neurons.size=200", "duration_ms=300"});
  ConvergeOptions opt;
  opt.dts_ms = {1, 0.1};
  opt.trials = 2;
  opt.summary.from_ms = kNaN;  // duration / 10
  opt.threads = 1;
  const ConvergeResult one = run_converge(spec, opt);
  opt.threads = 2;
  const ConvergeResult two = run_converge(spec, opt);
  CHECK(one.from_ms == 30);
  CHECK(one.event.summary.trials == 2);
  REQUIRE(one.stepped.size() == 4);  // (1, euler), (1, exact), (0.1, euler), (0.1, exact)
  CHECK(one.stepped[0].engine == "euler");
  CHECK(one.stepped[1].engine == "exact");
  CHECK(one.stepped[2].dt_ms == 0.1);
  REQUIRE(one.populations == std::vector<std::size_t>{0});
  REQUIRE(one.errors.size() == 4);
  REQUIRE(one.fits.size() == 4);  // 2 integrators x (event, theory)
  for (std::size_t i = 0; i < one.errors.size(); ++i) {
    CHECK(one.errors[i].rate_hz.value == two.errors[i].rate_hz.value);
    CHECK(one.errors[i].cv.value == two.errors[i].cv.value);
  }
  CHECK(one.event.summary.populations[0].rate_hz.value == two.event.summary.populations[0].rate_hz.value);
  // dt = 1 ms misses crossings: its rate is below the exact engine's.
  CHECK(one.errors[0].rate_vs_event.value < 0);
  const nlohmann::json j = converge_json(one);
  CHECK(j.at("errors").size() == 4);
  CHECK(j.at("fits").at(0).contains("order"));
  CHECK(format_converge(one).find("fitted order") != std::string::npos);

  opt.dts_ms = {1, 0.7};  // 300 ms is not a whole number of 0.7 ms steps
  CHECK_THROWS_WITH(run_converge(spec, opt), Catch::Contains("dt = 0.7 ms"));
}
