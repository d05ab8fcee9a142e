// Hostile files in a run directory, as the CLI meets them (issue 15, items 4-5):
// damaged journals (`spikeq recover` salvages what is intact, reports what it
// kept and dropped, keeps the evidence, marks gaps, exit 0 or 3), spikes.h5 and
// spikes.tsv that break the invariants the readers rely on (exit 2, one line
// naming file, dataset or line, and index), damaged TSV-only runs, and trial and
// sweep layouts with killed runs. Every case: exit code, the one line or the
// report, no timeout, bounded memory (run_bounded, tests/support/process.h).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <tuple>

#include "engine/io/h5_spikes.h"
#include "engine/io/journal_writer.h"
#include "engine/io/run_data.h"
#include "process.h"

using namespace spikeq::test;
namespace fs = std::filesystem;
using spikeq::SpikeRow;

namespace {

const std::string kCli = SPIKEQ_CLI;
const std::string kPython = "/usr/bin/python3";  // Debian's, with h5py
const std::string kHostileH5 = std::string(SPIKEQ_SOURCE_DIR) + "/tests/cli/hostile_h5.py";
std::string example(const std::string& name) { return std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name; }

constexpr double kTimeoutS = 30;
constexpr double kMaxRssMb = 150;

// The CLI under bounds: no timeout, bounded peak RSS.
ProcessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), kCli);
  const ProcessResult r = run_bounded(args, kTimeoutS);
  INFO("stdout: " << r.stdout_text << "\nstderr: " << r.stderr_text);
  CHECK_FALSE(r.timed_out);
  CHECK(r.peak_rss_mb < kMaxRssMb);
  return r;
}

nlohmann::json manifest(const std::string& dir) { return nlohmann::json::parse(read_file(dir + "/manifest.json")); }
void write_manifest(const std::string& dir, const nlohmann::json& m) { std::ofstream(dir + "/manifest.json") << m.dump(2); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Finished runs of poisson.pbtxt (100 + 100 nodes, ~5500 spikes in 1 s), made
// once per process and copied by each test.
const std::string& finished_run(const std::string& format) {
  static TempDir dir;
  static std::map<std::string, std::string> runs;
  auto it = runs.find(format);
  if (it == runs.end()) {
    const std::string out = dir / format;
    const ProcessResult r = run_process(
        {kCli, "run", example("poisson.pbtxt"), "-o", out, "--duration", "1000", "--format", format, "-q"});
    REQUIRE(r.exit_code == 0);
    it = runs.emplace(format, out).first;
  }
  return it->second;
}

std::string copy_of(const std::string& from, const std::string& to) {
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

std::vector<SpikeRow> spikes_in(const std::string& h5, const spikeq::RunLayout& layout) {
  spikeq::H5SpikeSource source(h5, layout);
  std::vector<SpikeRow> rows;
  source.read([&](std::span<const SpikeRow> chunk) { rows.insert(rows.end(), chunk.begin(), chunk.end()); });
  return rows;
}

// A run killed before its files were built, by hand: the finished run's spikes
// in DIR/spikes.journal, in blocks of `block_records`, batches of `batch_rows`
// (so batches span blocks, as in a real run), and a "running" manifest.
struct Killed {
  std::string dir;
  std::vector<SpikeRow> rows;
  std::vector<std::uint64_t> blocks;  // offset of each block
  std::size_t block_records = 0, batch_rows = 0;
  std::string journal() const { return dir + "/spikes.journal"; }
  // Flips one byte inside block k's records.
  void damage_block(std::size_t k, std::uint64_t at = 100) const {
    std::fstream f(journal(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<long>(blocks.at(k) + 16 + at));
    const char c = static_cast<char>(f.get() ^ 0x5a);
    f.seekp(static_cast<long>(blocks.at(k) + 16 + at));
    f.put(c);
  }
  // Rows up to the last batch end at or before `row` (whole batches).
  std::size_t batch_floor(std::size_t row) const { return row / batch_rows * batch_rows; }
};

Killed make_killed(const std::string& dir, const std::string& from, std::size_t block_records = 1400,
                   std::size_t batch_rows = 137) {
  copy_of(from, dir);
  nlohmann::json m = manifest(dir);
  const spikeq::RunLayout layout = spikeq::RunLayout::from_manifest(m);
  Killed k{dir, spikes_in(dir + "/spikes.h5", layout), {}, block_records, batch_rows};
  fs::remove(dir + "/spikes.h5");
  m["status"] = "running";
  m["simulated_ms"] = 0;
  m["files"] = nlohmann::json::array({"spikes.journal"});
  write_manifest(dir, m);
  {
    spikeq::JournalWriter writer(k.journal(), spikeq::journal::Kind::Spikes, sizeof(SpikeRow),
                                 {{"kind", "spikes"}, {"layout", layout.to_json()}}, block_records * sizeof(SpikeRow),
                                 /*sync_interval_s=*/1e9);
    for (std::size_t begin = 0; begin < k.rows.size(); begin += batch_rows) {
      writer.append(k.rows.data() + begin, std::min(batch_rows, k.rows.size() - begin));
      writer.end_batch();
    }
    writer.close();
  }
  // Where the blocks are.
  const std::string bytes = read_file(k.journal());
  std::uint32_t meta = 0;
  std::memcpy(&meta, bytes.data() + 20, 4);
  for (std::uint64_t at = 24 + meta; at + 16 <= bytes.size();) {
    k.blocks.push_back(at);
    std::uint32_t count = 0;
    std::memcpy(&count, bytes.data() + at + 4, 4);
    at += 16 + std::uint64_t{count} * 16;
  }
  return k;
}

std::uint64_t total_spikes(const nlohmann::json& m) {
  std::uint64_t n = 0;
  for (const auto& p : m["populations"])
    if (p["spikes"].is_number()) n += p["spikes"].get<std::uint64_t>();
  return n;
}

bool same_rows(const std::vector<SpikeRow>& a, const std::vector<SpikeRow>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].time_ms != b[i].time_ms || a[i].node != b[i].node || a[i].population != b[i].population) return false;
  return true;
}

std::vector<SpikeRow> slice(const std::vector<SpikeRow>& rows, std::size_t begin, std::size_t end) {
  return {rows.begin() + static_cast<long>(begin), rows.begin() + static_cast<long>(end)};
}

void hostile_h5(const std::string& file, std::vector<std::string> args) {
  args.insert(args.begin(), {kPython, kHostileH5, file});
  const ProcessResult r = run_process(args);
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
}

std::string number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

}  // namespace

