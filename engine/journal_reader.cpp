#include "engine/journal_reader.h"

#include <cerrno>
#include <cstdio>
#include <memory>

#include "netdefs/error.h"

namespace spikeq {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_for_reading(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(path + ": cannot read: " + std::strerror(errno), Error::Kind::Runtime);
  return f;
}

bool read_exact(std::FILE* f, void* out, std::size_t bytes) { return std::fread(out, 1, bytes, f) == bytes; }

}  // namespace

JournalReader::JournalReader(std::string path) : path_(std::move(path)) {
  File f = open_for_reading(path_);
  journal::FileHeader header{};
  if (!read_exact(f.get(), &header, sizeof header) || std::memcmp(header.magic, journal::kMagic, 8) != 0)
    throw Error(path_ + ": not a spikeq journal", Error::Kind::Runtime);
  if (header.version != journal::kVersion)
    throw Error(path_ + ": journal version " + std::to_string(header.version) + " is not supported",
                Error::Kind::Runtime);
  kind_ = static_cast<journal::Kind>(header.kind);
  record_bytes_ = header.record_bytes;
  const std::size_t expected = kind_ == journal::Kind::Spikes ? sizeof(SpikeRow) : sizeof(SampleRow);
  if ((kind_ != journal::Kind::Spikes && kind_ != journal::Kind::Voltages) || record_bytes_ != expected)
    throw Error(path_ + ": unknown journal record layout", Error::Kind::Runtime);
  std::string text(header.meta_bytes, '\0');
  if (!read_exact(f.get(), text.data(), text.size()))
    throw Error(path_ + ": journal header is cut short", Error::Kind::Runtime);
  try {
    meta_ = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error(path_ + ": journal header is damaged", Error::Kind::Runtime);
  }
  data_offset_ = sizeof header + text.size();
  kept_bytes_ = data_offset_;

  // Scan: verify each block; keep up to the last batch end of the intact prefix.
  std::vector<std::byte> payload;
  std::uint64_t offset = data_offset_, before = 0;
  double previous_last_ms = 0;  // time of the previous block's last record
  for (journal::BlockHeader block{}; read_exact(f.get(), &block, sizeof block);) {
    if (block.magic != journal::kBlockMagic) break;
    if (block.count > (1u << 24) || (block.complete != journal::kNoBatchEnd && block.complete > block.count)) break;
    payload.resize(static_cast<std::size_t>(block.count) * record_bytes_);
    if (!read_exact(f.get(), payload.data(), payload.size())) break;
    if (journal::block_crc(block, payload.data(), payload.size()) != block.crc) break;
    offset += sizeof block + payload.size();
    if (block.complete != journal::kNoBatchEnd) {
      records_ = before + block.complete;
      // Every record starts with its float64 time.
      if (block.complete > 0) std::memcpy(&last_time_ms_, payload.data() + (block.complete - 1) * record_bytes_, 8);
      else last_time_ms_ = previous_last_ms;
      kept_bytes_ = block.complete == block.count ? offset : offset - (block.count - block.complete) * record_bytes_;
    }
    before += block.count;
    if (block.count > 0) std::memcpy(&previous_last_ms, payload.data() + (block.count - 1) * record_bytes_, 8);
  }
  std::fseek(f.get(), 0, SEEK_END);
  file_bytes_ = static_cast<std::uint64_t>(std::ftell(f.get()));
}

void JournalReader::read_records(const std::function<void(std::span<const std::byte>)>& chunk) const {
  File f = open_for_reading(path_);
  if (std::fseek(f.get(), static_cast<long>(data_offset_), SEEK_SET) != 0)
    throw Error(path_ + ": cannot read: " + std::strerror(errno), Error::Kind::Runtime);
  std::vector<std::byte> payload;
  std::uint64_t left = records_;
  for (journal::BlockHeader block{}; left > 0;) {
    if (!read_exact(f.get(), &block, sizeof block)) throw Error(path_ + ": changed while reading", Error::Kind::Runtime);
    payload.resize(static_cast<std::size_t>(block.count) * record_bytes_);
    if (!read_exact(f.get(), payload.data(), payload.size()))
      throw Error(path_ + ": changed while reading", Error::Kind::Runtime);
    const std::uint64_t n = std::min<std::uint64_t>(block.count, left);
    left -= n;
    if (n > 0) chunk(std::span<const std::byte>(payload.data(), n * record_bytes_));
  }
}

}  // namespace spikeq
