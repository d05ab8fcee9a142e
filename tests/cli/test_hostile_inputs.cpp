// Hostile input to the numbers spikeq takes (issue 15, items 1 and 8): flags,
// netdef fields and --set values. Every case is refused before anything runs:
// exit 2, one line on stderr naming the flag or field and its value, within a
// time limit and a memory bound, and no output directory left behind. Every
// bound comes from netdefs/limits.h; a flag that stands for a field is a --set
// override and is refused in the field's words.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "engine/core/memory_estimate.h"
#include "netdefs/error.h"
#include "process.h"

using namespace spikeq::test;

namespace {

const std::string kCli = SPIKEQ_CLI;
constexpr double kTimeoutS = 20;    // a refusal takes milliseconds; this only catches a hang
constexpr double kMaxRssMb = 256;   // a refusal allocates nothing large

// A small valid network: Poisson drive, a noisy recurrent LIF population, a probe.
const char* kBase = R"(name: "hostile"
duration_ms: 50
populations { name: "ext" size: 10 poisson { rate_hz: 20 } }
populations { name: "exc" size: 20 lif { sigma_mv: 2 mu_mv: 10 } }
projections { name: "in" source: "ext" target: "exc" fixed_indegree { indegree: 5 } weight_mv: 0.5 }
projections { name: "rec" source: "exc" target: "exc" fixed_indegree { indegree: 3 } weight_mv: 0.1 delay_ms: 1.5 }
recording { voltage_probes { population: "exc" node_ids: [0, 1] } }
)";

std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// One hostile command line and what its one line must say.
struct Case {
  std::vector<std::string> args;  // after the program
  std::string expected;           // "spikeq: " + this is the whole line, or ...
  bool exact = true;              // ... the line contains it
};

// Runs every case; `out` (when set) must not exist afterwards.
void check_refusals(const std::vector<Case>& cases, const std::string& out = {}) {
  for (const Case& c : cases) {
    std::vector<std::string> argv{kCli};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    std::string shown;
    for (const std::string& a : c.args) shown += " " + a;
    INFO("spikeq" << shown);
    const ProcessResult r = run_bounded(argv, kTimeoutS);
    CHECK_FALSE(r.timed_out);
    CHECK(r.term_signal == 0);
    CHECK(r.exit_code == 2);
    const std::string line = one_line(r);
    INFO("stderr: " << r.stderr_text);
    if (c.exact) {
      CHECK(line == "spikeq: " + c.expected);
    } else {
      CHECK(line.rfind("spikeq: ", 0) == 0);
      CHECK(line.find(c.expected) != std::string::npos);
    }
    CHECK(r.peak_rss_mb < kMaxRssMb);
    if (!out.empty()) CHECK_FALSE(std::filesystem::exists(out));
  }
}

}  // namespace