// ---- damaged journals: recover ---------------------------------------------------

TEST_CASE("hostile files: recover salvages the intact blocks after a damaged byte in block 2 of 4, marks the gap, keeps the journal") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  REQUIRE(k.blocks.size() == 4);
  k.damage_block(1);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 3);
  // What is kept: whole batches of block 1, then from the last batch end of
  // block 3 (the first one found after the damage) to the end.
  const std::size_t before = k.batch_floor(k.block_records), after = k.batch_floor(3 * k.block_records);
  const std::size_t n = k.rows.size();
  const std::string gap = "spikes.journal lost from " + number(k.rows[before - 1].time_ms) + " to " +
                          number(k.rows[after].time_ms) + " ms";
  CHECK(one_line(r) == "spikeq: " + k.dir + ": recovered with a gap: " + gap + " (manifest.json \"gaps\")");
  CHECK(contains(r.stdout_text, "recovered " + std::to_string(before + n - after) + " spikes up to " +
                                    number(k.rows.back().time_ms) + " ms with 1 gap"));
  CHECK(contains(r.stdout_text, "spikes.journal: kept " + std::to_string(before + n - after) + " spikes"));
  CHECK(contains(r.stdout_text, "(3 blocks intact)"));
  CHECK(contains(r.stdout_text, "1 damaged region (bytes " + std::to_string(k.blocks[1]) + "-" +
                                    std::to_string(k.blocks[2])));
  CHECK(contains(r.stdout_text, "spikes.journal: gap from " + number(k.rows[before - 1].time_ms)));
  CHECK(contains(r.stdout_text, "the original is kept as spikes.journal.damaged"));
  CHECK(fs::exists(k.dir + "/spikes.journal.damaged"));
  CHECK_FALSE(fs::exists(k.journal()));
  // stats then analyses the record, but says once that it has a hole.
  const ProcessResult st = cli({"stats", k.dir});
  CHECK(st.exit_code == 0);
  CHECK(contains(st.stderr_text, "spikeq: note: " + k.dir + ": recovered with 1 gap (the first in spikes.journal"));
  CHECK(contains(st.stderr_text, "counted as silent time"));
  const nlohmann::json m = manifest(k.dir);
  CHECK(m["status"] == "interrupted");
  CHECK(total_spikes(m) == before + n - after);
  REQUIRE(m["gaps"].size() == 1);
  CHECK(m["gaps"][0]["from_ms"].get<double>() == k.rows[before - 1].time_ms);
  CHECK(m["gaps"][0]["to_ms"].get<double>() == k.rows[after].time_ms);
  CHECK(m["recovery"][0]["kept_as"] == "spikes.journal.damaged");
  // The file holds exactly those spikes.
  std::vector<SpikeRow> expected = slice(k.rows, 0, before);
  const std::vector<SpikeRow> tail = slice(k.rows, after, n);
  expected.insert(expected.end(), tail.begin(), tail.end());
  CHECK(same_rows(spikes_in(k.dir + "/spikes.h5", spikeq::RunLayout::from_manifest(m)), expected));
  // Recovering again changes nothing and exits 0.
  const ProcessResult again = cli({"recover", k.dir});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.stdout_text, "nothing to recover"));
}

TEST_CASE("hostile files: recover of a damaged first block keeps what follows, with a gap from 0 ms") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  k.damage_block(0, 5);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 3);
  const std::size_t after = k.batch_floor(2 * k.block_records);
  CHECK(contains(one_line(r), "lost from 0 to " + number(k.rows[after].time_ms) + " ms"));
  CHECK(total_spikes(manifest(k.dir)) == k.rows.size() - after);
}

TEST_CASE("hostile files: recover of a damaged last block keeps everything before it: exit 0, journal kept") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  k.damage_block(3);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);
  CHECK(r.stderr_text.empty());
  CHECK(contains(r.stdout_text, "1 damaged region"));
  CHECK(contains(r.stdout_text, "kept as spikes.journal.damaged"));
  const std::size_t kept = k.batch_floor(3 * k.block_records);
  const nlohmann::json m = manifest(k.dir);
  CHECK(total_spikes(m) == kept);
  CHECK(m["simulated_ms"].get<double>() == k.rows[kept - 1].time_ms);
  CHECK_FALSE(m.contains("gaps"));
}

TEST_CASE("hostile files: recover --discard-damaged removes the damaged journal but still reports the gap") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  k.damage_block(1);
  const ProcessResult r = cli({"recover", k.dir, "--discard-damaged"});
  CHECK(r.exit_code == 3);
  CHECK(contains(one_line(r), "recovered with a gap"));
  CHECK(contains(r.stdout_text, "the original was removed (--discard-damaged)"));
  CHECK_FALSE(fs::exists(k.dir + "/spikes.journal.damaged"));
  CHECK_FALSE(fs::exists(k.journal()));
  CHECK(manifest(k.dir)["gaps"].size() == 1);
}

