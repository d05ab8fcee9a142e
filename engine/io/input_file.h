// Opening a run directory's files as input without trusting them: a path must be
// a regular file (a FIFO would block the reader forever, a device or directory
// is no data), and a file read whole (manifest.json, trials.json, sweep.json)
// must be below a size bound, so a hostile directory costs bounded time and memory.
// Failures are bad input: Error (BadInput) naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spikeq::inline io {

inline constexpr std::uint64_t kMaxJsonFileBytes = std::uint64_t{256} << 20;

// Throws unless `path` is a regular file (following symlinks); a missing file
// passes (the caller's open reports it).
void require_regular_file(const std::string& path);

// Text read from a hostile file, fit for a one-line message: printable ASCII
// only ('?' for anything else), at most `max_chars` (then "...").
std::string printable(std::string_view text, std::size_t max_chars = 60);

// The whole of a small text file; throws if it is not a regular file, cannot be
// read, or is larger than `max_bytes`.
std::string read_input_file(const std::string& path, std::uint64_t max_bytes = kMaxJsonFileBytes);

}  // namespace spikeq::io
