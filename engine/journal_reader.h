// Reads a journal (engine/journal_format.h), written whole or cut short by a
// kill: on opening it checks every block and keeps the records up to the last
// batch end of the last intact block. Reads stream in blocks, so a journal of
// any size is read in bounded memory.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/journal_format.h"
#include "engine/run_data.h"

namespace spikeq {

class JournalReader {
 public:
  // Throws Error (Runtime) if the file is missing or not a journal.
  explicit JournalReader(std::string path);

  journal::Kind kind() const { return kind_; }
  const nlohmann::json& meta() const { return meta_; }
  RunLayout layout() const { return RunLayout::from_json(meta_.at("layout")); }
  std::uint64_t records() const { return records_; }   // kept (whole batches)
  double last_time_ms() const { return last_time_ms_; }  // of the last kept record (0 if none)
  std::uint64_t dropped_bytes() const { return file_bytes_ - kept_bytes_; }  // torn or partial tail
  const std::string& path() const { return path_; }

  // Calls `chunk` with the kept records, block by block, as raw bytes.
  void read_records(const std::function<void(std::span<const std::byte>)>& chunk) const;

 private:
  std::string path_;
  journal::Kind kind_{};
  std::uint32_t record_bytes_ = 0;
  std::uint64_t data_offset_ = 0;  // first block
  nlohmann::json meta_;
  std::uint64_t records_ = 0;
  double last_time_ms_ = 0;
  std::uint64_t file_bytes_ = 0, kept_bytes_ = 0;
};

// A journal as a stream of rows (SpikeRow for spikes, SampleRow for voltages).
template <typename Row>
class JournalSource : public RowSource<Row> {
  static_assert(std::is_trivially_copyable_v<Row>);

 public:
  explicit JournalSource(std::string path) : reader_(std::move(path)) {}
  const JournalReader& reader() const { return reader_; }
  void read(const typename RowSource<Row>::Chunk& chunk) override {
    std::vector<Row> rows;
    reader_.read_records([&](std::span<const std::byte> bytes) {
      rows.resize(bytes.size() / sizeof(Row));
      std::memcpy(rows.data(), bytes.data(), rows.size() * sizeof(Row));
      chunk(rows);
    });
  }

 private:
  JournalReader reader_;
};

}  // namespace spikeq
