// Hostile use of a run's life cycle (issue 15, items 2, 3 and 6): two processes on
// one run directory, recover/convert/stats on a live run, SIGINT and SIGTERM at
// every stage (network build, a long OU epoch, a fast probe, a fast Poisson source,
// the stepped grid, the HDF5 build, a batch whose later tasks have not started),
// --force over every layout, and an allocation failure. Each case asserts the exit
// code, the one line on stderr, bounded time and memory, and what the directory
// holds afterwards; an interrupted run's output must be exactly a prefix of the
// uninterrupted run's.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "process.h"

using namespace spikeq::test;
namespace fs = std::filesystem;

namespace {

const std::string kCli = SPIKEQ_CLI;
const std::string kPython = "/usr/bin/python3";
const std::string kCheck = std::string(SPIKEQ_SOURCE_DIR) + "/tests/cli/recording_check.py";
using Clock = std::chrono::steady_clock;

// Poisson spikes only: builds in no time, runs until stopped, a modest output.
// Every netdef here stays well inside the ranges the loader accepts (at most ~1e9
// pieces, samples or spikes): legal, merely slow or large.
const char* kLongRun = R"(name: "long_run"
duration_ms: 1000000
seed: 1
populations { name: "a" size: 100 poisson { rate_hz: 1000 } }
)";

// One epoch (10 ms) of 500 noisy membranes in pieces of 1e-5 ms: 5e8 pieces, many
// seconds of work before the epoch's end, where the old engine looked at the flag.
const char* kLongEpoch = R"(name: "long_epoch"
duration_ms: 10
seed: 1
populations {
  name: "n" size: 500
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 mu_mv: 15 sigma_mv: 5 }
}
simulation { ou_check_interval_ms: 1e-5 }
)";

// Noisy membranes in short pieces, epochs of ~0.1 s: an interruption lands mid-run.
const char* kSlowOu = R"(name: "slow_ou"
duration_ms: 2000
seed: 3
populations {
  name: "n" size: 20
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 mu_mv: 15 sigma_mv: 5
        v_init { uniform { low_mv: 10 high_mv: 20 } } }
}
simulation { ou_check_interval_ms: 1e-4 }
)";

// A voltage probe every 1e-3 ms on a noisy membrane (1e4 samples per epoch).
const char* kFastProbe = R"(name: "fast_probe"
duration_ms: 2000
seed: 5
populations {
  name: "n" size: 1
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 mu_mv: 15 sigma_mv: 5 }
}
simulation { ou_check_interval_ms: 1e-5 }
recording { spikes_from: "n" voltage_probes { population: "n" interval_ms: 0.001 } }
)";

// A source at 1e8 Hz (1e6 spikes per epoch) delivered to one neuron through the graph.
const char* kFastSource = R"(name: "fast_source"
duration_ms: 2000
seed: 7
populations { name: "drive" size: 1 poisson { rate_hz: 1e8 } }
populations {
  name: "n" size: 1
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 }
}
projections {
  name: "in" source: "drive" target: "n" one_to_one {} weight_mv: 0.002 independent_trains: false
}
recording { spikes_from: "n" }
)";

// One epoch (10 ms) of a probe every 1e-7 ms on a noisy membrane: 1e8 samples,
// many seconds, before the old engine looked at the flag.
const char* kProbeEpoch = R"(name: "probe_epoch"
duration_ms: 10
seed: 5
populations {
  name: "n" size: 1
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 mu_mv: 15 sigma_mv: 5 }
}
recording { spikes_from: "n" voltage_probes { population: "n" interval_ms: 1e-7 } }
)";

// A 1e9 Hz source (the largest rate a netdef may give) delivering through the
// graph: 2e7 spikes over 20 ms, several seconds of work inside its first epoch.
const char* kSourceEpoch = R"(name: "source_epoch"
duration_ms: 20
seed: 7
populations { name: "drive" size: 1 poisson { rate_hz: 1e9 } }
populations {
  name: "n" size: 1
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 }
}
projections {
  name: "in" source: "drive" target: "n" one_to_one {} weight_mv: 1e-6 independent_trains: false
}
recording { spikes_from: "n" }
)";

// 1e8 edges (600 MB): a network build of a few seconds (the build takes about
// 13 ns per edge and thread: 2e7 edges took 0.25 s, less than the tests wait
// before they signal).
const char* kBigBuild = R"(name: "big_build"
duration_ms: 100
seed: 1
populations { name: "n" size: 50000 lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 } }
projections {
  name: "rec" source: "n" target: "n" fixed_indegree { indegree: 2000 } weight_mv: 0.01 delay_ms: 1.5
}
)";

// 5e6 spikes in 1 s: a file build that takes a noticeable moment.
const char* kManySpikes = R"(name: "many_spikes"
duration_ms: 1000
seed: 1
populations { name: "a" size: 10000 poisson { rate_hz: 500 } }
)";

// The time-stepped engine at a small step.
const char* kStepped = R"(name: "stepped"
duration_ms: 1000
seed: 2
populations {
  name: "n" size: 200
  lif { tau_m_ms: 20 e_l_mv: 0 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 mu_mv: 15 sigma_mv: 5 }
}
simulation { mode: STEPPED dt_ms: 0.001 }
)";

