// Trials and sweep points over MPI ranks (engine/batch/batch_ranks.h), as a user
// meets them: `mpirun -np 2 --oversubscribe spikeq run ...` writes the directory
// of the one-process run (same spikes.h5 bytes, same manifests and indexes but for
// timings and who ran what), both ranks take tasks, bad input is one line from
// rank 0, and a batch whose rank is killed, stopped (silent) or whose mpirun gets
// SIGINT ends in bounded time with a non-zero exit and its finished tasks intact.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "mpi_jobs.h"
#include "process.h"
#include "small_ei.h"

using namespace spikeq::test;
using namespace spikeq::test::mpi;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> statuses(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e["status"]);
  return out;
}

// small_ei with the sweep in the netdef, so that `spikeq recover` can rebuild
// sweep.json after a kill; long points run until stopped.
std::string sweep_netdef(const std::string& durations_ms) {
  return kSmallEiNetdef + "sweep { path: \"duration_ms\" values: [" + durations_ms + "] }\n";
}

}  // namespace

TEST_CASE("mpi: a sweep with trials over 2 ranks writes the one-process run's directory, both ranks working") {
  TempDir tmp;
  const std::string net = write(tmp, "small_ei.pbtxt", kSmallEiNetdef);
  const std::vector<std::string> args = {"run", net, "--sweep", "ie.weight_mv+ii.weight_mv=-0.5:-1.5:3",
                                         "--trials", "3", "--threads", "1"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::vector<std::string> single = {kCli};
  for (const std::string& a : with({"-o", tmp / "one", "-q"})) single.push_back(a);
  const ProcessResult one = run_process(single);
  INFO(one.stderr_text);
  REQUIRE(one.exit_code == 0);
  const ProcessResult two = run_bounded(mpirun(with({"-o", tmp / "two"})), 300);
  INFO(two.stderr_text);
  REQUIRE(two.exit_code == 0);
  CHECK(two.stdout_text.find("sweep of 3 points x 3 trials (connectivity frozen, 1 threads on each of 2 ranks)") !=
        std::string::npos);
  // One progress line's worth, from rank 0 only: the last line of the display, once.
  const std::size_t last = two.stderr_text.find("progress: 9/9 tasks done, 0 running");
  CHECK(last != std::string::npos);
  CHECK(two.stderr_text.find("progress: 9/9 tasks done", last + 1) == std::string::npos);

  CHECK(read_file(tmp / "one/sweep.tsv") == read_file(tmp / "two/sweep.tsv"));
  CHECK(without_execution(json_of(tmp / "one/sweep.json")) == without_execution(json_of(tmp / "two/sweep.json")));
  const nlohmann::json sweep = json_of(tmp / "two/sweep.json");
  CHECK(sweep["ranks"] == 2);
  CHECK(sweep["status"] == "complete");
  std::set<int> ranks;
  std::uint64_t events = 0;
  for (int p = 0; p < 3; ++p) {
    const std::string point = "/point-000" + std::to_string(p);
    const nlohmann::json t_one = json_of(tmp / "one" + point + "/trials.json");
    const nlohmann::json t_two = json_of(tmp / "two" + point + "/trials.json");
    CHECK(without_execution(t_one) == without_execution(t_two));
    REQUIRE(t_two["trial_runs"].size() == 3);
    for (int k = 0; k < 3; ++k) {
      const std::string trial = point + "/trial-000" + std::to_string(k);
      INFO(trial);
      const std::string h5 = read_file(tmp / "one" + trial + "/spikes.h5");
      CHECK(h5.size() > 1000);
      CHECK(read_file(tmp / "two" + trial + "/spikes.h5") == h5);
      CHECK(without_execution(json_of(tmp / "one" + trial + "/manifest.json")) ==
            without_execution(json_of(tmp / "two" + trial + "/manifest.json")));
      ranks.insert(t_two["trial_runs"][k]["rank"].get<int>());
      events += t_two["trial_runs"][k]["events"].get<std::uint64_t>();
    }
  }
  CHECK(ranks == std::set<int>{0, 1});  // the tasks were spread, not all run by one rank
  CHECK(events > 0);
  // Same files, nothing more: no rank left anything of its own behind.
  std::set<std::string> files_one, files_two;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "one")) files_one.insert(fs::relative(e.path(), tmp / "one"));
  for (const auto& e : fs::recursive_directory_iterator(tmp / "two")) files_two.insert(fs::relative(e.path(), tmp / "two"));
  CHECK(files_one == files_two);
}