TEST_CASE("hostile flags of run: refused in the --set parser's or the field's words, nothing written") {
  TempDir dir;
  const std::string base = write_text(dir / "base.pbtxt", kBase);
  const std::string out = dir / "run";
  const std::string file = write_text(dir / "a_file", "x");
  auto run = [&](std::vector<std::string> flags) {
    std::vector<std::string> args{"run", base, "-o", out, "-q"};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  };
  const std::vector<Case> cases = {
      // --duration is --set duration_ms=: NaN and infinity used to be ignored.
      {run({"--duration", "nan"}), base + ": duration_ms = nan: must be finite"},
      {run({"--duration", "inf"}), base + ": duration_ms = inf: must be finite"},
      {run({"--duration", "-inf"}), base + ": duration_ms = -inf: must be finite"},
      {run({"--duration", "-5"}), base + ": duration_ms = -5: must be > 0"},
      {run({"--duration", "0"}), base + ": duration_ms = 0: must be > 0"},
      {run({"--duration", "1e10"}), base + ": duration_ms = 1e+10: must be <= 1e+09"},
      {run({"--duration", "1e999"}), "--duration: \"1e999\" is out of range for double"},
      {run({"--duration", "abc"}), "--duration: \"abc\" is not a number"},
      {run({"--duration", "5ms"}), "--duration: \"5ms\" is not a number"},
      {run({"--duration", ""}), "--duration: \"\" is not a number"},
      // --dt is --set simulation.dt_ms=.
      {run({"--dt", "nan"}), base + ": simulation.dt_ms = nan: must be finite"},
      {run({"--dt", "0"}), base + ": simulation.dt_ms = 0: must be > 0"},
      {run({"--dt", "1e20"}), base + ": simulation.dt_ms = 1e+20: must be <= 1e+09"},
      {run({"--mode", "stepped", "--dt", "1e-12"}),
       base + ": simulation.dt_ms = 1e-12: ~5e+13 steps (duration_ms / dt_ms): must be <= 1e+09"},
      // --seed is --set seed=: any 64-bit value (0 included), nothing saturates.
      {run({"--seed", "18446744073709551616"}), "--seed: \"18446744073709551616\" is out of range for uint64"},
      {run({"--seed", "-1"}), "--seed: \"-1\" is negative, but seed is a uint64"},
      {run({"--seed", "1.5"}), "--seed: \"1.5\" is not an integer"},
      {run({"--seed", "0x10"}), "--seed: \"0x10\" is not an integer"},
      {run({"--seed", "+1"}), "--seed: \"+1\" is not an integer"},
      // --trials is --set simulation.trials=.
      {run({"--trials", "0"}), base + ": simulation.trials = 0: must be >= 1"},
      {run({"--trials", "4294967295"}), base + ": simulation.trials = 4294967295: must be <= 1e+06"},
      {run({"--trials", "4294967296"}), "--trials: \"4294967296\" is out of range for uint32"},
      // --trial, --threads, --memory-limit-mb: numbers of their own, same parser.
      {run({"--trial", "1e20"}), "--trial: \"1e20\" is not an integer"},
      {run({"--trial", "18446744073709551616"}), "--trial: \"18446744073709551616\" is out of range for uint64"},
      {run({"--trial", "-1"}), "--trial: \"-1\" is negative, but --trial is a uint64"},
      {run({"--trial", "1000000"}), "--trial = 1000000: must be <= 999999 (trials are numbered below 1e6)"},
      {run({"--threads", "100000"}),
       "--threads = 100000: must be <= 1024 (more threads than cores only add stacks and contention)"},
      {run({"--threads", "0"}), "--threads = 0: must be >= 1"},
      {run({"--threads", "nan"}), "--threads: \"nan\" is not an integer"},
      {run({"--memory-limit-mb", "1e20"}), "--memory-limit-mb = 1e+20: must be <= 1e+09"},
      {run({"--memory-limit-mb", "nan"}), "--memory-limit-mb = nan: must be finite"},
      {run({"--memory-limit-mb", "0"}), "--memory-limit-mb = 0: must be > 0"},
      {run({"--memory-limit-mb", "-1"}), "--memory-limit-mb = -1: must be > 0"},
      // The estimate: a tiny limit, and a million trials' bookkeeping.
      {run({"--memory-limit-mb", "0.001"}), base + ": estimated memory", false},
      {run({"--trials", "1000000", "--memory-limit-mb", "100"}), "of 1000000 trials in memory at once", false},
      // Sweeps from the command line.
      {run({"--sweep", "duration_ms=1:2:1e9"}),
       "--sweep duration_ms=1:2:1e9: expected FROM:TO:COUNT with COUNT a whole number >= 1"},
      {run({"--sweep", "duration_ms=1,nan"}), "--sweep duration_ms=1,nan: \"nan\" is not a finite number"},
      {run({"--sweep", "exc.lif.tau_m_ms=1,1e-9"}),
       "sweep point 1 (exc.lif.tau_m_ms=1e-09): " + base + ": populations[1] \"exc\": lif.tau_m_ms = 1e-09: must be >= 0.001"},
  };
  check_refusals(cases, out);
  // -o names a directory: an existing file is not "not empty".
  check_refusals({{{"run", base, "-o", file, "-q"}, "--out: \"" + file + "\" exists and is not a directory", false}});
}

