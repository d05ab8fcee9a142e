// Recording as a user meets it through the CLI: SONATA spikes.h5 by default,
// h5 <-> tsv round trips, SIGINT/SIGTERM, SIGKILL + `spikeq recover`, a full
// disk, and memory that stays flat as a run grows. Layout checks run h5py through
// /usr/bin/python3 (tests/cli/recording_check.py).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "process.h"

using namespace spikeq::test;
namespace fs = std::filesystem;

extern char** environ;

namespace {

const std::string kCli = SPIKEQ_CLI;
const std::string kPython = "/usr/bin/python3";  // Debian's, with numpy and h5py
const std::string kCheck = std::string(SPIKEQ_SOURCE_DIR) + "/tests/cli/recording_check.py";
std::string example(const std::string& name) { return std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name; }

nlohmann::json manifest(const std::string& dir) { return nlohmann::json::parse(read_file(dir + "/manifest.json")); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Runs a recording_check.py check; its output is "ok" or the first difference.
void python_check(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kPython, kCheck};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv);
  INFO("recording_check.py " << args[0] << ": " << r.stdout_text << r.stderr_text);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_text == "ok\n");
}

std::uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

// Waits until `path` holds at least `bytes` (journals grow in synced blocks).
void wait_for(const std::string& path, std::uintmax_t bytes) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (size_of(path) < bytes && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(size_of(path) >= bytes);
}

pid_t start_long_run(const TempDir& tmp, const std::string& out, const std::string& format) {
  return start_process({kCli, "run", example("balanced_input.pbtxt"), "-o", out, "--duration", "1e7", "--format", format},
                       tmp / "stdout", tmp / "stderr");
}

std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// Poisson populations only: spikes as fast as the engine makes them (~5e6/s).
const char* kManySpikes = R"(name: "many_spikes"
duration_ms: 1000
seed: 1
populations { name: "a" size: 10000 poisson { rate_hz: 100 } }
populations { name: "b" size: 1000 poisson { rate_hz: 10 } }
)";

// Peak resident memory (KiB) of a child process.
long peak_rss_kib(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  rusage usage{};
  REQUIRE(wait4(pid, &status, 0, &usage) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return usage.ru_maxrss;
}

// A small tmpfs for the full-disk test, when this process may mount one (root).
class Tmpfs {
 public:
  Tmpfs(const std::string& path, const char* size) : path_(path) {
    fs::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, (std::string("size=") + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("recording: run writes a SONATA spikes.h5 by default, listed in the manifest") {
  TempDir tmp;
  const std::string out = tmp / "run";
  const auto r = run_process({kCli, "run", example("balanced_input.pbtxt"), "-o", out, "--duration", "300", "-q"});
  REQUIRE(r.exit_code == 0);
  const auto m = manifest(out);
  CHECK(m["status"] == "complete");
  CHECK(m["format"] == "h5");
  CHECK(m["files"] == nlohmann::json::array({"spikes.h5"}));
  CHECK(m["trials"] == 1);
  CHECK(fs::exists(out + "/spikes.h5"));
  CHECK_FALSE(fs::exists(out + "/spikes.journal"));
  CHECK_FALSE(fs::exists(out + "/spikes.tsv"));
  python_check({"sonata", out});
  python_check({"load", out, "h5"});
}

TEST_CASE("recording: h5 <-> tsv round trips give identical spikes and voltages") {
  TempDir tmp;
  for (const char* mode : {"event", "stepped"}) {
    SECTION(mode) {
      const std::string both = tmp / "both", h5 = tmp / "h5", tsv = tmp / "tsv";
      const std::vector<std::string> run = {kCli, "run", example("free_membrane.pbtxt"), "--duration", "60",
                                            "--mode", mode, "--set", "membranes.lif.v_th_mv=-3",
                                            "--set", "membranes.lif.v_reset_mv=-8", "-q"};
      auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = run;
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run_process(argv).exit_code;
      };
      REQUIRE(with({"-o", both, "--format", "both"}) == 0);
      REQUIRE(with({"-o", h5}) == 0);
      REQUIRE(with({"-o", tsv, "--format", "tsv"}) == 0);
      CHECK(manifest(both)["files"] == nlohmann::json::array({"spikes.h5", "voltages.h5", "spikes.tsv", "voltages.tsv"}));
      CHECK(manifest(h5)["files"] == nlohmann::json::array({"spikes.h5", "voltages.h5"}));
      python_check({"sonata", h5});

      // h5 -> tsv: byte-identical to the TSV the run streamed.
      REQUIRE(run_process({kCli, "convert", h5, "--to", "tsv"}).exit_code == 0);
      CHECK(read_file(h5 + "/spikes.tsv") == read_file(tsv + "/spikes.tsv"));
      CHECK(read_file(h5 + "/voltages.tsv") == read_file(tsv + "/voltages.tsv"));
      CHECK(manifest(h5)["files"].size() == 4);
      // tsv -> h5: the same arrays as the run's own h5.
      REQUIRE(run_process({kCli, "convert", tsv, "--to", "h5"}).exit_code == 0);
      python_check({"sonata", tsv});
      python_check({"equal", tsv, both});
      // The TSV readers agree with the h5 ones.
      fs::remove(tsv + "/spikes.h5");
      fs::remove(tsv + "/voltages.h5");
      python_check({"load", tsv, "tsv"});
      python_check({"equal", tsv, h5});
      const std::string spikes = read_file(tsv + "/spikes.tsv");
      CHECK(lines_of(spikes).size() > 50);
    }
  }
}

TEST_CASE("recording: convert refuses what it cannot do, in one line") {
  TempDir tmp;
  const auto none = run_process({kCli, "convert", tmp.path(), "--to", "tsv"});
  CHECK(none.exit_code == 2);
  CHECK(none.stderr_text.find("not a run directory") != std::string::npos);
  const std::string out = tmp / "run";
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "100", "-q"}).exit_code == 0);
  const auto same = run_process({kCli, "convert", out, "--to", "h5"});
  CHECK(same.exit_code == 2);
  CHECK(same.stderr_text.find("spikes.tsv: not found") != std::string::npos);
  CHECK(lines_of(same.stderr_text).size() == 1);
  CHECK(run_process({kCli, "convert", out, "--to", "csv"}).exit_code == 2);
}

