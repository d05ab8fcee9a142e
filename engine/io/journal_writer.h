// Appends records to a journal file (engine/io/journal_format.h) in blocks, so that
// a run killed at any moment leaves a readable file.
//
// Records collect in a buffer (1 MiB by default and at most: the bound on the memory
// recording takes); a full buffer is written as one block (write(2), so it
// survives SIGKILL at once), and at the end of a batch, if `sync_interval_s` of
// wall time has passed since the last sync, the buffer is written and the file
// fdatasync'ed (survives power loss). A write that fails (disk full, I/O error)
// truncates the file back to its last whole block and throws Error (Runtime)
// naming the file; the journal stays valid.
//
// Test seam: the environment variable SPIKEQ_FAULT_WRITE_LIMIT_BYTES=N makes any
// journal fail with ENOSPC as soon as it would grow beyond N bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/io/journal_format.h"

namespace spikeq::inline io {

class JournalWriter {
 public:
  // Creates (truncates) `path`, writes the header and meta, syncs file and directory.
  JournalWriter(std::string path, journal::Kind kind, std::uint32_t record_bytes, const nlohmann::json& meta,
                std::size_t buffer_bytes = std::size_t{1} << 20, double sync_interval_s = 1.0);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  void append(const void* records, std::size_t count);
  // The records appended so far close a batch; syncs if the interval has passed.
  void end_batch();
  // Writes what is buffered, syncs and closes. Throws like append.
  void close();
  // Closes without writing more (after a failure elsewhere); never throws.
  void abandon() noexcept;

  const std::string& path() const { return path_; }
  std::uint64_t records() const { return records_; }

 private:
  void write_block();
  void write_all(const void* data, std::size_t bytes);
  void sync();
  [[noreturn]] void fail(int err);

  std::string path_;
  std::uint32_t record_bytes_;
  int fd_ = -1;
  std::vector<std::byte> buffer_;  // BlockHeader, then up to capacity_ records
  std::size_t capacity_;
  std::size_t count_ = 0;           // records in the buffer
  std::uint32_t complete_ = journal::kNoBatchEnd;
  std::uint64_t file_bytes_ = 0;    // whole blocks on disk
  std::uint64_t records_ = 0;
  std::uint64_t write_limit_ = 0;   // 0: none (test seam)
  std::chrono::steady_clock::duration sync_interval_;
  std::chrono::steady_clock::time_point last_sync_;
};

}  // namespace spikeq::io