TEST_CASE("hostile files: a damaged journal never overwrites an earlier one kept as evidence") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  write_text(k.dir + "/spikes.journal.damaged", "earlier evidence");
  k.damage_block(3);
  CHECK(cli({"recover", k.dir}).exit_code == 0);
  CHECK(read_file(k.dir + "/spikes.journal.damaged") == "earlier evidence");
  CHECK(fs::exists(k.dir + "/spikes.journal.damaged.2"));
}

TEST_CASE("hostile files: a journal cut inside a block header is a torn end: exit 0, journal removed") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  fs::resize_file(k.journal(), k.blocks[3] + 7);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);
  CHECK(r.stderr_text.empty());
  CHECK(contains(r.stdout_text, "a torn end of 7 bytes"));
  CHECK_FALSE(contains(r.stdout_text, "damaged"));
  CHECK_FALSE(fs::exists(k.journal()));
  CHECK_FALSE(fs::exists(k.dir + "/spikes.journal.damaged"));
  CHECK(total_spikes(manifest(k.dir)) == k.batch_floor(3 * k.block_records));
}

TEST_CASE("hostile files: a journal cut inside a block's records keeps the whole batches before it") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  fs::resize_file(k.journal(), k.blocks[2] + 16 + 5000);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, "a torn end of " + std::to_string(16 + 5000) + " bytes"));
  CHECK(total_spikes(manifest(k.dir)) == k.batch_floor(2 * k.block_records));
}

TEST_CASE("hostile files: a huge record count in a block header is bounded before allocating, the rest salvaged") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  {
    std::fstream f(k.journal(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<long>(k.blocks[1] + 4));
    const std::uint32_t huge = 0xFFFFFFF0u;
    f.write(reinterpret_cast<const char*>(&huge), 4);
  }
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 3);
  CHECK(r.peak_rss_mb < 60);
  CHECK(contains(r.stdout_text, "1 damaged region (bytes " + std::to_string(k.blocks[1]) + "-"));
  CHECK(total_spikes(manifest(k.dir)) ==
        k.batch_floor(k.block_records) + k.rows.size() - k.batch_floor(3 * k.block_records));
}

TEST_CASE("hostile files: a huge meta length in the journal header: the manifest's layout is used, bounded") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  {
    std::fstream f(k.journal(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    const std::uint32_t huge = 0xFFFFFFF0u;
    f.write(reinterpret_cast<const char*>(&huge), 4);
  }
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 3);  // where the first batch began is unknown: a gap from 0
  CHECK(r.peak_rss_mb < 60);
  CHECK(contains(r.stdout_text, "a damaged header (the layout of manifest.json was used)"));
  CHECK(fs::exists(k.dir + "/spikes.journal.damaged"));
  CHECK(total_spikes(manifest(k.dir)) > 0);
}

TEST_CASE("hostile files: garbage appended to a journal: every intact block kept, exit 0, the journal kept") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  std::string garbage(4096, '\0');
  std::mt19937 rng(5);
  for (char& c : garbage) c = static_cast<char>(rng());
  std::ofstream(k.journal(), std::ios::app | std::ios::binary) << garbage;
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);
  CHECK(total_spikes(manifest(k.dir)) == k.rows.size());
  CHECK(contains(r.stdout_text, "1 damaged region"));
  CHECK(contains(r.stdout_text, "4096 bytes"));
  CHECK(fs::exists(k.dir + "/spikes.journal.damaged"));
}

TEST_CASE("hostile files: a zero-length journal (killed while creating it) recovers an empty record") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  fs::resize_file(k.journal(), 0);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, "spikes.journal: cut short inside its header (0 bytes): nothing had been recorded"));
  const nlohmann::json m = manifest(k.dir);
  CHECK(m["status"] == "interrupted");
  CHECK(m["simulated_ms"] == 0);
  CHECK(total_spikes(m) == 0);
  CHECK(fs::exists(k.dir + "/spikes.h5"));
}

TEST_CASE("hostile files: a journal whose every block is damaged keeps nothing, says so, and keeps the evidence") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  for (std::size_t b = 0; b < k.blocks.size(); ++b) k.damage_block(b);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);  // nothing kept, so no gap inside what is kept
  CHECK(contains(r.stdout_text, "spikes.journal: kept 0 spikes (0 blocks intact)"));
  CHECK(contains(r.stdout_text, "1 damaged region"));
  CHECK(fs::exists(k.dir + "/spikes.journal.damaged"));
  CHECK(total_spikes(manifest(k.dir)) == 0);
}

TEST_CASE("hostile files: a journal full of fake block headers is searched in bounded time and memory") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  // 8 MB of plausible headers claiming 65535 records each: each candidate costs a
  // CRC over 1 MiB, so the search must stop at its budget.
  std::string fake;
  const std::uint32_t header[4] = {0x4b4c4253u, 65535u, 0xffffffffu, 0u};
  while (fake.size() < (std::size_t{8} << 20)) fake.append(reinterpret_cast<const char*>(header), sizeof header);
  {
    std::fstream f(k.journal(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<long>(k.blocks[1]));
    f.write(fake.data(), static_cast<long>(fake.size()));
  }
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 0);
  CHECK(r.wall_s < 20);
  CHECK(contains(r.stdout_text, "the search for intact blocks stopped at its bound"));
  CHECK(total_spikes(manifest(k.dir)) == k.batch_floor(k.block_records));
}

