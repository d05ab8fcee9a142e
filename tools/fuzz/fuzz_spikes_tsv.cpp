// libFuzzer entry point for the TSV readers (engine/io/tsv_rows.h): arbitrary bytes
// as DIR/spikes.tsv (or voltages.tsv), read by the analysis/convert readers and
// scanned as `spikeq recover` scans a killed run's file. Either spikeq::Error, or
// rows that keep every invariant; the recovery scan must never throw on damage
// (only a read failure may), and what it keeps must read back without error as
// exactly the rows it counted. Anything else is a bug.
//
// The first byte picks the file (even: spikes.tsv, odd: voltages.tsv); the rest
// is the file's content.
#include <cstddef>
#include <cstdint>

#include "engine/io/tsv_rows.h"
#include "fuzz_input_file.h"
#include "fuzz_layout.h"
#include "netdefs/error.h"

namespace {

template <typename Source>
std::size_t read_checked(const std::string& path, const spikeq::RunLayout& layout) {
  Source source(path, layout);
  spikeq::fuzz::RowChecker check(layout);
  source.read([&](auto rows) {
    if constexpr (std::is_same_v<Source, spikeq::TsvSpikeSource>) check.spikes(rows);
    else check.samples(rows);
  });
  return check.rows();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static spikeq::fuzz::InputFile file("fuzz_tsv"), kept("fuzz_tsv_kept");
  static const spikeq::RunLayout layout = spikeq::fuzz::layout();
  const bool spikes = data[0] % 2 == 0;
  const spikeq::TsvKind kind = spikes ? spikeq::TsvKind::Spikes : spikeq::TsvKind::Voltages;
  const std::string& path = file.write(data + 1, size - 1);
  try {
    if (spikes) read_checked<spikeq::TsvSpikeSource>(path, layout);
    else read_checked<spikeq::TsvSampleSource>(path, layout);
  } catch (const spikeq::Error&) {
  }
  // What recovery keeps is the valid prefix before the last instant.
  const spikeq::TsvScan scan = spikeq::scan_tsv_for_recovery(path, layout, kind);
  if (scan.keep_bytes > size - 1) __builtin_trap();
  if (!scan.header_ok) return 0;  // recovery writes a fresh header: nothing to read back
  kept.write(data + 1, static_cast<std::size_t>(scan.keep_bytes));
  const std::size_t rows = spikes ? read_checked<spikeq::TsvSpikeSource>(kept.path(), layout)
                                  : read_checked<spikeq::TsvSampleSource>(kept.path(), layout);
  if (rows != scan.rows) __builtin_trap();
  return 0;
}
