#include "engine/io/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "netdefs/error.h"

namespace spikeq::inline io {

PendingFile::~PendingFile() {
  if (!published_) std::remove(tmp_.c_str());
}

void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno), Error::Kind::Runtime);
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL;  // EINVAL: this file system syncs nothing
  const int err = errno;
  ::close(fd);
  if (!ok) throw Error(path + ": write failed: " + std::strerror(err), Error::Kind::Runtime);
}

void PendingFile::publish() {
  sync_path(tmp_);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw Error(path_ + ": cannot rename: " + std::strerror(errno), Error::Kind::Runtime);
  published_ = true;
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  sync_path(dir.empty() ? "." : dir);
}

}  // namespace spikeq::io