TEST_CASE("hostile files: a file that is not a journal is refused in one line and left alone") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  write_text(k.journal(), "population\tnode_id\ttime_ms\nthis is not a journal\n");
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + k.journal() + ": not a spikeq journal (no SPKQJRNL magic)");
  CHECK(read_file(k.journal()) == "population\tnode_id\ttime_ms\nthis is not a journal\n");
  CHECK(manifest(k.dir)["status"] == "running");
}

TEST_CASE("hostile files: a journal of another version is refused in one line") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  {
    std::fstream f(k.journal(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('\x02');
  }
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + k.journal() + ": journal version 2 is not supported (only 1)");
}

TEST_CASE("hostile files: a journal of another run's layout is refused in one line") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  nlohmann::json m = manifest(k.dir);
  m["populations"][1]["size"] = 1000;
  write_manifest(k.dir, m);
  const ProcessResult r = cli({"recover", k.dir});
  CHECK(r.exit_code == 2);
  CHECK(contains(one_line(r), "spikes.journal: its layout (populations, sizes, probes) differs from the manifest's"));
}

namespace {

// A journal whose blocks carry valid CRCs but a record that breaks an invariant.
std::string forged_journal(const std::string& dir, std::vector<SpikeRow> rows) {
  Killed k = make_killed(dir, finished_run("h5"));
  const spikeq::RunLayout layout = spikeq::RunLayout::from_manifest(manifest(dir));
  spikeq::JournalWriter writer(k.journal(), spikeq::journal::Kind::Spikes, sizeof(SpikeRow),
                               {{"layout", layout.to_json()}}, 1 << 20, 1e9);
  writer.append(rows.data(), rows.size());
  writer.end_batch();
  writer.close();
  return k.journal();
}

}  // namespace

TEST_CASE("hostile files: a journal record with a node id out of range is refused with block and record") {
  TempDir tmp;
  const std::string journal = forged_journal(tmp / "run", {{1.0, 5, 0}, {2.0, 4000000000u, 1}});
  const ProcessResult r = cli({"recover", tmp / "run"});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) ==
        "spikeq: " + journal + ": block 0 (byte " + std::to_string(fs::file_size(journal) - 48) +
            ") record 1: node_id 4000000000: not below the size 100 of population \"fast\"");
  CHECK(fs::exists(journal));  // nothing destroyed
}

TEST_CASE("hostile files: a journal record with a NaN time is refused in one line") {
  TempDir tmp;
  forged_journal(tmp / "run", {{1.0, 5, 0}, {std::nan(""), 4, 1}});
  const ProcessResult r = cli({"recover", tmp / "run"});
  CHECK(r.exit_code == 2);
  CHECK(contains(one_line(r), "record 1: time_ms nan: not a finite time >= 0"));
}

TEST_CASE("hostile files: journal records out of time order are refused in one line") {
  TempDir tmp;
  forged_journal(tmp / "run", {{3.0, 5, 0}, {2.0, 4, 1}});
  const ProcessResult r = cli({"recover", tmp / "run"});
  CHECK(r.exit_code == 2);
  CHECK(contains(one_line(r), "record 1: time_ms 2: earlier than the record before (3): a journal is in time order"));
}

// ---- spikes.h5 breaking the invariants: stats and convert ------------------------

TEST_CASE("hostile files: a node id of 2^63 in spikes.h5 is refused by stats and convert, not read as node 0") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"set-id", "fast", "17", "9223372036854775808"});
  const std::string line = "spikeq: " + dir +
                           "/spikes.h5: /spikes/fast/node_ids[17] = 9223372036854775808: not below the population size 100";
  for (const std::vector<std::string>& args : {std::vector<std::string>{"stats", dir},
                                                std::vector<std::string>{"convert", dir, "--to", "tsv"}}) {
    const ProcessResult r = cli(args);
    CHECK(r.exit_code == 2);
    CHECK(one_line(r) == line);
  }
  CHECK_FALSE(fs::exists(dir + "/spikes.tsv"));
  CHECK_FALSE(fs::exists(dir + "/spikes.tsv.tmp"));
}

TEST_CASE("hostile files: a node id equal to the population size in spikes.h5 is refused") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"set-id", "slow", "3", "100"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/spikes.h5: /spikes/slow/node_ids[3] = 100: not below the population size 100");
}

TEST_CASE("hostile files: a NaN spike time in spikes.h5 is refused") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"set-time", "fast", "5", "nan"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/spikes.h5: /spikes/fast/timestamps[5] = nan: not a finite time >= 0");
}

TEST_CASE("hostile files: unsorted spike times in a report sorted by_time are refused by stats and convert") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"set-time", "fast", "8", "0.001"});
  for (const std::vector<std::string>& args : {std::vector<std::string>{"stats", dir},
                                                std::vector<std::string>{"convert", dir, "--to", "tsv"}}) {
    const ProcessResult r = cli(args);
    CHECK(r.exit_code == 2);
    CHECK(contains(one_line(r), "/spikes.h5: /spikes/fast/timestamps[8] = 0.001: earlier than timestamps[7] = "));
    CHECK(contains(one_line(r), "(spikeq reads reports sorted by time)"));
  }
}

TEST_CASE("hostile files: spikes.h5 datasets of unequal lengths are refused") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"short-ids", "slow"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(contains(one_line(r), "/spikes.h5: /spikes/slow: timestamps has "));
  CHECK(contains(one_line(r), "(datasets of one population have equal lengths)"));
}

TEST_CASE("hostile files: a population group spikeq did not record is refused") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"extra-group", "intruder"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/spikes.h5: /spikes/intruder: not a population of this run");
}

