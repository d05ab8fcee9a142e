// One owner per run directory: an advisory lock, DIR/.spikeq.lock, held by the
// process that writes DIR for as long as it does.
//
// `spikeq run` takes it on its output directory before anything is written there
// and keeps it until the last file and manifest are written (a batch of trials or
// a sweep: on the top directory, for the whole batch); `spikeq recover` and
// `spikeq convert` take it while they rewrite a directory. A second process that
// wants a held directory is refused with one line naming the holder (exit 2):
//   spikeq: runs/x: in use by pid 4711 (spikeq run net.pbtxt -o runs/x), since 2024-05-01T12:00:00Z
// `spikeq stats` and `spikeq compare` only look: on a live directory they refuse
// the same way (exit 2), rather than report a run that is still being written:
//   spikeq: runs/x: in use by pid 4711 (...), since ...; a live run: its files are not finished
// The lock covers the directory's trial-*/ and point-*/trial-*/ subdirectories
// too: whoever checks DIR also checks the locks of its parent and grandparent.
//
// Mechanism: flock(2) on DIR/.spikeq.lock, which holds the holder's pid, command
// line and start time (for the message only). The kernel drops the lock when the
// holder exits however it exits, so a lock file left by a killed run blocks
// nothing. The holder removes the file when it is done (while still holding the
// lock; a process that opened the old file sees that it was replaced and retries).
//
// The holder empties the file and writes those three lines just after it takes
// the lock, so another process can find the lock held and the file empty or half
// written. Such a process reads the file again, for up to a second, until the
// three lines are whole, and only then names the holder; if they never are (a
// holder that could not write them, or stalled), it says "in use by another
// spikeq process".
// (A file left by a killed run still names that run in the instant between a new
// holder's taking the lock and emptying the file.)
//
// Test seam: the environment variable SPIKEQ_FAULT_LOCK_PAUSE_MS=N makes a process
// that has just taken a lock wait N milliseconds before it writes its pid, command
// and start time into the lock file, holding open the moment in which others find
// the lock held and the file not yet written.
#pragma once

#include <optional>
#include <string>

namespace spikeq::inline io {

class RunLock {
 public:
  // Takes DIR's lock (DIR must exist). Throws Error (BadInput) naming the holder
  // when DIR, or the batch directory above it, is in use; Error (Runtime) when the
  // lock file cannot be created.
  static RunLock acquire(const std::string& dir);
  // As acquire, but a directory where no lock file can be created (read-only,
  // missing) is only checked, not locked: for commands that fail there anyway
  // with their own message.
  static std::optional<RunLock> acquire_if_writable(const std::string& dir);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();  // removes the lock file and releases the lock

  const std::string& dir() const { return dir_; }

 private:
  RunLock(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::string dir_;
  int fd_ = -1;
};

// The holder of DIR's lock or of its parent's or grandparent's (a batch around a
// trial directory), described as in the message above; nullopt when none is live.
// Not for a directory below one this process has locked: it would find itself.
std::optional<std::string> live_holder(const std::string& dir);
// The holder of DIR's own lock only (not its ancestors').
std::optional<std::string> own_lock_holder(const std::string& dir);

// Throws Error (BadInput) "DIR: in use by ...[; NOTE]" when live_holder(DIR) finds one.
void refuse_if_live(const std::string& dir, const std::string& note = "");

// The lock file's name inside a run directory.
inline constexpr const char* kLockFileName = ".spikeq.lock";

}  // namespace spikeq::io
