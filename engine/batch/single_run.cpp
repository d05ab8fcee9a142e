#include "engine/batch/single_run.h"

#include <chrono>
#include <memory>
#include <new>

#include "engine/batch/simulate.h"
#include "engine/core/stop_check.h"
#include "netdefs/error.h"

namespace spikeq::inline batch {
namespace {

// Writes the manifest of a failure, never throwing: the failure is what gets
// reported, not a manifest that could not follow (a full disk); the "running"
// manifest then stays for `spikeq recover`.
void record_failure(const std::string& dir, const nlohmann::json& manifest) {
  try {
    write_manifest(dir, manifest);
  } catch (const Error&) {
  }
}

}  // namespace

SingleRunResult record_run(const Network& net, const std::string& dir, const SingleRun& how, RunInfo& info) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const auto wall_s = [&] { return info.build_s + std::chrono::duration<double>(Clock::now() - t0).count(); };
  SingleRunResult result;
  info.format = format_name(how.format);
  std::unique_ptr<RunRecorder> made;
  try {
    made = std::make_unique<RunRecorder>(net, dir, how.format);  // 1 MiB buffers
  } catch (const std::bad_alloc&) {
    info.status = RunStatus::Failed;
    info.error = "out of memory while opening the output files";
    info.finished_utc = utc_now_iso8601();
    record_failure(dir, make_manifest(net, RunStats{}, info));
    throw Error(info.error, Error::Kind::Runtime);
  }
  RunRecorder& recorder = *made;
  info.status = RunStatus::Running;
  info.files = recorder.files();
  write_manifest(dir, make_manifest(net, RunStats{}, info));

  // A failure: the files are built from what was recorded, the manifest says why.
  const auto fail = [&](const std::string& error) {
    if (const auto saved = recorder.finish_after_failure()) {
      // The driver's counts are lost with it; say what the files hold.
      result.stats.spikes_per_population = saved->spikes;
      result.stats.simulated_ms = saved->last_ms;
      result.stats.population_simulated = net.spec().recording.spikes_from;
    }
    info.status = RunStatus::Failed;
    info.error = error;
    info.finished_utc = utc_now_iso8601();
    info.files = recorder.files();
    info.wall_s = wall_s();
    record_failure(dir, make_manifest(net, result.stats, info));
  };
  try {
    ProgressSink sink(recorder, how.progress, how.task);
    result.stats = simulate(net, info.trial, how.progress ? static_cast<RunSink&>(sink) : recorder, how.stop,
                            how.threads, how.exchange);
    if (how.building) how.building->store(true);
    try {
      recorder.finish(how.abandon_build);
    } catch (const Stopped&) {
      result.files_built = false;  // the journals stay, whole
    }
  } catch (const std::bad_alloc&) {
    fail("out of memory while simulating");
    throw Error(info.error, Error::Kind::Runtime);
  } catch (const Error& e) {
    fail(e.what());
    throw;
  }
  info.files = recorder.files();
  info.wall_s = wall_s();
  info.finished_utc = utc_now_iso8601();
  info.status = result.stats.interrupted || !result.files_built ? RunStatus::Interrupted : RunStatus::Complete;
  result.manifest = make_manifest(net, result.stats, info);
  write_manifest(dir, result.manifest);
  return result;
}

}  // namespace spikeq::batch
