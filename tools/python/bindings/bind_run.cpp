// spikeq.run from Python: in memory (run_memory: the engine's drivers into
// MemorySinks, the arrays handed to NumPy without a copy) or into a run
// directory (run_directory: exactly `spikeq run`, the CLI's run_command). Both
// load the netdef as `spikeq run` does (cli::load_run_netdef: --set overrides,
// then the flags), release the GIL while the engine runs, turn SIGINT/SIGTERM
// into a stop at the next epoch (signal_guard.h), and report progress to an
// optional Python callable (progress_watch.h).
#include <chrono>
#include <csignal>
#include <mutex>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "engine/core/memory_estimate.h"
#include "engine/stepped/stepped_plan.h"
#include "engine/batch/sweep.h"
#include "memory_batch.h"
#include "netdefs/error.h"
#include "netdefs/flag_override.h"
#include "numpy_owner.h"
#include "progress_watch.h"
#include "run_command.h"
#include "signal_guard.h"

namespace spikeq::python {
namespace {

constexpr std::int64_t kMinResultBytes = std::int64_t{64} << 20;

struct RunFlags {
  std::vector<std::string> flag_sets;  // --seed, --duration, --dt, --trials as overrides
  std::string mode, integrator;        // "" = the netdef's
  std::vector<std::string> sweeps;     // --sweep arguments
  std::uint64_t threads = 0;
  bool redraw_connectivity = false;
  double memory_limit_mb = 0;
};

cli::RunOptions run_options(const NetdefSource& src, const RunFlags& f) {
  cli::RunOptions opt;
  opt.netdef = src.origin;
  opt.netdef_text = src.text;
  opt.sets = src.overrides;
  opt.flag_sets = f.flag_sets;
  opt.mode = f.mode;
  opt.integrator = f.integrator;
  opt.sweeps = f.sweeps;
  opt.threads = f.threads;
  opt.redraw_connectivity = f.redraw_connectivity;
  opt.memory_limit_mb = f.memory_limit_mb;
  return opt;
}


py::dict task_dict(MemoryTask& task, const NetworkSpec& spec) {
  py::dict d;
  d["point"] = task.point;
  d["trial"] = task.trial;
  d["status"] = status_name(task.status);
  d["error"] = task.error;
  d["manifest"] = task.manifest.is_null() ? std::string() : task.manifest.dump();
  py::dict spikes, buffers;
  py::list voltages;
  if (task.sink) {
    auto& pops = task.sink->populations();
    for (std::size_t p = 0; p < pops.size(); ++p) {
      if (!spec.recording.spikes_from[p]) continue;
      const std::string& name = spec.populations[p].name;
      // The addresses the engine wrote to: the arrays must point there (no copy).
      buffers[py::str(name)] = py::make_tuple(reinterpret_cast<std::uintptr_t>(pops[p].times_ms.data()),
                                              reinterpret_cast<std::uintptr_t>(pops[p].node_ids.data()));
      const Mapping t = pops[p].times_ms.release();
      const Mapping n = pops[p].node_ids.release();
      const auto count = static_cast<py::ssize_t>(t.count);
      spikes[py::str(name)] = py::make_tuple(owned_array<double>(t, {count}), owned_array<std::uint64_t>(n, {count}));
    }
    auto& probes = task.sink->probes();
    for (std::size_t k = 0; k < probes.size(); ++k) {
      MemorySink::Probe& probe = probes[k];
      const auto n = static_cast<py::ssize_t>(probe.columns.size());
      const Mapping t = probe.times_ms.release();
      const Mapping v = probe.v_mv.release();
      const auto rows = static_cast<py::ssize_t>(t.count);  // whole rows (MemorySink::finish)
      py::dict e;
      e["probe"] = k;
      e["population"] = spec.populations[probe.population].name;
      e["node_ids"] = py::array_t<std::uint64_t>(static_cast<py::ssize_t>(probe.columns.size()), probe.columns.data());
      e["times_ms"] = owned_array<double>(t, {rows});
      e["v_mv"] = owned_array<double>(v, {rows, n});
      voltages.append(e);
    }
  }
  d["spikes"] = spikes;
  d["voltages"] = voltages;
  d["buffers"] = buffers;
  return d;
}

py::dict run_memory(const NetdefSource& src, const RunFlags& flags, py::object progress, double period_s) {
  const cli::RunOptions opt = run_options(src, flags);
  const NetworkSpec spec = cli::load_run_netdef(opt);
  const std::uint64_t limit = memory_limit_bytes(flags.memory_limit_mb);
  const bool batch = spec.simulation.trials > 1 || !spec.sweeps.empty();
  std::vector<BatchPoint> points;
  if (!spec.sweeps.empty()) points = sweep_points(spec, spec.sweeps, "", src.origin);
  else points.push_back({spec, {}, ""});
  // What `spikeq run` checks before anything runs.
  const RunShape shape = batch ? batch_shape(spec, points.size(), flags.threads, flags.redraw_connectivity)
                               : RunShape{};
  if (batch) check_memory(spec, src.origin, limit, shape);
  for (const BatchPoint& p : points) {
    if (p.spec.simulation.mode == SimMode::Stepped) check_step_grid(p.spec);
    check_memory(p.spec, src.origin, limit);
  }
  const std::int64_t network_bytes = static_cast<std::int64_t>(
      std::min<std::uint64_t>(estimate_memory(spec, batch ? shape : RunShape{}).peak_bytes(), INT64_MAX / 2));

  MemoryBatchOptions mo;
  mo.netdef_path = src.origin;
  mo.threads = static_cast<unsigned>(flags.threads);
  mo.trials = spec.simulation.trials;
  mo.redraw_connectivity = flags.redraw_connectivity;
  // The results may use what the networks leave of the limit (at least 64 MiB).
  mo.memory_limit_bytes = std::max(kMinResultBytes, static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                        limit, INT64_MAX / 2)) - network_bytes);
  std::atomic<bool> stop{false};
  mo.stop = &stop;
  std::vector<double> durations;
  for (const BatchPoint& p : points) durations.insert(durations.end(), mo.trials, p.spec.duration_ms);

