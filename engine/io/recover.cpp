// One run directory made whole (engine/io/recover.h): journals, streamed TSV, or
// files already built, and the manifest that says what was kept and dropped.
#include "engine/core/run_status.h"
#include "engine/io/recover.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <cstdio>
#include <filesystem>

#include "engine/io/durable_file.h"
#include "engine/io/h5_spikes.h"
#include "engine/io/journal_sink.h"
#include "engine/io/manifest.h"
#include "engine/io/run_directory.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSpikesH5 = "spikes.h5";
constexpr const char* kSpikesTsv = "spikes.tsv";
constexpr const char* kVoltagesTsv = "voltages.tsv";

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

std::string text_field(const nlohmann::json& m, const char* key, const std::string& fallback) {
  const auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double number_field(const nlohmann::json& m, const char* key, double fallback) {
  const auto it = m.find(key);
  return it != m.end() && it->is_number() ? it->get<double>() : fallback;
}

// NAME.damaged, or NAME.damaged.2, ... : never over an earlier recovery's evidence.
std::string free_damaged_name(const std::string& dir, const std::string& name) {
  const std::string base = name + ".damaged";
  if (!exists(dir + "/" + base)) return base;
  for (int k = 2; k < 1000; ++k)
    if (!exists(dir + "/" + base + "." + std::to_string(k))) return base + "." + std::to_string(k);
  throw Error(dir + "/" + base + ": a thousand damaged copies already; move them away first", Error::Kind::Runtime);
}

void remove_file(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error(path + ": cannot remove: " + ec.message(), Error::Kind::Runtime);
}

void rename_file(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw Error(to + ": cannot rename " + from + " to it: " + std::strerror(errno), Error::Kind::Runtime);
}

// Spikes per population from the recorded files and the rates over the time observed.
void set_counts(nlohmann::json& manifest, const std::vector<std::uint64_t>& spikes, double observed_ms) {
  const double seconds = observed_ms * 1e-3;
  auto& pops = manifest.at("populations");
  for (std::size_t i = 0; i < pops.size() && i < spikes.size(); ++i) {
    auto& p = pops[i];
    if (!p.value("recorded", false)) {  // not recorded: its spikes are not in the files
      p["spikes"] = nullptr;
      p["rate_hz"] = nullptr;
      continue;
    }
    p["spikes"] = spikes[i];
    const double size = number_field(p, "size", 0.0);
    p["rate_hz"] = seconds > 0 && size > 0 ? static_cast<double>(spikes[i]) / (size * seconds) : 0.0;
  }
}

nlohmann::json range_json(const std::vector<JournalScan::Range>& ranges) {
  nlohmann::json out = nlohmann::json::array();
  for (const JournalScan::Range& r : ranges) out.push_back({r.begin, r.end});
  return out;
}

// What the manifest's "recovery" says about one file.
nlohmann::json file_json(const RecoveredFile& f) {
  nlohmann::json j = {{"file", f.name}, {"unit", f.unit}};
  if (f.journal) {
    const JournalScan& s = *f.journal;
    j["kept"] = {{"records", s.records}, {"blocks_intact", s.blocks}, {"from_ms", s.first_ms}, {"to_ms", s.last_ms}};
    nlohmann::json gaps = nlohmann::json::array();
    for (const JournalScan::Gap& g : s.gaps) gaps.push_back({{"from_ms", g.from_ms}, {"to_ms", g.to_ms}});
    j["dropped"] = {{"records_of_intact_blocks", s.dropped_records()},
                    {"damaged_bytes", range_json(s.damaged)},
                    {"torn_bytes", s.torn_bytes},
                    {"header_damaged", s.meta_damaged},
                    {"search_abandoned", s.gave_up},
                    {"gaps", gaps}};
  }
  if (f.tsv) {
    const TsvScan& s = *f.tsv;
    j["kept"] = {{"records", s.rows}, {"complete_before_ms", s.complete_before_ms}, {"bytes", s.keep_bytes}};
    j["dropped"] = {{"records_at_last_instant", s.dropped_rows},
                    {"bytes", s.file_bytes - std::min(s.file_bytes, s.keep_bytes)},
                    {"torn_bytes", s.torn_bytes},
                    {"damage", s.damage.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.damage)},
                    {"lines_after_damage", s.lines_after_damage}};
  }
  if (!f.kept_as.empty()) j["kept_as"] = f.kept_as;
  return j;
}

