// Running the spikeq CLI (or any program) as a separate process from a test:
// no shell, stdout and stderr captured, exit code or terminating signal reported.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace spikeq::test {

struct ProcessResult {
  int exit_code = -1;    // -1 when the process did not exit normally
  int term_signal = 0;   // the signal that killed it, if any
  std::string stdout_text;
  std::string stderr_text;
  bool timed_out = false;     // run_bounded: killed (SIGKILL) at its time limit
  double wall_s = 0;          // run_bounded: wall time to exit
  double peak_rss_mb = 0;     // run_bounded: the child's maximum resident set
};

// Runs argv (argv[0] is a path) to completion.
ProcessResult run_process(const std::vector<std::string>& argv);

// Runs argv like run_process, but kills it (SIGKILL) after `timeout_s` and reports
// its wall time and peak RSS: the hostile-input tests assert that every refusal
// and every interrupted run ends in bounded time and memory.
ProcessResult run_bounded(const std::vector<std::string>& argv, double timeout_s);

// The one line a refusal prints: stderr without its final newline; "" when stderr
// is empty or holds more than one line.
std::string one_line(const ProcessResult& r);

// Starts argv with stdout/stderr going to the given files; returns its pid.
pid_t start_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path);

// Waits for pid and fills exit_code/term_signal (the texts stay empty).
ProcessResult wait_process(pid_t pid);

std::string read_file(const std::string& path);

// A fresh empty directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace spikeq::test