TEST_CASE("hostile --set values: the same parser as the flags, then the field's range") {
  TempDir dir;
  const std::string base = write_text(dir / "base.pbtxt", kBase);
  auto validate = [&](std::vector<std::string> sets) {
    std::vector<std::string> args{"validate", base};
    for (const std::string& s : sets) args.insert(args.end(), {"--set", s});
    return args;
  };
  const std::string exc = base + ": populations[1] \"exc\": ";
  const std::vector<Case> cases = {
      // Used to pass validate, then fail in theory with "sigma_mv must be >= 0".
      {validate({"in.weight_mv=1e308"}), base + ": projections[0] \"in\": weight_mv = 1e+308: must be in [-1e+09, 1e+09]"},
      {validate({"in.weight_mv=-inf"}), base + ": projections[0] \"in\": weight_mv = -inf: must be finite"},
      {validate({"exc.lif.tau_m_ms=nan"}), exc + "lif.tau_m_ms = nan: must be finite"},
      {validate({"exc.lif.tau_m_ms=1e-9"}), exc + "lif.tau_m_ms = 1e-09: must be >= 0.001"},
      {validate({"exc.lif.tau_m_ms=1e13"}), exc + "lif.tau_m_ms = 1e+13: must be <= 1e+12"},
      {validate({"exc.lif.v_th_mv=1e300"}), exc + "lif.v_th_mv = 1e+300: must be in [-1e+09, 1e+09]"},
      {validate({"exc.lif.sigma_mv=1e10"}), exc + "lif.sigma_mv = 1e+10: must be <= 1e+09"},
      {validate({"exc.lif.t_ref_ms=1e12"}), exc + "lif.t_ref_ms = 1e+12: must be <= 1e+09"},
      {validate({"ext.poisson.rate_hz=1e12"}),
       base + ": populations[0] \"ext\": poisson.rate_hz = 1e+12: must be <= 1e+09"},
      {validate({"ext.poisson.rate_hz=1e9", "duration_ms=1e5"}),
       base + ": populations[0] \"ext\": poisson.rate_hz = 1e+09: ~1.1e+13 Poisson events expected over duration_ms = "
              "1e+05 (rate x (generated nodes + out-edges) x duration, all sources): must be <= 1e+12"},
      {validate({"rec.delay_ms=1e-300"}),
       base + ": projections[1] \"rec\": delay_ms = 1e-300: ~5e+301 epochs (duration_ms / smallest LIF delay): must be "
              "<= 1e+09"},
      {validate({"simulation.ou_check_interval_ms=1e-300"}),
       base + ": simulation.ou_check_interval_ms = 1e-300: ~1e+303 OU pieces (noisy nodes x duration_ms / interval): "
              "must be <= 1e+12"},
      {validate({"recording.voltage_probes[0].interval_ms=1e-12"}),
       base + ": recording.voltage_probes[0].interval_ms = 1e-12: ~1e+14 voltage samples (probed nodes x duration_ms / "
              "interval, all probes): must be <= 1e+09"},
      {validate({"simulation.crossing_tolerance_ms=0"}), base + ": simulation.crossing_tolerance_ms = 0: must be > 0"},
      {validate({"simulation.crossing_tolerance_ms=1e-300"}),
       base + ": simulation.crossing_tolerance_ms = 1e-300: must be >= 1e-12 (finer than a double resolves spike times)"},
      {validate({"in.fixed_indegree.indegree=18446744073709551615", "in.fixed_indegree.allow_multapses=true"}),
       base + ": projections[0] \"in\": fixed_indegree.indegree = 18446744073709551615: ~3.69e+20 expected edges (20 "
              "targets): must be <= 4e+09 in all (degree counters are 32-bit)"},
      {validate({"exc.lif.mu_mv=1e6", "exc.lif.t_ref_ms=0", "exc.lif.v_reset_mv=19.9999999"}),
       exc + "lif.mu_mv = 1e+06: the free membrane fires by drift alone at ~5e+14 Hz, ~2e+15 spikes and pulses "
             "over duration_ms = 50: must be <= 1e+12"},
      {validate({"simulation.trials=0"}), base + ": simulation.trials = 0: must be >= 1"},
      {validate({"seed=18446744073709551616"}), "--set seed=18446744073709551616: \"18446744073709551616\" is out of "
                                                "range for uint64"},
      {validate({"duration_ms=-inf"}), base + ": duration_ms = -inf: must be finite"},
      {validate({"recording.voltage_probes[0].node_ids[1]=0"}),
       base + ": recording.voltage_probes[0].node_ids[1] = 0: already listed at node_ids[0]"},
  };
  check_refusals(cases);
}

