// libFuzzer entry point for the journal reader (engine/io/journal_reader.h):
// arbitrary bytes as DIR/spikes.journal or voltages.journal, read as `spikeq
// recover` does (against the manifest's layout) and as a plain reader does (its
// own layout). Either spikeq::Error, or records that keep every invariant
// (finite, ordered times; populations, nodes and probes in range), exactly as
// many as the scan promised. Anything else (another exception, a crash, a
// sanitizer report, an allocation beyond libFuzzer's -rss_limit_mb) is a bug.
#include <cstddef>
#include <cstdint>

#include "engine/io/journal_reader.h"
#include "fuzz_input_file.h"
#include "fuzz_layout.h"
#include "netdefs/error.h"

namespace {

template <typename Row>
void read_all(const std::string& path, const spikeq::RunLayout* expected) {
  spikeq::JournalSource<Row> source(path, expected);
  const spikeq::JournalScan& scan = source.reader().scan();
  if (scan.records > scan.block_records || (scan.records > 0 && scan.first_ms > scan.last_ms)) __builtin_trap();
  for (const spikeq::JournalScan::Gap& g : scan.gaps)
    if (!(g.from_ms <= g.to_ms)) __builtin_trap();
  spikeq::fuzz::RowChecker check(source.reader().layout());
  source.read([&](std::span<const Row> rows) {
    if constexpr (sizeof(Row) == sizeof(spikeq::SpikeRow)) check.spikes(rows);
    else check.samples(rows);
  });
  if (check.rows() != scan.records) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static spikeq::fuzz::InputFile file("fuzz_journal");
  static const spikeq::RunLayout layout = spikeq::fuzz::layout();
  const std::string& path = file.write(data, size);
  for (const spikeq::RunLayout* expected : {&layout, static_cast<const spikeq::RunLayout*>(nullptr)}) {
    try {
      // The header says which kind; reading it as the other must be refused too.
      read_all<spikeq::SpikeRow>(path, expected);
    } catch (const spikeq::Error&) {
    }
    try {
      read_all<spikeq::SampleRow>(path, expected);
    } catch (const spikeq::Error&) {
    }
  }
  return 0;
}
