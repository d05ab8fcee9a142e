#include "engine/run_directory.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/durable_file.h"
#include "engine/h5_spikes.h"
#include "engine/h5_voltages.h"
#include "engine/journal_reader.h"
#include "engine/journal_sink.h"
#include "engine/manifest.h"
#include "engine/stop_check.h"
#include "engine/tsv_rows.h"
#include "engine/tsv_sink.h"
#include "netdefs/error.h"

namespace spikeq {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSpikesH5 = "spikes.h5";
constexpr const char* kVoltagesH5 = "voltages.h5";
constexpr const char* kSpikesTsv = "spikes.tsv";
constexpr const char* kVoltagesTsv = "voltages.tsv";

bool has_h5(OutputFormat f) { return f != OutputFormat::Tsv; }
bool has_tsv(OutputFormat f) { return f != OutputFormat::H5; }
bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

std::vector<std::string> data_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* name : {kSpikesH5, kVoltagesH5, kSpikesTsv, kVoltagesTsv, JournalSink::kSpikes, JournalSink::kVoltages})
    if (exists(dir + "/" + name)) files.push_back(name);
  return files;
}

void remove_file(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error(path + ": cannot remove: " + ec.message(), Error::Kind::Runtime);
}

struct Built {
  std::vector<std::uint64_t> spikes;  // per population; empty if there was no spike journal
  double last_ms = 0;
};

// A journal read for a file build that a signal can abandon: the flag is polled
// once per block read (about 65,000 rows), and Stopped unwinds the writer, whose
// PendingFile removes its NAME.tmp (engine/stop_check.h).
template <typename Row>
class StoppableSource : public RowSource<Row> {
 public:
  StoppableSource(RowSource<Row>& inner, const std::atomic<bool>* stop) : inner_(inner), stop_(stop) {}
  void read(const typename RowSource<Row>::Chunk& chunk) override {
    inner_.read([&](std::span<const Row> rows) {
      stop_.poll();
      chunk(rows);
    });
  }

 private:
  RowSource<Row>& inner_;
  StopCheck stop_;
};

// Builds the final files of `format` from the journals in `dir`, then removes the
// journals. `tsv_too`: also (re)write the TSV files from them. `stop` set during
// the build throws Stopped and leaves the journals.
Built build_from_journals(const std::string& dir, OutputFormat format, bool tsv_too,
                          const std::atomic<bool>* stop = nullptr) {
  Built built;
  const std::string spikes_journal = dir + "/" + JournalSink::kSpikes;
  const std::string voltages_journal = dir + "/" + JournalSink::kVoltages;
  if (exists(spikes_journal)) {
    JournalSource<SpikeRow> journal(spikes_journal);
    StoppableSource<SpikeRow> source(journal, stop);
    const RunLayout layout = journal.reader().layout();
    built.last_ms = journal.reader().last_time_ms();
    if (has_h5(format)) built.spikes = write_spike_report(dir + "/" + kSpikesH5, layout, source);
    if (tsv_too && has_tsv(format)) built.spikes = write_spikes_tsv(dir + "/" + kSpikesTsv, layout, source);
  }
  if (exists(voltages_journal)) {
    JournalSource<SampleRow> journal(voltages_journal);
    StoppableSource<SampleRow> source(journal, stop);
    const RunLayout layout = journal.reader().layout();
    built.last_ms = std::max(built.last_ms, journal.reader().last_time_ms());
    if (has_h5(format)) write_voltage_report(dir + "/" + kVoltagesH5, layout, source);
    if (tsv_too && has_tsv(format)) write_voltages_tsv(dir + "/" + kVoltagesTsv, layout, source);
  }
  for (const std::string& path : {spikes_journal, voltages_journal})
    if (exists(path)) remove_file(path);
  sync_path(dir);
  return built;
}

}  // namespace

OutputFormat parse_output_format(const std::string& text) {
  if (text == "h5") return OutputFormat::H5;
  if (text == "tsv") return OutputFormat::Tsv;
  if (text == "both") return OutputFormat::Both;
  throw Error("format \"" + text + "\": must be h5, tsv or both");
}

const char* format_name(OutputFormat format) {
  return format == OutputFormat::H5 ? "h5" : format == OutputFormat::Tsv ? "tsv" : "both";
}

