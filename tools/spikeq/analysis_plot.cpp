#include "analysis_plot.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "netdefs/error.h"

extern char** environ;

namespace spikeq::cli {

void run_plot_script(const std::vector<std::string>& args) {
  const char* python_env = std::getenv("SPIKEQ_PYTHON");
  const char* dir_env = std::getenv("SPIKEQ_PLOT_DIR");
  const std::string python = python_env && *python_env ? python_env : "/usr/bin/python3";
  const std::string script = std::string(dir_env && *dir_env ? dir_env : SPIKEQ_PLOT_DIR) + "/spikeq_plot.py";
  std::vector<std::string> argv_s = {python, script};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  // The script's messages ("wrote ...png") go to stderr: with --json, stdout must
  // be exactly one JSON document.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw Error("plot: cannot run " + python + ": " + std::strerror(err), Error::Kind::Runtime);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw Error(std::string("plot: waitpid: ") + std::strerror(errno), Error::Kind::Runtime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("plot: " + script + " failed (is python3-matplotlib installed for " + python + "?)",
                Error::Kind::Runtime);
}

void write_text_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw Error(path + ": cannot write", Error::Kind::Runtime);
}

}  // namespace spikeq::cli