TEST_CASE("hostile files: negative node ids in a signed dataset are refused, not wrapped") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"signed-ids", "fast", "2", "-1"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/spikes.h5: /spikes/fast/node_ids[2] = -1: negative");
}

TEST_CASE("hostile files: datasets claiming 2^40 rows that were never written are refused at once") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"huge", "fast"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(r.wall_s < 5);
  CHECK(one_line(r) == "spikeq: " + dir + "/spikes.h5: /spikes/fast/timestamps: 1099511627776 values but 0 bytes "
                       "stored (a damaged or truncated file)");
}

TEST_CASE("hostile files: a report labelled by_id is read by its times: refused only if they are out of order") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"sorting", "slow", "by_id"});
  CHECK(cli({"stats", dir}).exit_code == 0);  // the times are in order: what spikeq relies on
  hostile_h5(dir + "/spikes.h5", {"set-time", "slow", "4", "0.0001"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(contains(one_line(r), "/spikes.h5: /spikes/slow/timestamps[4] = 0.0001: earlier than timestamps[3]"));
}

// Regression: found by a campaign of random byte flips in spikes.h5 (1500 files,
// two SIGSEGVs): a damaged size in the `sorting` attribute's enum type makes
// HDF5 1.10.8 memcpy out of bounds in H5Aexists, which the reader called to check
// the attribute. The reader no longer reads attributes.
TEST_CASE("hostile files: a damaged sorting attribute in spikes.h5 does not crash the reader") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  std::string bytes = read_file(dir + "/spikes.h5");
  const std::size_t at = bytes.find(std::string("sorting\0", 8));
  REQUIRE(at != std::string::npos);
  for (const char value : {'\x16', '\x51'}) {
    std::string damaged = bytes;
    damaged[at + 23] = value;  // the enum's base type size (HDF5 1.10 datatype message)
    write_text(dir + "/spikes.h5", damaged);
    for (const char* command : {"stats", "convert"}) {
      std::vector<std::string> args{command, dir};
      if (std::string(command) == "convert") args.insert(args.end(), {"--to", "tsv"});
      const ProcessResult r = cli(args);
      CHECK(r.term_signal == 0);
      CHECK((r.exit_code == 0 || (r.exit_code == 2 && !one_line(r).empty())));
      fs::remove(dir + "/spikes.tsv");
    }
  }
}

TEST_CASE("hostile files: a truncated or corrupt spikes.h5 exits 2 like a missing one") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  const std::string h5 = dir + "/spikes.h5";
  SECTION("missing") {
    fs::remove(h5);
    const ProcessResult r = cli({"stats", dir});
    CHECK(r.exit_code == 2);
    CHECK(contains(one_line(r), "no spikes.h5 or spikes.tsv"));
  }
  SECTION("truncated to half") {
    fs::resize_file(h5, fs::file_size(h5) / 2);
    for (const std::vector<std::string>& args : {std::vector<std::string>{"stats", dir},
                                                  std::vector<std::string>{"convert", dir, "--to", "tsv"}}) {
      const ProcessResult r = cli(args);
      CHECK(r.exit_code == 2);
      CHECK(contains(one_line(r), "spikeq: " + h5 + ": "));
    }
  }
  SECTION("superblock overwritten") {
    std::fstream f(h5, std::ios::in | std::ios::out | std::ios::binary);
    f.write("garbage!garbage!", 16);
    f.close();
    const ProcessResult r = cli({"stats", dir});
    CHECK(r.exit_code == 2);
    CHECK(one_line(r).rfind("spikeq: " + h5 + ": cannot open as HDF5", 0) == 0);
  }
}

// ---- spikes.tsv breaking the invariants -------------------------------------------

namespace {

// The finished TSV run with line `number` (1 = header) replaced by `text`.
std::string tsv_with_line(const TempDir& tmp, std::size_t number, const std::string& text) {
  const std::string dir = copy_of(finished_run("tsv"), tmp / "run");
  std::istringstream in(read_file(dir + "/spikes.tsv"));
  std::string out;
  std::size_t k = 0;
  for (std::string line; std::getline(in, line);) out += (++k == number ? text : line) + "\n";
  write_text(dir + "/spikes.tsv", out);
  return dir;
}

}  // namespace

TEST_CASE("hostile files: spikes.tsv lines that break the rules are refused with the line number") {
  TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fast\tx\t12.5", "line 5: node_id \"x\": not a number"},
      {"fast\t9223372036854775808\t12.5", "line 5: node_id 9223372036854775808: not below the size 100 of population \"fast\""},
      {"fast\t18446744073709551616\t12.5", "line 5: node_id \"18446744073709551616\": not a 64-bit unsigned integer"},
      {"fast\t-1\t12.5", "line 5: node_id \"-1\": not a number"},
      {"fast\t3\tnan", "line 5: time_ms nan: not a finite time >= 0"},
      {"fast\t3\t1e999", "line 5: time_ms \"1e999\": not a number"},
      {"intruder\t3\t12.5", "line 5: population \"intruder\": not a population of this run"},
      {"fast\t3", "line 5: not 3 tab-separated fields"},
  };
  for (const auto& [line, message] : cases) {
    TempDir one;
    const std::string dir = tsv_with_line(one, 5, line);
    const ProcessResult r = cli({"stats", dir});
    INFO(line);
    CHECK(r.exit_code == 2);
    CHECK(one_line(r) == "spikeq: " + dir + "/spikes.tsv: " + message);
  }
}

