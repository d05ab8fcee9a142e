// The fuzz input as a file the readers can open by path, rewritten for every
// input: an in-memory file (memfd) reached through /proc/self/fd, so fuzzing
// touches no disk and leaves nothing behind; or, for HDF5 (which resolves a
// file's real path and cannot open a memfd's), a file in /dev/shm removed at exit.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace spikeq::fuzz {

class InputFile {
 public:
  explicit InputFile(const char* name, bool on_tmpfs = false) {
    if (on_tmpfs) {
      path_ = "/dev/shm/" + std::string(name) + "." + std::to_string(getpid());
      fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      named_ = true;
    } else {
      fd_ = memfd_create(name, 0);
      path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    if (fd_ < 0) std::abort();
  }
  ~InputFile() {
    if (named_) unlink(path_.c_str());
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  // Replaces the file's contents; returns its path.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    if (ftruncate(fd_, 0) != 0) std::abort();
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  bool named_ = false;
  std::string path_;
};

}  // namespace spikeq::fuzz