std::string write(const TempDir& tmp, const std::string& name, const char* text) {
  const std::string path = tmp / name;
  std::ofstream(path) << text;
  return path;
}

nlohmann::json json_of(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

std::string status_of(const std::string& manifest) {
  try {
    return json_of(manifest)["status"];
  } catch (...) {
    return "";
  }
}

void wait_until(const std::function<bool()>& ready, double timeout_s = 30) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (!ready() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(ready());
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Waits until a streamed TSV holds rows after its header (written about once a second).
void wait_for_rows(const std::string& path) {
  const std::uintmax_t header = path.find("voltages") != std::string::npos ? 38 : 27;
  wait_until([&] {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    return !ec && size > header;
  });
}

// A started process, waited for with a time limit (SIGKILL after it), its wall time
// counted from the wait, its peak RSS and its output.
struct Child {
  TempDir io;
  pid_t pid = -1;
  explicit Child(const std::vector<std::string>& argv) { pid = start_process(argv, io / "out", io / "err"); }
  ProcessResult finish(double timeout_s) {
    const auto start = Clock::now();
    ProcessResult r;
    int status = 0;
    rusage usage{};
    for (;;) {
      if (wait4(pid, &status, WNOHANG, &usage) == pid) break;
      if (Clock::now() - start > std::chrono::duration<double>(timeout_s) && !r.timed_out) {
        kill(pid, SIGKILL);
        r.timed_out = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    r.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
    r.stdout_text = read_file(io / "out");
    r.stderr_text = read_file(io / "err");
    pid = -1;
    return r;
  }
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

// Signals `child` and expects it to end within `limit_s` with `code` and one line.
ProcessResult stop(Child& child, int sig, int code, double limit_s = 2.0) {
  kill(child.pid, sig);
  ProcessResult r = child.finish(30);
  INFO(r.stderr_text);
  CHECK(r.exit_code == code);
  CHECK_FALSE(r.timed_out);
  CHECK(r.wall_s < limit_s);
  return r;
}

// The rows of a TSV file (header dropped) with the time in column `time_column`.
std::vector<std::pair<double, std::string>> tsv_rows(const std::string& path, int time_column) {
  std::vector<std::pair<double, std::string>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int c = 0; c <= time_column; ++c) std::getline(fields, field, '\t');
    rows.emplace_back(std::stod(field), line);
  }
  return rows;
}

// `part` holds exactly the rows of `whole` before `until_ms` (at it too when
// `closed`): what was written is a prefix of the uninterrupted run, complete up to
// a time, with nothing missing and nothing extra.
// `whole` must come from a run that went past `until_ms`.
void check_prefix(const std::string& part, const std::string& whole, int time_column, double until_ms, bool closed,
                  std::size_t min_rows = 1) {
  const auto a = tsv_rows(part, time_column);
  const auto b = tsv_rows(whole, time_column);
  const auto inside = [&](double t) { return closed ? t <= until_ms : t < until_ms; };
  std::size_t expected = 0;
  while (expected < b.size() && inside(b[expected].first)) ++expected;
  INFO(part << ": " << a.size() << " rows; " << whole << ": " << expected << " before " << until_ms << " ms");
  CHECK(a.size() >= min_rows);  // not a vacuous comparison
  REQUIRE(a.size() == expected);
  bool same = true;
  for (std::size_t i = 0; i < a.size(); ++i) same &= a[i].second == b[i].second;
  CHECK(same);
}

// Interrupted run `dir` against a run of the same netdef to `until` + margin.
void check_spikes_prefix(const std::string& net, const std::string& dir, const std::string& ref, double margin_ms,
                         bool closed, std::size_t min_rows = 1, const std::vector<std::string>& extra = {}) {
  const double until = json_of(dir + "/manifest.json")["simulated_ms"];
  char duration[64];
  std::snprintf(duration, sizeof duration, "%.17g", until + margin_ms);
  std::vector<std::string> argv{kCli, "run", net, "--duration", duration, "--format", "tsv", "-q", "-o", ref};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const ProcessResult r = run_bounded(argv, 60);
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  REQUIRE(json_of(ref + "/manifest.json")["simulated_ms"].get<double>() > until);
  check_prefix(dir + "/spikes.tsv", ref + "/spikes.tsv", 2, until, closed, min_rows);
}

// Runs a recording_check.py check: "ok" or the first difference.
void python_check(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kPython, kCheck};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv);
  INFO("recording_check.py " << args[0] << ": " << r.stdout_text << r.stderr_text);
  CHECK(r.stdout_text == "ok\n");
}

std::size_t lines_in(const std::string& path) {
  const std::string text = read_file(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A run of kLongRun into `dir`, live once its manifest says "running" and its
// spikes stream.
std::vector<std::string> live_argv(const std::string& net, const std::string& dir,
                                   const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{kCli, "run", net, "-o", dir, "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

void wait_running(const std::string& dir) {
  wait_until([&] { return status_of(dir + "/manifest.json") == "running" && exists(dir + "/.spikeq.lock"); });
}

// Whether another process holds DIR's lock (the probe `spikeq stats` makes: a
// shared lock taken and dropped at once).
bool lock_held(const std::string& dir) {
  const int fd = ::open((dir + "/.spikeq.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

ProcessResult cli(const std::vector<std::string>& args, double timeout_s = 20) {
  std::vector<std::string> argv{kCli};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_bounded(argv, timeout_s);
}

// A refusal: the code, one line starting with "spikeq: " and holding `text`, fast and small.
void check_refusal(const ProcessResult& r, int code, const std::string& text) {
  INFO(r.stderr_text);
  CHECK(r.exit_code == code);
  CHECK(one_line(r).rfind("spikeq: ", 0) == 0);
  CHECK(one_line(r).find(text) != std::string::npos);
  CHECK_FALSE(r.timed_out);
  CHECK(r.wall_s < 2.0);
  CHECK(r.peak_rss_mb < 100);
}

}  // namespace

// ---------------------------------------------------------------- one owner per directory

TEST_CASE("lifecycle: two runs started at once into one directory: exactly one proceeds, the other names it") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child a({kCli, "run", net, "-o", dir, "--force", "--format", "tsv", "-q"});
  Child b({kCli, "run", net, "-o", dir, "--force", "--format", "tsv", "-q"});
  // The loser is refused within the lock's short retry; the winner runs on.
  int status = 0;
  bool a_done = false, b_done = false;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!a_done && !b_done && Clock::now() < deadline) {
    a_done = waitpid(a.pid, &status, WNOHANG) == a.pid;
    if (!a_done) b_done = waitpid(b.pid, &status, WNOHANG) == b.pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(a_done != b_done);
  (a_done ? a : b).pid = -1;
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Child& winner = a_done ? b : a;
  REQUIRE(waitpid(winner.pid, &status, WNOHANG) == 0);  // still running
  const std::string loser_err = read_file((a_done ? a : b).io / "err");
  CHECK(loser_err == "spikeq: " + dir + ": in use by pid " + std::to_string(winner.pid) + " (spikeq run " + net +
                         " -o " + dir + " --force --format tsv -q), since " +
                         loser_err.substr(loser_err.find(", since ") + 8));
  stop(winner, SIGINT, 130);
  // The winner's files are its own: the manifest's count is the file's.
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["populations"][0]["spikes"].get<std::size_t>() + 1 == lines_in(dir + "/spikes.tsv"));
  CHECK_FALSE(exists(dir + "/.spikeq.lock"));
}

// The moment of the test above in which the loser used to name "another spikeq
// process": the winner holds the lock but has not yet written its pid, command and
// start into the lock file. SPIKEQ_FAULT_LOCK_PAUSE_MS (engine/io/run_lock.h) holds
// that moment open.
TEST_CASE("lifecycle: a run refused while the holder has not yet written the lock file names the holder") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  SECTION("the holder writes within the second the refused one waits: it is named") {
    ::setenv("SPIKEQ_FAULT_LOCK_PAUSE_MS", "800", 1);
    Child first(live_argv(net, dir));
    ::unsetenv("SPIKEQ_FAULT_LOCK_PAUSE_MS");
    wait_until([&] { return lock_held(dir); });
    REQUIRE(fs::file_size(dir + "/.spikeq.lock") == 0);  // held, not yet written
    // A run, and the two ways of looking (stats probes, recover tries to lock), all
    // inside that moment.
    Child second({kCli, "run", net, "-o", dir, "--force", "--duration", "10", "-q"});
    Child stats({kCli, "stats", dir});
    Child recover({kCli, "recover", dir});
    const std::string holder = dir + ": in use by pid " + std::to_string(first.pid) + " (spikeq run " + net + " -o " +
                               dir + " -q), since ";
    check_refusal(second.finish(20), 2, holder);
    check_refusal(stats.finish(20), 2, holder);
    check_refusal(recover.finish(20), 2, holder);
    wait_running(dir);
    stop(first, SIGINT, 130);
  }
  SECTION("a lock file left by a killed run: the new holder's, not the dead one's, is named") {
    Child killed(live_argv(net, dir));
    wait_running(dir);
    kill(killed.pid, SIGKILL);
    killed.finish(10);
    REQUIRE(fs::file_size(dir + "/.spikeq.lock") > 0);  // names the killed run
    ::setenv("SPIKEQ_FAULT_LOCK_PAUSE_MS", "800", 1);
    Child first(live_argv(net, dir, {"--force"}));
    ::unsetenv("SPIKEQ_FAULT_LOCK_PAUSE_MS");
    wait_until([&] { return lock_held(dir); });
    REQUIRE(fs::file_size(dir + "/.spikeq.lock") == 0);  // emptied, not yet written
    const ProcessResult stats = cli({"stats", dir});
    check_refusal(stats, 2, dir + ": in use by pid " + std::to_string(first.pid) + " (spikeq run ");
    stop(first, SIGINT, 130);
  }
  SECTION("a holder that never writes: after a second, the refusal says so, without naming it") {
    ::setenv("SPIKEQ_FAULT_LOCK_PAUSE_MS", "4000", 1);
    Child first(live_argv(net, dir));
    ::unsetenv("SPIKEQ_FAULT_LOCK_PAUSE_MS");
    wait_until([&] { return lock_held(dir); });
    const ProcessResult second = cli({"run", net, "-o", dir, "--force", "--duration", "10", "-q"});
    check_refusal(second, 2, "spikeq: " + dir + ": in use by another spikeq process");
    CHECK(second.wall_s > 0.9);  // waited for the description before giving up on it
    wait_running(dir);
    stop(first, SIGINT, 130);
  }
}

TEST_CASE("lifecycle: a second run --force into a live directory is refused and the first one's files stay whole") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child first(live_argv(net, dir, {"--format", "both"}));
  wait_running(dir);
  const ProcessResult second = cli({"run", net, "-o", dir, "--force", "--duration", "10", "-q"});
  check_refusal(second, 2, dir + ": in use by pid " + std::to_string(first.pid) + " (spikeq run ");
  const ProcessResult plain = cli({"run", net, "-o", dir, "--duration", "10", "-q"});
  check_refusal(plain, 2, "in use by pid " + std::to_string(first.pid));
  stop(first, SIGINT, 130);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["duration_ms"] == 1000000.0);
  python_check({"sonata", dir});  // spikes.h5 holds exactly the manifest's count
  CHECK(m["populations"][0]["spikes"].get<std::size_t>() + 1 == lines_in(dir + "/spikes.tsv"));
}

TEST_CASE("lifecycle: recover on a live run is refused; the run then finishes with every spike in spikes.h5") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child run(live_argv(net, dir));
  wait_running(dir);
  const ProcessResult r = cli({"recover", dir});
  check_refusal(r, 2, dir + ": in use by pid " + std::to_string(run.pid));
  CHECK(exists(dir + "/spikes.journal"));  // untouched
  stop(run, SIGTERM, 143);
  CHECK(status_of(dir + "/manifest.json") == "interrupted");
  python_check({"sonata", dir});
  // Once the run is gone, recover is allowed (and has nothing to do).
  const ProcessResult after = cli({"recover", dir});
  CHECK(after.exit_code == 0);
}

TEST_CASE("lifecycle: convert on a live run is refused, naming the holder") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child run(live_argv(net, dir));
  wait_running(dir);
  check_refusal(cli({"convert", dir, "--to", "tsv"}), 2, dir + ": in use by pid " + std::to_string(run.pid));
  CHECK_FALSE(exists(dir + "/spikes.tsv"));
  stop(run, SIGINT, 130);
}