TEST_CASE("hostile files: unsorted spikes.tsv is refused by stats and convert") {
  TempDir tmp;
  const std::string dir = tsv_with_line(tmp, 40, "fast\t3\t0.0001");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"stats", dir},
                                                std::vector<std::string>{"convert", dir, "--to", "h5"}}) {
    const ProcessResult r = cli(args);
    CHECK(r.exit_code == 2);
    CHECK(contains(one_line(r), "/spikes.tsv: line 40: time_ms 0.0001: earlier than the line before ("));
  }
  CHECK_FALSE(fs::exists(dir + "/spikes.h5"));
}

TEST_CASE("hostile files: a 16 MB line without a newline is refused in bounded memory") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("tsv"), tmp / "run");
  std::ofstream(dir + "/spikes.tsv", std::ios::app | std::ios::binary) << std::string(std::size_t{16} << 20, 'x');
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(r.peak_rss_mb < 60);
  CHECK(contains(one_line(r), ": longer than 4096 bytes"));
}

TEST_CASE("hostile files: a finished run's spikes.tsv cut inside its last line is refused, not read short") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("tsv"), tmp / "run");
  fs::resize_file(dir + "/spikes.tsv", fs::file_size(dir + "/spikes.tsv") - 3);
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(contains(one_line(r), "cut short (no newline at the end of the file: a killed run? `spikeq recover` cuts it)"));
}

// ---- damaged TSV-only runs: recover ---------------------------------------------

TEST_CASE("hostile files: recover cuts a damaged TSV-only run at the damage, reports it, keeps the original") {
  TempDir tmp;
  const std::string dir = tsv_with_line(tmp, 2000, "fast\t500\t600.5");
  nlohmann::json m = manifest(dir);
  m["status"] = "running";
  write_manifest(dir, m);
  const std::string original = read_file(dir + "/spikes.tsv");
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, "spikes.tsv: damaged at line 2000 (byte "));
  CHECK(contains(r.stdout_text, "node_id 500: not below the size 100 of population \"fast\""));
  CHECK(contains(r.stdout_text, "the original is kept as spikes.tsv.damaged"));
  CHECK(read_file(dir + "/spikes.tsv.damaged") == original);
  // Kept: the lines before the last instant before line 2000.
  std::istringstream in(read_file(dir + "/spikes.tsv"));
  std::size_t lines = 0;
  std::string last;
  for (std::string line; std::getline(in, line); ++lines) last = line;
  CHECK(lines <= 1999);
  CHECK(lines >= 1990);
  m = manifest(dir);
  CHECK(m["status"] == "interrupted");
  CHECK(total_spikes(m) == lines - 1);
  CHECK(std::stod(last.substr(last.rfind('\t') + 1)) < m["simulated_ms"].get<double>());
  CHECK(cli({"stats", dir}).exit_code == 0);  // what is left reads cleanly
}

TEST_CASE("hostile files: recover of a killed TSV-only run with a torn last line cuts it, keeps no copy") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("tsv"), tmp / "run");
  nlohmann::json m = manifest(dir);
  m["status"] = "running";
  write_manifest(dir, m);
  fs::resize_file(dir + "/spikes.tsv", fs::file_size(dir + "/spikes.tsv") - 4);
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, "a torn last line of "));
  CHECK_FALSE(fs::exists(dir + "/spikes.tsv.damaged"));
  CHECK(read_file(dir + "/spikes.tsv").back() == '\n');
}

// ---- trial and sweep layouts ------------------------------------------------------

namespace {

// Turns a finished trial into one killed before its files were built.
void kill_trial(const std::string& dir) {
  TempDir scratch;
  const std::string from = copy_of(dir, scratch / "finished");
  fs::remove_all(dir);
  make_killed(dir, from, 300, 50);
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

std::vector<std::string> statuses(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e["status"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("hostile files: recover handles a trial-*/ layout in one call and rewrites trials.json") {
  TempDir tmp;
  const std::string dir = tmp / "trials";
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", dir, "--duration", "300", "--trials", "3", "-q"})
              .exit_code == 0);
  const nlohmann::json before = read_json(dir + "/trials.json");
  kill_trial(dir + "/trial-0001");
  fs::remove_all(dir + "/trial-0002");  // never started
  fs::remove(dir + "/trials.json");     // a killed batch writes no index
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, dir + ": trials layout, 2 run directories"));
  CHECK(contains(r.stdout_text, dir + "/trial-0000: status complete, nothing to recover"));
  CHECK(contains(r.stdout_text, dir + "/trial-0001: recovered "));
  CHECK(contains(r.stdout_text, dir + "/trials.json: rewritten"));
  CHECK(manifest(dir + "/trial-0001")["status"] == "interrupted");
  const nlohmann::json after = read_json(dir + "/trials.json");
  CHECK(statuses(after["trial_runs"]) == std::vector<std::string>{"complete", "interrupted", "not_started"});
  CHECK(after["trials"] == 3);
  CHECK(after["trials_complete"] == 1);
  CHECK(after["trial_runs"][0]["summary"] == before["trial_runs"][0]["summary"]);
  // A second recover finds the index fresh.
  const ProcessResult again = cli({"recover", dir});
  CHECK(again.exit_code == 0);
  CHECK_FALSE(contains(again.stdout_text, "rewritten"));
}

TEST_CASE("hostile files: recover of a trial layout with one unreadable trial recovers the others, exit 2") {
  TempDir tmp;
  const std::string dir = tmp / "trials";
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", dir, "--duration", "200", "--trials", "3", "-q"})
              .exit_code == 0);
  kill_trial(dir + "/trial-0001");
  kill_trial(dir + "/trial-0002");
  write_text(dir + "/trial-0002/spikes.journal", "not a journal at all");
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/trial-0002/spikes.journal: not a spikeq journal (no SPKQJRNL magic)");
  CHECK(manifest(dir + "/trial-0001")["status"] == "interrupted");
  CHECK(manifest(dir + "/trial-0002")["status"] == "running");
  CHECK(statuses(read_json(dir + "/trials.json")["trial_runs"]) ==
        std::vector<std::string>{"complete", "interrupted", "running"});
}

