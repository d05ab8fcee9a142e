#include "engine/io/tsv_rows.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string_view>

#include "engine/io/durable_file.h"
#include "engine/io/input_file.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
namespace {

constexpr std::size_t kChunkRows = std::size_t{1} << 16;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_file(const std::string& path, const char* mode) {
  if (mode[0] == 'r') require_regular_file(path);  // fopen would block on a FIFO
  File f(std::fopen(path.c_str(), mode));
  // A file that cannot be read is bad input, like a missing one; one that cannot
  // be created is a run-time failure.
  if (!f) throw Error(path + ": cannot " + (mode[0] == 'r' ? "read: " : "create: ") + std::strerror(errno),
                      mode[0] == 'r' ? Error::Kind::BadInput : Error::Kind::Runtime);
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  return f;
}

constexpr const char* kSpikesHeader = "population\tnode_id\ttime_ms";
constexpr const char* kVoltagesHeader = "probe\tpopulation\tnode_id\ttime_ms\tv_mv";

// Complete lines of a file, in bounded memory: a line longer than kMaxLineBytes
// is reported as such rather than collected.
class LineReader {
 public:
  enum class Status { Line, End, TooLong };

  explicit LineReader(const std::string& path) : path_(path), f_(open_file(path, "rb")) {
    // Room for one whole line (the limit) and up to 1 MiB of lines; not zeroed.
    std::error_code ec;
    const std::uintmax_t file = std::filesystem::file_size(path, ec);
    size_ = std::max<std::size_t>(2 * kMaxLineBytes + 2, ec ? kBuffer : std::min<std::uintmax_t>(kBuffer, file + 1));
    buf_.reset(new char[size_]);
  }

  // The next line (without its newline; valid until the next call), or End (then
  // torn_bytes() is what follows the last newline), or TooLong.
  Status next(std::string_view& line) {
    for (;;) {
      if (skipping_) {  // the rest of a line too long to return
        const char* nl = static_cast<const char*>(std::memchr(buf_.get() + begin_, '\n', end_ - begin_));
        if (nl) {
          begin_ = static_cast<std::size_t>(nl - buf_.get()) + 1;
          skipping_ = false;
          continue;
        }
        begin_ = end_;
      }
      const char* nl = static_cast<const char*>(std::memchr(buf_.get() + begin_, '\n', end_ - begin_));
      if (nl) {
        const std::size_t length = static_cast<std::size_t>(nl - (buf_.get() + begin_));
        if (length > kMaxLineBytes) return too_long();
        line = std::string_view(buf_.get() + begin_, length);
        offset_ = base_ + begin_;
        ++number_;
        begin_ += length + 1;
        return Status::Line;
      }
      if (end_ - begin_ > kMaxLineBytes) return too_long();
      // Move the partial line to the front and read more.
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      base_ += begin_;
      end_ -= begin_;
      begin_ = 0;
      const std::size_t n = std::fread(buf_.get() + end_, 1, size_ - end_, f_.get());
      if (n == 0) {
        if (std::ferror(f_.get())) throw Error(path_ + ": cannot read: " + std::strerror(errno));
        offset_ = base_;
        ++number_;
        torn_ = end_;
        return Status::End;
      }
      end_ += n;
    }
  }
  std::uint64_t number() const { return number_; }  // of the line just returned (1 = header)
  std::uint64_t offset() const { return offset_; }  // where it starts
  std::uint64_t torn_bytes() const { return torn_; }

 private:
  Status too_long() {
    offset_ = base_ + begin_;
    ++number_;
    skipping_ = true;
    return Status::TooLong;
  }

  static constexpr std::size_t kBuffer = std::size_t{1} << 20;
  std::string path_;
  File f_;
  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0;
  std::size_t begin_ = 0, end_ = 0;  // unread bytes in buf_
  std::uint64_t base_ = 0;           // file offset of buf_[0]
  std::uint64_t offset_ = 0, number_ = 0, torn_ = 0;
  bool skipping_ = false;
};

// Splits a line at tabs into exactly `n` fields.
bool split(std::string_view text, std::string_view* fields, int n) {
  for (int k = 0; k + 1 < n; ++k) {
    const std::size_t tab = text.find('\t');
    if (tab == std::string_view::npos) return false;
    fields[k] = text.substr(0, tab);
    text.remove_prefix(tab + 1);
  }
  if (text.find('\t') != std::string_view::npos) return false;
  fields[n - 1] = text;
  return true;
}

std::string quoted(std::string_view s) { return "\"" + printable(s, 40) + "\""; }

std::string number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// "" if `s` is a decimal unsigned 64-bit number (no sign, no spaces), else why not.
std::string parse_uint(std::string_view s, const char* field, std::uint64_t& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec == std::errc::result_out_of_range) return std::string(field) + " " + quoted(s) + ": not a 64-bit unsigned integer";
  if (ec != std::errc() || end != s.data() + s.size()) return std::string(field) + " " + quoted(s) + ": not a number";
  return "";
}