TEST_CASE("mpi: trials alone over 2 ranks equal the one-process trials, --force and the lock are rank 0's") {
  TempDir tmp;
  const std::string net = write(tmp, "small_ei.pbtxt", kSmallEiNetdef);
  const ProcessResult one = run_process({kCli, "run", net, "--trials", "4", "--format", "tsv", "-o", tmp / "one", "-q"});
  REQUIRE(one.exit_code == 0);
  for (int pass = 0; pass < 2; ++pass) {  // the second over the first's output, with --force
    const ProcessResult two =
        run_bounded(mpirun({"run", net, "--trials", "4", "--threads", "1", "--format", "tsv", "-o", tmp / "two", "-q",
                            "--force"}),
                    300);
    INFO(two.stderr_text);
    REQUIRE(two.exit_code == 0);
    CHECK(two.stderr_text.empty());
    for (int k = 0; k < 4; ++k) {
      const std::string name = "/trial-000" + std::to_string(k) + "/spikes.tsv";
      CHECK(read_file(tmp / "two" + name) == read_file(tmp / "one" + name));
    }
    CHECK(without_execution(json_of(tmp / "one/trials.json")) == without_execution(json_of(tmp / "two/trials.json")));
  }
  // Without --force the full directory is refused once, by rank 0, before anything runs.
  const ProcessResult again = run_bounded(mpirun({"run", net, "--trials", "4", "-o", tmp / "two", "-q"}), 120);
  CHECK(again.exit_code == 2);
  CHECK(one_line(again).find("spikeq: ") == 0);
  CHECK(one_line(again).find("not empty") != std::string::npos);
}

TEST_CASE("mpi: bad input and what does not run over ranks are one line from rank 0, exit 2, nothing written") {
  TempDir tmp;
  const std::string net = write(tmp, "small_ei.pbtxt", kSmallEiNetdef);
  const ProcessResult bad = run_bounded(mpirun({"run", net, "--sweep", "nosuch.weight_mv=1,2", "-o", tmp / "b"}), 120);
  CHECK(bad.exit_code == 2);
  CHECK(one_line(bad).find("spikeq: ") == 0);
  CHECK(one_line(bad).find("nosuch") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp / "b"));

  // One stepped network over the ranks: what the grid cannot represent.
  const ProcessResult single =
      run_bounded(mpirun({"run", net, "--mode", "stepped", "--dt", "0.3", "-o", tmp / "s"}), 120);
  CHECK(single.exit_code == 2);
  CHECK(one_line(single) ==
        "spikeq: duration_ms 200 is not a whole number of steps of dt_ms 0.3 (the stepped engine runs whole steps)");
  CHECK_FALSE(fs::exists(tmp / "s"));

  const ProcessResult info = run_bounded(mpirun({"info", net}), 120);
  CHECK(info.exit_code == 2);
  CHECK(one_line(info).find("`spikeq info` runs in one process") != std::string::npos);
}

TEST_CASE("mpi: a task failing on any rank stops the batch: exit 1, one line, indexes written") {
  TempDir tmp;
  const std::string net = write(tmp, "small_ei.pbtxt", kSmallEiNetdef);
  const ProcessResult r = run_bounded(
      mpirun({"run", net, "--trials", "4", "--threads", "1", "-o", tmp / "f", "-q"}, {"SPIKEQ_FAULT_BAD_ALLOC=run"}),
      120);
  CHECK(r.exit_code == 1);
  CHECK(one_line(r).find("spikeq: out of memory") == 0);
  const nlohmann::json t = json_of(tmp / "f/trials.json");
  CHECK(t["status"] == "failed");
  CHECK(t["trial_runs"][0]["status"] == "failed");
}