TEST_CASE("lifecycle: stats and compare on a live run say it is live (exit 2) instead of suggesting recover") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  REQUIRE(cli({"run", net, "-o", tmp / "done", "--duration", "50", "-q"}).exit_code == 0);
  Child run(live_argv(net, dir));
  wait_running(dir);
  const ProcessResult stats = cli({"stats", dir});
  check_refusal(stats, 2, "in use by pid " + std::to_string(run.pid));
  CHECK(one_line(stats).find("a live run") != std::string::npos);
  CHECK(one_line(stats).find("recover") == std::string::npos);
  const ProcessResult compare = cli({"compare", tmp / "done", dir});
  check_refusal(compare, 2, dir + ": in use by pid " + std::to_string(run.pid));
  CHECK(one_line(compare).find("a live run") != std::string::npos);
  stop(run, SIGINT, 130);
  CHECK(cli({"stats", dir}).exit_code == 0);  // finished: readable
}

TEST_CASE("lifecycle: a batch locks its top directory for its life: its trial directories are refused to others") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child batch(live_argv(net, dir, {"--trials", "2", "--threads", "2"}));
  wait_until([&] { return status_of(dir + "/trial-0001/manifest.json") == "running"; });
  const std::string holder = "in use by pid " + std::to_string(batch.pid);
  check_refusal(cli({"recover", dir + "/trial-0001"}), 2, dir + "/trial-0001: " + holder);
  check_refusal(cli({"stats", dir + "/trial-0000"}), 2, holder);
  check_refusal(cli({"run", net, "-o", dir + "/trial-0001", "--force", "-q"}), 2, holder);
  check_refusal(cli({"run", net, "-o", dir, "--force", "--duration", "10", "-q"}), 2, holder);
  check_refusal(cli({"run", net, "-o", dir + "/trial-0007", "--duration", "10", "-q"}), 2, holder);
  CHECK_FALSE(exists(dir + "/trial-0007"));  // refused before anything was created
  stop(batch, SIGINT, 130);
  CHECK(json_of(dir + "/trials.json")["status"] == "interrupted");
}