std::string parse_double(std::string_view s, const char* field, double& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::string(field) + " " + quoted(s) + ": not a number";
  return "";
}

// The rules of one file (see the header): parses a line into a row, or says why not.
class LineRules {
 public:
  LineRules(const RunLayout& layout, TsvKind kind) : layout_(layout), kind_(kind) {
    for (std::uint32_t p = 0; p < layout.populations.size(); ++p) index_.emplace(layout.populations[p].name, p);
  }
  const char* header() const { return kind_ == TsvKind::Spikes ? kSpikesHeader : kVoltagesHeader; }
  std::string header_words() const {
    return kind_ == TsvKind::Spikes ? "(population, node_id, time_ms, tab-separated)"
                                    : "(probe, population, node_id, time_ms, v_mv, tab-separated)";
  }

  std::string spike(std::string_view text, SpikeRow& row) {
    std::string_view f[3];
    if (!split(text, f, 3)) return "not 3 tab-separated fields";
    const auto p = index_.find(f[0]);
    if (p == index_.end()) return "population " + quoted(f[0]) + ": not a population of this run";
    std::uint64_t node = 0;
    if (std::string e = node_id(f[1], p->second, node); !e.empty()) return e;
    double t = 0;
    if (std::string e = time(f[2], t); !e.empty()) return e;
    row = {t, static_cast<std::uint32_t>(node), p->second};  // node < size <= 2^32 - 2
    return "";
  }

  std::string sample(std::string_view text, SampleRow& row) {
    std::string_view f[5];
    if (!split(text, f, 5)) return "not 5 tab-separated fields";
    std::uint64_t probe = 0;
    if (std::string e = parse_uint(f[0], "probe", probe); !e.empty()) return e;
    if (probe >= layout_.probes.size())
      return "probe " + std::to_string(probe) + ": the run has " + std::to_string(layout_.probes.size()) + " probes";
    const std::uint32_t pop = layout_.probes[probe].population;
    if (f[1] != layout_.populations[pop].name)
      return "population " + quoted(f[1]) + ": probe " + std::to_string(probe) + " samples population " +
             quoted(std::string_view(layout_.populations[pop].name));
    std::uint64_t node = 0;
    if (std::string e = node_id(f[2], pop, node); !e.empty()) return e;
    double t = 0, v = 0;
    if (std::string e = time(f[3], t); !e.empty()) return e;
    if (std::string e = parse_double(f[4], "v_mv", v); !e.empty()) return e;
    if (!std::isfinite(v)) return "v_mv " + number(v) + ": not a finite voltage";
    row = {t, v, static_cast<std::uint32_t>(probe), static_cast<std::uint32_t>(node)};
    return "";
  }

 private:
  std::string node_id(std::string_view s, std::uint32_t pop, std::uint64_t& node) const {
    if (std::string e = parse_uint(s, "node_id", node); !e.empty()) return e;
    if (node >= layout_.populations[pop].size)
      return "node_id " + std::to_string(node) + ": not below the size " + std::to_string(layout_.populations[pop].size) +
             " of population \"" + layout_.populations[pop].name + "\"";
    return "";
  }
  std::string time(std::string_view s, double& t) {
    if (std::string e = parse_double(s, "time_ms", t); !e.empty()) return e;
    if (!std::isfinite(t) || t < 0) return "time_ms " + number(t) + ": not a finite time >= 0";
    if (any_ && t < previous_)
      return "time_ms " + number(t) + ": earlier than the line before (" + number(previous_) + "): the file is sorted by time";
    previous_ = t;
    any_ = true;
    return "";
  }

  const RunLayout& layout_;
  TsvKind kind_;
  std::map<std::string, std::uint32_t, std::less<>> index_;
  double previous_ = 0;
  bool any_ = false;
};

