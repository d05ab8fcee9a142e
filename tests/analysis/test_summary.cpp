// engine/analysis/summary.h and engine/analysis/recorded_run.h on small synthetic spike
// sets whose statistics are computed by hand in the comments, plus the
// in-memory sink and the run directory loader on a real run.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/analysis/summary.h"
#include "engine/event/event_driver.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"
#include "process.h"

using namespace spikeq;
using namespace spikeq::analysis;

namespace {

// Population "p" of 3 nodes over 1000 ms: node 0 fires at 100, 200, 300, 400,
// node 1 at 500, node 2 never. Two probed nodes of "p" sampled at 10..40 ms.
RecordedRun synthetic() {
  RecordedRun run;
  run.name = "synthetic";
  run.mode = SimMode::Event;
  run.duration_ms = run.simulated_ms = 1000;
  PopulationSpikes p;
  p.name = "p";
  p.size = 3;
  p.lif = true;
  p.recorded = true;
  p.times_ms = {100, 200, 300, 400, 500};
  p.node_ids = {0, 0, 0, 0, 1};
  run.populations.push_back(p);
  PopulationVoltages v;
  for (double t : {10.0, 20.0, 30.0, 40.0})
    for (std::uint32_t node : {0u, 1u}) {
      v.times_ms.push_back(t);
      v.node_ids.push_back(node);
      v.v_mv.push_back(t / 10 + 2.0 * node);  // node 0: 1, 2, 3, 4; node 1: 3, 4, 5, 6
    }
  run.voltages.push_back(v);
  return run;
}

}  // namespace

TEST_CASE("summary of a hand-made spike set", "[analysis]") {
  SummaryOptions opt;
  opt.fano_windows_ms = {250};
  const RunSummary s = summarize(synthetic(), opt);
  REQUIRE(s.populations.size() == 1);
  const PopulationSummary& p = s.populations[0];
  CHECK(s.to_ms == 1000);
  CHECK(p.spike_count == 5);
  // Rates 4, 1, 0 Hz: mean 5/3, sample variance 13/3, SEM sqrt(13/9).
  CHECK(p.rate_hz.value == Approx(5.0 / 3));
  CHECK(p.rate_hz.se == Approx(std::sqrt(13.0 / 9)));
  // ISIs: node 0 only, 100 ms three times.
  CHECK(p.isi_count == 3);
  CHECK(p.isi_mean_ms.value == Approx(100));
  CHECK(p.cv_isi.value == Approx(0).margin(1e-12));
  // Windows (0,250], (250,500], (500,750], (750,1000]: node 0 counts 2,2,0,0 (mean 1,
  // var 4/3), node 1 counts 0,1,0,0 (mean 1/4, var 1/4): F = (4/3 + 1/4) / (5/4) = 19/15.
  REQUIRE(p.fano.size() == 1);
  CHECK(p.fano[0].windows == 4);
  CHECK(p.fano[0].fano.value == Approx(19.0 / 15));
  // 1000 bins of 1 ms, five hold one spike: var/mean = (5 - 25/1000)/999 / 0.005 = 4.975/4.995.
  CHECK(p.synchrony.value == Approx(4.975 / 4.995));
  // V: {1,2,3,4,3,4,5,6}: mean 3.5, variance 18/7; node means 2.5, 4.5 -> SE 1.
  CHECK(p.v_samples == 8);
  CHECK(p.v_nodes == 2);
  CHECK(p.v_mean_mv.value == Approx(3.5));
  CHECK(p.v_var_mv2.value == Approx(18.0 / 7));
  CHECK(p.v_mean_mv.se == Approx(1.0));
  // Node average 2, 3, 4, 5 varies as much as each node: chi = 1.
  CHECK(p.chi.value == Approx(1.0));
}