TEST_CASE("mpi: kill -9 of one rank mid-run: non-zero exit in bounded time, finished tasks intact, recover works") {
  TempDir tmp;
  const std::string net = write(tmp, "sweep.pbtxt", sweep_netdef("200, 200, 200, 200, 1000000, 1000000"));
  const std::string dir = tmp / "k";
  Job job(mpirun({"run", net, "--threads", "1", "-o", dir, "-q"}));
  // Points 0-3 finish at once; 4 and 5 then run, one on each rank.
  wait_until([&] {
    return status_of(dir + "/point-0004/trial-0000/manifest.json") == "running" &&
           status_of(dir + "/point-0005/trial-0000/manifest.json") == "running";
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill_rank_and_finish(job, 1);
  // The finished points are whole: the one-process run's bytes.
  const std::string ref = tmp / "ref";
  REQUIRE(run_process({kCli, "run", write(tmp, "short.pbtxt", sweep_netdef("200, 200, 200, 200")), "-o", ref, "-q"})
              .exit_code == 0);
  for (int p = 0; p < 4; ++p) {
    const std::string trial = "/point-000" + std::to_string(p) + "/trial-0000";
    CHECK(status_of(dir + trial + "/manifest.json") == "complete");
    CHECK(read_file(dir + trial + "/spikes.h5") == read_file(ref + trial + "/spikes.h5"));
  }
  const ProcessResult rec = run_bounded({kCli, "recover", dir}, 120);
  INFO(rec.stdout_text + rec.stderr_text);
  CHECK(rec.exit_code == 0);
  const nlohmann::json sweep = json_of(dir + "/sweep.json");
  CHECK(statuses(sweep["points"]) ==
        std::vector<std::string>{"complete", "complete", "complete", "complete", "interrupted", "interrupted"});
  for (int p = 4; p < 6; ++p) CHECK(fs::exists(dir + "/point-000" + std::to_string(p) + "/trial-0000/spikes.h5"));
}

TEST_CASE("mpi: SIGINT to mpirun: finished tasks complete, running ones interrupted, the rest not started") {
  TempDir tmp;
  const std::string net = write(tmp, "sweep.pbtxt", sweep_netdef("200, 200, 1000000, 1000000, 200, 200"));
  const std::string dir = tmp / "i";
  Job job(mpirun({"run", net, "--threads", "1", "-o", dir, "-q"}));
  wait_until([&] {
    return status_of(dir + "/point-0002/trial-0000/manifest.json") == "running" &&
           status_of(dir + "/point-0003/trial-0000/manifest.json") == "running";
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const ProcessResult r = signal_and_finish(job, job.pid, SIGINT, 10);
  INFO(r.stderr_text);
  CHECK(r.stderr_text.find("spikeq: interrupted; finished trials are complete, running ones marked interrupted, "
                           "the others not_started in " + dir + "/sweep.json") != std::string::npos);
  const nlohmann::json sweep = json_of(dir + "/sweep.json");
  CHECK(statuses(sweep["points"]) == std::vector<std::string>{"complete", "complete", "interrupted", "interrupted",
                                                              "not_started", "not_started"});
  for (int p = 2; p < 4; ++p) {
    const std::string trial = dir + "/point-000" + std::to_string(p) + "/trial-0000";
    CHECK(status_of(trial + "/manifest.json") == "interrupted");
    CHECK(fs::exists(trial + "/spikes.h5"));
  }
  CHECK_FALSE(fs::exists(dir + "/point-0004/trial-0000"));
}

TEST_CASE("mpi: a rank that goes silent (SIGSTOP) is given up after SPIKEQ_MPI_SILENCE_S: indexes, one line, exit") {
  TempDir tmp;
  const std::string net = write(tmp, "sweep.pbtxt", sweep_netdef("200, 200, 1000000, 1000000, 200"));
  const std::string dir = tmp / "s";
  Job job(mpirun({"run", net, "--threads", "1", "-o", dir, "-q"}, {"SPIKEQ_MPI_SILENCE_S=3"}));
  wait_until([&] {
    return status_of(dir + "/point-0002/trial-0000/manifest.json") == "running" &&
           status_of(dir + "/point-0003/trial-0000/manifest.json") == "running";
  });
  const pid_t silent = rank_pid(job.pid, 1);
  REQUIRE(silent > 0);
  kill(silent, SIGSTOP);
  const auto stopped = Clock::now();
  const ProcessResult r = job.finish(60);
  kill(silent, SIGKILL);  // in case the job's end left it behind
  INFO(r.stderr_text);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code != 0);
  const double waited = std::chrono::duration<double>(Clock::now() - stopped).count();
  CHECK(waited > 3);
  CHECK(waited < 20);
  CHECK(r.stderr_text.find("spikeq: rank 1 stopped answering for 3 s (killed, or its node is gone); its running "
                           "trials are lost: `spikeq recover " + dir + "` rebuilds their files") != std::string::npos);
  const nlohmann::json sweep = json_of(dir + "/sweep.json");
  const std::vector<std::string> st = statuses(sweep["points"]);
  REQUIRE(st.size() == 5);
  CHECK(st[0] == "complete");
  CHECK(st[1] == "complete");
  // Rank 1's long point failed with it, rank 0's was stopped; the last never started.
  CHECK(std::multiset<std::string>{st[2], st[3]} == std::multiset<std::string>{"failed", "interrupted"});
  CHECK(st[4] == "not_started");
}

TEST_CASE("mpi: a rank that loses rank 0 (SIGSTOP) stops its own tasks, says so in one line and ends the job") {
  TempDir tmp;
  const std::string net = write(tmp, "sweep.pbtxt", sweep_netdef("200, 200, 1000000, 1000000, 200"));
  const std::string dir = tmp / "r";
  Job job(mpirun({"run", net, "--threads", "1", "-o", dir, "-q"}, {"SPIKEQ_MPI_SILENCE_S=3"}));
  wait_until([&] {
    return status_of(dir + "/point-0002/trial-0000/manifest.json") == "running" &&
           status_of(dir + "/point-0003/trial-0000/manifest.json") == "running";
  });
  const pid_t root = rank_pid(job.pid, 0);
  REQUIRE(root > 0);
  kill(root, SIGSTOP);
  const ProcessResult r = job.finish(60);
  kill(root, SIGKILL);
  INFO(r.stderr_text);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code != 0);
  CHECK(r.stderr_text.find("spikeq: rank 1: rank 0 stopped answering for 3 s; trials finished here are complete, "
                           "`spikeq recover " + dir + "` rebuilds the rest and the indexes") != std::string::npos);
  // Rank 1's long trial was stopped, its files finished.
  const std::string a = dir + "/point-0002/trial-0000/manifest.json", b = dir + "/point-0003/trial-0000/manifest.json";
  CHECK((status_of(a) == "interrupted" || status_of(b) == "interrupted"));
  const ProcessResult rec = run_bounded({kCli, "recover", dir}, 120);
  INFO(rec.stdout_text + rec.stderr_text);
  CHECK(rec.exit_code == 0);
  CHECK(statuses(json_of(dir + "/sweep.json")["points"]) ==
        std::vector<std::string>{"complete", "complete", "interrupted", "interrupted", "not_started"});
}

TEST_CASE("mpi: SIGTERM to one rank alone stops every rank: exit 143, the indexes list every point") {
  TempDir tmp;
  const std::string net = write(tmp, "sweep.pbtxt", sweep_netdef("200, 200, 1000000, 1000000, 200, 200"));
  const std::string dir = tmp / "t";
  Job job(mpirun({"run", net, "--threads", "1", "-o", dir, "-q"}));
  wait_until([&] {
    return status_of(dir + "/point-0002/trial-0000/manifest.json") == "running" &&
           status_of(dir + "/point-0003/trial-0000/manifest.json") == "running";
  });
  const pid_t one = rank_pid(job.pid, 1);
  REQUIRE(one > 0);
  kill(one, SIGTERM);
  const ProcessResult r = job.finish(60);
  INFO(r.stderr_text);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 143);  // rank 0 learnt the signal from rank 1
  CHECK(one_line(r) == "spikeq: interrupted; finished trials are complete, running ones marked interrupted, the "
                       "others not_started in " + dir + "/sweep.json");
  CHECK(statuses(json_of(dir + "/sweep.json")["points"]) ==
        std::vector<std::string>{"complete", "complete", "interrupted", "interrupted", "not_started", "not_started"});
}
