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
};

// Runs argv (argv[0] is a path) to completion.
ProcessResult run_process(const std::vector<std::string>& argv);

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