TEST_CASE("summary interval: from < t <= to, and windows that do not fit", "[analysis]") {
  SummaryOptions opt;
  opt.from_ms = 200;  // the spike at 200 is out; 300, 400, 500 in
  opt.to_ms = 500;
  opt.fano_windows_ms = {100, 200};  // 200 ms fits only once in 300 ms: skipped
  const PopulationSummary p = summarize(synthetic(), opt).populations[0];
  CHECK(p.spike_count == 3);
  CHECK(p.rate_hz.value == Approx(3.0 / 3 / 0.3));
  CHECK(p.isi_count == 1);  // 300 -> 400
  REQUIRE(p.fano.size() == 1);
  CHECK(p.fano[0].window_ms == 100);
  CHECK(p.v_samples == 0);  // samples end at 40 ms
  opt.from_ms = 600;
  CHECK_THROWS(summarize(synthetic(), opt));
}

TEST_CASE("ISI mean and CV are corrected for the window's length bias", "[analysis]") {
  // ISIs 100 and 500 ms in a 1000 ms window, weights 1/900 and 1/500:
  // mean = (100/900 + 500/500) / (1/900 + 1/500) = 357.142857...; raw mean 300.
  RecordedRun run = synthetic();
  run.populations[0].times_ms = {50, 150, 200, 700};
  run.populations[0].node_ids = {0, 0, 1, 1};
  const PopulationSummary p = summarize(run, SummaryOptions{}).populations[0];
  CHECK(p.isi_count == 2);
  CHECK(p.isi_mean_raw_ms == Approx(300));
  CHECK(p.isi_mean_ms.value == Approx(2500.0 / 7));
  // Weighted variance: n_eff = (1/900 + 1/500)^2 / (1/900^2 + 1/500^2) = 1.8491...;
  // sum w (L - mean)^2 / sum w = 51020.408...; times n_eff / (n_eff - 1).
  const double w1 = 1.0 / 900, w2 = 1.0 / 500, mean = 2500.0 / 7;
  const double v = (w1 * (100 - mean) * (100 - mean) + w2 * (500 - mean) * (500 - mean)) / (w1 + w2);
  const double n_eff = (w1 + w2) * (w1 + w2) / (w1 * w1 + w2 * w2);
  CHECK(p.cv_isi.value == Approx(std::sqrt(v * n_eff / (n_eff - 1)) / mean));
  CHECK(p.cv_isi_raw == Approx(std::sqrt(80000.0) / 300));
}

TEST_CASE("aggregate: mean and SEM across trials", "[analysis]") {
  RecordedRun a = synthetic(), b = synthetic();
  b.populations[0].times_ms = {100, 200, 300, 400, 500, 600, 700, 800, 900, 950};
  b.populations[0].node_ids = {0, 0, 0, 0, 1, 1, 1, 1, 1, 2};
  const SummaryOptions opt;
  const RunSummary s = aggregate({summarize(a, opt), summarize(b, opt)});
  CHECK(s.trials == 2);
  const PopulationSummary& p = s.populations[0];
  // Trial rates 5/3 and 10/3 Hz: mean 2.5, SEM = |10/3 - 5/3| / 2.
  CHECK(p.rate_hz.value == Approx(2.5));
  CHECK(p.rate_hz.se == Approx(5.0 / 6));
  CHECK(p.rate_hz.dof == 1);
  CHECK(p.spike_count == 7.5);
  CHECK(p.isi_count == 3 + 7);
  RecordedRun other = synthetic();
  other.populations[0].name = "q";
  CHECK_THROWS(aggregate({summarize(a, opt), summarize(other, opt)}));
}

TEST_CASE("summary JSON keys, NaN as null", "[analysis]") {
  const nlohmann::json j = summary_json(summarize(synthetic(), SummaryOptions{}));
  const auto& p = j.at("populations").at(0);
  for (const char* key : {"rate_hz", "rate_sem_hz", "cv_isi", "cv_isi_se", "isi_mean_ms", "fano", "synchrony",
                          "chi", "v_mean_mv", "v_var_mv2", "spike_count", "size"})
    CHECK(p.contains(key));
  CHECK(p.at("rate_hz").get<double>() == Approx(5.0 / 3));
  CHECK(p.at("chi_se").is_null());
}

