// Trials and sweeps in the engine (engine/batch/trials.h, engine/batch/sweep.h,
// netdefs/sweep_points.h): thread-count independence, trial k = a driver run of
// trial k, one frozen network per point, sweep point order, progress counters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>

#include "engine/analysis/recorded_run.h"
#include "engine/event/event_driver.h"
#include "engine/core/network.h"
#include "engine/batch/progress.h"
#include "engine/batch/sweep.h"
#include "engine/batch/trials.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"
#include "netdefs/sweep_points.h"
#include "process.h"
#include "small_ei.h"

namespace spikeq {
namespace {

using test::TempDir;

template <typename F>
std::string error_of_call(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

NetworkSpec small_ei(const std::vector<std::string>& sets = {}) {
  return load_netdef_text(test::kSmallEiNetdef, "small_ei", sets);
}

BatchResult run_trials(const NetworkSpec& spec, const std::string& dir, std::uint32_t trials, unsigned threads,
                       bool redraw = false, std::atomic<bool>* stop = nullptr) {
  BatchOptions o;
  o.format = OutputFormat::Tsv;
  o.threads = threads;
  o.trials = trials;
  o.redraw_connectivity = redraw;
  o.stop = stop;
  return run_batch({BatchPoint{spec, {}, dir}}, o);
}

std::string spikes_of(const std::string& trial_dir) { return test::read_file(trial_dir + "/spikes.tsv"); }

TEST_CASE("trials: byte-identical spikes for 1, 2 and 4 threads", "[trials]") {
  const NetworkSpec spec = small_ei();
  TempDir tmp;
  std::vector<std::string> reference;
  for (unsigned threads : {1u, 2u, 4u}) {
    const std::string dir = tmp / ("t" + std::to_string(threads));
    const BatchResult r = run_trials(spec, dir, 4, threads);
    CHECK(r.threads == threads);
    REQUIRE(r.points.size() == 1);
    CHECK(r.points[0].complete() == 4);
    CHECK(r.networks_built == 1);  // the frozen network, shared by the four trials
    for (std::uint32_t k = 0; k < 4; ++k) {
      const std::string spikes = spikes_of(dir + "/" + trial_dir_name(k));
      CHECK(spikes.size() > 1000);
      if (threads == 1) reference.push_back(spikes);
      else CHECK(spikes == reference[k]);
    }
  }
  // Trials are different realizations.
  CHECK(reference[0] != reference[1]);
}

TEST_CASE("trials: stepped mode is thread-count independent too", "[trials]") {
  const NetworkSpec spec = small_ei({"simulation.mode=STEPPED", "simulation.dt_ms=0.1", "duration_ms=100"});
  TempDir tmp;
  run_trials(spec, tmp / "a", 3, 1);
  const BatchResult r = run_trials(spec, tmp / "b", 3, 2);
  CHECK(r.points[0].complete() == 3);
  for (const char* t : {"/trial-0000", "/trial-0002"}) {
    CHECK(spikes_of(tmp / "a" + t).size() > 1000);
    CHECK(spikes_of(tmp / "a" + t) == spikes_of(tmp / "b" + t));
  }
}

TEST_CASE("trials: trial k equals a driver run of trial k on the frozen network", "[trials]") {
  const NetworkSpec spec = small_ei();
  TempDir tmp;
  run_trials(spec, tmp.path(), 3, 2);
  const Network net(spec);
  for (std::uint64_t k : {0u, 2u}) {
    analysis::RecordingSink sink(net, k);
    EventDriver driver(net, k, sink);
    const RunStats stats = driver.run();
    const analysis::RecordedRun direct = sink.finish(stats.simulated_ms, true);
    const analysis::RecordedRun saved = analysis::load_run(tmp / trial_dir_name(k));
    CHECK(saved.trial == k);
    REQUIRE(saved.populations.size() == direct.populations.size());
    for (std::size_t p = 0; p < direct.populations.size(); ++p) {
      CHECK(saved.populations[p].times_ms == direct.populations[p].times_ms);
      CHECK(saved.populations[p].node_ids == direct.populations[p].node_ids);
    }
  }
}

TEST_CASE("trials: redrawn connectivity builds one network per trial; trial 0 is the frozen one", "[trials]") {
  const NetworkSpec spec = small_ei();
  TempDir tmp;
  const BatchResult frozen = run_trials(spec, tmp / "frozen", 3, 2);
  const BatchResult redrawn = run_trials(spec, tmp / "redrawn", 3, 2, true);
  CHECK(frozen.networks_built == 1);
  CHECK(redrawn.networks_built == 3);
  CHECK(spikes_of(tmp / "frozen/trial-0000") == spikes_of(tmp / "redrawn/trial-0000"));
  CHECK(spikes_of(tmp / "frozen/trial-0001") != spikes_of(tmp / "redrawn/trial-0001"));
  // Network(spec, k) is what the redrawn trial k ran on.
  const Network a(spec, 1), b(spec, 1), c(spec, 0);
  CHECK(std::vector<NodeId>(a.targets().begin(), a.targets().end()) ==
        std::vector<NodeId>(b.targets().begin(), b.targets().end()));
  CHECK(std::vector<NodeId>(a.targets().begin(), a.targets().end()) !=
        std::vector<NodeId>(c.targets().begin(), c.targets().end()));
}

TEST_CASE("trials: summaries per trial and mean ± SEM across trials", "[trials]") {
  TempDir tmp;
  const BatchResult r = run_trials(small_ei(), tmp.path(), 3, 2);
  const PointResult& p = r.points[0];
  REQUIRE(p.aggregate);
  CHECK(p.aggregate->trials == 3);
  for (const TrialResult& t : p.trials) REQUIRE(t.summary);
  const auto& exc = p.aggregate->populations[1];
  CHECK(exc.name == "exc");
  double mean = 0;
  for (const TrialResult& t : p.trials) mean += t.summary->populations[1].rate_hz.value / 3;
  CHECK(exc.rate_hz.value == Approx(mean));
  CHECK(exc.rate_hz.value > 1);
  CHECK(std::isfinite(exc.rate_hz.se));
  CHECK(std::isfinite(exc.cv_isi.value));
  const nlohmann::json j = trials_json(BatchPoint{small_ei(), {}, tmp.path()}, p, r, BatchOptions{});
  CHECK(j["trial_runs"].size() == 3);
  CHECK(j["trial_runs"][1]["dir"] == "trial-0001");
  CHECK(j["aggregate"]["populations"][1]["rate_hz"].get<double>() == Approx(mean));
}

TEST_CASE("trials: a stop before the start leaves every task not started", "[trials]") {
  TempDir tmp;
  std::atomic<bool> stop{true};
  const BatchResult r = run_trials(small_ei(), tmp.path(), 3, 2, false, &stop);
  CHECK(r.interrupted);
  CHECK(r.networks_built == 0);
  for (const TrialResult& t : r.points[0].trials) CHECK(t.status == RunStatus::NotStarted);
  CHECK(r.points[0].status() == RunStatus::NotStarted);
}

TEST_CASE("sweeps: ranges include both ends; points are the product, first sweep slowest", "[sweep]") {
  CHECK(netdef::range_values(-0.3, -0.8, 6) == std::vector<double>{-0.3, -0.4, -0.5, -0.6, -0.7, -0.8});
  CHECK(netdef::range_values(2, 5, 1) == std::vector<double>{2});
  const SweepSpec a = netdef::parse_sweep_argument("inh.weight_mv=-0.3:-0.8:6");
  CHECK(a.paths == std::vector<std::string>{"inh.weight_mv"});
  CHECK(a.name == "inh_weight_mv");
  const SweepSpec b = netdef::parse_sweep_argument("ext.poisson.rate_hz+populations[0].poisson.rate_hz=10,20,40");
  CHECK(b.paths.size() == 2);
  CHECK(b.values == std::vector<double>{10, 20, 40});
  const std::vector<SweepSpec> sweeps{a, b};
  CHECK(netdef::sweep_point_count(sweeps) == 18);
  CHECK(netdef::sweep_point_values(sweeps, 0) == std::vector<double>{-0.3, 10});
  CHECK(netdef::sweep_point_values(sweeps, 1) == std::vector<double>{-0.3, 20});
  CHECK(netdef::sweep_point_values(sweeps, 3) == std::vector<double>{-0.4, 10});
  CHECK(netdef::sweep_point_values(sweeps, 17) == std::vector<double>{-0.8, 40});
  CHECK(netdef::sweep_point_overrides(sweeps, 4) ==
        std::vector<std::string>{"inh.weight_mv=-0.4", "ext.poisson.rate_hz=20", "populations[0].poisson.rate_hz=20"});
  SweepSpec g{{"ie.weight_mv"}, "g", {3, 4.5}, -0.1};
  CHECK(netdef::sweep_point_overrides({g}, 1) == std::vector<std::string>{"ie.weight_mv=-0.45"});
  for (const char* bad : {"x", "=1,2", "a.b=1:2", "a.b=1:2:0", "a.b=1:2:2.5", "a.b=1,,2", "a.b=nan", "+a=1"}) {
    INFO(bad);
    CHECK_THROWS_AS(netdef::parse_sweep_argument(bad), Error);
  }
}

TEST_CASE("sweeps: each point is its own validated netdef; bad paths are refused", "[sweep]") {
  const NetworkSpec base = small_ei();
  TempDir tmp;
  const auto sweeps = std::vector<SweepSpec>{netdef::parse_sweep_argument("ie.weight_mv+ii.weight_mv=-0.5,-1.5"),
                                             netdef::parse_sweep_argument("duration_ms=50,100")};
  const std::vector<BatchPoint> points = sweep_points(base, sweeps, tmp.path(), "small_ei");
  REQUIRE(points.size() == 4);
  CHECK(points[1].spec.duration_ms == 100);
  CHECK(points[2].spec.projections[4].weight_mv == -1.5);
  CHECK(points[2].spec.projections[5].weight_mv == -1.5);
  CHECK(points[3].dir == tmp / "point-0003");
  CHECK(points[3].spec == small_ei({"ie.weight_mv=-1.5", "ii.weight_mv=-1.5", "duration_ms=100"}));
  const std::string message = error_of_call([&] {
    sweep_points(base, {netdef::parse_sweep_argument("exc.lif.no_such=1,2")}, tmp.path(), "small_ei");
  });
  CHECK(message.find("sweep point 0 (exc.lif.no_such=1)") != std::string::npos);
  CHECK_THROWS_AS(sweep_points(base, {netdef::parse_sweep_argument("exc.lif.tau_m_ms=5,-1")}, tmp.path(), "s"),
                  Error);
}

TEST_CASE("sweeps: netdef sweep blocks load, validate every point and round-trip", "[sweep]") {
  const std::string text = test::kSmallEiNetdef +
                           "sweep { name: \"g\" path: \"ie.weight_mv\" path: \"ii.weight_mv\" scale: -0.2 "
                           "values: [4, 6] }\nsweep { path: \"ext.poisson.rate_hz\" range { from: 5000 to: 7000 count: 3 } }\n";
  const NetworkSpec spec = load_netdef_text(text, "swept");
  REQUIRE(spec.sweeps.size() == 2);
  CHECK(spec.sweeps[0].name == "g");
  CHECK(spec.sweeps[0].scale == -0.2);
  CHECK(spec.sweeps[1].name == "ext_poisson_rate_hz");
  CHECK(spec.sweeps[1].values == std::vector<double>{5000, 6000, 7000});
  CHECK(load_netdef_text(spec.resolved_text, "again") == spec);
  const auto error_for = [&](const std::string& sweep) {
    return error_of_call([&] { load_netdef_text(test::kSmallEiNetdef + sweep, "bad.pbtxt"); });
  };
  CHECK(error_for("sweep { path: \"exc.lif.tau_m_ms\" values: [10, -1] }")
            .find("bad.pbtxt: sweep point 1 (exc.lif.tau_m_ms=-1):") != std::string::npos);
  CHECK(error_for("sweep { path: \"nope.x\" values: [1] }").find("sweep point 0") != std::string::npos);
  CHECK(error_for("sweep { path: \"duration_ms\" values: [1] range { from: 1 to: 2 count: 2 } }")
            .find("sweep[0]: set exactly one of values and range") != std::string::npos);
  CHECK(error_for("sweep { values: [1] }").find("sweep[0]: path not set") != std::string::npos);
  CHECK(error_for("sweep { path: \"duration_ms\" name: \"a.b\" values: [1] }").find("sweep[0]: name") !=
        std::string::npos);
}

TEST_CASE("sweeps: sweep.tsv has the layout of the phase plot", "[sweep]") {
  const NetworkSpec base = small_ei();
  TempDir tmp;
  const auto sweeps = std::vector<SweepSpec>{netdef::parse_sweep_argument("ie.weight_mv=-0.5,-1.5")};
  const std::vector<BatchPoint> points = sweep_points(base, sweeps, tmp.path(), "small_ei");
  BatchOptions o;
  o.format = OutputFormat::Tsv;
  o.trials = 2;
  const BatchResult r = run_batch(points, o);
  const std::string tsv = sweep_tsv(sweeps, points, r, o.summary);
  const std::string header = tsv.substr(0, tsv.find('\n'));
  CHECK(header.rfind("point\tie_weight_mv\texc.rate_hz\texc.rate_sem_hz\texc.cv_isi\texc.synchrony\texc.coincident_fraction\texc.fano_10ms", 0) == 0);
  CHECK(header.find("inh.synchrony") != std::string::npos);
  CHECK(tsv.find("\n0\t-0.5\t") != std::string::npos);
  CHECK(tsv.find("\n1\t-1.5\t") != std::string::npos);
  CHECK(std::count(tsv.begin(), tsv.end(), '\n') == 3);
  CHECK(std::filesystem::exists(tmp / "point-0001/trial-0001/spikes.tsv"));
  const nlohmann::json j = sweep_json(sweeps, points, r, o);
  CHECK(j["points"][1]["values"]["ie_weight_mv"] == -1.5);
  CHECK(j["status"] == "complete");
}

TEST_CASE("progress: counters and the one-line format", "[trials]") {
  ProgressMeter meter({100, 100});
  meter.started(0);
  meter.reached(0, 50);
  auto s = meter.snapshot();
  CHECK(s.running == 1);
  CHECK(s.simulated_ms == 50);
  CHECK(s.total_ms == 200);
  meter.finished(0, 100, 1000);
  s = meter.snapshot();
  CHECK(s.done == 1);
  CHECK(s.running == 0);
  CHECK(s.events_done == 1000);
  const std::string line = format_progress(s);
  CHECK(line.find("1/2 tasks done") != std::string::npos);
  CHECK(line.find("(50%)") != std::string::npos);
  CHECK(line.find("ETA") != std::string::npos);
}

}  // namespace
}  // namespace spikeq