TEST_CASE("hostile files: recover handles a killed sweep: every point's runs, trials.json, sweep.json and sweep.tsv") {
  TempDir tmp;
  const std::string netdef = tmp / "sweep.pbtxt";
  write_text(netdef, R"(name: "small_sweep"
duration_ms: 200
seed: 1
populations { name: "slow" size: 50 poisson { rate_hz: 5 } }
populations { name: "fast" size: 50 poisson { rate_hz: 50 } }
sweep { path: "fast.poisson.rate_hz" values: [20, 40, 60] }
)");
  const std::string dir = tmp / "sweep";
  REQUIRE(run_process({kCli, "run", netdef, "-o", dir, "--trials", "2", "-q"}).exit_code == 0);
  const std::string tsv_before = read_file(dir + "/sweep.tsv");
  const nlohmann::json point0 = read_json(dir + "/point-0000/trials.json");
  // Killed during point 1: point 2 never started, no index written.
  kill_trial(dir + "/point-0001/trial-0001");
  fs::remove_all(dir + "/point-0002");
  for (const char* f : {"sweep.json", "sweep.tsv", "point-0000/trials.json", "point-0001/trials.json"})
    fs::remove(dir + "/" + f);
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, dir + ": sweep layout, 4 run directories"));
  for (const char* f : {"point-0000/trials.json", "point-0001/trials.json", "sweep.json", "sweep.tsv"})
    CHECK(contains(r.stdout_text, dir + "/" + f + ": rewritten"));
  const nlohmann::json sweep = read_json(dir + "/sweep.json");
  CHECK(statuses(sweep["points"]) == std::vector<std::string>{"complete", "interrupted", "not_started"});
  CHECK(sweep["point_count"] == 3);
  CHECK(sweep["points"][2]["trials_complete"] == 0);
  // Point 0 finished: its statistics, recomputed from its files, are the batch's.
  CHECK(read_json(dir + "/point-0000/trials.json")["aggregate"] == point0["aggregate"]);
  std::istringstream before(tsv_before), after(read_file(dir + "/sweep.tsv"));
  std::string header_before, header_after, row0_before, row0_after;
  std::getline(before, header_before);
  std::getline(after, header_after);
  std::getline(before, row0_before);
  std::getline(after, row0_after);
  CHECK(header_after == header_before);
  CHECK(row0_after == row0_before);
}

TEST_CASE("hostile files: a killed --sweep batch without sweep.json: runs recovered, the index not invented") {
  TempDir tmp;
  const std::string dir = tmp / "sweep";
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", dir, "--duration", "100", "--sweep",
                       "fast.poisson.rate_hz=10,20", "-q"})
              .exit_code == 0);
  kill_trial(dir + "/point-0001/trial-0000");
  fs::remove(dir + "/sweep.json");
  fs::remove(dir + "/sweep.tsv");
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.stdout_text, dir + ": sweep.json, sweep.tsv: not rebuilt: no sweep.json, and "));
  CHECK(contains(r.stdout_text, "has no sweep (it was given by --sweep flags)"));
  CHECK_FALSE(fs::exists(dir + "/sweep.json"));
  CHECK(manifest(dir + "/point-0001/trial-0000")["status"] == "interrupted");
}

TEST_CASE("hostile files: recover of a directory holding no run is one line, exit 2") {
  TempDir tmp;
  const ProcessResult r = cli({"recover", tmp.path()});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + tmp.path() + ": no run here (no manifest.json, trial-*/ or point-*/)");
}

// ---- the Python reader checks the same ---------------------------------------------