TEST_CASE("seed flag and --set seed= agree: 0 accepted by both, 2^64 refused by both in the same words") {
  TempDir dir;
  const std::string base = write_text(dir / "base.pbtxt", kBase);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", base, "-o", dir / "a", "-q", "--seed", "0"},
        std::vector<std::string>{"run", base, "-o", dir / "b", "-q", "--set", "seed=0"}}) {
    std::vector<std::string> argv{kCli};
    argv.insert(argv.end(), args.begin(), args.end());
    CHECK(run_bounded(argv, kTimeoutS).exit_code == 0);
  }
  CHECK(read_file(dir / "a/manifest.json").find("\"seed\": 0") != std::string::npos);
  const ProcessResult flag = run_bounded({kCli, "validate", base, "--set", "seed=1e3"}, kTimeoutS);
  CHECK(one_line(flag) == "spikeq: --set seed=1e3: \"1e3\" is not an integer");
  const ProcessResult set = run_bounded({kCli, "run", base, "--seed", "1e3"}, kTimeoutS);
  CHECK(one_line(set) == "spikeq: --seed: \"1e3\" is not an integer");
}

TEST_CASE("hostile flags of converge, info, stats and compare") {
  TempDir dir;
  const std::string base = write_text(dir / "base.pbtxt", kBase);
  const std::string runs = dir / "r";
  REQUIRE(run_bounded({kCli, "run", base, "-o", runs, "-q", "--format", "tsv"}, kTimeoutS).exit_code == 0);
  const std::vector<Case> cases = {
      {{"converge", base, "--dt", "0.1,nan"}, "--dt = nan: must be finite"},
      {{"converge", base, "--dt", "0"}, "--dt = 0: must be > 0"},
      {{"converge", base, "--dt", "0.1", "--threads", "5000"},
       "--threads = 5000: must be <= 1024 (more threads than cores only add stacks and contention)"},
      {{"converge", base, "--dt", "0.1", "--trials", "0"}, "--trials = 0: must be >= 1"},
      {{"converge", base, "--dt", "0.1", "--from", "-1"}, "--from = -1: must be >= 0"},
      {{"converge", base, "--dt", "0.1", "--duration", "nan"}, base + ": duration_ms = nan: must be finite"},
      {{"info", base, "--memory-limit-mb", "-3"}, "--memory-limit-mb = -3: must be > 0"},
      {{"info", base, "--memory-limit-mb", "1e-6"}, base + ": estimated memory", false},
      {{"stats", runs, "--sync-bin", "1e-9"}, "--sync-bin = 1e-09 ms: ~5e+10 bins over (0, 50] ms: must be <= 2e+08"},
      {{"stats", runs, "--window", "1e-300"},
       "--window = 1e-300 ms: ~1e+303 counts (nodes x windows) over (0, 50] ms: must be <= 2e+08"},
      {{"stats", runs, "--window", "10,nan"}, "--window = nan: must be finite"},
      {{"stats", runs, "--from", "nan"}, "--from = nan: must be finite"},
      {{"stats", runs, "--to", "inf"}, "--to = inf: must be finite"},
      {{"stats", runs, "--sync-bin", "0"}, "--sync-bin = 0: must be > 0"},
      {{"compare", runs, runs, "--alpha", "0.9"}, "--alpha = 0.9: must be <= 0.5"},
      {{"compare", runs, runs, "--alpha", "nan"}, "--alpha = nan: must be finite"},
      {{"compare", runs, runs, "--alpha", "0"}, "--alpha = 0: must be >= 1e-12"},
      {{"bogus"}, "unknown command \"bogus\" (commands: validate, info, run, convert, recover, stats, theory, compare, "
                  "converge; see spikeq --help)"},
  };
  check_refusals(cases);
}

TEST_CASE("validate checks every file: one line each, exit 2 if any failed") {
  TempDir dir;
  const std::string good = write_text(dir / "good.pbtxt", kBase);
  const std::string bad = write_text(dir / "bad.pbtxt", std::string(kBase) + "duration_ms: nan\n");
  const std::string missing = dir / "missing.pbtxt";
  const ProcessResult r = run_bounded({kCli, "validate", missing, good, bad, good}, kTimeoutS);
  CHECK(r.exit_code == 2);
  CHECK(r.stdout_text == good + ": ok (2 populations, 30 nodes, 2 projections)\n" + good +
                             ": ok (2 populations, 30 nodes, 2 projections)\n");
  CHECK(r.stderr_text == "spikeq: " + missing + ": cannot read: No such file or directory\nspikeq: " + bad +
                             ":8:12: Non-repeated field \"duration_ms\" is specified multiple times.\n");
  CHECK(run_bounded({kCli, "validate", good, good}, kTimeoutS).exit_code == 0);
}

