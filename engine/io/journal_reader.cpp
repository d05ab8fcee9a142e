#include "engine/io/journal_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>

#include "engine/io/input_file.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
namespace {

// An owned read-only file descriptor; reads by absolute offset (pread), so a
// scan can look ahead for the next intact block and come back.
class InFile {
 public:
  explicit InFile(const std::string& path) : path_(path) {
    require_regular_file(path);
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) throw Error(path + ": cannot read: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw Error(path + ": not a regular file");
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  ~InFile() { ::close(fd_); }
  InFile(const InFile&) = delete;
  InFile& operator=(const InFile&) = delete;
  std::uint64_t size() const { return size_; }

  // True if all `bytes` were read (false at the end of the file).
  bool read_at(std::uint64_t offset, void* out, std::size_t bytes) const {
    auto* p = static_cast<char*>(out);
    std::size_t done = 0;
    while (done < bytes) {
      const ssize_t n = ::pread(fd_, p + done, bytes - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(path_ + ": cannot read: " + std::strerror(errno));
      if (n == 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

std::string number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

double time_of(const std::byte* record) {
  double t;
  std::memcpy(&t, record, sizeof t);  // every record starts with its float64 time
  return t;
}

std::uint32_t u32_at(const std::byte* record, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, record + at, sizeof v);
  return v;
}

std::size_t record_bytes_of(journal::Kind kind) {
  return kind == journal::Kind::Spikes ? sizeof(SpikeRow) : sizeof(SampleRow);
}

}  // namespace

std::uint64_t JournalScan::damaged_bytes() const {
  std::uint64_t n = 0;
  for (const Range& r : damaged) n += r.end - r.begin;
  return n;
}

// The scan of a journal's blocks when it is opened (see the header for the rules).
class JournalScanner {
 public:
  JournalScanner(JournalReader& reader, const InFile& file)
      : r_(reader), file_(file), budget_(4 * file.size() + (std::uint64_t{64} << 20)) {}

  void run(std::uint64_t offset) {
    JournalScan& scan = r_.scan_;
    const std::uint64_t size = file_.size();
    journal::BlockHeader h{};
    while (offset < size) {
      if (intact_at(offset, h)) {
        take_block(h, offset);
        offset += sizeof h + payload_bytes(h);
        continue;
      }
      // Not an intact block here: find the next one.
      const std::optional<std::uint64_t> next =
          scan.damaged.size() < JournalReader::kMaxDamagedRegions ? find_intact(offset + 1) : std::nullopt;
      if (!next && scan.damaged.size() >= JournalReader::kMaxDamagedRegions) scan.gave_up = true;
      if (!next && !scan.gave_up && torn_at(offset)) {
        scan.torn_bytes = size - offset;
      } else {
        scan.damaged.push_back({offset, next.value_or(size)});
        end_run(true);
      }
      if (!next) break;
      offset = *next;
    }
    end_run(false);
  }

 // The next offset >= `from` holding an intact block, within the search budget.
  std::optional<std::uint64_t> find_intact(std::uint64_t from) {
    const std::uint64_t size = file_.size();
    const std::uint32_t magic = journal::kBlockMagic;
    const std::string_view key(reinterpret_cast<const char*>(&magic), sizeof magic);
    journal::BlockHeader h{};
    if (from + sizeof h > size) return std::nullopt;
    constexpr std::size_t kWindow = std::size_t{1} << 20;
    std::vector<char> window(static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, size - from)));
    for (std::uint64_t at = from; at + sizeof h <= size;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(window.size(), size - at));
      if (!file_.read_at(at, window.data(), n)) break;
      const std::string_view text(window.data(), n);
      for (std::size_t hit = text.find(key); hit != std::string_view::npos; hit = text.find(key, hit + 1)) {
        const std::uint64_t candidate = at + hit;
        if (hit + sizeof h <= n) std::memcpy(&h, window.data() + hit, sizeof h);
        else if (!file_.read_at(candidate, &h, sizeof h)) continue;
        if (!plausible(h, candidate)) continue;
        const std::uint64_t cost = sizeof h + payload_bytes(h);
        if (cost > budget_) {
          r_.scan_.gave_up = true;
          return std::nullopt;
        }
        budget_ -= cost;
        if (intact_at(candidate, h)) return candidate;
      }
      if (at + n >= size) break;
      at += n - (sizeof magic - 1);  // a magic may straddle two windows
    }
    return std::nullopt;
  }

 private:
  std::uint64_t payload_bytes(const journal::BlockHeader& h) const {
    return static_cast<std::uint64_t>(h.count) * r_.record_bytes_;
  }

  // Magic, counts within bounds and within the file: worth a CRC.
  bool plausible(const journal::BlockHeader& h, std::uint64_t offset) const {
    return h.magic == journal::kBlockMagic && payload_bytes(h) <= journal::kMaxBlockBytes &&
           (h.complete == journal::kNoBatchEnd || h.complete <= h.count) &&
           offset + sizeof h + payload_bytes(h) <= file_.size();
  }

  // An intact block at `offset`: its records are left in payload_.
  bool intact_at(std::uint64_t offset, journal::BlockHeader& h) {
    if (!file_.read_at(offset, &h, sizeof h) || !plausible(h, offset)) return false;
    payload_.resize(payload_bytes(h));
    if (!file_.read_at(offset + sizeof h, payload_.data(), payload_.size())) return false;
    return journal::block_crc(h, payload_.data(), payload_.size()) == h.crc;
  }

  // What a kill leaves at the end: the start of a block header, or a header whose
  // records the file ends inside.
  bool torn_at(std::uint64_t offset) const {
    const std::uint64_t left = file_.size() - offset;
    journal::BlockHeader h{};
    if (left < sizeof h) {
      unsigned char bytes[sizeof h] = {};
      const std::uint32_t magic = journal::kBlockMagic;
      file_.read_at(offset, bytes, static_cast<std::size_t>(left));
      return std::memcmp(bytes, &magic, std::min<std::size_t>(sizeof magic, static_cast<std::size_t>(left))) == 0;
    }
    file_.read_at(offset, &h, sizeof h);
    return h.magic == journal::kBlockMagic && payload_bytes(h) <= journal::kMaxBlockBytes &&
           (h.complete == journal::kNoBatchEnd || h.complete <= h.count) &&
           offset + sizeof h + payload_bytes(h) > file_.size();
  }

  [[noreturn]] void bad_record(std::uint64_t offset, std::size_t i, const std::string& what) const {
    throw Error(r_.path_ + ": block " + std::to_string(r_.scan_.blocks) + " (byte " + std::to_string(offset) +
                ") record " + std::to_string(i) + ": " + what);
  }

  // The invariants every reader relies on, for each record of an intact block.
  void check_records(const journal::BlockHeader& h, std::uint64_t offset) {
    const RunLayout& layout = r_.layout_;
    for (std::size_t i = 0; i < h.count; ++i) {
      const std::byte* rec = payload_.data() + i * r_.record_bytes_;
      const double t = time_of(rec);
      if (!std::isfinite(t) || t < 0) bad_record(offset, i, "time_ms " + number(t) + ": not a finite time >= 0");
      if (have_previous_ && t < previous_ms_)
        bad_record(offset, i, "time_ms " + number(t) + ": earlier than the record before (" + number(previous_ms_) +
                                  "): a journal is in time order");
      previous_ms_ = t;
      have_previous_ = true;
      if (r_.kind_ == journal::Kind::Spikes) {
        const std::uint32_t node = u32_at(rec, 8), pop = u32_at(rec, 12);
        if (pop >= layout.populations.size())
          bad_record(offset, i, "population " + std::to_string(pop) + ": the layout has " +
                                    std::to_string(layout.populations.size()));
        if (node >= layout.populations[pop].size)
          bad_record(offset, i, "node_id " + std::to_string(node) + ": not below the size " +
                                    std::to_string(layout.populations[pop].size) + " of population \"" +
                                    layout.populations[pop].name + "\"");
      } else {
        double v;
        std::memcpy(&v, rec + 8, sizeof v);
        const std::uint32_t probe = u32_at(rec, 16), node = u32_at(rec, 20);
        if (probe >= layout.probes.size())
          bad_record(offset, i, "probe " + std::to_string(probe) + ": the layout has " +
                                    std::to_string(layout.probes.size()));
        const PopulationLayout& pop = layout.populations[layout.probes[probe].population];
        if (node >= pop.size)
          bad_record(offset, i, "node_id " + std::to_string(node) + ": not below the size " +
                                    std::to_string(pop.size) + " of population \"" + pop.name + "\"");
        if (!std::isfinite(v)) bad_record(offset, i, "v_mv " + number(v) + ": not a finite voltage");
      }
    }
  }

  // Batch bookkeeping for one intact block (payload_ holds its records).
  void take_block(const journal::BlockHeader& h, std::uint64_t offset) {
    check_records(h, offset);
    JournalScan& scan = r_.scan_;
    if (!in_run_) {  // the first block after the start or after damage
      in_run_ = true;
      run_pos_ = 0;
      open_ = !after_damage_;  // at the start, record 0 begins a batch
      if (open_) open_segment(offset, 0);
    }
    if (first_pending_ && h.count > 0) {  // the segment starts with this block
      seg_first_ms_ = time_of(payload_.data());
      first_pending_ = false;
    }
    if (h.complete != journal::kNoBatchEnd) {
      const std::uint64_t end = run_pos_ + h.complete;
      if (!open_) {  // the first batch end after damage: kept records start here
        open_ = true;
        open_segment(offset, h.complete);
        seg_start_pos_ = end;
        if (h.complete < h.count) {
          seg_first_ms_ = time_of(payload_.data() + std::size_t{h.complete} * r_.record_bytes_);
          first_pending_ = false;
        }
      } else {
        seg_.records = end - seg_start_pos_;
        if (h.complete > 0) seg_last_ms_ = time_of(payload_.data() + (std::size_t{h.complete} - 1) * r_.record_bytes_);
        else if (seg_.records > 0) seg_last_ms_ = block_last_ms_;
      }
    }
    ++scan.blocks;
    scan.block_records += h.count;
    run_pos_ += h.count;
    if (h.count > 0) block_last_ms_ = time_of(payload_.data() + (std::size_t{h.count} - 1) * r_.record_bytes_);
  }

  void open_segment(std::uint64_t offset, std::uint32_t skip) {
    seg_ = {offset, skip, 0};
    seg_start_pos_ = run_pos_ + skip;
    first_pending_ = true;
  }

  // A run of contiguous intact blocks ends (at damage or at the end of the file).
  void end_run(bool damage) {
    JournalScan& scan = r_.scan_;
    if (in_run_ && open_ && seg_.records > 0) {
      if (after_damage_) scan.gaps.push_back({scan.records > 0 ? scan.last_ms : 0.0, seg_first_ms_});
      if (scan.records == 0) scan.first_ms = seg_first_ms_;
      scan.records += seg_.records;
      scan.last_ms = seg_last_ms_;
      r_.segments_.push_back(seg_);
    }
    in_run_ = false;
    open_ = false;
    if (damage) after_damage_ = true;
  }

  JournalReader& r_;
  const InFile& file_;
  std::uint64_t budget_;  // bytes the search for intact blocks may still check
  std::vector<std::byte> payload_;
  bool have_previous_ = false;
  double previous_ms_ = 0;
  bool after_damage_ = false, in_run_ = false, open_ = false, first_pending_ = false;
  JournalReader::Segment seg_;
  std::uint64_t run_pos_ = 0, seg_start_pos_ = 0;
  double seg_first_ms_ = 0, seg_last_ms_ = 0, block_last_ms_ = 0;
};

JournalReader::JournalReader(std::string path, const RunLayout* expected) : path_(std::move(path)) {
  const InFile file(path_);
  scan_.file_bytes = file.size();
  journal::FileHeader header{};
  const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), sizeof header));
  file.read_at(0, &header, have);
  if (std::memcmp(header.magic, journal::kMagic, std::min<std::size_t>(have, sizeof header.magic)) != 0)
    throw Error(path_ + ": not a spikeq journal (no SPKQJRNL magic)");
  if (have >= 12 && header.version != journal::kVersion)
    throw Error(path_ + ": journal version " + std::to_string(header.version) + " is not supported (only " +
                std::to_string(journal::kVersion) + ")");
  if (have < sizeof header) {  // killed while creating it: nothing was recorded yet
    scan_.header_torn = true;
    scan_.torn_bytes = file.size();
    if (expected) layout_ = *expected;
    return;
  }
  kind_ = static_cast<journal::Kind>(header.kind);
  if (kind_ != journal::Kind::Spikes && kind_ != journal::Kind::Voltages)
    throw Error(path_ + ": journal kind " + std::to_string(header.kind) + " is unknown");
  record_bytes_ = header.record_bytes;
  if (record_bytes_ != record_bytes_of(kind_))
    throw Error(path_ + ": journal records of " + std::to_string(record_bytes_) + " bytes: expected " +
                std::to_string(record_bytes_of(kind_)));

  // The meta (JSON with the layout): bounded before it is read.
  JournalScanner scanner(*this, file);
  const std::uint64_t meta_end = sizeof header + std::uint64_t{header.meta_bytes};
  std::uint64_t data_offset = meta_end;
  bool meta_ok = header.meta_bytes <= journal::kMaxMetaBytes && meta_end <= file.size();
  if (meta_ok) {
    std::string text(header.meta_bytes, '\0');
    file.read_at(sizeof header, text.data(), text.size());
    try {
      meta_ = nlohmann::json::parse(text);
      layout_ = RunLayout::from_json(meta_.at("layout"), path_);
    } catch (const nlohmann::json::exception&) {
      meta_ok = false;
    } catch (const Error&) {
      if (!expected) throw;
      meta_ok = false;
    }
  } else if (header.meta_bytes <= journal::kMaxMetaBytes && !scanner.find_intact(sizeof header)) {
    // The file ends inside its header and holds no block: killed while creating
    // it, before anything was recorded.
    scan_.header_torn = true;
    scan_.torn_bytes = file.size();
    if (expected) layout_ = *expected;
    return;
  }
  if (!meta_ok) {
    if (!expected) throw Error(path_ + ": the journal's header is damaged (its layout is unreadable)");
    meta_ = nlohmann::json::object();
    layout_ = *expected;
    scan_.meta_damaged = true;
    // Where the blocks start is unknown: the scan resynchronises from the end of
    // the fixed header (what precedes the first intact block counts as damaged).
    data_offset = sizeof header;
    if (meta_end <= file.size()) {
      journal::BlockHeader first{};
      if (meta_end == file.size() ||
          (file.read_at(meta_end, &first, sizeof first) && first.magic == journal::kBlockMagic))
        data_offset = meta_end;
    }
  } else if (expected && !(layout_ == *expected)) {
    throw Error(path_ + ": its layout (populations, sizes, probes) differs from the manifest's: a journal of another run?");
  }
  scanner.run(data_offset);
}