RunRecorder::RunRecorder(const Network& network, std::string dir, OutputFormat format)
    : dir_(std::move(dir)), format_(format) {
  // A directory reused with --force must not offer an earlier run's files as this one's.
  for (const std::string& name : data_files(dir_)) remove_file(dir_ + "/" + name);
  for (const char* name : {kSpikesH5, kVoltagesH5, kSpikesTsv, kVoltagesTsv})
    if (exists(dir_ + "/" + name + ".tmp")) remove_file(dir_ + "/" + name + ".tmp");
  if (has_h5(format_)) journal_ = std::make_unique<JournalSink>(network, dir_);
  if (has_tsv(format_)) tsv_ = std::make_unique<TsvSink>(network, dir_);
}

RunRecorder::~RunRecorder() = default;

void RunRecorder::spikes(std::span<const SpikeRecord> batch) {
  if (journal_) journal_->spikes(batch);
  if (tsv_) tsv_->spikes(batch);
}

void RunRecorder::samples(std::span<const VoltageSample> batch) {
  if (journal_) journal_->samples(batch);
  if (tsv_) tsv_->samples(batch);
}

void RunRecorder::finish(const std::atomic<bool>* abandon) {
  if (tsv_) tsv_->close();
  if (journal_) {
    journal_->close();
    build_from_journals(dir_, format_, false, abandon);
  }
}

std::optional<RunRecorder::Saved> RunRecorder::finish_after_failure() noexcept {
  try {
    if (tsv_) tsv_->close();
  } catch (const std::exception&) {
  }
  if (!journal_) return std::nullopt;
  try {
    journal_->close();  // a no-op for a journal whose write failed: it is already whole
  } catch (const std::exception&) {
    journal_->abandon();
  }
  try {
    Built built = build_from_journals(dir_, format_, false);
    return Saved{std::move(built.spikes), built.last_ms};
  } catch (const std::exception&) {
    // The journals stay; `spikeq recover` can build the files once the cause is fixed.
    return std::nullopt;
  }
}

std::vector<std::string> RunRecorder::files() const { return data_files(dir_); }

namespace {

nlohmann::json read_manifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  std::ifstream in(path);
  if (!in) throw Error(dir + ": not a run directory (no manifest.json)");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception&) {
    throw Error(path + ": not valid JSON");
  }
}

// Spikes per population from the recorded files, and the time up to which they are whole.
void set_counts(nlohmann::json& manifest, const std::vector<std::uint64_t>& spikes, double simulated_ms) {
  manifest["simulated_ms"] = simulated_ms;
  const double seconds = simulated_ms * 1e-3;
  auto& pops = manifest.at("populations");
  for (std::size_t i = 0; i < pops.size() && i < spikes.size(); ++i) {
    auto& p = pops[i];
    if (!p.value("recorded", false)) {  // not recorded: its spikes are not in the files
      p["spikes"] = nullptr;
      p["rate_hz"] = nullptr;
      continue;
    }
    p["spikes"] = spikes[i];
    const double size = p.value("size", 0.0);
    p["rate_hz"] = seconds > 0 && size > 0 ? static_cast<double>(spikes[i]) / (size * seconds) : 0.0;
  }
}

}  // namespace