TEST_CASE("recording: SIGINT and SIGTERM finish the h5 files: exit 130/143, status interrupted, nothing lost") {
  for (const auto& [sig, code] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    TempDir tmp;
    const std::string out = tmp / "run";
    const pid_t pid = start_long_run(tmp, out, "both");
    wait_for(out + "/spikes.journal", 100000);
    kill(pid, sig);
    const auto r = wait_process(pid);
    CHECK(r.exit_code == code);
    const auto m = manifest(out);
    CHECK(m["status"] == "interrupted");
    CHECK(m["simulated_ms"].get<double>() > 0);
    CHECK(m["files"] == nlohmann::json::array({"spikes.h5", "spikes.tsv"}));
    CHECK_FALSE(fs::exists(out + "/spikes.journal"));
    CHECK(read_file(tmp / "stderr").find("interrupted at") != std::string::npos);
    python_check({"sonata", out});  // counts equal the manifest's: every spike of the run is in the file
    // The streamed TSV and the h5 built from the journal hold the same spikes.
    const std::string copy = tmp / "tsv_only";
    fs::copy(out, copy);
    fs::remove(copy + "/spikes.h5");
    python_check({"equal", copy, out});
  }
}

TEST_CASE("recording: after SIGKILL the journal is readable and `spikeq recover` makes valid files") {
  TempDir tmp;
  const std::string out = tmp / "run";
  const pid_t pid = start_long_run(tmp, out, "h5");
  wait_for(out + "/spikes.journal", 200000);  // a few synced blocks
  kill(pid, SIGKILL);
  CHECK(wait_process(pid).term_signal == SIGKILL);
  CHECK(manifest(out)["status"] == "running");
  CHECK_FALSE(fs::exists(out + "/spikes.h5"));
  python_check({"load", out, "journal"});  // the reader needs no recovery
  const std::string killed = tmp / "killed";
  fs::copy(out, killed);

  const auto r = run_process({kCli, "recover", out});
  REQUIRE(r.exit_code == 0);
  CHECK(r.stdout_text.find("status interrupted (was running)") != std::string::npos);
  const auto m = manifest(out);
  CHECK(m["status"] == "interrupted");
  CHECK(m.contains("recovered_utc"));
  const double reached = m["simulated_ms"].get<double>();
  CHECK(reached > 0);
  CHECK(m["files"] == nlohmann::json::array({"spikes.h5"}));
  CHECK(m["populations"][3]["spikes"].get<std::uint64_t>() > 1000);
  CHECK(m["populations"][0]["spikes"].is_null());  // not recorded: unknown after a kill
  CHECK_FALSE(fs::exists(out + "/spikes.journal"));
  python_check({"sonata", out});
  python_check({"equal", killed, out});
  // What was kept is exactly the run's spikes up to the time reached.
  const std::string rerun = tmp / "rerun";
  REQUIRE(run_process({kCli, "run", example("balanced_input.pbtxt"), "-o", rerun, "--duration",
                       std::to_string(reached + 50), "-q"})
              .exit_code == 0);
  python_check({"prefix", out, rerun});

  // Recovering twice changes nothing; the recovered directory converts like any other.
  const auto again = run_process({kCli, "recover", out});
  CHECK(again.exit_code == 0);
  CHECK(again.stdout_text.find("nothing to recover") != std::string::npos);
  CHECK(run_process({kCli, "convert", out, "--to", "tsv"}).exit_code == 0);
  CHECK(lines_of(read_file(out + "/spikes.tsv")).size() == m["populations"][3]["spikes"].get<std::size_t>() + 1);
  // convert asks for recover first on a killed directory.
  const auto refuse = run_process({kCli, "convert", killed, "--to", "tsv"});
  CHECK(refuse.exit_code == 2);
  CHECK(refuse.stderr_text.find("spikeq recover") != std::string::npos);
}