namespace {

std::string python_load(const std::string& dir) {
  const ProcessResult r =
      run_bounded({kPython, std::string(SPIKEQ_SOURCE_DIR) + "/tests/cli/hostile_python.py", dir}, kTimeoutS);
  INFO(r.stderr_text);
  CHECK(r.exit_code == 0);
  return r.stdout_text;
}

std::string repr(double x) {  // Python's repr of a float
  char buf[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

TEST_CASE("hostile files: the Python reader refuses a node id of 2^63 naming the dataset and index") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  hostile_h5(dir + "/spikes.h5", {"set-id", "fast", "17", "9223372036854775808"});
  CHECK(python_load(dir) == "refused " + dir +
                                "/spikes.h5: /spikes/fast/node_ids[17] = 9223372036854775808: not below the population "
                                "size 100\n");
}

TEST_CASE("hostile files: the Python reader refuses unsorted spikes.tsv and a finished run's torn line") {
  TempDir tmp;
  const std::string dir = tsv_with_line(tmp, 40, "fast\t3\t0.0001");
  CHECK(contains(python_load(dir), "refused " + dir + "/spikes.tsv: line 40: time_ms 0.0001: earlier than the one before ("));
  TempDir tmp2;
  const std::string torn = copy_of(finished_run("tsv"), tmp2 / "run");
  fs::resize_file(torn + "/spikes.tsv", fs::file_size(torn + "/spikes.tsv") - 3);
  CHECK(contains(python_load(torn), "cut short (no newline at the end of the file)"));
}

TEST_CASE("hostile files: the Python reader salvages a damaged journal exactly as recover does") {
  TempDir tmp;
  const Killed k = make_killed(tmp / "run", finished_run("h5"));
  k.damage_block(1);
  const std::size_t before = k.batch_floor(k.block_records), after = k.batch_floor(3 * k.block_records);
  const std::string expected = "ok " + std::to_string(before + k.rows.size() - after) + " " +
                               repr(k.rows[before - 1].time_ms) + ":" + repr(k.rows[after].time_ms) + "\n";
  CHECK(python_load(k.dir) == expected);  // from the journal itself
  CHECK(cli({"recover", k.dir}).exit_code == 3);
  CHECK(python_load(k.dir) == expected);  // from spikes.h5 and the manifest's gaps
}

// ---- files that are not files -------------------------------------------------------

TEST_CASE("hostile files: a FIFO in place of a run's file is refused at once, never waited on") {
  TempDir tmp;
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"h5", "spikes.h5", "stats"}, {"tsv", "spikes.tsv", "stats"}, {"h5", "manifest.json", "stats"},
      {"h5", "spikes.h5", "convert"}};
  int k = 0;
  for (const auto& [format, file, command] : cases) {
    const std::string dir = copy_of(finished_run(format), tmp / ("run" + std::to_string(k++)));
    fs::remove(dir + "/" + file);
    REQUIRE(::mkfifo((dir + "/" + file).c_str(), 0600) == 0);
    std::vector<std::string> args{command, dir};
    if (command == "convert") args.insert(args.end(), {"--to", "tsv"});
    const ProcessResult r = cli(args);
    INFO(file << " " << command);
    CHECK(r.exit_code == 2);
    CHECK(one_line(r) == "spikeq: " + dir + "/" + file + ": not a regular file (a FIFO)");
  }
  const Killed killed = make_killed(tmp / "killed", finished_run("h5"));
  fs::remove(killed.journal());
  REQUIRE(::mkfifo(killed.journal().c_str(), 0600) == 0);
  const ProcessResult r = cli({"recover", killed.dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + killed.journal() + ": not a regular file (a FIFO)");
}

TEST_CASE("hostile files: a manifest.json larger than the bound is refused without reading it") {
  TempDir tmp;
  const std::string dir = copy_of(finished_run("h5"), tmp / "run");
  fs::resize_file(dir + "/manifest.json", (std::uintmax_t{256} << 20) + 1);  // sparse
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(r.peak_rss_mb < 60);
  CHECK(one_line(r) == "spikeq: " + dir + "/manifest.json: 268435457 bytes: more than the 256 MiB spikeq reads of such a file");
}

// ---- voltage files ----------------------------------------------------------------------

namespace {

// A finished free_membrane run (2000 probed nodes, samples every 5 ms) in both formats.
std::string probe_run(const TempDir& tmp) {
  static TempDir dir;
  static const std::string run = [] {
    const std::string out = dir / "probes";
    const ProcessResult r = run_process(
        {kCli, "run", example("free_membrane.pbtxt"), "-o", out, "--duration", "20", "--format", "both", "-q"});
    REQUIRE(r.exit_code == 0);
    return out;
  }();
  return copy_of(run, tmp / "run");
}

}  // namespace

TEST_CASE("hostile files: a NaN voltage in voltages.h5 is refused with probe, row and column") {
  TempDir tmp;
  const std::string dir = probe_run(tmp);
  fs::remove(dir + "/voltages.tsv");
  hostile_h5(dir + "/voltages.h5", {"set-v", "0", "2", "7", "nan"});
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/voltages.h5: /probes/0/v_mv[2, 7] = nan: not a finite voltage");
}

TEST_CASE("hostile files: voltages.h5 columns that are not the probe's nodes are refused") {
  TempDir tmp;
  const std::string dir = probe_run(tmp);
  hostile_h5(dir + "/voltages.h5", {"set-probe-id", "0", "2", "9223372036854775808"});
  const ProcessResult r = cli({"convert", dir, "--to", "tsv"});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir + "/voltages.h5: /probes/0/node_ids[2] = 9223372036854775808: the probe's node is 2");
}

TEST_CASE("hostile files: a voltages.tsv line of another population than its probe's is refused") {
  TempDir tmp;
  const std::string dir = probe_run(tmp);
  fs::remove(dir + "/voltages.h5");
  std::string text = read_file(dir + "/voltages.tsv");
  const std::size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  text.replace(line3, text.find('\n', line3) - line3, "0\texc_inputs\t1\t5\t1.5");
  write_text(dir + "/voltages.tsv", text);
  const ProcessResult r = cli({"stats", dir});
  CHECK(r.exit_code == 2);
  CHECK(one_line(r) == "spikeq: " + dir +
                           "/voltages.tsv: line 3: population \"exc_inputs\": probe 0 samples population \"membranes\"");
}

TEST_CASE("hostile files: trial numbers and counts claimed by a trial layout are bounded before anything is sized") {
  TempDir tmp;
  const std::string dir = tmp / "trials";
  REQUIRE(run_process({kCli, "run", example("poisson.pbtxt"), "-o", dir, "--duration", "100", "--trials", "2", "-q"})
              .exit_code == 0);
  nlohmann::json m = manifest(dir + "/trial-0001");
  m["trials"] = 4000000000u;
  write_manifest(dir + "/trial-0001", m);
  copy_of(dir + "/trial-0001", dir + "/trial-999999999");
  m["trial"] = 999999999;
  write_manifest(dir + "/trial-999999999", m);
  fs::remove(dir + "/trials.json");
  const ProcessResult r = cli({"recover", dir});
  CHECK(r.exit_code == 0);
  CHECK(r.peak_rss_mb < 100);
  CHECK(read_json(dir + "/trials.json")["trial_runs"].size() == 2);
}
