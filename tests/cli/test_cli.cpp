// The spikeq CLI as a user meets it: exit codes, one-line errors, output files.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "process.h"

using namespace spikeq::test;

namespace {

const std::string kCli = SPIKEQ_CLI;
std::string example(const std::string& name) { return std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int count_lines(const std::string& text) { return static_cast<int>(lines_of(text).size()); }

}  // namespace

TEST_CASE("version and help flags exit 0") {
  const auto version = run_process({kCli, "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.stdout_text.rfind("spikeq ", 0) == 0);
  for (const char* sub : {"validate", "info", "run"}) {
    const auto help = run_process({kCli, sub, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.stdout_text.find("--set") != std::string::npos);
  }
}

TEST_CASE("bad arguments and missing files exit 2 with one line") {
  const auto no_sub = run_process({kCli});
  CHECK(no_sub.exit_code == 2);
  CHECK(count_lines(no_sub.stderr_text) == 1);
  const auto bad_flag = run_process({kCli, "run", example("poisson.pbtxt"), "--no-such-flag"});
  CHECK(bad_flag.exit_code == 2);
  CHECK(count_lines(bad_flag.stderr_text) == 1);
  const auto missing = run_process({kCli, "info", "/nonexistent/net.pbtxt"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.stderr_text.rfind("spikeq: /nonexistent/net.pbtxt: cannot read", 0) == 0);
  CHECK(count_lines(missing.stderr_text) == 1);
  const auto bad_set = run_process({kCli, "info", example("poisson.pbtxt"), "--set", "slow.poisson.rate_hz=-1"});
  CHECK(bad_set.exit_code == 2);
  CHECK(bad_set.stderr_text.find("rate_hz = -1") != std::string::npos);
}

TEST_CASE("info describes populations, degrees, memory and input moments") {
  const auto r = run_process({kCli, "info", example("balanced_input.pbtxt")});
  REQUIRE(r.exit_code == 0);
  const std::string& out = r.stdout_text;
  CHECK(out.find("2250000 synapses, 0 of them stored as edges") != std::string::npos);  // 1000 x (1000 + 250 + 1000), all rates
  CHECK(out.find("exc_inputs -> neurons") != std::string::npos);
  CHECK(out.find("1000/ 1000.00/1000") != std::string::npos);  // exact in-degree
  CHECK(out.find("memory: estimated peak") != std::string::npos);
  // models/README.md Q6-Q7: mu = r tau J (C_E - g C_I) + drive = -5 + 25 = 20 mV,
  // sigma^2 = 14.5 + 2.5 = 17 mV^2 -> sigma = 4.123 mV
  CHECK(out.find("mu = 20 mV, sigma = 4.123 mV") != std::string::npos);
}

TEST_CASE("a network over the memory limit is refused before it is built") {
  const auto r = run_process({kCli, "info", example("brunel2000_ai.pbtxt"), "--memory-limit-mb", "10"});
  CHECK(r.exit_code == 2);
  CHECK(r.stderr_text.find("estimated memory") != std::string::npos);
  CHECK(r.stderr_text.find("exceeds the limit of 10.0 MiB") != std::string::npos);
  CHECK(count_lines(r.stderr_text) == 1);
}

TEST_CASE("run writes a sorted spikes.tsv and a manifest") {
  TempDir dir;
  const std::string out = dir / "run";
  const auto r = run_process({kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "200", "--format", "tsv"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.stdout_text.find("events/s") != std::string::npos);
  const auto lines = lines_of(read_file(out + "/spikes.tsv"));
  REQUIRE(lines.size() > 100);
  CHECK(lines[0] == "population\tnode_id\ttime_ms");
  double last_time = -1;
  int last_pop = -1;
  long last_node = -1;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string pop, time_text;
    long node = 0;
    in >> pop >> node >> time_text;
    const double t = std::stod(time_text);
    const int pop_index = pop == "slow" ? 0 : 1;
    REQUIRE(t >= last_time);
    if (t == last_time) REQUIRE(std::make_pair(pop_index, node) > std::make_pair(last_pop, last_node));
    REQUIRE(t < 200.0);
    REQUIRE(std::stod(time_text) == t);
    last_time = t;
    last_pop = pop_index;
    last_node = node;
  }
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  CHECK(manifest["status"] == "complete");
  CHECK(manifest["mode"] == "event");
  CHECK(manifest["seed"] == 1);
  CHECK(manifest["simulated_ms"] == 200.0);
  CHECK(manifest["netdef_resolved"].get<std::string>().find("duration_ms: 200") != std::string::npos);
  std::uint64_t spikes = 0;
  for (const auto& pop : manifest["populations"]) spikes += pop["spikes"].get<std::uint64_t>();
  CHECK(spikes == lines.size() - 1);

  SECTION("a non-empty output directory needs --force") {
    const auto again = run_process({kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "200"});
    CHECK(again.exit_code == 2);
    CHECK(again.stderr_text.find("not empty") != std::string::npos);
    CHECK(run_process({kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "200", "--force", "-q"})
              .exit_code == 0);
  }
}

TEST_CASE("SIGINT stops a run cleanly: exit 130, status interrupted, spikes kept") {
  TempDir dir;
  const std::string out = dir / "run";
  const pid_t pid = start_process({kCli, "run", example("balanced_input.pbtxt"), "-o", out, "--duration", "1e7", "--format", "tsv"},
                                  dir / "stdout", dir / "stderr");
  // Wait until spikes reach the file (the 1 MiB write buffer fills after ~20k spikes).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (std::filesystem::file_size(out + "/spikes.tsv", ec) > 0 && !ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGINT);
  const auto r = wait_process(pid);
  CHECK(r.exit_code == 130);
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  CHECK(manifest["status"] == "interrupted");
  const double reached = manifest["simulated_ms"].get<double>();
  CHECK(reached > 0);
  CHECK(reached < 1e7);
  const auto lines = lines_of(read_file(out + "/spikes.tsv"));
  REQUIRE(lines.size() > 1);
  CHECK(manifest["populations"][3]["spikes"].get<std::size_t>() == lines.size() - 1);
  std::istringstream last(lines.back());
  std::string pop, node, time;
  last >> pop >> node >> time;
  CHECK(pop == "neurons");
  CHECK(std::stod(time) < reached);
}