TEST_CASE("lifecycle: a lock file left by a killed run blocks nothing; a finished run leaves none") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child run(live_argv(net, dir));
  wait_running(dir);
  wait_until([&] {  // a first block synced
    std::error_code ec;
    return fs::file_size(dir + "/spikes.journal", ec) > 100000 && !ec;
  });
  kill(run.pid, SIGKILL);
  run.finish(10);
  REQUIRE(exists(dir + "/.spikeq.lock"));  // its holder is gone
  const ProcessResult recovered = cli({"recover", dir});
  CHECK(recovered.exit_code == 0);
  CHECK(recovered.stdout_text.find("status interrupted") != std::string::npos);
  CHECK(cli({"stats", dir}).exit_code == 0);
  CHECK(cli({"convert", dir, "--to", "tsv"}).exit_code == 0);
  const ProcessResult again = cli({"run", net, "-o", dir, "--force", "--duration", "20", "-q"});
  INFO(again.stderr_text);
  CHECK(again.exit_code == 0);
  CHECK(status_of(dir + "/manifest.json") == "complete");
  CHECK_FALSE(exists(dir + "/.spikeq.lock"));
  CHECK_FALSE(exists(dir + "/spikes.tsv"));  // the earlier run's conversion went with it
}

// ---------------------------------------------------------------- signals