  ProgressWatch watch(progress, std::chrono::milliseconds(static_cast<long>(period_s * 1000)));
  MemoryBatchResult result;
  int received = 0;
  {
    py::gil_scoped_release free;
    StopOnSignal guard(stop);
    ProgressMeter meter(durations);
    mo.progress = &meter;
    watch.watch(&meter);
    try {
      result = run_memory_batch(points, mo);
    } catch (...) {
      watch.watch(nullptr);
      throw;
    }
    watch.watch(nullptr);
    received = guard.received();
  }
  reraise_sigterm(received);

  py::dict out;
  py::list tasks;
  for (MemoryTask& t : result.tasks) tasks.append(task_dict(t, points[t.point].spec));
  out["tasks"] = tasks;
  py::list point_list;
  for (const BatchPoint& p : points) {
    py::dict e;
    e["values"] = p.values;
    e["resolved_text"] = p.spec.resolved_text;
    point_list.append(e);
  }
  out["points"] = point_list;
  py::list sweeps;
  for (const SweepSpec& s : spec.sweeps) {
    py::dict e;
    e["name"] = s.name;
    e["paths"] = s.paths;
    e["values"] = s.values;
    e["scale"] = s.scale;
    sweeps.append(e);
  }
  out["sweeps"] = sweeps;
  out["trials"] = spec.simulation.trials;
  out["interrupted"] = result.interrupted && !result.first_failure() && !result.memory_exceeded;
  out["signal"] = received;
  out["threads"] = result.threads;
  out["wall_s"] = result.wall_s;
  out["mapped_bytes"] = result.peak_mapped_bytes;
  out["memory_limit_bytes"] = mo.memory_limit_bytes;
  out["memory_exceeded"] = result.memory_exceeded;
  py::object failure = py::none();
  if (const MemoryTask* f = result.first_failure()) {
    py::dict e;
    e["message"] = f->error;
    e["runtime"] = f->runtime_error;
    failure = e;
  }
  out["failure"] = failure;
  return out;
}