// Reads every line of a file that must be whole and valid, handing rows to `row`.
template <typename Row, typename Parse, typename Take>
void read_lines(const std::string& path, const RunLayout& layout, TsvKind kind, Parse parse, Take take) {
  LineReader lines(path);
  LineRules rules(layout, kind);
  auto refuse = [&](const std::string& what) { throw Error(path + ": line " + std::to_string(lines.number()) + ": " + what); };
  std::string_view text;
  for (bool header = true;; header = false) {
    const LineReader::Status status = lines.next(text);
    if (status == LineReader::Status::TooLong) refuse("longer than " + std::to_string(kMaxLineBytes) + " bytes");
    if (status == LineReader::Status::End) {
      if (lines.torn_bytes() > 0)
        refuse("cut short (no newline at the end of the file: a killed run? `spikeq recover` cuts it)");
      if (header) refuse("no header line (an empty file)");
      return;
    }
    if (header) {
      if (text != rules.header()) refuse("not the header " + rules.header_words());
      continue;
    }
    Row row{};
    if (std::string e = (rules.*parse)(text, row); !e.empty()) refuse(e);
    take(row);
  }
}

}  // namespace

void TsvSpikeSource::read(const Chunk& chunk) {
  std::vector<SpikeRow> rows;
  rows.reserve(kChunkRows);
  read_lines<SpikeRow>(path_, layout_, TsvKind::Spikes, &LineRules::spike, [&](const SpikeRow& row) {
    rows.push_back(row);
    if (rows.size() == kChunkRows) {
      chunk(rows);
      rows.clear();
    }
  });
  if (!rows.empty()) chunk(rows);
}

void TsvSampleSource::read(const Chunk& chunk) {
  std::vector<SampleRow> rows;
  rows.reserve(kChunkRows);
  read_lines<SampleRow>(path_, layout_, TsvKind::Voltages, &LineRules::sample, [&](const SampleRow& row) {
    rows.push_back(row);
    if (rows.size() == kChunkRows) {
      chunk(rows);
      rows.clear();
    }
  });
  if (!rows.empty()) chunk(rows);
}

namespace {

void finish(File& f, PendingFile& pending) {
  const bool ok = std::fflush(f.get()) == 0 && !std::ferror(f.get());
  const int err = errno;
  if (std::fclose(f.release()) != 0 || !ok)
    throw Error(pending.path() + ": write failed: " + std::strerror(ok ? errno : err), Error::Kind::Runtime);
  pending.publish();
}

void check(std::FILE* f, const std::string& path) {
  if (std::ferror(f)) throw Error(path + ": write failed: " + std::strerror(errno), Error::Kind::Runtime);
}

}  // namespace

std::vector<std::uint64_t> write_spikes_tsv(const std::string& path, const RunLayout& layout, SpikeSource& source) {
  PendingFile pending(path);
  File f = open_file(pending.tmp(), "w");
  std::vector<std::uint64_t> counts(layout.populations.size(), 0);
  std::fputs("population\tnode_id\ttime_ms\n", f.get());
  source.read([&](std::span<const SpikeRow> rows) {
    for (const SpikeRow& r : rows) {
      std::fprintf(f.get(), "%s\t%u\t%.17g\n", layout.populations.at(r.population).name.c_str(), r.node, r.time_ms);
      ++counts[r.population];
    }
    check(f.get(), path);
  });
  finish(f, pending);
  return counts;
}

void write_voltages_tsv(const std::string& path, const RunLayout& layout, SampleSource& source) {
  PendingFile pending(path);
  File f = open_file(pending.tmp(), "w");
  std::fputs("probe\tpopulation\tnode_id\ttime_ms\tv_mv\n", f.get());
  source.read([&](std::span<const SampleRow> rows) {
    for (const SampleRow& s : rows) {
      const std::string& pop = layout.populations.at(layout.probes.at(s.probe).population).name;
      std::fprintf(f.get(), "%u\t%s\t%u\t%.17g\t%.17g\n", s.probe, pop.c_str(), s.node, s.time_ms, s.v_mv);
    }
    check(f.get(), path);
  });
  finish(f, pending);
}

