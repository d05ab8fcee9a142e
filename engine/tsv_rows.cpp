#include "engine/tsv_rows.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

#include "engine/durable_file.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

constexpr std::size_t kChunkRows = std::size_t{1} << 16;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_file(const std::string& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (!f) throw Error(path + ": cannot " + (mode[0] == 'r' ? "read: " : "create: ") + std::strerror(errno),
                      Error::Kind::Runtime);
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  return f;
}

// Calls `line(text, offset)` for each complete line after the header (without its
// newline); offset is where the line starts in the file.
void for_each_line(const std::string& path, const std::function<void(std::string_view, std::uint64_t)>& line) {
  File f = open_file(path, "rb");
  std::vector<char> buf(1 << 20);
  std::string carry;
  std::uint64_t offset = 0, line_start = 0;
  bool header = true;
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0;) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') continue;
      std::string_view text(buf.data() + begin, i - begin);
      if (!carry.empty()) {
        carry.append(text);
        text = carry;
      }
      if (!header) line(text, line_start);
      header = false;
      carry.clear();
      begin = i + 1;
      line_start = offset + begin;
    }
    carry.append(buf.data() + begin, n - begin);
    offset += n;
  }
  if (std::ferror(f.get())) throw Error(path + ": cannot read: " + std::strerror(errno), Error::Kind::Runtime);
}

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

double to_double(std::string_view s, bool& ok) {
  const std::string text(s);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  ok = ok && !text.empty() && *end == '\0';
  return v;
}

std::uint64_t to_uint(std::string_view s, bool& ok) {
  const std::string text(s);
  char* end = nullptr;
  const std::uint64_t v = std::strtoull(text.c_str(), &end, 10);
  ok = ok && !text.empty() && *end == '\0' && text[0] != '-';
  return v;
}

[[noreturn]] void bad_line(const std::string& path, std::uint64_t offset) {
  throw Error(path + ": malformed line at byte " + std::to_string(offset), Error::Kind::Runtime);
}

std::uint32_t population_of(const RunLayout& layout, std::string_view name, const std::string& path) {
  const auto p = layout.population_index(std::string(name));
  if (!p) throw Error(path + ": unknown population \"" + std::string(name) + "\"", Error::Kind::Runtime);
  return *p;
}

}  // namespace

void TsvSpikeSource::read(const Chunk& chunk) {
  std::vector<SpikeRow> rows;
  rows.reserve(kChunkRows);
  for_each_line(path_, [&](std::string_view text, std::uint64_t offset) {
    std::string_view f[3];
    bool ok = split(text, f, 3);
    if (!ok) bad_line(path_, offset);
    const SpikeRow row{to_double(f[2], ok), static_cast<std::uint32_t>(to_uint(f[1], ok)),
                       population_of(layout_, f[0], path_)};
    if (!ok) bad_line(path_, offset);
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
  for_each_line(path_, [&](std::string_view text, std::uint64_t offset) {
    std::string_view f[5];
    bool ok = split(text, f, 5);
    if (!ok) bad_line(path_, offset);
    const SampleRow row{to_double(f[3], ok), to_double(f[4], ok), static_cast<std::uint32_t>(to_uint(f[0], ok)),
                        static_cast<std::uint32_t>(to_uint(f[2], ok))};
    if (!ok || row.probe >= layout_.probes.size()) bad_line(path_, offset);
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

double cut_tsv_to_whole_times(const std::string& path, int time_column) {
  // Where the last run of equal times starts: that run may be partial.
  std::uint64_t last_start = 0;
  double last_time = 0;
  bool any = false;
  std::uint64_t header_end = 0;
  {
    File f = open_file(path, "rb");
    for (int c; (c = std::fgetc(f.get())) != EOF;) {
      ++header_end;
      if (c == '\n') break;
    }
  }
  for_each_line(path, [&](std::string_view text, std::uint64_t offset) {
    for (int k = 0; k < time_column; ++k) {
      const std::size_t tab = text.find('\t');
      if (tab == std::string_view::npos) bad_line(path, offset);
      text.remove_prefix(tab + 1);
    }
    bool ok = true;
    const double t = to_double(text.substr(0, text.find('\t')), ok);
    if (!ok) bad_line(path, offset);
    if (!any || t != last_time) {
      last_start = offset;
      last_time = t;
      any = true;
    }
  });
  const std::uint64_t keep = any ? last_start : header_end;
  if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0)
    throw Error(path + ": cannot truncate: " + std::strerror(errno), Error::Kind::Runtime);
  sync_path(path);
  return any ? last_time : 0.0;
}

}  // namespace spikeq
