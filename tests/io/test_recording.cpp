// Recording files without the CLI: journals (whole batches survive any cut, a
// failed write leaves a valid journal), SONATA spikes.h5 and voltages.h5 written
// and read back exactly, TSV rows and the cut of a killed run's TSV.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/io/h5_spikes.h"
#include "engine/io/h5_voltages.h"
#include "engine/io/journal_reader.h"
#include "engine/io/journal_writer.h"
#include "engine/io/tsv_rows.h"
#include "netdefs/error.h"
#include "process.h"

using namespace spikeq;
using spikeq::test::TempDir;

namespace {

template <typename Row>
class VectorSource : public RowSource<Row> {
 public:
  explicit VectorSource(std::vector<Row> rows, std::size_t chunk = 1000) : rows_(std::move(rows)), chunk_(chunk) {}
  void read(const typename RowSource<Row>::Chunk& f) override {
    for (std::size_t i = 0; i < rows_.size(); i += chunk_)
      f(std::span<const Row>(rows_).subspan(i, std::min(chunk_, rows_.size() - i)));
  }

 private:
  std::vector<Row> rows_;
  std::size_t chunk_;
};

template <typename Row>
std::vector<Row> read_all(RowSource<Row>& source) {
  std::vector<Row> rows;
  source.read([&](std::span<const Row> chunk) { rows.insert(rows.end(), chunk.begin(), chunk.end()); });
  return rows;
}

bool same(const SpikeRow& a, const SpikeRow& b) {
  return a.time_ms == b.time_ms && a.node == b.node && a.population == b.population;
}
bool same(const SampleRow& a, const SampleRow& b) {
  return a.time_ms == b.time_ms && a.v_mv == b.v_mv && a.probe == b.probe && a.node == b.node;
}
template <typename Row>
bool same(const std::vector<Row>& a, const std::vector<Row>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

RunLayout layout_of(std::vector<PopulationLayout> pops, std::vector<ProbeLayout> probes = {}) {
  RunLayout layout;
  layout.populations = std::move(pops);
  layout.probes = std::move(probes);
  return layout;
}

// Time-sorted spikes over `pops` populations of `size` nodes, ties broken by
// (population, node) as the drivers do; some times repeat on purpose.
std::vector<SpikeRow> random_spikes(std::size_t n, std::uint32_t pops, std::uint32_t size, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<SpikeRow> rows;
  double t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (rng() % 4 != 0) t += std::uniform_real_distribution<double>(0, 0.1)(rng);
    rows.push_back({t, static_cast<std::uint32_t>(rng() % size), static_cast<std::uint32_t>(rng() % pops)});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const SpikeRow& a, const SpikeRow& b) {
    return std::tie(a.time_ms, a.population, a.node) < std::tie(b.time_ms, b.population, b.node);
  });
  return rows;
}

// Writes `batches` of spikes to a journal with a small buffer so blocks split batches.
std::vector<std::vector<SpikeRow>> write_journal(const std::string& path, std::size_t batches, std::size_t per_batch) {
  const RunLayout layout = layout_of({{"a", 100, true}, {"b", 100, true}});
  JournalWriter writer(path, journal::Kind::Spikes, sizeof(SpikeRow), {{"layout", layout.to_json()}},
                       /*buffer_bytes=*/16 * 100, /*sync_interval_s=*/0);
  std::vector<std::vector<SpikeRow>> written;
  const std::vector<SpikeRow> all = random_spikes(batches * per_batch, 2, 100, 7);
  for (std::size_t b = 0; b < batches; ++b) {
    written.emplace_back(all.begin() + static_cast<long>(b * per_batch),
                         all.begin() + static_cast<long>((b + 1) * per_batch));
    writer.append(written.back().data(), written.back().size());
    writer.end_batch();
  }
  writer.close();
  return written;
}

}  // namespace

TEST_CASE("journal: written batches read back exactly, with the layout") {
  TempDir dir;
  const auto batches = write_journal(dir / "spikes.journal", 20, 137);
  JournalSource<SpikeRow> source(dir / "spikes.journal");
  std::vector<SpikeRow> expected;
  for (const auto& b : batches) expected.insert(expected.end(), b.begin(), b.end());
  CHECK(source.reader().records() == expected.size());
  CHECK(source.reader().scan().torn_bytes == 0);
  CHECK(source.reader().scan().damaged.empty());
  CHECK(source.reader().last_time_ms() == expected.back().time_ms);
  CHECK(source.reader().layout().populations[1].name == "b");
  CHECK(same(read_all(source), expected));
}