TEST_CASE("RecordingSink keeps what the driver produced; load_run reads a run directory", "[analysis]") {
  const NetworkSpec spec = load_netdef_text(R"pb(
name: "two_sources" duration_ms: 500 seed: 3
populations { name: "a" size: 20 poisson { rate_hz: 40 } }
populations { name: "b" size: 10 poisson { rate_hz: 5 } }
)pb", "test");
  const Network net(spec);
  RecordingSink sink(net, 0);
  EventDriver driver(net, 0, sink);
  const RunStats stats = driver.run();
  const RecordedRun run = sink.finish(stats.simulated_ms, !stats.interrupted);
  REQUIRE(run.populations.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) CHECK(run.populations[i].times_ms.size() == stats.spikes_per_population[i]);
  CHECK(run.simulated_ms == 500);
  CHECK(run.population_index("b") == 1);

  // A hand-written TSV run directory.
  spikeq::test::TempDir dir;
  std::ofstream(dir / "manifest.json") << R"({"name": "hand", "mode": "stepped", "dt_ms": 0.1,
    "integrator": "exact", "seed": 9, "status": "complete", "duration_ms": 100, "simulated_ms": 100,
    "populations": [{"name": "x", "size": 2, "model": "lif", "recorded": true, "spikes": 2}]})";
  std::ofstream(dir / "spikes.tsv") << "population\tnode_id\ttime_ms\nx\t1\t12.5\nx\t0\t80\n";
  const RecordedRun loaded = load_run(dir.path());
  CHECK(loaded.mode == SimMode::Stepped);
  CHECK(loaded.dt_ms == 0.1);
  CHECK(loaded.seed == 9);
  REQUIRE(loaded.populations.size() == 1);
  CHECK(loaded.populations[0].times_ms == std::vector<double>{12.5, 80});
  CHECK(loaded.populations[0].node_ids == std::vector<std::uint32_t>{1, 0});
  const auto points = discover_runs(dir.path());
  REQUIRE(points.size() == 1);
  CHECK(points[0].trial_dirs == std::vector<std::string>{dir.path()});

  // Trials: DIR/trial-0000, DIR/trial-0001.
  spikeq::test::TempDir trials;
  for (const char* t : {"trial-0001", "trial-0000"}) {
    std::filesystem::create_directories(trials / t);
    std::filesystem::copy_file(dir / "manifest.json", trials / (std::string(t) + "/manifest.json"));
    std::filesystem::copy_file(dir / "spikes.tsv", trials / (std::string(t) + "/spikes.tsv"));
  }
  const auto tp = discover_runs(trials.path());
  REQUIRE(tp.size() == 1);
  REQUIRE(tp[0].trial_dirs.size() == 2);
  CHECK(tp[0].trial_dirs[0] == trials / "trial-0000");
  CHECK_THROWS_AS(discover_runs(dir / "nonexistent"), Error);
}

TEST_CASE("coincident fraction: spikes sharing their exact time with another spike of the run", "[analysis]") {
  // Population "p": 100, 200, 300, 400 (node 0), 500 (node 1); population "q" fires
  // at 200 and 500.5, and twice at 700 (two nodes). In p, 200 is shared (with q);
  // in q, 200 (with p) and both spikes at 700 (with each other): p 1/5, q 3/4.
  RecordedRun run = synthetic();
  PopulationSpikes q;
  q.name = "q";
  q.size = 2;
  q.lif = true;
  q.recorded = true;
  q.times_ms = {200, 500.5, 700, 700};
  q.node_ids = {0, 0, 0, 1};
  run.populations.push_back(q);
  const RunSummary s = summarize(run, SummaryOptions{});
  CHECK(s.populations[0].coincident_fraction.value == Approx(1.0 / 5));
  CHECK(s.populations[1].coincident_fraction.value == Approx(3.0 / 4));
  // The interval (250, 1000] leaves p with no shared time and q with the pair at 700.
  SummaryOptions later;
  later.from_ms = 250;
  const RunSummary t = summarize(run, later);
  CHECK(t.populations[0].coincident_fraction.value == 0.0);
  CHECK(t.populations[1].coincident_fraction.value == Approx(2.0 / 3));
  // The estimator itself: a time is shared when it occurs twice in the network list.
  const std::vector<double> own = {1, 2, 2, 3}, network = {1, 2, 2, 3, 3};
  CHECK(coincident_fraction(own, network) == Approx(0.75));
  CHECK(std::isnan(coincident_fraction({}, network)));
}