TEST_CASE("recording: recover completes a run killed between building its files and its manifest") {
  TempDir tmp;
  const std::string out = tmp / "run";
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "500", "-q"}).exit_code == 0);
  auto m = manifest(out);
  const auto spikes = m["populations"][1]["spikes"].get<std::uint64_t>();
  m["status"] = "running";
  m["populations"][1]["spikes"] = 0;
  write_text(out + "/manifest.json", m.dump());
  REQUIRE(run_process({kCli, "recover", out}).exit_code == 0);
  m = manifest(out);
  CHECK(m["status"] == "interrupted");
  CHECK(m["populations"][1]["spikes"] == spikes);
  CHECK(m["simulated_ms"].get<double>() > 490);
  python_check({"sonata", out});
}

TEST_CASE("recording: --force replaces every file of the earlier run") {
  TempDir tmp;
  const std::string out = tmp / "run";
  REQUIRE(run_process({kCli, "run", example("free_membrane.pbtxt"), "-o", out, "--duration", "20", "--format", "both",
                       "-q"}).exit_code == 0);
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "20", "--force", "-q"})
              .exit_code == 0);
  CHECK(manifest(out)["files"] == nlohmann::json::array({"spikes.h5"}));
  CHECK_FALSE(fs::exists(out + "/voltages.h5"));
  CHECK_FALSE(fs::exists(out + "/spikes.tsv"));
  python_check({"sonata", out});
}

TEST_CASE("recording: after SIGKILL a TSV run is cut to whole instants by recover") {
  TempDir tmp;
  const std::string out = tmp / "run";
  const pid_t pid = start_long_run(tmp, out, "tsv");
  wait_for(out + "/spikes.tsv", 3 << 19);
  kill(pid, SIGKILL);
  wait_process(pid);
  REQUIRE(run_process({kCli, "recover", out}).exit_code == 0);
  const auto m = manifest(out);
  CHECK(m["status"] == "interrupted");
  const std::string text = read_file(out + "/spikes.tsv");
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  const auto lines = lines_of(text);
  CHECK(lines.size() - 1 == m["populations"][3]["spikes"].get<std::size_t>());
  const double reached = m["simulated_ms"].get<double>();
  CHECK(std::stod(lines.back().substr(lines.back().rfind('\t') + 1)) < reached);
  python_check({"load", out, "tsv"});
}