void remove_temporaries(const std::string& dir) {
  for (const char* name : {"spikes.h5", "voltages.h5", "spikes.tsv", "voltages.tsv"}) {
    const std::string tmp = dir + "/" + name + ".tmp";  // a file being built when the run died
    if (exists(tmp)) remove_file(tmp);
  }
}

// Journals: build the files, then keep a damaged journal (renamed) or remove it.
void recover_journals(const std::string& dir, const RunLayout& layout, OutputFormat format, bool unfinished,
                      const RecoverOptions& options, RecoverReport& report, std::vector<std::uint64_t>& spikes,
                      double& simulated_ms) {
  remove_temporaries(dir);
  JournalBuild built = build_from_journals(dir, layout, format, unfinished);
  spikes = std::move(built.spikes);
  if (unfinished) simulated_ms = built.last_ms;
  const std::pair<const char*, std::optional<JournalScan>*> journals[] = {
      {JournalSink::kSpikes, &built.spikes_scan}, {JournalSink::kVoltages, &built.voltages_scan}};
  for (const auto& [name, scan] : journals) {
    if (!*scan) continue;
    RecoveredFile f{name, name == std::string(JournalSink::kSpikes) ? "spikes" : "samples", **scan, std::nullopt, ""};
    if (f.journal->damaged_any() && !options.discard_damaged) {
      f.kept_as = free_damaged_name(dir, name);
      rename_file(dir + "/" + name, dir + "/" + f.kept_as);
    } else {
      remove_file(dir + "/" + name);
    }
    for (const JournalScan::Gap& g : f.journal->gaps) report.gaps.push_back({name, g.from_ms, g.to_ms});
    report.sources.push_back(std::move(f));
  }
  sync_path(dir);
}

// A TSV-only run: each file cut after its last whole, valid instant. With damage
// in one, all are cut at the earliest such time, so the record is whole up to it.
void recover_tsv(const std::string& dir, const RunLayout& layout, const RecoverOptions& options,
                 RecoverReport& report, std::vector<std::uint64_t>& spikes, double& simulated_ms) {
  remove_temporaries(dir);
  struct One {
    const char* name;
    TsvKind kind;
    TsvScan scan;
  };
  std::vector<One> files;
  for (const auto& [name, kind] : {std::pair{kSpikesTsv, TsvKind::Spikes}, std::pair{kVoltagesTsv, TsvKind::Voltages}})
    if (exists(dir + "/" + name)) files.push_back({name, kind, scan_tsv_for_recovery(dir + "/" + name, layout, kind)});
  simulated_ms = 0;
  bool damaged = false;
  double earliest = std::numeric_limits<double>::infinity();
  for (const One& f : files) {
    damaged = damaged || f.scan.damaged();
    earliest = std::min(earliest, f.scan.complete_before_ms);
    simulated_ms = std::max(simulated_ms, f.scan.complete_before_ms);
  }
  if (damaged && !files.empty()) {
    simulated_ms = earliest;
    for (One& f : files)
      if (f.scan.complete_before_ms > earliest && !f.scan.damaged())
        f.scan = scan_tsv_for_recovery(dir + "/" + f.name, layout, f.kind, earliest);
  }
  for (One& f : files) {
    RecoveredFile out{f.name, f.kind == TsvKind::Spikes ? "spikes" : "samples", std::nullopt, f.scan, ""};
    if (f.scan.damaged() && !options.discard_damaged) out.kept_as = free_damaged_name(dir, f.name);
    cut_tsv(dir + "/" + f.name, f.scan, f.kind, out.kept_as.empty() ? "" : dir + "/" + out.kept_as);
    report.sources.push_back(std::move(out));
  }
  if (exists(dir + "/" + kSpikesTsv)) {
    TsvSpikeSource source(dir + "/" + kSpikesTsv, layout);
    spikes.assign(layout.populations.size(), 0);
    source.read([&](std::span<const SpikeRow> rows) {
      for (const SpikeRow& r : rows) ++spikes[r.population];
    });
  }
}

}  // namespace

