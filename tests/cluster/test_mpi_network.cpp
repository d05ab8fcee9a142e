// One network over MPI ranks (`mpirun -np 2 spikeq run NETDEF`, either engine,
// with CommEpochExchange): the directory of the one-process run, spikes.h5 byte
// for byte, for any threads per rank; a stop through mpirun ends every rank at one
// epoch with the files whole; a killed rank ends the job in bounded time and
// `spikeq recover` rebuilds rank 0's record.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "mpi_jobs.h"
#include "process.h"
#include "small_ei.h"

using namespace spikeq::test;
using namespace spikeq::test::mpi;
namespace fs = std::filesystem;

namespace {

// small_ei, larger and with voltage probes, so each rank owns many nodes and
// the samples of both ranks reach rank 0's file.
std::string probed_netdef(const std::string& duration_ms) {
  std::string text = kSmallEiNetdef;
  const std::string from = "duration_ms: 200";
  text.replace(text.find(from), from.size(), "duration_ms: " + duration_ms);
  const std::string recording = "recording { spikes_from: \"exc\" spikes_from: \"inh\" }";
  text.replace(text.find(recording), recording.size(),
               "recording { spikes_from: \"exc\" spikes_from: \"inh\"\n"
               "  voltage_probes { population: \"exc\" node_ids: 0 node_ids: 159 interval_ms: 1 start_ms: 0 }\n"
               "  voltage_probes { population: \"inh\" node_ids: 39 interval_ms: 2.5 start_ms: 1 } }");
  return text;
}

}  // namespace

TEST_CASE("mpi: one network over 2 ranks writes the one-process run's files, for 1 and 2 threads per rank") {
  TempDir tmp;
  const std::string net = write(tmp, "probed.pbtxt", probed_netdef("300"));
  // The exact engine, and the grid in both integrators.
  for (const std::vector<std::string>& mode : {std::vector<std::string>{"--mode", "event"},
                                              std::vector<std::string>{"--mode", "stepped", "--dt", "0.1"},
                                              std::vector<std::string>{"--mode", "stepped", "--integrator", "exact"}}) {
    const std::string name = mode[1] + (mode.size() > 2 ? mode[2] : "");
    CAPTURE(name);
    const std::string ref = tmp / ("ref-" + name);
    std::vector<std::string> one{kCli, "run", net, "--threads", "1", "--format", "both", "-o", ref, "-q"};
    one.insert(one.end(), mode.begin(), mode.end());
    REQUIRE(run_bounded(one, 120).exit_code == 0);
    for (const std::string threads : {"1", "2"}) {
      CAPTURE(threads);
      const std::string dir = tmp / (name + "-r" + threads);
      std::vector<std::string> args{"run", net, "--threads", threads, "--format", "both", "-o", dir, "-q"};
      args.insert(args.end(), mode.begin(), mode.end());
      const ProcessResult r = run_bounded(mpirun(args), 120);
      INFO(r.stderr_text);
      REQUIRE(r.exit_code == 0);
      for (const std::string file : {"spikes.h5", "spikes.tsv", "voltages.h5", "voltages.tsv"})
        CHECK(read_file(dir + "/" + file) == read_file(ref + "/" + file));
      CHECK(without_execution(json_of(dir + "/manifest.json")) == without_execution(json_of(ref + "/manifest.json")));
    }
  }
}
TEST_CASE("mpi: SIGINT to mpirun stops one network on every rank at one epoch: interrupted, a prefix, exit non-zero") {
  const std::string mode = GENERATE(std::string("event"), std::string("stepped"));
  CAPTURE(mode);
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", probed_netdef("10000000"));
  const std::string dir = tmp / "i";
  Job job(mpirun({"run", net, "--mode", mode, "--threads", "1", "--format", "tsv", "-o", dir, "-q"}));
  wait_until([&] { return fs::exists(dir + "/spikes.tsv") && fs::file_size(dir + "/spikes.tsv") > 20000; });
  const ProcessResult r = signal_and_finish(job, job.pid, SIGINT, 10);
  INFO(r.stderr_text);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  REQUIRE(m["status"] == "interrupted");
  const double reached_ms = m["simulated_ms"];
  REQUIRE(reached_ms > 0);
  // The record is the uninterrupted run's up to the time reached.
  const std::string ref = tmp / "ref";
  const ProcessResult whole = run_bounded({kCli, "run", net, "--mode", mode, "--threads", "1", "--format", "tsv", "-o",
                                           ref, "-q", "--duration", std::to_string(reached_ms)}, 120);
  REQUIRE(whole.exit_code == 0);
  CHECK(read_file(dir + "/spikes.tsv") == read_file(ref + "/spikes.tsv"));
}

TEST_CASE("mpi: kill -9 of rank 1 of one network: non-zero exit in bounded time, recover rebuilds rank 0's record") {
  const std::string mode = GENERATE(std::string("event"), std::string("stepped"));
  CAPTURE(mode);
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", probed_netdef("10000000"));
  const std::string dir = tmp / "k";
  Job job(mpirun({"run", net, "--mode", mode, "--threads", "1", "-o", dir, "-q"}));
  wait_until([&] { return status_of(dir + "/manifest.json") == "running"; });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill_rank_and_finish(job, 1);
  const ProcessResult rec = run_bounded({kCli, "recover", dir}, 120);
  INFO(rec.stdout_text + rec.stderr_text);
  CHECK((rec.exit_code == 0 || rec.exit_code == 3));
  CHECK(fs::exists(dir + "/spikes.h5"));
  const ProcessResult stats = run_bounded({kCli, "stats", dir}, 120);
  CHECK(stats.exit_code == 0);
}
