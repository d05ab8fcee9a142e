// The append-only journal a run writes while it simulates (DIR/spikes.journal,
// DIR/voltages.journal): what survives SIGKILL or power loss, and what the final
// spikes.h5 / voltages.h5 are built from (engine/io/run_directory.h).
//
// Layout, little-endian:
//   FileHeader (24 bytes), then meta_bytes of JSON: {"kind", "record", "layout"}
//   (engine/io/run_data.h RunLayout), then blocks, each
//   BlockHeader (16 bytes) followed by `count` fixed-size records:
//     spikes:   SpikeRow  {float64 time_ms, uint32 node, uint32 population}  16 bytes
//     voltages: SampleRow {float64 time_ms, float64 v_mv, uint32 probe, uint32 node}  24 bytes
// `crc` is the CRC-32 (zlib's) of count, complete and the records. `complete` is
// how many leading records of the block close a batch (one call of the sink,
// one epoch of the driver), or kNoBatchEnd. A reader keeps whole batches only:
// records up to the last batch end before a torn or damaged part, so what is kept
// is every record up to some simulated time. Blocks carry their own magic and CRC,
// so a reader can also find the intact blocks after a damaged one
// (engine/io/journal_reader.h) and keep their whole batches, with the time range in
// between marked as a gap.
//
// Bounds a reader checks before allocating: a block's records take at most
// kMaxBlockBytes (the writer's buffer), the meta at most kMaxMetaBytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spikeq::inline io::journal {

inline constexpr char kMagic[8] = {'S', 'P', 'K', 'Q', 'J', 'R', 'N', 'L'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::uint32_t kBlockMagic = 0x4b4c4253;  // "SBLK"
inline constexpr std::uint32_t kNoBatchEnd = 0xffffffffu;
inline constexpr std::size_t kMaxBlockBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxMetaBytes = std::size_t{64} << 20;

enum class Kind : std::uint32_t { Spikes = 1, Voltages = 2 };

struct FileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t kind;
  std::uint32_t record_bytes;
  std::uint32_t meta_bytes;
};
static_assert(sizeof(FileHeader) == 24);

struct BlockHeader {
  std::uint32_t magic;
  std::uint32_t count;
  std::uint32_t complete;
  std::uint32_t crc;
};
static_assert(sizeof(BlockHeader) == 16);

// CRC-32 of a block: count and complete (8 bytes, little-endian) then the records.
std::uint32_t block_crc(const BlockHeader& header, const void* records, std::size_t bytes);

}  // namespace spikeq::io::journal