TEST_CASE("population and projection counts beyond 16-bit indices are refused; 40,000 load in bounded time") {
  TempDir dir;
  std::string many;
  many.reserve(65536 * 48);
  many += "duration_ms: 10\n";
  for (int i = 0; i < 65536; ++i) many += "populations { name: \"p" + std::to_string(i) + "\" size: 1 lif { } }\n";
  const std::string too_many = write_text(dir / "too_many.pbtxt", many);
  check_refusals({{{"validate", too_many}, too_many + ": populations: 65536 given: at most 65535 (population indices are 16-bit)"}});

  std::string projections = "duration_ms: 10\npopulations { name: \"a\" size: 1 lif { } }\n";
  for (int i = 0; i < 65536; ++i)
    projections += "projections { source: \"a\" target: \"a\" one_to_one { } weight_mv: 0 delay_ms: 1 }\n";
  const std::string too_many_projections = write_text(dir / "too_many_projections.pbtxt", projections);
  check_refusals({{{"validate", too_many_projections},
                   too_many_projections + ": projections: 65536 given: at most 65535 (projection indices are 16-bit)"}});

  // Issue 15: 40,000 one-node populations took 33 s and more (quadratic loops).
  std::string chain = "duration_ms: 10\n";
  for (int i = 0; i < 40000; ++i)
    chain += "populations { name: \"p" + std::to_string(i) + "\" size: 1 lif { mu_mv: 25 } }\n";
  for (int i = 0; i + 1 < 40000; ++i)
    chain += "projections { source: \"p" + std::to_string(i) + "\" target: \"p" + std::to_string(i + 1) +
             "\" one_to_one { } weight_mv: 0.1 delay_ms: 1 }\n";
  const std::string forty = write_text(dir / "forty.pbtxt", chain);
  for (const char* command : {"validate", "info"}) {
    INFO(command);
    const ProcessResult r = run_bounded({kCli, command, forty}, 30);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(r.timed_out);
    CHECK(r.wall_s < 10);
    CHECK(r.peak_rss_mb < 512);
  }
}

TEST_CASE("the memory estimate saturates instead of wrapping, and is refused") {
  // Straight to the engine, past validation: 2^64 - 1 edges per target used to
  // estimate "131.1 KiB (1.84e+22 edges)".
  spikeq::NetworkSpec spec;
  spec.duration_ms = 100;
  spec.populations = {{"a", 10, spikeq::ModelKind::Poisson, {1}, {}}, {"b", 1000, spikeq::ModelKind::Lif, {}, {}}};
  spikeq::ProjectionSpec p;
  p.source = 0;
  p.target = 1;
  p.rule = spikeq::RuleKind::FixedIndegree;
  p.indegree = std::numeric_limits<std::uint64_t>::max();
  p.allow_multapses = true;
  spec.projections = {p};
  spec.recording.spikes_from = {true, true};
  const spikeq::MemoryEstimate m = spikeq::estimate_memory(spec);
  CHECK(m.peak_bytes() == std::numeric_limits<std::uint64_t>::max());
  try {
    spikeq::check_memory(spec, "net.pbtxt", std::uint64_t{1} << 40);
    FAIL("not refused");
  } catch (const spikeq::Error& e) {
    CHECK(std::string(e.what()) ==
          "net.pbtxt: estimated memory more than 16 EiB (1.84e+22 edges) exceeds the limit of 1.0 TiB "
          "(--memory-limit-mb sets it)");
    CHECK(e.kind() == spikeq::Error::Kind::BadInput);
  }
  // A batch counts what is in flight: 8 threads, frozen network, 1e6 trials.
  spec.projections[0].indegree = 5;
  spec.simulation.trials = 1000000;
  const spikeq::MemoryEstimate one = spikeq::estimate_memory(spec);
  const spikeq::MemoryEstimate batch = spikeq::estimate_memory(spec, spikeq::batch_shape(spec, 1, 8, false));
  CHECK(batch.trials_in_flight == 8);
  CHECK(batch.networks_in_flight == 1);
  CHECK(batch.trials_total == 1000000);
  CHECK(batch.peak_bytes() > 8 * one.state_bytes + 1000000 * batch.record_bytes - 1);
  const spikeq::MemoryEstimate redrawn = spikeq::estimate_memory(spec, spikeq::batch_shape(spec, 1, 8, true));
  CHECK(redrawn.networks_in_flight == 8);
  CHECK(redrawn.peak_bytes() > batch.peak_bytes());
}