TEST_CASE("journal: a file cut anywhere keeps exactly the whole batches before the cut") {
  TempDir dir;
  const std::string path = dir / "spikes.journal";
  const auto batches = write_journal(path, 12, 250);  // 250 rows > the 100-row buffer: batches span blocks
  const auto full = std::filesystem::file_size(path);
  std::vector<std::size_t> ends{0};  // cumulative rows at each batch end
  for (const auto& b : batches) ends.push_back(ends.back() + b.size());
  std::mt19937 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const auto cut = std::uniform_int_distribution<std::uintmax_t>(200, full)(rng);
    const std::string copy = dir / "cut.journal";
    std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(copy, cut);
    JournalSource<SpikeRow> source(copy);
    const std::vector<SpikeRow> rows = read_all(source);
    INFO("cut at byte " << cut << " of " << full);
    CHECK(std::find(ends.begin(), ends.end(), rows.size()) != ends.end());  // whole batches only
    std::vector<SpikeRow> expected;
    for (std::size_t b = 0; expected.size() < rows.size(); ++b) expected.insert(expected.end(), batches[b].begin(), batches[b].end());
    CHECK(same(rows, expected));
    // At most the batch in the cut block and the one being written are lost.
    CHECK(rows.size() + 2 * 250 + 100 >= (cut * ends.back()) / full);
  }
}

// Changed with issue 15: a corrupt block no longer ends what is kept; the intact
// blocks after it are salvaged from their first batch end on, with a gap marked.
TEST_CASE("journal: a corrupt block is skipped, the intact blocks after it salvaged with the gap marked") {
  TempDir dir;
  const std::string path = dir / "spikes.journal";
  const auto batches = write_journal(path, 10, 100);  // one batch per block
  const auto size = std::filesystem::file_size(path);
  const std::uint64_t block = 16 + 100 * 16;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-static_cast<long>(4 * block - 40), std::ios::end);  // inside the 7th of 10 blocks
    f.put('\x5a');
  }
  JournalSource<SpikeRow> source(path);
  const JournalScan& scan = source.reader().scan();
  // Blocks 1-6 whole; block 8 may continue a batch of block 7 (a block says only
  // where its last batch ends), so salvage starts at block 9.
  CHECK(source.reader().records() == 800);
  CHECK(scan.blocks == 9);
  CHECK(scan.dropped_records() == 100);
  REQUIRE(scan.damaged.size() == 1);
  CHECK(scan.damaged[0].begin == size - 4 * block);
  CHECK(scan.damaged[0].end == size - 3 * block);
  REQUIRE(scan.gaps.size() == 1);
  CHECK(scan.gaps[0].from_ms == batches[5].back().time_ms);
  CHECK(scan.gaps[0].to_ms == batches[8].front().time_ms);
  std::vector<SpikeRow> expected;
  for (std::size_t b : {0, 1, 2, 3, 4, 5, 8, 9}) expected.insert(expected.end(), batches[b].begin(), batches[b].end());
  CHECK(same(read_all(source), expected));
}

TEST_CASE("journal: a failed write (disk full) throws one message and leaves a valid journal") {
  TempDir dir;
  const std::string path = dir / "spikes.journal";
  ::setenv("SPIKEQ_FAULT_WRITE_LIMIT_BYTES", "20000", 1);
  std::size_t appended_batches = 0;
  std::string message;
  {
    JournalWriter writer(path, journal::Kind::Spikes, sizeof(SpikeRow), {{"layout", layout_of({{"a", 100, true}}).to_json()}},
                         16 * 100, 0);
    std::vector<SpikeRow> rows = random_spikes(100, 1, 100, 1);
    try {
      for (; appended_batches < 1000; ++appended_batches) {
        for (SpikeRow& r : rows) r.time_ms += 100;  // a journal is in time order
        writer.append(rows.data(), rows.size());
        writer.end_batch();
      }
    } catch (const Error& e) {
      message = e.what();
      CHECK(e.kind() == Error::Kind::Runtime);
    }
  }
  ::unsetenv("SPIKEQ_FAULT_WRITE_LIMIT_BYTES");
  CHECK(message == path + ": write failed: No space left on device");
  CHECK(appended_batches > 5);
  CHECK(appended_batches < 20);
  JournalSource<SpikeRow> source(path);
  CHECK(source.reader().scan().torn_bytes == 0);  // the partial block was truncated away
  CHECK(source.reader().scan().damaged.empty());
  CHECK(source.reader().records() == appended_batches * 100);
  CHECK(std::filesystem::file_size(path) <= 20000);
}