std::mutex g_directory_runs;  // run_command's stop flags are the process's own

py::dict run_directory(const NetdefSource& src, const RunFlags& flags, const std::string& out_dir,
                       const std::string& format, bool force, py::object progress, double period_s) {
  cli::RunOptions opt = run_options(src, flags);
  opt.out_dir = out_dir;
  opt.format = format;
  opt.force = force;
  opt.quiet = true;  // the package reports; stdout is not the notebook's
  ProgressWatch watch(progress, std::chrono::milliseconds(static_cast<long>(period_s * 1000)));
  if (watch.active()) opt.watch_progress = [&watch](const ProgressMeter* meter) { watch.watch(meter); };
  int code = 0;
  {
    py::gil_scoped_release free;
    std::lock_guard<std::mutex> one_at_a_time(g_directory_runs);
    KeepSignalHandlers keep;  // run_command installs its own for the run
    code = cli::run_command(opt);
  }
  reraise_sigterm(code == 143 ? SIGTERM : 0);
  py::dict out;
  out["exit_code"] = code;
  out["interrupted"] = code == 130 || code == 143;
  out["signal"] = code == 130 ? SIGINT : code == 143 ? SIGTERM : 0;
  return out;
}

RunFlags flags_from(const std::vector<std::string>& flag_sets, const std::string& mode, const std::string& integrator,
                    const std::vector<std::string>& sweeps, std::uint64_t threads, bool redraw, double memory_limit_mb) {
  return {flag_sets, mode, integrator, sweeps, threads, redraw, memory_limit_mb};
}

}  // namespace

void bind_run(py::module_& m) {
  m.def(
      "run_memory",
      [](const std::string& text, const std::string& origin, const std::vector<std::string>& overrides,
         const std::vector<std::string>& flag_sets, const std::string& mode, const std::string& integrator,
         const std::vector<std::string>& sweeps, std::uint64_t threads, bool redraw, double memory_limit_mb,
         py::object progress, double period_s) {
        return run_memory({text, origin, overrides},
                          flags_from(flag_sets, mode, integrator, sweeps, threads, redraw, memory_limit_mb), progress,
                          period_s);
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides"), py::arg("flag_sets"), py::arg("mode"),
      py::arg("integrator"), py::arg("sweeps"), py::arg("threads"), py::arg("redraw_connectivity"),
      py::arg("memory_limit_mb"), py::arg("progress"), py::arg("period_s"),
      "Runs in memory; a dict of tasks (point-major) with their manifests and NumPy arrays.");
  m.def(
      "run_directory",
      [](const std::string& text, const std::string& origin, const std::vector<std::string>& overrides,
         const std::vector<std::string>& flag_sets, const std::string& mode, const std::string& integrator,
         const std::vector<std::string>& sweeps, std::uint64_t threads, bool redraw, double memory_limit_mb,
         const std::string& out_dir, const std::string& format, bool force, py::object progress, double period_s) {
        return run_directory({text, origin, overrides},
                             flags_from(flag_sets, mode, integrator, sweeps, threads, redraw, memory_limit_mb),
                             out_dir, format, force, progress, period_s);
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides"), py::arg("flag_sets"), py::arg("mode"),
      py::arg("integrator"), py::arg("sweeps"), py::arg("threads"), py::arg("redraw_connectivity"),
      py::arg("memory_limit_mb"), py::arg("out_dir"), py::arg("format"), py::arg("force"), py::arg("progress"),
      py::arg("period_s"), "Runs `spikeq run` into out_dir; a dict with the exit code.");
  m.def(
      "flag_override",
      [](const std::string& flag, const std::string& path, const std::string& value) {
        return netdef::flag_override(flag, path, value);
      },
      "A CLI flag that stands for a --set override, checked as the CLI checks it.");
}

}  // namespace spikeq::python
