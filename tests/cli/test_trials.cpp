// spikeq run --trials / --threads / --trial / --redraw-connectivity as a user
// meets them: byte-identical trials whatever the thread count, trial k equal to
// a single run of trial k, one frozen network, the flat layout kept for one
// run, progress on stderr, Ctrl-C with finished tasks complete.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"
#include "small_ei.h"

using namespace spikeq::test;
namespace fs = std::filesystem;

namespace {

const std::string kCli = SPIKEQ_CLI;

std::string write_small_ei(const TempDir& dir) {
  const std::string path = dir / "small_ei.pbtxt";
  std::ofstream(path) << kSmallEiNetdef;
  return path;
}

nlohmann::json json_of(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

ProcessResult run_ok(const std::vector<std::string>& argv) {
  const ProcessResult r = run_process(argv);
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("trials: --threads 1, 2, 4 give byte-identical trials; trial k equals --trial k") {
  TempDir tmp;
  const std::string net = write_small_ei(tmp);
  for (const char* threads : {"1", "2", "4"}) {
    const ProcessResult r = run_ok({kCli, "run", net, "--trials", "4", "--threads", threads, "--format", "tsv", "-o",
                                    tmp / (std::string("t") + threads)});
    CHECK(r.stdout_text.find("4 of 4 trials complete") != std::string::npos);
    CHECK(r.stdout_text.find("mean ± SEM across trials") != std::string::npos);
    CHECK(r.stdout_text.find("networks built: 1") != std::string::npos);
  }
  for (int k = 0; k < 4; ++k) {
    const std::string name = "/trial-000" + std::to_string(k) + "/spikes.tsv";
    const std::string one = read_file(tmp / "t1" + name);
    CHECK(one.size() > 1000);
    CHECK(read_file(tmp / "t2" + name) == one);
    CHECK(read_file(tmp / "t4" + name) == one);
  }
  CHECK(read_file(tmp / "t1/trial-0000/spikes.tsv") != read_file(tmp / "t1/trial-0001/spikes.tsv"));

  run_ok({kCli, "run", net, "--trial", "2", "--format", "tsv", "-o", tmp / "single2", "-q"});
  CHECK(read_file(tmp / "single2/spikes.tsv") == read_file(tmp / "t2/trial-0002/spikes.tsv"));
  CHECK(json_of(tmp / "single2/manifest.json")["trial"] == 2);

  const nlohmann::json index = json_of(tmp / "t2/trials.json");
  CHECK(index["trials"] == 4);
  CHECK(index["threads"] == 2);
  CHECK(index["connectivity"] == "frozen");
  CHECK(index["networks_built"] == 1);
  CHECK(index["status"] == "complete");
  REQUIRE(index["trial_runs"].size() == 4);
  CHECK(index["trial_runs"][3]["dir"] == "trial-0003");
  CHECK(index["trial_runs"][3]["status"] == "complete");
  CHECK(index["trial_runs"][3]["summary"][1]["name"] == "exc");
  CHECK(index["aggregate"]["trials"] == 4);
  CHECK(index["aggregate"]["populations"][1]["rate_sem_hz"].is_number());
  const nlohmann::json manifest = json_of(tmp / "t2/trial-0003/manifest.json");
  CHECK(manifest["trial"] == 3);
  CHECK(manifest["connectivity_trial"] == 0);
  CHECK(manifest["status"] == "complete");
  CHECK(manifest["summary"][1]["name"] == "exc");
  CHECK(manifest["summary"][1]["rate_hz"].get<double>() > 1);
}

TEST_CASE("trials: --redraw-connectivity builds a network per trial, and --trial K redraws the same") {
  TempDir tmp;
  const std::string net = write_small_ei(tmp);
  run_ok({kCli, "run", net, "--trials", "3", "--redraw-connectivity", "--format", "tsv", "-o", tmp / "r", "-q"});
  const nlohmann::json index = json_of(tmp / "r/trials.json");
  CHECK(index["connectivity"] == "redrawn");
  CHECK(index["networks_built"] == 3);
  CHECK(json_of(tmp / "r/trial-0002/manifest.json")["connectivity_trial"] == 2);
  run_ok({kCli, "run", net, "--trial", "2", "--redraw-connectivity", "--format", "tsv", "-o", tmp / "s", "-q"});
  CHECK(read_file(tmp / "s/spikes.tsv") == read_file(tmp / "r/trial-0002/spikes.tsv"));
  run_ok({kCli, "run", net, "--trial", "2", "--format", "tsv", "-o", tmp / "frozen", "-q"});
  CHECK(read_file(tmp / "frozen/spikes.tsv") != read_file(tmp / "r/trial-0002/spikes.tsv"));
}

TEST_CASE("trials: simulation { trials } nests; one trial keeps the flat layout") {
  TempDir tmp;
  const std::string net = write_small_ei(tmp);
  run_ok({kCli, "run", net, "--set", "simulation.trials=2", "-o", tmp / "nested", "-q"});
  CHECK(fs::exists(tmp / "nested/trial-0001/spikes.h5"));
  CHECK(fs::exists(tmp / "nested/trials.json"));
  CHECK_FALSE(fs::exists(tmp / "nested/manifest.json"));
  run_ok({kCli, "run", net, "-o", tmp / "flat", "-q"});
  CHECK(fs::exists(tmp / "flat/spikes.h5"));
  CHECK(fs::exists(tmp / "flat/manifest.json"));
  CHECK_FALSE(fs::exists(tmp / "flat/trial-0000"));
  // spikeq stats reads the trials and aggregates them.
  const ProcessResult stats = run_ok({kCli, "stats", tmp / "nested", "--json"});
  CHECK(nlohmann::json::parse(stats.stdout_text).dump().find("\"trials\":2") != std::string::npos);
}

TEST_CASE("trials: progress on stderr unless --quiet; refusals are one line") {
  TempDir tmp;
  const std::string net = write_small_ei(tmp);
  const ProcessResult r = run_ok({kCli, "run", net, "--trials", "2", "-o", tmp / "p"});
  CHECK(r.stderr_text.find("progress: 2/2 tasks done, 0 running") != std::string::npos);
  CHECK(r.stderr_text.find("events/s | ETA") != std::string::npos);
  const ProcessResult q = run_ok({kCli, "run", net, "--trials", "2", "-o", tmp / "q", "-q"});
  CHECK(q.stderr_text.empty());
  CHECK(q.stdout_text.empty());
  const ProcessResult both = run_process({kCli, "run", net, "--trials", "2", "--trial", "1", "-o", tmp / "b"});
  CHECK(both.exit_code == 2);
  CHECK(both.stderr_text == "spikeq: --trial runs one trial alone: not with --trials > 1 or a sweep\n");
  CHECK_FALSE(fs::exists(tmp / "b"));
  const ProcessResult zero = run_process({kCli, "run", net, "--trials", "0", "-o", tmp / "z"});
  CHECK(zero.exit_code == 2);
}

TEST_CASE("trials: Ctrl-C keeps finished tasks complete and marks running ones interrupted") {
  TempDir tmp;
  const std::string net = write_small_ei(tmp);
  // Points 0-1 are short, points 2-3 long: interrupt once point 1 is done and point 2 runs.
  const pid_t pid = start_process({kCli, "run", net, "--sweep", "duration_ms=100,100,100000,100000", "--threads",
                                   "2", "-o", tmp / "c"},
                                  tmp / "out.txt", tmp / "err.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const auto status_of = [&](const std::string& manifest) -> std::string {
    try {
      return json_of(manifest)["status"];
    } catch (...) {
      return "";
    }
  };
  while (std::chrono::steady_clock::now() < deadline &&
         !(status_of(tmp / "c/point-0001/trial-0000/manifest.json") == "complete" &&
           status_of(tmp / "c/point-0002/trial-0000/manifest.json") == "running"))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(pid, SIGINT);
  const ProcessResult r = wait_process(pid);
  CHECK(r.exit_code == 130);
  const nlohmann::json sweep = json_of(tmp / "c/sweep.json");
  CHECK(sweep["status"] == "interrupted");
  CHECK(sweep["points"][0]["status"] == "complete");
  CHECK(sweep["points"][1]["status"] == "complete");
  CHECK(sweep["points"][2]["status"] == "interrupted");
  const nlohmann::json running = json_of(tmp / "c/point-0002/trial-0000/manifest.json");
  CHECK(running["status"] == "interrupted");
  CHECK(running["simulated_ms"].get<double>() > 0);
  CHECK(running["simulated_ms"].get<double>() < 100000);
  CHECK(fs::exists(tmp / "c/point-0002/trial-0000/spikes.h5"));
  CHECK_FALSE(fs::exists(tmp / "c/point-0002/trial-0000/spikes.journal"));
  CHECK(json_of(tmp / "c/point-0000/trial-0000/manifest.json")["status"] == "complete");
  CHECK(read_file(tmp / "err.txt").find("interrupted") != std::string::npos);
}

TEST_CASE("threads: more --threads than cores run one network, or trials, silently and identically") {
  TempDir tmp;
  const std::string net = write_small_ei(tmp);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::string many = std::to_string(4 * cores);
  const ProcessResult one = run_ok({kCli, "run", net, "--threads", "1", "--format", "tsv", "-o", tmp / "one", "-q"});
  // oneTBB, capped at the cores, used to print a warning per arena here and run short-handed.
  for (const std::vector<std::string>& extra : {std::vector<std::string>{}, std::vector<std::string>{"--trials", "2"}}) {
    const std::string dir = tmp / (extra.empty() ? "many" : "many-trials");
    std::vector<std::string> argv{kCli, "run", net, "--threads", many, "--format", "tsv", "-o", dir, "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const ProcessResult r = run_ok(argv);
    CHECK(r.stderr_text.empty());
    CHECK(read_file(extra.empty() ? dir + "/spikes.tsv" : dir + "/trial-0000/spikes.tsv") ==
          read_file(tmp / "one/spikes.tsv"));
  }
}
