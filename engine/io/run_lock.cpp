#include "engine/io/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/io/manifest.h"  // utc_now_iso8601
#include "netdefs/error.h"

namespace spikeq::inline io {
namespace fs = std::filesystem;

namespace {

std::string lock_path(const std::string& dir) { return dir + "/" + kLockFileName; }

// This process's command line, argv[0] shortened to its file name: "spikeq run net.pbtxt -o D".
std::string own_command() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string text, arg;
  bool first = true;
  while (std::getline(in, arg, '\0')) {
    if (first) arg = fs::path(arg).filename().string();
    text += (first ? "" : " ") + arg;
    first = false;
  }
  if (text.size() > 300) text = text.substr(0, 297) + "...";
  return text.empty() ? "spikeq" : text;
}

// Test seam (run_lock.h): SPIKEQ_FAULT_LOCK_PAUSE_MS, between taking the lock and
// writing the holder's description.
void pause_for_test() {
  static const char* const text = std::getenv("SPIKEQ_FAULT_LOCK_PAUSE_MS");
  if (text != nullptr) std::this_thread::sleep_for(std::chrono::milliseconds(std::strtoll(text, nullptr, 10)));
}

std::string read_all(int fd) {
  std::string text;
  char buf[1024];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    at += n;
    if (text.size() > 4096) break;
  }
  return text;
}

// How long a process that finds a lock held waits for the holder's description
// to be whole (run_lock.h). The holder writes it microseconds after taking the
// lock; only a holder that stalls there or cannot write makes anyone wait this long.
constexpr std::chrono::milliseconds kDescriptionWait{1000};

struct Holder {
  std::string description;  // "pid 4711 (spikeq run net.pbtxt -o D), since ..."
  bool whole = false;       // all three lines were there
};

// The holder as described by the lines "pid N", "command ...", "started ..." it
// writes, in that order, into the lock file. Only ended lines count (a holder
// still writing leaves a part line); whole when all three are there. Without a
// pid line the description is "another spikeq process".
Holder describe_holder(const std::string& text) {
  std::string pid, command, started;
  std::size_t at = 0;
  for (;;) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string::npos) break;
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    const std::size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "pid") pid = value;
    else if (key == "command") command = value;
    else if (key == "started") started = value;
  }
  Holder h{"another spikeq process", !pid.empty() && !command.empty() && !started.empty()};
  if (pid.empty()) return h;
  h.description = "pid " + pid;
  if (!command.empty()) h.description += " (" + command + ")";
  if (!started.empty()) h.description += ", since " + started;
  return h;
}

// The holder of the lock file at `path`, if one is live. Looks without creating
// anything: a shared lock taken and dropped at once, which fails only while an
// exclusive holder has it. A holder found before its description is whole is
// looked at again (the file opened afresh: the lock may have gone or changed
// hands) until it is, or kDescriptionWait has passed.
std::optional<std::string> probe(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + kDescriptionWait;
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<Holder> holder;
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) ::flock(fd, LOCK_UN);
    else if (errno == EWOULDBLOCK) holder = describe_holder(read_all(fd));
    ::close(fd);
    if (!holder) return std::nullopt;
    if (holder->whole || std::chrono::steady_clock::now() >= deadline) return holder->description;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::string> live_ancestor(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec).lexically_normal();
  if (ec) return std::nullopt;
  if (!p.has_filename()) p = p.parent_path();  // "D/" -> "D"
  for (int up = 0; up < 2 && p.has_parent_path() && p.parent_path() != p; ++up) {
    p = p.parent_path();
    if (auto holder = probe(lock_path(p.string()))) return holder;
  }
  return std::nullopt;
}

[[noreturn]] void refuse(const std::string& dir, const std::string& holder, const std::string& note = "") {
  throw Error(dir + ": in use by " + holder + (note.empty() ? "" : "; " + note));
}

enum class Outcome { Locked, Unwritable };

// Takes the lock, or throws naming the holder. Unwritable: the lock file cannot be
// created (`fd` stays -1, `error` says why).
Outcome try_acquire(const std::string& dir, int& fd, std::string& error) {
  if (auto holder = live_ancestor(dir)) refuse(dir, *holder);
  const std::string path = lock_path(dir);
  // A holder keeps the lock for its whole run; a prober (stats) or a holder that
  // is starting or finishing keeps it for microseconds: retry briefly before
  // refusing, so that neither refuses a run by accident. The refusal names the
  // holder once its description is whole (see probe).
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(300), description_deadline = start + kDescriptionWait;
  const std::string command = own_command();
  for (;;) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      error = path + ": cannot create the lock file: " + std::strerror(errno);
      return Outcome::Unwritable;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      // The previous holder removes the file when done: make sure ours is the one
      // now at `path`, not an unlinked one.
      struct stat ours{}, named{};
      if (::fstat(fd, &ours) == 0 && ::stat(path.c_str(), &named) == 0 && ours.st_ino == named.st_ino &&
          ours.st_dev == named.st_dev) {
        // Emptied first: a file left by a killed run must not go on naming that run.
        const bool emptied = ::ftruncate(fd, 0) == 0;
        pause_for_test();
        const std::string text = "pid " + std::to_string(::getpid()) + "\ncommand " + command + "\nstarted " +
                                 utc_now_iso8601() + "\n";
        if (!emptied || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
          // The lock holds without the description (others then wait kDescriptionWait
          // for it and say "another spikeq process"), or, when the file could not be
          // emptied, with the one a killed run left.
        }
        return Outcome::Locked;
      }
      ::close(fd);
      continue;
    }
    const int err = errno;
    const Holder holder = err == EWOULDBLOCK ? describe_holder(read_all(fd)) : Holder{};
    ::close(fd);
    fd = -1;
    if (err != EWOULDBLOCK) throw Error(path + ": cannot lock: " + std::strerror(err), Error::Kind::Runtime);
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline && (holder.whole || now >= description_deadline)) refuse(dir, holder.description);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

RunLock RunLock::acquire(const std::string& dir) {
  int fd = -1;
  std::string error;
  if (try_acquire(dir, fd, error) == Outcome::Unwritable) throw Error(error, Error::Kind::Runtime);
  return RunLock(dir, fd);
}

std::optional<RunLock> RunLock::acquire_if_writable(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    refuse_if_live(dir);
    return std::nullopt;
  }
  int fd = -1;
  std::string error;
  if (try_acquire(dir, fd, error) == Outcome::Unwritable) {
    refuse_if_live(dir);
    return std::nullopt;
  }
  return RunLock(dir, fd);
}

RunLock::RunLock(RunLock&& other) noexcept : dir_(std::move(other.dir_)), fd_(other.fd_) { other.fd_ = -1; }

RunLock::~RunLock() {
  if (fd_ < 0) return;
  // Removed while still held, so nobody takes the lock on a file about to vanish
  // (a process that opened it meanwhile sees the replacement and retries).
  ::unlink(lock_path(dir_).c_str());
  ::close(fd_);
}

std::optional<std::string> own_lock_holder(const std::string& dir) { return probe(lock_path(dir)); }

std::optional<std::string> live_holder(const std::string& dir) {
  if (auto holder = probe(lock_path(dir))) return holder;
  return live_ancestor(dir);
}

void refuse_if_live(const std::string& dir, const std::string& note) {
  if (auto holder = live_holder(dir)) refuse(dir, *holder, note);
}

}  // namespace spikeq::io
