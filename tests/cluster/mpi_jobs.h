// What the MPI tests share: mpirun as a user starts it on this 2-core machine,
// a started job with a bounded wait, and finding one rank's process.
#pragma once

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
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "process.h"

namespace spikeq::test::mpi {

namespace fs = std::filesystem;

inline const std::string kCli = SPIKEQ_CLI;
inline const std::string kMpirun = SPIKEQ_MPIRUN;
using Clock = std::chrono::steady_clock;

// mpirun -np 2 on this 2-core machine; as root OpenMPI wants to be told.
inline std::vector<std::string> mpirun(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {kMpirun, "-q", "--oversubscribe", "-np", "2"};
  if (geteuid() == 0) argv.push_back("--allow-run-as-root");
  for (const std::string& e : env) {
    argv.push_back("-x");
    argv.push_back(e);
  }
  argv.push_back(kCli);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

inline std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path) << text;
  return path;
}

inline nlohmann::json json_of(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

// The same JSON without what says when, how fast and by whom a task ran.
inline nlohmann::json without_execution(nlohmann::json j) {
  static const std::set<std::string> keys = {"wall_s",  "build_s", "per_wall_second", "started_utc", "finished_utc",
                                             "threads", "ranks",   "networks_built",  "rank"};
  if (j.is_object()) {
    for (const std::string& k : keys) j.erase(k);
    for (auto& [k, v] : j.items()) v = without_execution(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = without_execution(v);
  }
  return j;
}

inline std::string status_of(const std::string& manifest) {
  try {
    return json_of(manifest).value("status", "");
  } catch (const std::exception&) {
    return "";
  }
}

inline void wait_until(const std::function<bool()>& ready, double timeout_s = 60) {
  const auto until = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (!ready()) {
    REQUIRE(Clock::now() < until);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// A started mpirun: finish() waits at most `timeout_s`, then kills it (and fails).
struct Job {
  TempDir out;
  pid_t pid;
  Clock::time_point start = Clock::now();
  explicit Job(const std::vector<std::string>& argv) : pid(start_process(argv, out / "stdout", out / "stderr")) {}
  ProcessResult finish(double timeout_s) {
    int status = 0;
    ProcessResult r;
    for (;;) {
      if (waitpid(pid, &status, WNOHANG) == pid) break;
      if (Clock::now() - start > std::chrono::duration<double>(timeout_s) && !r.timed_out) {
        kill(pid, SIGKILL);
        r.timed_out = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
    r.stdout_text = read_file(out / "stdout");
    r.stderr_text = read_file(out / "stderr");
    return r;
  }
};

// The pid of rank `rank` of the job mpirun `parent` started (its child whose
// environment says OMPI_COMM_WORLD_RANK=rank); 0 while there is none.
inline pid_t rank_pid(pid_t parent, int rank) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::istringstream stat(read_file(e.path().string() + "/stat"));
    std::string pid, comm, state;
    pid_t ppid = 0;
    stat >> pid >> comm >> state >> ppid;
    if (ppid != parent) continue;
    const std::string environ = read_file(e.path().string() + "/environ");
    std::size_t at = 0;
    for (std::size_t end; (end = environ.find('\0', at)) != std::string::npos; at = end + 1)
      if (environ.compare(at, end - at, wanted) == 0) return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

// Sends `signal` to process `pid` of `job` (mpirun itself, or one rank) and waits
// (at most 60 s) for the job to end; checks it did, with a non-zero exit, within
// `within_s` of the signal.
inline ProcessResult signal_and_finish(Job& job, pid_t pid, int signal, double within_s) {
  REQUIRE(pid > 0);
  kill(pid, signal);
  const auto sent = Clock::now();
  const ProcessResult r = job.finish(60);
  INFO(r.stderr_text);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code != 0);
  CHECK(std::chrono::duration<double>(Clock::now() - sent).count() < within_s);
  return r;
}

// Kills rank `rank` of `job` with SIGKILL: the job must end within 20 s.
inline ProcessResult kill_rank_and_finish(Job& job, int rank) {
  return signal_and_finish(job, rank_pid(job.pid, rank), SIGKILL, 20);
}

}  // namespace spikeq::test::mpi
