// `spikeq run --mode stepped`: the same output files as an event-driven run, the
// engine flags recorded in the manifest and the resolved netdef, CLI flags over
// the netdef's simulation {}, byte-identical reruns, and a one-line refusal
// (exit 2, nothing written) when a Poisson rate does not fit the grid.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "process.h"

using namespace spikeq::test;

namespace {

const std::string kCli = SPIKEQ_CLI;
std::string example(const std::string& name) { return std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name; }

nlohmann::json manifest(const std::string& dir) { return nlohmann::json::parse(read_file(dir + "/manifest.json")); }

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TEST_CASE("stepped CLI: run --mode stepped --dt writes the event run's files and records the grid") {
  TempDir tmp;
  const auto stepped = run_process({kCli, "run", example("ou_lif.pbtxt"), "--mode", "stepped", "--dt", "0.1",
                                    "--duration", "100", "-o", tmp / "stepped", "-q", "--format", "tsv"});
  REQUIRE(stepped.exit_code == 0);
  const auto event = run_process({kCli, "run", example("ou_lif.pbtxt"), "--duration", "100", "-o", tmp / "event", "-q",
                                  "--format", "tsv"});
  REQUIRE(event.exit_code == 0);
  CHECK(files_in(tmp / "stepped") == files_in(tmp / "event"));
  const std::string spikes = read_file(tmp / "stepped" + "/spikes.tsv");
  CHECK(first_line(spikes) == first_line(read_file(tmp / "event" + "/spikes.tsv")));

  const auto m = manifest(tmp / "stepped");
  CHECK(m["mode"] == "stepped");
  CHECK(m["dt_ms"] == 0.1);
  CHECK(m["integrator"] == "euler_maruyama");
  CHECK(m["status"] == "complete");
  const std::string resolved = m["netdef_resolved"];
  CHECK(resolved.find("mode: STEPPED") != std::string::npos);
  CHECK(resolved.find("dt_ms: 0.1") != std::string::npos);
  CHECK(manifest(tmp / "event")["mode"] == "event");
  CHECK_FALSE(manifest(tmp / "event").contains("dt_ms"));

  // Every spike time on the 0.1 ms grid.
  std::istringstream in(spikes);
  std::string line;
  std::getline(in, line);
  int n = 0;
  bool on_grid = true;
  while (std::getline(in, line)) {
    const double t = std::stod(line.substr(line.rfind('\t') + 1));
    on_grid &= std::abs(t / 0.1 - std::round(t / 0.1)) < 1e-9;
    ++n;
  }
  CHECK(n > 100);
  CHECK(on_grid);

  // Same seed and dt: byte-identical spikes.
  const auto again = run_process({kCli, "run", example("ou_lif.pbtxt"), "--mode", "stepped", "--dt", "0.1",
                                  "--duration", "100", "-o", tmp / "again", "-q", "--format", "tsv"});
  REQUIRE(again.exit_code == 0);
  CHECK(read_file(tmp / "again" + "/spikes.tsv") == spikes);
}

TEST_CASE("stepped CLI: flags win over the netdef's simulation {}") {
  TempDir tmp;
  std::string text = read_file(example("ou_lif.pbtxt"));
  text += "simulation { mode: STEPPED dt_ms: 0.5 integrator: EULER_MARUYAMA }\n";
  std::ofstream(tmp / "net.pbtxt") << text;
  const auto from_netdef = run_process({kCli, "run", tmp / "net.pbtxt", "--duration", "50", "-o", tmp / "a", "-q"});
  REQUIRE(from_netdef.exit_code == 0);
  CHECK(manifest(tmp / "a")["dt_ms"] == 0.5);
  const auto flags = run_process({kCli, "run", tmp / "net.pbtxt", "--duration", "50", "--dt", "0.25", "--integrator",
                                  "exact", "-o", tmp / "b", "-q"});
  REQUIRE(flags.exit_code == 0);
  const auto m = manifest(tmp / "b");
  CHECK(m["mode"] == "stepped");
  CHECK(m["dt_ms"] == 0.25);
  CHECK(m["integrator"] == "exact");
  CHECK(std::string(m["netdef_resolved"]).find("integrator: EXACT") != std::string::npos);
  const auto event = run_process({kCli, "run", tmp / "net.pbtxt", "--duration", "50", "--mode", "event", "-o", tmp / "c", "-q"});
  REQUIRE(event.exit_code == 0);
  CHECK(manifest(tmp / "c")["mode"] == "event");
  const auto bad = run_process({kCli, "run", tmp / "net.pbtxt", "--mode", "grid", "-o", tmp / "d"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("stepped CLI: a Poisson rate with rate*dt > 1 exits 2 with one line and writes nothing") {
  TempDir tmp;
  const auto r = run_process({kCli, "run", example("poisson.pbtxt"), "--mode", "stepped", "--dt", "0.1", "--set",
                              "fast.poisson.rate_hz=20000", "-o", tmp / "out"});
  CHECK(r.exit_code == 2);
  CHECK(r.stderr_text.rfind("spikeq: population \"fast\": rate_hz 20000 gives rate*dt = 2 > 1 at dt_ms 0.1", 0) == 0);
  CHECK(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n') == 1);
  CHECK_FALSE(std::filesystem::exists(tmp / "out"));
  // A LIF-sourced delay shorter than dt, likewise.
  const auto d = run_process({kCli, "run", example("brunel2000_ai.pbtxt"), "--mode", "stepped", "--dt", "2",
                              "--duration", "100", "--set", "ext.poisson.rate_hz=100", "-o", tmp / "out"});
  CHECK(d.exit_code == 2);
  CHECK(d.stderr_text.find("projection \"ee\": delay_ms 1.5 is shorter than dt_ms 2") != std::string::npos);
  CHECK(std::count(d.stderr_text.begin(), d.stderr_text.end(), '\n') == 1);
}