TsvScan scan_tsv_for_recovery(const std::string& path, const RunLayout& layout, TsvKind kind, double before_ms) {
  TsvScan scan;
  std::error_code ec;
  scan.file_bytes = std::filesystem::file_size(path, ec);
  LineReader lines(path);
  LineRules rules(layout, kind);
  std::string_view text;
  LineReader::Status status = lines.next(text);
  if (status != LineReader::Status::Line || text != rules.header()) {
    scan.header_ok = false;
    if (status == LineReader::Status::End) scan.torn_bytes = lines.torn_bytes();  // killed while writing it
    else scan.damage = "line 1 (byte 0): not the header " + rules.header_words();
    return scan;
  }
  const std::uint64_t header_end = lines.offset() + text.size() + 1;
  // Where the last run of equal times starts: that instant may be partial.
  std::uint64_t instant_start = header_end, rows_before_instant = 0, rows = 0;
  double instant_ms = 0, previous_instant_ms = 0;
  bool any = false;
  for (;;) {
    status = lines.next(text);
    if (status == LineReader::Status::End) {
      scan.torn_bytes = lines.torn_bytes();
      break;
    }
    std::string error;
    double t = 0;
    if (status == LineReader::Status::TooLong) {
      error = "longer than " + std::to_string(kMaxLineBytes) + " bytes";
    } else if (kind == TsvKind::Spikes) {
      SpikeRow row{};
      error = rules.spike(text, row);
      t = row.time_ms;
    } else {
      SampleRow row{};
      error = rules.sample(text, row);
      t = row.time_ms;
    }
    if (!error.empty()) {
      scan.damage = "line " + std::to_string(lines.number()) + " (byte " + std::to_string(lines.offset()) + "): " + error;
      scan.damage_offset = lines.offset();
      while ((status = lines.next(text)) != LineReader::Status::End) ++scan.lines_after_damage;
      scan.torn_bytes = lines.torn_bytes();
      break;
    }
    if (t >= before_ms) {  // everything before it is whole
      scan.keep_bytes = lines.offset();
      scan.rows = rows;
      scan.complete_before_ms = before_ms;
      scan.last_kept_ms = any ? instant_ms : 0.0;
      scan.dropped_rows = 0;
      return scan;
    }
    if (!any || t != instant_ms) {
      if (any) previous_instant_ms = instant_ms;
      instant_start = lines.offset();
      rows_before_instant = rows;
      instant_ms = t;
      any = true;
    }
    ++rows;
  }
  scan.keep_bytes = instant_start;
  scan.rows = rows_before_instant;
  scan.dropped_rows = rows - rows_before_instant;
  scan.complete_before_ms = any ? instant_ms : 0.0;
  scan.last_kept_ms = rows_before_instant > 0 ? previous_instant_ms : 0.0;
  return scan;
}

void cut_tsv(const std::string& path, const TsvScan& scan, TsvKind kind, const std::string& keep_as) {
  const char* header = kind == TsvKind::Spikes ? kSpikesHeader : kVoltagesHeader;
  if (keep_as.empty() && scan.header_ok) {
    if (::truncate(path.c_str(), static_cast<off_t>(scan.keep_bytes)) != 0)
      throw Error(path + ": cannot truncate: " + std::strerror(errno), Error::Kind::Runtime);
    sync_path(path);
    return;
  }
  // Keep the original under `keep_as` (a hard link, else a rename), then publish
  // the kept part under the file's name.
  std::string from = path;
  if (!keep_as.empty()) {
    if (::link(path.c_str(), keep_as.c_str()) != 0) {
      if (std::rename(path.c_str(), keep_as.c_str()) != 0)
        throw Error(keep_as + ": cannot create: " + std::strerror(errno), Error::Kind::Runtime);
      from = keep_as;
    }
  }
  PendingFile pending(path);
  File out = open_file(pending.tmp(), "w");
  if (!scan.header_ok) {
    std::fputs(header, out.get());
    std::fputc('\n', out.get());
  } else {
    File in = open_file(from, "rb");
    std::vector<char> buf(std::size_t{1} << 20);
    for (std::uint64_t left = scan.keep_bytes; left > 0;) {
      const std::size_t n = std::fread(buf.data(), 1, static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size())), in.get());
      if (n == 0) throw Error(from + ": changed while recovering it", Error::Kind::Runtime);
      if (std::fwrite(buf.data(), 1, n, out.get()) != n)
        throw Error(pending.path() + ": write failed: " + std::strerror(errno), Error::Kind::Runtime);
      left -= n;
    }
  }
  finish(out, pending);
  if (!keep_as.empty()) sync_path(keep_as);
}

}  // namespace spikeq::io
