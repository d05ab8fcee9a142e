// Reads a journal (engine/io/journal_format.h), written whole, cut short by a kill,
// or damaged. On opening it checks every block (magic, bounds, CRC) and every
// record of the intact ones (times finite and in order, populations, nodes and
// probes inside the layout), and decides what is kept: whole batches only.
//
//   - A torn end (the last block cut short by a kill) and the half-written batch
//     before it are dropped: what is kept is every record up to some time.
//   - A damaged part (bytes that are not an intact block: a flipped byte, garbage)
//     is skipped: the reader resynchronises on the next intact block (its magic,
//     a plausible header and a matching CRC) and keeps the whole batches from the
//     first batch end found after the damage. The time range between the last
//     record kept before and the first kept after is a gap: records in between are
//     lost (at its two end times possibly only some of them).
//   - Nothing read from the file is trusted before it is bounded: meta at most
//     kMaxMetaBytes and inside the file, a block's records at most kMaxBlockBytes
//     and inside the file. The search for intact blocks after damage is bounded
//     too (a few times the file size of CRC work, at most kMaxDamagedRegions
//     regions); past that the rest of the file counts as damaged.
//
// Reads stream block by block, so a journal of any size is read in bounded memory.
// Errors (spikeq::Error, BadInput: the file is bad input for whoever reads it):
// a file that is not a journal, of another version or record layout, whose layout
// differs from the expected one, or with a record that breaks an invariant, named
// by block and record: `DIR/spikes.journal: block 3 (byte 1049664) record 17:
// node_id 4000000000: not below the size 100 of population "a"`.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/io/journal_format.h"
#include "engine/io/run_data.h"
#include "netdefs/error.h"

namespace spikeq::inline io {

// What a reader found in a journal: what `spikeq recover` reports.
struct JournalScan {
  struct Range {
    std::uint64_t begin = 0, end = 0;  // bytes [begin, end)
  };
  struct Gap {
    double from_ms = 0, to_ms = 0;  // the last record kept before, the first kept after
  };
  std::uint64_t file_bytes = 0;
  std::uint64_t blocks = 0;         // intact blocks
  std::uint64_t block_records = 0;  // records in intact blocks
  std::uint64_t records = 0;        // kept (whole batches)
  std::vector<Range> damaged;       // bytes that are not intact blocks, the torn end excepted
  std::uint64_t torn_bytes = 0;     // at the end: a block cut short (or a header never finished)
  std::vector<Gap> gaps;
  double first_ms = 0, last_ms = 0;  // of the kept records (0 if none)
  bool header_torn = false;   // shorter than its header: killed before anything was recorded
  bool meta_damaged = false;  // the header's JSON is unreadable; the expected layout was used
  bool gave_up = false;       // the search for intact blocks hit its bound; the rest counts as damaged

  std::uint64_t dropped_records() const { return block_records - records; }  // of intact blocks
  std::uint64_t damaged_bytes() const;
  bool damaged_any() const { return !damaged.empty() || meta_damaged; }
};

class JournalReader {
 public:
  static constexpr std::size_t kMaxDamagedRegions = 1000;

  // `expected`: the layout the run's manifest gives. When set, the journal's own
  // must equal it, and a journal whose meta is damaged is read with it.
  explicit JournalReader(std::string path, const RunLayout* expected = nullptr);

  journal::Kind kind() const { return kind_; }
  const nlohmann::json& meta() const { return meta_; }
  const RunLayout& layout() const { return layout_; }
  std::uint64_t records() const { return scan_.records; }     // kept (whole batches)
  double last_time_ms() const { return scan_.last_ms; }        // of the last kept record (0 if none)
  const JournalScan& scan() const { return scan_; }
  const std::string& path() const { return path_; }
  std::uint32_t record_bytes() const { return record_bytes_; }

  // Calls `chunk` with the kept records, block by block, as raw bytes. Throws
  // Error (Runtime) if the file changed since it was opened.
  void read_records(const std::function<void(std::span<const std::byte>)>& chunk) const;

 private:
  // Kept records: `records` of them from record `skip` of the block at `offset` on,
  // through contiguous intact blocks.
  struct Segment {
    std::uint64_t offset = 0;
    std::uint32_t skip = 0;
    std::uint64_t records = 0;
  };
  friend class JournalScanner;

  std::string path_;
  journal::Kind kind_{};
  std::uint32_t record_bytes_ = 0;
  nlohmann::json meta_;
  RunLayout layout_;
  std::vector<Segment> segments_;
  JournalScan scan_;
};

// A journal as a stream of rows (SpikeRow for spikes, SampleRow for voltages).
template <typename Row>
class JournalSource : public RowSource<Row> {
  static_assert(std::is_trivially_copyable_v<Row>);

 public:
  explicit JournalSource(std::string path, const RunLayout* expected = nullptr) : reader_(std::move(path), expected) {
    if (!reader_.scan().header_torn && reader_.record_bytes() != sizeof(Row))
      throw Error(reader_.path() + ": a journal of " + std::to_string(reader_.record_bytes()) +
                  "-byte records, read as " + std::to_string(sizeof(Row)) + "-byte ones");
  }
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

}  // namespace spikeq::io
