#include "engine/core/run_status.h"
#include "engine/io/run_directory.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/io/durable_file.h"
#include "engine/io/input_file.h"
#include "engine/io/h5_spikes.h"
#include "engine/io/h5_voltages.h"
#include "engine/io/journal_reader.h"
#include "engine/io/journal_sink.h"
#include "engine/io/manifest.h"
#include "engine/core/stop_check.h"
#include "engine/io/tsv_rows.h"
#include "engine/io/tsv_sink.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
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

void remove_file(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error(path + ": cannot remove: " + ec.message(), Error::Kind::Runtime);
}

void remove_journals(const std::string& dir) {
  for (const char* name : {JournalSink::kSpikes, JournalSink::kVoltages})
    if (exists(dir + "/" + name)) remove_file(dir + "/" + name);
  sync_path(dir);
}

// A journal read for a file build that a signal can abandon: the flag is polled
// once per block read (about 65,000 rows), and Stopped unwinds the writer, whose
// PendingFile removes its NAME.tmp (engine/core/stop_check.h).
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

}  // namespace

std::vector<std::string> run_data_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* name : {kSpikesH5, kVoltagesH5, kSpikesTsv, kVoltagesTsv, JournalSink::kSpikes, JournalSink::kVoltages})
    if (exists(dir + "/" + name)) files.push_back(name);
  return files;
}

JournalBuild build_from_journals(const std::string& dir, const RunLayout& layout, OutputFormat format, bool tsv_too,
                                 const std::atomic<bool>* stop) {
  JournalBuild built;
  const std::string spikes_journal = dir + "/" + JournalSink::kSpikes;
  const std::string voltages_journal = dir + "/" + JournalSink::kVoltages;
  // Both are opened (and so checked) before anything is written.
  std::optional<JournalSource<SpikeRow>> spikes;
  std::optional<JournalSource<SampleRow>> samples;
  if (exists(spikes_journal)) spikes.emplace(spikes_journal, &layout);
  if (exists(voltages_journal)) samples.emplace(voltages_journal, &layout);
  if (spikes) {
    built.spikes_scan = spikes->reader().scan();
    built.last_ms = spikes->reader().last_time_ms();
    StoppableSource<SpikeRow> source(*spikes, stop);
    if (has_h5(format)) built.spikes = write_spike_report(dir + "/" + kSpikesH5, layout, source);
    if (tsv_too && has_tsv(format)) built.spikes = write_spikes_tsv(dir + "/" + kSpikesTsv, layout, source);
  }
  if (samples) {
    built.voltages_scan = samples->reader().scan();
    built.last_ms = std::max(built.last_ms, samples->reader().last_time_ms());
    StoppableSource<SampleRow> source(*samples, stop);
    if (has_h5(format)) write_voltage_report(dir + "/" + kVoltagesH5, layout, source);
    if (tsv_too && has_tsv(format)) write_voltages_tsv(dir + "/" + kVoltagesTsv, layout, source);
  }
  return built;
}

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
    : dir_(std::move(dir)), format_(format), layout_(RunLayout::of(network.spec())) {
  // A directory reused with --force must not offer an earlier run's files as this one's.
  for (const std::string& name : run_data_files(dir_)) remove_file(dir_ + "/" + name);
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

namespace {

// The run's own journals: a failure to read them back is the run's failure (exit 1).
JournalBuild build_own(const std::string& dir, const RunLayout& layout, OutputFormat format,
                       const std::atomic<bool>* stop = nullptr) {
  try {
    JournalBuild built = build_from_journals(dir, layout, format, false, stop);
    remove_journals(dir);
    return built;
  } catch (const Error& e) {
    throw Error(e.what(), Error::Kind::Runtime);
  }
}

}  // namespace

void RunRecorder::finish(const std::atomic<bool>* abandon) {
  if (tsv_) tsv_->close();
  if (journal_) {
    journal_->close();
    build_own(dir_, layout_, format_, abandon);
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
    JournalBuild built = build_own(dir_, layout_, format_);
    return Saved{std::move(built.spikes), built.last_ms};
  } catch (const std::exception&) {
    // The journals stay; `spikeq recover` can build the files once the cause is fixed.
    return std::nullopt;
  }
}

std::vector<std::string> RunRecorder::files() const { return run_data_files(dir_); }

nlohmann::json read_run_manifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  if (!exists(path)) throw Error(dir + ": not a run directory (no manifest.json)");
  const std::string text = read_input_file(path);
  try {
    nlohmann::json manifest = nlohmann::json::parse(text);
    if (!manifest.is_object()) throw Error(path + ": not a JSON object");
    return manifest;
  } catch (const nlohmann::json::exception&) {
    throw Error(path + ": not valid JSON");
  }
}

std::vector<std::string> convert_run_directory(const std::string& dir, OutputFormat to) {
  nlohmann::json manifest = read_run_manifest(dir);
  const std::string status = manifest.contains("status") && manifest["status"].is_string() ? manifest["status"].get<std::string>() : "";
  if (parse_status(status) == RunStatus::Running || exists(dir + "/" + JournalSink::kSpikes))
    throw Error(dir + ": the run did not finish (status " + status + "); run `spikeq recover " + dir + "` first");
  const RunLayout layout = RunLayout::from_manifest(manifest, dir + "/manifest.json");
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
  manifest["files"] = run_data_files(dir);
  write_manifest(dir, manifest);
  return written;
}

}  // namespace spikeq::io