RecoverReport recover_run_directory(const std::string& dir) {
  nlohmann::json manifest = read_manifest(dir);
  RecoverReport report;
  report.status_before = manifest.value("status", "");
  const OutputFormat format = parse_output_format(manifest.value("format", "tsv"));
  const RunLayout layout = RunLayout::from_manifest(manifest);
  for (const char* name : {kSpikesH5, kVoltagesH5, kSpikesTsv, kVoltagesTsv}) {
    const std::string tmp = dir + "/" + name + ".tmp";  // a file being built when the run died
    if (exists(tmp)) remove_file(tmp);
  }
  const bool journals = exists(dir + "/" + JournalSink::kSpikes) || exists(dir + "/" + JournalSink::kVoltages);
  const bool unfinished = report.status_before == "running" || report.status_before == "failed";
  std::vector<std::uint64_t> spikes;
  double simulated_ms = manifest.value("simulated_ms", 0.0);
  if (journals) {
    // The journals are the record of the run; a streamed TSV is rewritten from them
    // so that both formats hold the same spikes.
    Built built = build_from_journals(dir, format, unfinished);
    spikes = std::move(built.spikes);
    if (unfinished) simulated_ms = built.last_ms;
    report.changed = true;
  } else if (report.status_before == "running" && has_h5(format) && exists(dir + "/" + kSpikesH5)) {
    // Killed after the files were built, before the manifest said so: they are whole.
    H5SpikeSource source(dir + "/" + kSpikesH5, layout);
    spikes.assign(layout.populations.size(), 0);
    simulated_ms = 0;
    source.read([&](std::span<const SpikeRow> rows) {
      for (const SpikeRow& r : rows) ++spikes[r.population];
      if (!rows.empty()) simulated_ms = rows.back().time_ms;
    });
    report.changed = true;
  } else if (report.status_before == "running" && has_tsv(format)) {
    simulated_ms = 0;
    if (exists(dir + "/" + kSpikesTsv)) {
      simulated_ms = cut_tsv_to_whole_times(dir + "/" + kSpikesTsv, 2);
      TsvSpikeSource source(dir + "/" + kSpikesTsv, layout);
      spikes.assign(layout.populations.size(), 0);
      source.read([&](std::span<const SpikeRow> rows) {
        for (const SpikeRow& r : rows) ++spikes[r.population];
      });
    }
    if (exists(dir + "/" + kVoltagesTsv))
      simulated_ms = std::max(simulated_ms, cut_tsv_to_whole_times(dir + "/" + kVoltagesTsv, 3));
    report.changed = true;
  }
  report.status = report.status_before == "running" ? "interrupted" : report.status_before;
  if (report.changed) {
    if (unfinished && !spikes.empty()) set_counts(manifest, spikes, simulated_ms);
    if (unfinished) manifest["simulated_ms"] = simulated_ms;
    manifest["status"] = report.status;
    manifest["files"] = data_files(dir);
    if (report.status_before == "running") manifest["recovered_utc"] = utc_now_iso8601();
    write_manifest(dir, manifest);
  }
  report.simulated_ms = manifest.value("simulated_ms", 0.0);
  for (const auto& p : manifest.at("populations"))
    if (p.value("recorded", false) && p["spikes"].is_number()) report.spikes += p["spikes"].get<std::uint64_t>();
  report.files = data_files(dir);
  return report;
}

std::vector<std::string> convert_run_directory(const std::string& dir, OutputFormat to) {
  nlohmann::json manifest = read_manifest(dir);
  const std::string status = manifest.value("status", "");
  if (status == "running" || exists(dir + "/" + JournalSink::kSpikes))
    throw Error(dir + ": the run did not finish (status " + status + "); run `spikeq recover " + dir + "` first");
  const RunLayout layout = RunLayout::from_manifest(manifest);
  std::vector<std::string> written;
  const bool to_h5 = to == OutputFormat::H5;
  const std::string spikes_from = dir + "/" + (to_h5 ? kSpikesTsv : kSpikesH5);
  if (!exists(spikes_from)) throw Error(spikes_from + ": not found (nothing to convert from)");
  if (to_h5) {
    TsvSpikeSource source(spikes_from, layout);
    write_spike_report(dir + "/" + kSpikesH5, layout, source);
  } else {
    H5SpikeSource source(spikes_from, layout);
    write_spikes_tsv(dir + "/" + kSpikesTsv, layout, source);
  }
  written.push_back(to_h5 ? kSpikesH5 : kSpikesTsv);
  const std::string voltages_from = dir + "/" + (to_h5 ? kVoltagesTsv : kVoltagesH5);
  if (exists(voltages_from)) {
    if (to_h5) {
      TsvSampleSource source(voltages_from, layout);
      write_voltage_report(dir + "/" + kVoltagesH5, layout, source);
    } else {
      H5SampleSource source(voltages_from, layout);
      write_voltages_tsv(dir + "/" + kVoltagesTsv, layout, source);
    }
    written.push_back(to_h5 ? kVoltagesH5 : kVoltagesTsv);
  }
  manifest["files"] = data_files(dir);
  write_manifest(dir, manifest);
  return written;
}

}  // namespace spikeq