TEST_CASE("spikes.h5: SONATA report round trip, merged back in the run's order") {
  TempDir dir;
  const RunLayout layout = layout_of({{"exc", 1000, true}, {"silent", 10, true}, {"unrecorded", 5, false}, {"inh", 300, true}});
  std::vector<SpikeRow> rows = random_spikes(300000, 4, 300, 11);
  rows.erase(std::remove_if(rows.begin(), rows.end(), [](const SpikeRow& r) { return r.population == 1 || r.population == 2; }),
             rows.end());
  VectorSource<SpikeRow> source(rows, 4096);
  const auto counts = write_spike_report(dir / "spikes.h5", layout, source);
  REQUIRE(counts.size() == 4);
  CHECK(counts[0] + counts[3] == rows.size());
  CHECK(counts[1] == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "spikes.h5.tmp"));
  H5SpikeSource back(dir / "spikes.h5", layout);
  CHECK(same(read_all(back), rows));
}

TEST_CASE("spikes.h5: a failed write leaves no file under the final name") {
  TempDir dir;
  VectorSource<SpikeRow> source(random_spikes(10, 1, 10, 1));
  CHECK_THROWS_AS(write_spike_report(dir / "missing-dir/spikes.h5", layout_of({{"a", 10, true}}), source), Error);
  const RunLayout layout = layout_of({{"a", 10, true}});
  VectorSource<SpikeRow> bad({{1.0, 0, 5}});  // population out of range
  CHECK_THROWS_AS(write_spike_report(dir / "spikes.h5", layout, bad), Error);
  CHECK_FALSE(std::filesystem::exists(dir / "spikes.h5"));
  CHECK_FALSE(std::filesystem::exists(dir / "spikes.h5.tmp"));
}

TEST_CASE("voltages.h5: matrices per probe, rows sharing a time and duplicate nodes survive the round trip") {
  TempDir dir;
  // Probe 0 samples nodes {3, 1, 1} twice per time (stepped, interval < dt);
  // probe 1 samples every node of a 4-node population once per time.
  const RunLayout layout = layout_of({{"cells", 4, true}}, {{0, {3, 1, 1}, 0.2, 0}, {0, {}, 1.0, 1.0}});
  std::vector<SampleRow> rows;
  for (int step = 0; step < 50; ++step) {
    const double t = step * 0.5;
    for (std::uint32_t node : {1u, 1u, 1u, 1u, 3u, 3u}) rows.push_back({t, t + node, 0, node});
    if (step % 2 == 0)
      for (std::uint32_t node = 0; node < 4; ++node) rows.push_back({t, -t - node, 1, node});
  }
  VectorSource<SampleRow> source(rows, 7);
  write_voltage_report(dir / "voltages.h5", layout, source);
  H5SampleSource back(dir / "voltages.h5", layout);
  CHECK(same(read_all(back), rows));

  VectorSource<SampleRow> ragged({{0.0, 1, 1, 0}, {0.0, 1, 1, 1}});  // half a row of probe 1
  CHECK_THROWS_WITH(write_voltage_report(dir / "bad.h5", layout, ragged), Catch::Contains("incomplete row"));
}

TEST_CASE("TSV rows: write, read back, and cut a killed run's file after its last whole instant") {
  TempDir dir;
  const RunLayout layout = layout_of({{"a", 100, true}, {"b", 100, true}});
  const std::vector<SpikeRow> rows = random_spikes(5000, 2, 100, 5);
  VectorSource<SpikeRow> source(rows);
  const auto counts = write_spikes_tsv(dir / "spikes.tsv", layout, source);
  CHECK(counts[0] + counts[1] == rows.size());
  TsvSpikeSource back(dir / "spikes.tsv", layout);
  CHECK(same(read_all(back), rows));

  // Cut inside the last line: the torn line goes, and so does the instant of the
  // last whole line, which may have lost rows in the same batch.
  const auto size = std::filesystem::file_size(dir / "spikes.tsv");
  std::filesystem::resize_file(dir / "spikes.tsv", size - 3);
  const TsvScan scan = scan_tsv_for_recovery(dir / "spikes.tsv", layout, TsvKind::Spikes);
  CHECK(scan.torn_bytes > 0);
  CHECK_FALSE(scan.damaged());
  cut_tsv(dir / "spikes.tsv", scan, TsvKind::Spikes);
  const double before = scan.complete_before_ms;
  CHECK(before == rows[rows.size() - 2].time_ms);
  std::vector<SpikeRow> expected;
  for (const SpikeRow& r : rows)
    if (r.time_ms < before) expected.push_back(r);
  TsvSpikeSource cut(dir / "spikes.tsv", layout);
  CHECK(same(read_all(cut), expected));
}