bool RecoveredFile::damaged() const {
  return (journal && journal->damaged_any()) || (tsv && tsv->damaged());
}

RecoverReport recover_run_directory(const std::string& dir, const RecoverOptions& options) {
  nlohmann::json manifest = read_run_manifest(dir);
  RecoverReport report;
  report.dir = dir;
  report.status_before = text_field(manifest, "status", "");
  const OutputFormat format = parse_output_format(text_field(manifest, "format", "tsv"));
  const RunLayout layout = RunLayout::from_manifest(manifest, dir + "/manifest.json");
  const bool journals = exists(dir + "/" + JournalSink::kSpikes) || exists(dir + "/" + JournalSink::kVoltages);
  const std::optional<RunStatus> before = parse_status(report.status_before);
  const bool running = before == RunStatus::Running;
  const bool unfinished = running || before == RunStatus::Failed;
  const bool h5 = format != OutputFormat::Tsv, tsv = format != OutputFormat::H5;
  std::vector<std::uint64_t> spikes;
  double simulated_ms = number_field(manifest, "simulated_ms", 0.0);
  if (journals) {
    // The journals are the record of the run; a streamed TSV is rewritten from them
    // so that both formats hold the same spikes.
    recover_journals(dir, layout, format, unfinished, options, report, spikes, simulated_ms);
    report.changed = true;
  } else if (running && h5 && exists(dir + "/" + kSpikesH5)) {
    // Killed after the files were built, before the manifest said so: they are whole.
    remove_temporaries(dir);
    H5SpikeSource source(dir + "/" + kSpikesH5, layout);
    spikes.assign(layout.populations.size(), 0);
    simulated_ms = 0;
    source.read([&](std::span<const SpikeRow> rows) {
      for (const SpikeRow& r : rows) ++spikes[r.population];
      if (!rows.empty()) simulated_ms = rows.back().time_ms;
    });
    report.changed = true;
  } else if (running && tsv) {
    recover_tsv(dir, layout, options, report, spikes, simulated_ms);
    report.changed = true;
  }
  report.status = running ? status_name(RunStatus::Interrupted) : report.status_before;
  if (report.changed) {
    double lost_ms = 0;  // spikes lost inside the run: the rates are over the rest
    for (const RecoverGap& g : report.gaps)
      if (g.file == JournalSink::kSpikes) lost_ms += g.to_ms - g.from_ms;
    if (unfinished && !spikes.empty()) set_counts(manifest, spikes, std::max(0.0, simulated_ms - lost_ms));
    if (unfinished) manifest["simulated_ms"] = simulated_ms;
    manifest["status"] = report.status;
    manifest["files"] = run_data_files(dir);
    if (running) manifest["recovered_utc"] = utc_now_iso8601();
    if (!report.sources.empty()) {
      nlohmann::json files = nlohmann::json::array();
      for (const RecoveredFile& f : report.sources) files.push_back(file_json(f));
      manifest["recovery"] = files;
    }
    if (!report.gaps.empty()) {
      nlohmann::json gaps = nlohmann::json::array();
      for (const RecoverGap& g : report.gaps) gaps.push_back({{"file", g.file}, {"from_ms", g.from_ms}, {"to_ms", g.to_ms}});
      manifest["gaps"] = gaps;
    }
    write_manifest(dir, manifest);
  }
  report.simulated_ms = number_field(manifest, "simulated_ms", 0.0);
  for (const auto& p : manifest.at("populations"))
    if (p.value("recorded", false) && p.contains("spikes") && p["spikes"].is_number_unsigned())
      report.spikes += p["spikes"].get<std::uint64_t>();
  report.files = run_data_files(dir);
  return report;
}

}  // namespace spikeq::io