TEST_CASE("recording: a full disk gives one line, exit 1, and keeps what was written") {
  TempDir netdefs;
  const std::string netdef = write_text(netdefs / "many.pbtxt", kManySpikes);
  SECTION("write-fault injection (SPIKEQ_FAULT_WRITE_LIMIT_BYTES)") {
    TempDir tmp;
    const std::string out = tmp / "run";
    ::setenv("SPIKEQ_FAULT_WRITE_LIMIT_BYTES", "3000000", 1);  // a few 1 MiB blocks
    const auto r = run_process({kCli, "run", netdef, "-o", out, "--duration", "1e6", "-q"});
    ::unsetenv("SPIKEQ_FAULT_WRITE_LIMIT_BYTES");
    CHECK(r.exit_code == 1);
    CHECK(r.stderr_text == "spikeq: " + out + "/spikes.journal: write failed: No space left on device\n");
    const auto m = manifest(out);
    CHECK(m["status"] == "failed");
    CHECK(m["error"].get<std::string>().find("No space left on device") != std::string::npos);
    // Everything that reached the journal is in spikes.h5, and the manifest counts it.
    CHECK(m["files"] == nlohmann::json::array({"spikes.h5"}));
    CHECK(m["populations"][0]["spikes"].get<std::uint64_t>() > 100000);
    python_check({"sonata", out});
  }
  SECTION("a real 4 MiB tmpfs") {
    TempDir tmp;
    Tmpfs disk(tmp / "disk", "4m");
    if (!disk.mounted()) {
      WARN("cannot mount a tmpfs here (not root?); the fault-injection section covers this");
      return;
    }
    const std::string out = tmp / "disk/run";
    const auto r = run_process({kCli, "run", netdef, "-o", out, "--duration", "1e6", "-q"});
    CHECK(r.exit_code == 1);
    CHECK(lines_of(r.stderr_text).size() == 1);
    CHECK(r.stderr_text.find("No space left on device") != std::string::npos);
    const auto m = manifest(out);  // whole, whatever status it could record
    CHECK((m["status"] == "failed" || m["status"] == "running"));
    // With space again, recover turns what was written into valid files.
    const std::string copy = tmp / "copy";
    fs::copy(out, copy);
    REQUIRE(run_process({kCli, "recover", copy}).exit_code == 0);
    CHECK(manifest(copy)["populations"][0]["spikes"].get<std::uint64_t>() > 100000);
    python_check({"sonata", copy});
  }
}

TEST_CASE("recording: an unwritable output directory is one line and exit 1") {
  TempDir tmp;
  write_text(tmp / "file", "x");
  const auto r = run_process({kCli, "run", example("poisson.pbtxt"), "-o", tmp / "file/run", "-q"});
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.stderr_text).size() == 1);
  CHECK(r.stderr_text.find("cannot create directory") != std::string::npos);
}

TEST_CASE("recording: peak memory stays flat when the run is ten times longer") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("skipped under AddressSanitizer (its allocator quarantine grows with allocations, not with recording)");
  return;
#endif
  TempDir tmp;
  const std::string netdef = write_text(tmp / "many.pbtxt", kManySpikes);
  // 1e6 and 1e7 spikes (16 MB and 160 MB of spike data).
  const long short_kib = peak_rss_kib({kCli, "run", netdef, "-o", tmp / "x1", "--duration", "1000", "-q"});
  const long long_kib = peak_rss_kib({kCli, "run", netdef, "-o", tmp / "x10", "--duration", "10000", "-q"});
  const auto spikes = manifest(tmp / "x10")["populations"][0]["spikes"].get<std::uint64_t>();
  WARN("peak RSS: " << short_kib << " KiB (1e6 spikes), " << long_kib << " KiB (" << spikes << " spikes)");
  CHECK(spikes > 9000000);
  CHECK(long_kib < short_kib + 6 * 1024);
}

TEST_CASE("recording: a rerun with the same netdef and seed writes byte-identical spikes.h5 and voltages.h5") {
  // HDF5 stamps groups and datasets with the wall clock unless told not to; the
  // second run starts over a second later so that a time stamp would differ.
  TempDir tmp;
  for (const char* name : {"a", "b"}) {
    const auto r = run_process({kCli, "run", example("free_membrane.pbtxt"), "-o", tmp / name, "--duration", "100", "-q"});
    REQUIRE(r.exit_code == 0);
    if (std::string(name) == "a") std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }
  for (const char* file : {"/spikes.h5", "/voltages.h5"}) {
    INFO(file);
    const std::string a = read_file(tmp / "a" + file), b = read_file(tmp / "b" + file);
    CHECK(a.size() > 0);
    CHECK(a == b);
  }
}
