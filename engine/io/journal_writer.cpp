#include "engine/io/journal_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "netdefs/error.h"

namespace spikeq::inline io {

namespace journal {

std::uint32_t block_crc(const BlockHeader& header, const void* records, std::size_t bytes) {
  const std::uint32_t counts[2] = {header.count, header.complete};
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(counts), sizeof counts);
  // zlib takes uInt lengths; blocks are far below 4 GiB, but stay general.
  const auto* p = static_cast<const Bytef*>(records);
  while (bytes > 0) {
    const std::size_t n = bytes < (std::size_t{1} << 30) ? bytes : (std::size_t{1} << 30);
    crc = crc32(crc, p, static_cast<uInt>(n));
    p += n;
    bytes -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace journal

namespace {

void sync_directory_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: some file systems refuse fsync on directories
  ::close(fd);
}

std::uint64_t write_limit_from_environment() {
  const char* text = std::getenv("SPIKEQ_FAULT_WRITE_LIMIT_BYTES");
  return text ? std::strtoull(text, nullptr, 10) : 0;
}

}  // namespace

JournalWriter::JournalWriter(std::string path, journal::Kind kind, std::uint32_t record_bytes,
                             const nlohmann::json& meta, std::size_t buffer_bytes, double sync_interval_s)
    : path_(std::move(path)),
      record_bytes_(record_bytes),
      // Readers refuse blocks larger than kMaxBlockBytes (their allocation bound).
      capacity_(std::max<std::size_t>(1, std::min(buffer_bytes, journal::kMaxBlockBytes) / record_bytes)),
      write_limit_(write_limit_from_environment()),
      sync_interval_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(sync_interval_s))),
      last_sync_(std::chrono::steady_clock::now()) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path_ + ": cannot create: " + std::strerror(errno), Error::Kind::Runtime);
  buffer_.resize(sizeof(journal::BlockHeader) + capacity_ * record_bytes_);
  const std::string text = meta.dump();
  journal::FileHeader header{};
  std::memcpy(header.magic, journal::kMagic, sizeof header.magic);
  header.version = journal::kVersion;
  header.kind = static_cast<std::uint32_t>(kind);
  header.record_bytes = record_bytes_;
  header.meta_bytes = static_cast<std::uint32_t>(text.size());
  std::vector<std::byte> head(sizeof header + text.size());
  std::memcpy(head.data(), &header, sizeof header);
  std::memcpy(head.data() + sizeof header, text.data(), text.size());
  write_all(head.data(), head.size());
  file_bytes_ = head.size();
  sync();
  sync_directory_of(path_);
}

JournalWriter::~JournalWriter() { abandon(); }

void JournalWriter::append(const void* records, std::size_t count) {
  const auto* in = static_cast<const std::byte*>(records);
  while (count > 0) {
    if (count_ == capacity_) write_block();
    const std::size_t n = std::min(count, capacity_ - count_);
    std::memcpy(buffer_.data() + sizeof(journal::BlockHeader) + count_ * record_bytes_, in, n * record_bytes_);
    count_ += n;
    records_ += n;
    in += n * record_bytes_;
    count -= n;
  }
}

void JournalWriter::end_batch() {
  complete_ = static_cast<std::uint32_t>(count_);
  if (std::chrono::steady_clock::now() - last_sync_ >= sync_interval_) {
    if (count_ > 0) write_block();
    sync();
  }
}

void JournalWriter::close() {
  if (fd_ < 0) return;
  if (count_ > 0) write_block();
  sync();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(path_ + ": write failed: " + std::strerror(errno), Error::Kind::Runtime);
}

void JournalWriter::abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void JournalWriter::write_block() {
  journal::BlockHeader header{journal::kBlockMagic, static_cast<std::uint32_t>(count_), complete_, 0};
  std::byte* records = buffer_.data() + sizeof header;
  header.crc = journal::block_crc(header, records, count_ * record_bytes_);
  std::memcpy(buffer_.data(), &header, sizeof header);
  const std::size_t bytes = sizeof header + count_ * record_bytes_;
  write_all(buffer_.data(), bytes);
  file_bytes_ += bytes;
  count_ = 0;
  complete_ = journal::kNoBatchEnd;
}

void JournalWriter::write_all(const void* data, std::size_t bytes) {
  if (fd_ < 0) throw Error(path_ + ": write after close", Error::Kind::Runtime);
  const auto* p = static_cast<const std::byte*>(data);
  std::size_t allowed = bytes;
  if (write_limit_ > 0) allowed = file_bytes_ >= write_limit_ ? 0 : std::min<std::uint64_t>(bytes, write_limit_ - file_bytes_);
  std::size_t done = 0;
  while (done < allowed) {
    const ssize_t n = ::write(fd_, p + done, allowed - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(errno);
    done += static_cast<std::size_t>(n);
  }
  if (done < bytes) fail(ENOSPC);  // the test seam's simulated full disk
}

void JournalWriter::sync() {
  if (::fdatasync(fd_) != 0 && errno != EINVAL) fail(errno);
  last_sync_ = std::chrono::steady_clock::now();
}

void JournalWriter::fail(int err) {
  // Drop the partial block so the journal ends on a whole one (and frees the space).
  if (::ftruncate(fd_, static_cast<off_t>(file_bytes_)) == 0) ::fdatasync(fd_);
  abandon();
  throw Error(path_ + ": write failed: " + std::strerror(err), Error::Kind::Runtime);
}

}  // namespace spikeq::io