void JournalReader::read_records(const std::function<void(std::span<const std::byte>)>& chunk) const {
  const InFile file(path_);
  std::vector<std::byte> payload;
  auto changed = [&] { return Error(path_ + ": changed while reading", Error::Kind::Runtime); };
  for (const Segment& segment : segments_) {
    std::uint64_t offset = segment.offset, left = segment.records;
    std::uint32_t skip = segment.skip;
    while (left > 0) {
      journal::BlockHeader block{};
      if (!file.read_at(offset, &block, sizeof block) || block.magic != journal::kBlockMagic ||
          std::uint64_t{block.count} * record_bytes_ > journal::kMaxBlockBytes || skip > block.count)
        throw changed();
      payload.resize(std::size_t{block.count} * record_bytes_);
      if (!file.read_at(offset + sizeof block, payload.data(), payload.size()) ||
          journal::block_crc(block, payload.data(), payload.size()) != block.crc)
        throw changed();
      const std::uint64_t n = std::min<std::uint64_t>(block.count - skip, left);
      if (n > 0) chunk(std::span<const std::byte>(payload.data() + std::size_t{skip} * record_bytes_, n * record_bytes_));
      left -= n;
      skip = 0;
      offset += sizeof block + payload.size();
    }
  }
}

}  // namespace spikeq::io