TEST_CASE("lifecycle: SIGINT during the network build ends the run at once: 130, manifest interrupted at 0 ms") {
  TempDir tmp;
  const std::string net = write(tmp, "big.pbtxt", kBigBuild);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--memory-limit-mb", "8000"});
  // The "running" manifest comes before the build, the journal after it.
  wait_until([&] { return status_of(dir + "/manifest.json") == "running"; });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE_FALSE(exists(dir + "/spikes.journal"));
  const ProcessResult r = stop(run, SIGINT, 130, 1.0);
  CHECK(one_line(r) == "spikeq: interrupted while building the network; nothing was simulated (" + dir +
                           "/manifest.json)");
  CHECK(r.peak_rss_mb < 600);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["simulated_ms"] == 0.0);
  CHECK(m["files"].empty());
  CHECK_FALSE(exists(dir + "/.spikeq.lock"));
}

TEST_CASE("lifecycle: SIGTERM during the network build of a batch: 143, its trials listed as not started") {
  TempDir tmp;
  const std::string net = write(tmp, "big.pbtxt", kBigBuild);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--trials", "2", "--memory-limit-mb", "8000"});
  wait_until([&] { return exists(dir + "/.spikeq.lock"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const ProcessResult r = stop(run, SIGTERM, 143, 1.0);
  CHECK(one_line(r).find("interrupted") != std::string::npos);
  const nlohmann::json t = json_of(dir + "/trials.json");
  CHECK(t["status"] == "not_started");
  CHECK(t["networks_built"] == 0);
  for (const auto& trial : t["trial_runs"]) CHECK(trial["status"] == "not_started");
  CHECK_FALSE(exists(dir + "/trial-0000"));
}

TEST_CASE("lifecycle: SIGINT inside one long OU epoch (ou_check_interval_ms 1e-5) ends the run within a second") {
  TempDir tmp;
  const std::string net = write(tmp, "epoch.pbtxt", kLongEpoch);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q"});
  wait_until([&] { return exists(dir + "/spikes.journal"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const ProcessResult r = stop(run, SIGINT, 130, 1.0);
  CHECK(one_line(r) == "spikeq: interrupted at 0 ms; output up to then is in " + dir + "/");
  CHECK(r.peak_rss_mb < 100);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["simulated_ms"] == 0.0);  // the epoch in progress is dropped: nothing of it half-written
  CHECK(m["populations"][0]["spikes"] == 0);
  CHECK(m["files"] == nlohmann::json::array({"spikes.h5"}));
}

TEST_CASE("lifecycle: SIGTERM inside one long OU epoch: 143 within a second") {
  TempDir tmp;
  const std::string net = write(tmp, "epoch.pbtxt", kLongEpoch);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--format", "tsv"});
  wait_until([&] { return exists(dir + "/spikes.tsv"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop(run, SIGTERM, 143, 1.0);
  CHECK(status_of(dir + "/manifest.json") == "interrupted");
  CHECK(read_file(dir + "/spikes.tsv") == "population\tnode_id\ttime_ms\n");
}

TEST_CASE("lifecycle: an OU run stopped mid-epoch wrote exactly the uninterrupted run's spikes before its time") {
  TempDir tmp;
  const std::string net = write(tmp, "ou.pbtxt", kSlowOu);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--format", "tsv"});
  wait_for_rows(dir + "/spikes.tsv");  // some output flushed: the stop lands mid-run
  stop(run, SIGINT, 130, 1.0);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  const double until = m["simulated_ms"];
  CHECK(until > 0);
  CHECK(std::fmod(until, 10.0) == 0.0);  // an epoch boundary
  check_spikes_prefix(net, dir, tmp / "ref", 20, false);
}

TEST_CASE("lifecycle: SIGINT with a probe every 1e-3 ms: 130 at once, voltages a prefix of the uninterrupted run's") {
  TempDir tmp;
  const std::string net = write(tmp, "probe.pbtxt", kFastProbe);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--format", "tsv"});
  wait_for_rows(dir + "/voltages.tsv");  // some output flushed: the stop lands mid-run
  const ProcessResult r = stop(run, SIGINT, 130, 1.0);
  CHECK(r.peak_rss_mb < 150);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  REQUIRE(m["status"] == "interrupted");
  const double until = m["simulated_ms"];
  check_spikes_prefix(net, dir, tmp / "ref", 10, false, 0);  // one neuron: few spikes
  check_prefix(dir + "/voltages.tsv", tmp / "ref/voltages.tsv", 3, until, false, 1000);
}

TEST_CASE("lifecycle: SIGINT inside one epoch of a probe every 1e-7 ms: 130 within a second, memory bounded") {
  TempDir tmp;
  const std::string net = write(tmp, "probe_epoch.pbtxt", kProbeEpoch);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q"});
  wait_until([&] { return exists(dir + "/voltages.journal"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const ProcessResult r = stop(run, SIGINT, 130, 1.0);
  CHECK(one_line(r) == "spikeq: interrupted at 0 ms; output up to then is in " + dir + "/");
  CHECK(r.peak_rss_mb < 400);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["simulated_ms"] == 0.0);
  CHECK(m["files"] == nlohmann::json::array({"spikes.h5", "voltages.h5"}));
}

TEST_CASE("lifecycle: SIGTERM inside one epoch of a 1e9 Hz Poisson source: 143 within a second, memory bounded") {
  TempDir tmp;
  const std::string net = write(tmp, "source_epoch.pbtxt", kSourceEpoch);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q"});
  wait_until([&] { return exists(dir + "/spikes.journal"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const ProcessResult r = stop(run, SIGTERM, 143, 1.0);
  CHECK(r.peak_rss_mb < 400);
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["simulated_ms"] == 0.0);
}

TEST_CASE("lifecycle: SIGINT with a 1e8 Hz Poisson source: 130 at once, bounded memory, spikes a prefix") {
  TempDir tmp;
  const std::string net = write(tmp, "source.pbtxt", kFastSource);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--format", "tsv"});
  wait_for_rows(dir + "/spikes.tsv");  // some output flushed: the stop lands mid-run
  const ProcessResult r = stop(run, SIGINT, 130, 1.0);
  CHECK(r.peak_rss_mb < 250);
  REQUIRE(status_of(dir + "/manifest.json") == "interrupted");
  check_spikes_prefix(net, dir, tmp / "ref", 20, false);
}

TEST_CASE("lifecycle: SIGTERM on the stepped engine at dt = 0.001 ms: 143 at once, spikes a prefix up to the step") {
  TempDir tmp;
  const std::string net = write(tmp, "stepped.pbtxt", kStepped);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--format", "tsv"});
  wait_for_rows(dir + "/spikes.tsv");  // some output flushed: the stop lands mid-run
  stop(run, SIGTERM, 143, 1.0);
  REQUIRE(status_of(dir + "/manifest.json") == "interrupted");
  check_spikes_prefix(net, dir, tmp / "ref", 5, true);  // grid spikes at t_k belong to step k
}

TEST_CASE("lifecycle: SIGINT during the HDF5 build keeps the journals for recover: 130, one line naming recover") {
  TempDir tmp;
  const std::string net = write(tmp, "many.pbtxt", kManySpikes);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q"});
  // Frozen while spikes.h5 is being written, so the signal lands inside the build.
  wait_until([&] { return exists(dir + "/spikes.h5.tmp"); }, 60);
  kill(run.pid, SIGSTOP);
  REQUIRE(exists(dir + "/spikes.h5.tmp"));
  kill(run.pid, SIGINT);
  kill(run.pid, SIGCONT);
  const ProcessResult r = run.finish(30);
  INFO(r.stderr_text);
  CHECK(r.exit_code == 130);
  CHECK(r.wall_s < 1.0);
  CHECK(one_line(r) == "spikeq: interrupted while building the files; the journals hold everything up to 1000 ms: "
                       "run `spikeq recover " + dir + "`");
  CHECK(exists(dir + "/spikes.journal"));
  CHECK_FALSE(exists(dir + "/spikes.h5"));
  CHECK_FALSE(exists(dir + "/spikes.h5.tmp"));
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "interrupted");
  CHECK(m["files"] == nlohmann::json::array({"spikes.journal"}));
  const ProcessResult rec = cli({"recover", dir}, 60);
  INFO(rec.stderr_text);
  CHECK(rec.exit_code == 0);
  python_check({"sonata", dir});  // every spike the manifest counts
  CHECK_FALSE(exists(dir + "/spikes.journal"));
}

TEST_CASE("lifecycle: SIGINT during a sweep before later points start: 130, sweep.json and sweep.tsv list every point") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "--sweep", "duration_ms=1000000,10,10,10", "--threads", "1", "-o", dir, "-q"});
  wait_until([&] { return status_of(dir + "/point-0000/trial-0000/manifest.json") == "running"; });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const ProcessResult r = stop(run, SIGINT, 130);
  CHECK(one_line(r) == "spikeq: interrupted; finished trials are complete, running ones marked interrupted, the "
                       "others not_started in " + dir + "/sweep.json");
  const nlohmann::json sweep = json_of(dir + "/sweep.json");
  CHECK(sweep["status"] == "interrupted");
  REQUIRE(sweep["points"].size() == 4);
  CHECK(sweep["points"][0]["status"] == "interrupted");
  for (int p = 1; p < 4; ++p) {
    CHECK(sweep["points"][p]["status"] == "not_started");
    const std::string point = dir + "/point-000" + std::to_string(p);
    CHECK(json_of(point + "/trials.json")["trial_runs"][0]["status"] == "not_started");
    CHECK_FALSE(exists(point + "/trial-0000"));
  }
  std::istringstream tsv(read_file(dir + "/sweep.tsv"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(tsv, line);) lines.push_back(line);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].substr(lines[0].rfind('\t') + 1) == "status");
  CHECK(lines[1].substr(lines[1].rfind('\t') + 1) == "interrupted");
  for (int p = 2; p <= 4; ++p) CHECK(lines[p].substr(lines[p].rfind('\t') + 1) == "not_started");
  CHECK(status_of(dir + "/point-0000/trial-0000/manifest.json") == "interrupted");
}

TEST_CASE("lifecycle: SIGTERM during trials: 143, trials.json lists the running trial interrupted, the rest not started") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "--trials", "3", "--threads", "1", "-o", dir, "-q"});
  wait_until([&] { return status_of(dir + "/trial-0000/manifest.json") == "running"; });
  const ProcessResult r = stop(run, SIGTERM, 143);
  CHECK(one_line(r).find(dir + "/trials.json") != std::string::npos);
  const nlohmann::json t = json_of(dir + "/trials.json");
  CHECK(t["status"] == "interrupted");
  CHECK(t["trial_runs"][0]["status"] == "interrupted");
  CHECK(t["trial_runs"][1]["status"] == "not_started");
  CHECK(t["trial_runs"][2]["status"] == "not_started");
  CHECK(exists(dir + "/trial-0000/spikes.h5"));
}

TEST_CASE("lifecycle: a second SIGINT during the file build of an interrupted run abandons it; recover finishes") {
  TempDir tmp;
  const std::string net = write(tmp, "many.pbtxt", kManySpikes);
  const std::string dir = tmp / "d";
  Child run({kCli, "run", net, "-o", dir, "-q", "--duration", "10000"});
  wait_until([&] { return exists(dir + "/spikes.journal"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  kill(run.pid, SIGINT);  // stops the simulation; the files are then built
  wait_until([&] { return exists(dir + "/spikes.h5.tmp") || !exists(dir + "/spikes.journal"); }, 30);
  kill(run.pid, SIGSTOP);
  if (!exists(dir + "/spikes.h5.tmp")) {  // the build was quicker than this test: nothing left to check
    kill(run.pid, SIGCONT);
    run.finish(30);
    WARN("the file build finished before the second signal");
    return;
  }
  kill(run.pid, SIGINT);
  kill(run.pid, SIGCONT);
  const ProcessResult r = run.finish(30);
  INFO(r.stderr_text);
  CHECK(r.exit_code == 130);
  CHECK(r.wall_s < 1.0);
  CHECK(one_line(r).find("interrupted while building the files") != std::string::npos);
  CHECK(exists(dir + "/spikes.journal"));
  CHECK(cli({"recover", dir}, 60).exit_code == 0);
  python_check({"sonata", dir});
}

// ---------------------------------------------------------------- --force

TEST_CASE("lifecycle: --force over a flat run removes its journals, damaged journals and converted files") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  REQUIRE(cli({"run", net, "-o", dir, "--duration", "20", "--format", "both", "-q"}).exit_code == 0);
  std::ofstream(dir + "/spikes.journal") << "left by a killed run";
  std::ofstream(dir + "/spikes.journal.damaged") << "kept by recover";
  std::ofstream(dir + "/voltages.h5.tmp") << "half a file";
  std::ofstream(dir + "/notes.txt") << "mine";
  const ProcessResult r = cli({"run", net, "-o", dir, "--force", "--duration", "10", "--format", "tsv", "-q"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"manifest.json", "notes.txt", "spikes.tsv"});
  CHECK(json_of(dir + "/manifest.json")["duration_ms"] == 10.0);
}

TEST_CASE("lifecycle: --force over a flat run, rerun with --trials: no old top-level files, stats sees the new run") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  REQUIRE(cli({"run", net, "-o", dir, "--duration", "20", "-q"}).exit_code == 0);
  const ProcessResult r = cli({"run", net, "-o", dir, "--force", "--duration", "30", "--trials", "2", "-q"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(exists(dir + "/manifest.json"));
  CHECK_FALSE(exists(dir + "/spikes.h5"));
  CHECK(exists(dir + "/trials.json"));
  const ProcessResult stats = cli({"stats", dir, "--json"});
  REQUIRE(stats.exit_code == 0);
  CHECK(stats.stdout_text.find("\"trials\": 2") != std::string::npos);
}

TEST_CASE("lifecycle: --force over a trials layout, rerun flat: no trial-*/ nor trials.json is left") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  REQUIRE(cli({"run", net, "-o", dir, "--duration", "20", "--trials", "3", "-q"}).exit_code == 0);
  REQUIRE(exists(dir + "/trial-0002/manifest.json"));
  const ProcessResult r = cli({"run", net, "-o", dir, "--force", "--duration", "10", "-q"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(exists(dir + "/trial-0000"));
  CHECK_FALSE(exists(dir + "/trial-0002"));
  CHECK_FALSE(exists(dir + "/trials.json"));
  CHECK(json_of(dir + "/manifest.json")["duration_ms"] == 10.0);
}

TEST_CASE("lifecycle: --force over a sweep layout removes point-*/, sweep.json and sweep.tsv") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  REQUIRE(cli({"run", net, "-o", dir, "--sweep", "duration_ms=10,20,30", "-q"}).exit_code == 0);
  REQUIRE(exists(dir + "/point-0002/trial-0000/spikes.h5"));
  const ProcessResult r = cli({"run", net, "-o", dir, "--force", "--duration", "10", "--trials", "2", "-q"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  for (const char* name : {"point-0000", "point-0002", "sweep.json", "sweep.tsv"}) CHECK_FALSE(exists(dir + "/" + name));
  CHECK(exists(dir + "/trial-0001/spikes.h5"));
}

TEST_CASE("lifecycle: --force refuses a directory that is not a spikeq run directory and removes nothing") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "home";
  fs::create_directories(dir + "/photos");
  std::ofstream(dir + "/thesis.tex") << "years of work";
  std::ofstream(dir + "/spikes.h5") << "not a manifest, not a journal";
  const ProcessResult r = cli({"run", net, "-o", dir, "--force", "--duration", "10", "-q"});
  check_refusal(r, 2, dir + ": not a spikeq run directory (no manifest.json, trials.json, sweep.json or journal)");
  CHECK(read_file(dir + "/thesis.tex") == "years of work");
  CHECK(exists(dir + "/photos"));
  CHECK(exists(dir + "/spikes.h5"));
  CHECK_FALSE(exists(dir + "/manifest.json"));
  CHECK_FALSE(exists(dir + "/.spikeq.lock"));
}

TEST_CASE("lifecycle: without --force a non-empty directory is refused; -o naming a file is refused as not a directory") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  REQUIRE(cli({"run", net, "-o", tmp / "d", "--duration", "10", "-q"}).exit_code == 0);
  check_refusal(cli({"run", net, "-o", tmp / "d", "--duration", "10", "-q"}), 2,
                tmp / "d" + ": output directory is not empty (use --force to overwrite)");
  check_refusal(cli({"run", net, "-o", net, "--duration", "10", "-q"}), 2,
                net + ": not a directory (-o names the output directory)");
  CHECK(read_file(net) == kLongRun);
}

// ---------------------------------------------------------------- out of memory

TEST_CASE("lifecycle: out of memory while building the network: exit 1, manifest failed with the error") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  ::setenv("SPIKEQ_FAULT_BAD_ALLOC", "build", 1);
  const ProcessResult r = cli({"run", net, "-o", dir, "--duration", "10", "-q"});
  ::unsetenv("SPIKEQ_FAULT_BAD_ALLOC");
  check_refusal(r, 1, "spikeq: out of memory while building the network (lower the network size or --memory-limit-mb)");
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "failed");
  CHECK(m["error"] == "out of memory while building the network");
  CHECK_FALSE(exists(dir + "/.spikeq.lock"));
}

TEST_CASE("lifecycle: out of memory while simulating: exit 1, manifest failed, what was recorded kept") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  ::setenv("SPIKEQ_FAULT_BAD_ALLOC", "run", 1);  // after the first epoch (10 ms)
  const ProcessResult r = cli({"run", net, "-o", dir, "--duration", "1000", "-q"});
  ::unsetenv("SPIKEQ_FAULT_BAD_ALLOC");
  check_refusal(r, 1, "spikeq: out of memory while simulating (lower the network size or --memory-limit-mb)");
  const nlohmann::json m = json_of(dir + "/manifest.json");
  CHECK(m["status"] == "failed");
  CHECK(m["error"] == "out of memory while simulating");
  CHECK(m["simulated_ms"].get<double>() > 0);
  CHECK(m["simulated_ms"].get<double>() <= 10);
  CHECK(m["files"] == nlohmann::json::array({"spikes.h5"}));
  python_check({"sonata", dir});
}

TEST_CASE("lifecycle: out of memory in one trial of a batch: exit 1, the trial failed in trials.json, the others stop") {
  TempDir tmp;
  const std::string net = write(tmp, "long.pbtxt", kLongRun);
  const std::string dir = tmp / "d";
  ::setenv("SPIKEQ_FAULT_BAD_ALLOC", "run", 1);
  const ProcessResult r = cli({"run", net, "-o", dir, "--duration", "1000", "--trials", "3", "--threads", "1", "-q"});
  ::unsetenv("SPIKEQ_FAULT_BAD_ALLOC");
  check_refusal(r, 1, "out of memory while simulating");
  const nlohmann::json t = json_of(dir + "/trials.json");
  CHECK(t["status"] == "failed");
  CHECK(t["trial_runs"][0]["status"] == "failed");
  CHECK(t["trial_runs"][0]["error"] == "out of memory while simulating");
  CHECK(t["trial_runs"][1]["status"] == "not_started");
  CHECK(json_of(dir + "/trial-0000/manifest.json")["status"] == "failed");
}
