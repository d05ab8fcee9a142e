// spikeq run NETDEF: simulate, write DIR/manifest.json and the spikes (SONATA
// spikes.h5 and/or spikes.tsv, engine/io/run_directory.h), print a one-screen summary
// with the theory value next to each measured rate.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <span>

#include <tbb/info.h>
#include <unistd.h>

#include "commands.h"
#include "flags.h"
#include "engine/core/thread_allowance.h"
#include "engine/io/manifest.h"
#include "engine/core/memory_estimate.h"
#include "engine/core/network.h"
#include "engine/core/rank_part.h"
#include "engine/batch/progress.h"
#include "engine/io/run_cleanup.h"
#include "engine/io/run_directory.h"
#include "engine/io/run_lock.h"
#include "engine/batch/single_run.h"
#include "engine/batch/simulate.h"
#include "engine/core/comm_epoch_exchange.h"
#include "engine/comm/agree.h"
#include "engine/comm/session.h"
#include "engine/core/stop_check.h"
#include "engine/stepped/stepped_plan.h"
#include "engine/theory/theory.h"
#include "netdefs/error.h"
#include "netdefs/format.h"
#include "netdefs/limits.h"
#include "netdefs/loader.h"
#include "netdefs/sweep_points.h"
#include "run_batch.h"
#include "run_command.h"

namespace spikeq::cli {
namespace {

// SIGINT/SIGTERM: the first stops the simulation (or the network build), whose
// files are then built; a signal during that build, or a second one, abandons it
// and keeps the journals for `spikeq recover`. Lock-free atomics only.
std::atomic<bool> g_stop{false};
std::atomic<bool> g_abandon{false};
std::atomic<bool> g_building{false};  // set once the simulation is over
std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  g_signal.store(sig);
  const bool again = g_stop.exchange(true);
  if (again || g_building.load()) g_abandon.store(true);
}

int exit_code_for_signal() { return exit_code_for(g_signal.load()); }

std::string default_out_dir(const std::string& netdef) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string base = "runs/" + std::filesystem::path(netdef).stem().string() + "-" + stamp;
  std::string dir = base;
  for (int k = 2; std::filesystem::exists(dir); ++k) dir = base + "-" + std::to_string(k);
  return dir;
}

void print_summary(const Network& net, const RunStats& stats, const RunInfo& info, const std::string& dir) {
  const NetworkSpec& spec = net.spec();
  const std::vector<PopulationTheory> theory = predict(spec);
  char engine[96] = "event-driven";
  if (spec.simulation.mode == SimMode::Stepped)
    std::snprintf(engine, sizeof engine, "stepped, dt %g ms, %s", spec.simulation.dt_ms,
                  spec.simulation.integrator == Integrator::Exact ? "exact" : "Euler-Maruyama");
  std::printf("%s: %s, %g ms simulated (%s, seed %llu)\n", spec.name.c_str(), status_name(info.status),
              stats.simulated_ms, engine, static_cast<unsigned long long>(spec.seed));
  std::printf("  %-12s %8s %12s %12s %12s  %s\n", "population", "nodes", "spikes", "rate (Hz)", "theory (Hz)", "formula");
  const double seconds = stats.simulated_ms * 1e-3;
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& p = spec.populations[i];
    const double rate = seconds > 0 ? static_cast<double>(stats.spikes_per_population[i]) / (static_cast<double>(p.size) * seconds) : 0;
    char th[32] = "-", count[32] = "-", measured[32] = "-";
    if (theory[i].converged) std::snprintf(th, sizeof th, "%.4g", theory[i].rate_hz);
    if (stats.population_simulated[i]) {
      std::snprintf(count, sizeof count, "%llu", static_cast<unsigned long long>(stats.spikes_per_population[i]));
      std::snprintf(measured, sizeof measured, "%.4g", rate);
    }
    std::printf("  %-12s %8llu %12s %12s %12s  %s\n", p.name.c_str(), static_cast<unsigned long long>(p.size), count,
                measured, th, stats.population_simulated[i] ? (theory[i].converged ? theory[i].formula.c_str() : "")
                                                            : "(feeds independent trains only; not generated)");
  }
  const double events = static_cast<double>(stats.events());
  std::printf("  wall %.3f s (build %.3f s); %.4g events (%.4g recurrent + %.4g external pulses), %.3g events/s\n",
              info.wall_s, info.build_s, events, static_cast<double>(stats.recurrent_pulses),
              static_cast<double>(stats.external_pulses), info.wall_s > 0 ? events / info.wall_s : 0.0);
  std::printf("  output: %s/\n", dir.c_str());
}

// Writes DIR/manifest.json with `info` (status "failed" and `error`), never
// throwing: the failure is what gets reported, not a manifest that could not follow
// (a full disk); the "running" manifest then stays for `spikeq recover`.
void record_failure(const std::string& dir, const nlohmann::json& manifest) {
  try {
    write_manifest(dir, manifest);
  } catch (const Error&) {
  }
}

const char* kOutOfMemoryHint = " (lower the network size or --memory-limit-mb)";

// One network over the ranks of an MPI job: each rank builds its part of the
// network (the edges into its share of the nodes, engine/core/rank_part.h) and
// simulates that share; the epoch exchange carries the spikes between them and
// rank 0 alone writes DIR.
struct Split {
  comm::Comm& comm;
  EpochExchange& exchange;
};

// Collective: whether every rank built its network, so that no rank simulates
// while another stopped (the others would wait for it). A part's build already
// agrees on a stop (engine/core/network.h), so the ranks answer alike.
bool every_rank_built(comm::Comm& comm, bool built_here) {
  const std::uint8_t mine = built_here ? 1 : 0;
  std::vector<std::uint8_t> all;
  std::vector<std::size_t> counts;
  comm.all_gather<std::uint8_t>(std::span<const std::uint8_t>(&mine, 1), all, counts);
  return std::all_of(all.begin(), all.end(), [](std::uint8_t b) { return b == 1; });
}

unsigned run_threads(const RunOptions& opt) {
  return opt.threads > 0 ? static_cast<unsigned>(opt.threads) : static_cast<unsigned>(tbb::info::default_concurrency());
}

// One run into the locked, empty DIR. Signals: a stop during the network build
// records a run interrupted at 0 ms; during the simulation the driver stops
// (EventDriver: at the epoch reached) and the files are built; during that build
// (or a second signal) the build is abandoned and the journals kept for recover.
int run_one(const NetworkSpec& spec, const RunOptions& opt, const std::string& dir, std::uint64_t trial,
            const Split* split = nullptr) {
  using clock = std::chrono::steady_clock;
  const std::uint64_t connectivity_trial = opt.redraw_connectivity ? trial : 0;
  RunInfo info;
  info.netdef_path = opt.netdef;
  info.started_utc = utc_now_iso8601();
  info.format = opt.format;
  info.trial = trial;
  info.status = RunStatus::Running;  // what `spikeq recover` finds if the process is killed
  write_manifest(dir, make_manifest(spec, connectivity_trial, RunStats{}, info));
  const auto t0 = clock::now();
  // One run: every thread builds the network and then simulates it.
  const unsigned threads = run_threads(opt);
  const ThreadAllowance allow(threads);
  std::unique_ptr<const Network> built;
  try {
    const std::optional<NetworkPart> part = split ? std::optional(rank_part(spec, split->comm)) : std::nullopt;
    built = std::make_unique<const Network>(spec, connectivity_trial, &g_stop, threads, part ? &*part : nullptr);
    if (split && !every_rank_built(split->comm, true)) throw Stopped();
  } catch (const Stopped&) {
    if (split && built == nullptr) every_rank_built(split->comm, false);
    info.status = RunStatus::Interrupted;
    info.wall_s = info.build_s = std::chrono::duration<double>(clock::now() - t0).count();
    info.finished_utc = utc_now_iso8601();
    write_manifest(dir, make_manifest(spec, connectivity_trial, RunStats{}, info));
    std::fprintf(stderr, "spikeq: interrupted while building the network; nothing was simulated (%s/manifest.json)\n",
                 dir.c_str());
    return exit_code_for_signal();
  } catch (const std::bad_alloc&) {
    info.status = RunStatus::Failed;
    info.error = "out of memory while building the network";
    info.finished_utc = utc_now_iso8601();
    record_failure(dir, make_manifest(spec, connectivity_trial, RunStats{}, info));
    throw Error(info.error + kOutOfMemoryHint, Error::Kind::Runtime);
  } catch (const Error& e) {
    info.status = RunStatus::Failed;
    info.error = e.what();
    info.finished_utc = utc_now_iso8601();
    record_failure(dir, make_manifest(spec, connectivity_trial, RunStats{}, info));
    throw;
  }
  const Network& net = *built;
  info.build_s = std::chrono::duration<double>(clock::now() - t0).count();

  // A progress line on a terminal (a long run otherwise shows nothing until it ends).
  ProgressMeter meter({spec.duration_ms});
  std::unique_ptr<ProgressDisplay> display;
  if (!opt.quiet && ::isatty(STDERR_FILENO) == 1) display = std::make_unique<ProgressDisplay>(meter, stderr, true);
  SingleRun how;
  how.format = parse_output_format(opt.format);
  how.stop = &g_stop;
  how.abandon_build = &g_abandon;
  how.progress = &meter;
  how.building = &g_building;  // from then on a signal abandons the file build
  how.threads = threads;
  if (split) how.exchange = &split->exchange;
  meter.started(0);
  // A caller that watches (the Python module) sees the same meter.
  struct Unwatch {
    const RunOptions& opt;
    ~Unwatch() {
      if (opt.watch_progress) opt.watch_progress(nullptr);
    }
  } unwatch{opt};
  if (opt.watch_progress) opt.watch_progress(&meter);
  SingleRunResult result;
  try {
    result = record_run(net, dir, how, info);
  } catch (const Error& e) {
    display.reset();
    if (e.kind() == Error::Kind::Runtime && info.error.rfind("out of memory", 0) == 0)
      throw Error(info.error + kOutOfMemoryHint, Error::Kind::Runtime);
    throw;
  }
  meter.finished(0, result.stats.simulated_ms, result.stats.events());
  display.reset();  // its last line before the summary
  const RunStats& stats = result.stats;
  const bool files_built = result.files_built;
  if (!opt.quiet) print_summary(net, stats, info, dir);
  if (!files_built) {
    std::fprintf(stderr, "spikeq: interrupted while building the files; the journals hold everything up to %g ms: "
                 "run `spikeq recover %s`\n", stats.simulated_ms, dir.c_str());
    return exit_code_for_signal();
  }
  if (stats.interrupted) {
    std::fprintf(stderr, "spikeq: interrupted at %g ms; output up to then is in %s/\n", stats.simulated_ms, dir.c_str());
    return exit_code_for_signal();
  }
  return 0;
}

int run_share(const NetworkSpec& spec, const RunOptions& opt, std::uint64_t trial, const Split& split);

// One network over the ranks of an MPI job (README, "Running on a cluster"):
// all ranks check, rank 0 prepares and locks DIR, then each simulates its share.
// A failure on one rank cannot be waited out by the others (they would block in
// the next exchange): it prints its line and ends the job (MPI_Abort), after
// rank 0 has written what it could (a "failed" manifest; journals for recover).
int run_split(const NetworkSpec& spec, const RunOptions& opt, std::uint64_t trial, std::uint64_t limit,
              comm::Comm& comm) {
  std::string dir = opt.out_dir.empty() ? default_out_dir(opt.netdef) : opt.out_dir;
  comm.broadcast(dir);  // rank 0's name for DIR (the default holds a time stamp)
  std::optional<RunLock> lock;
  comm::agree(comm, [&] {
    RunShape shape = batch_shape(spec, 1, 0, false);  // as check_memory's default, for this rank's part
    shape.rank = static_cast<std::uint64_t>(comm.rank());
    shape.ranks = static_cast<std::uint64_t>(comm.size());
    check_memory(spec, opt.netdef, limit, shape);
    if (!comm.is_root()) return;
    create_run_directory(dir);
    lock.emplace(RunLock::acquire(dir));
    prepare_run_directory(dir, opt.force);
  });
  CommEpochExchange exchange(comm);
  const Split split{comm, exchange};
  try {
    return comm.is_root() ? run_one(spec, opt, dir, trial, &split) : run_share(spec, opt, trial, split);
  } catch (const std::exception& e) {
    const bool bad_input = dynamic_cast<const Error*>(&e) && static_cast<const Error&>(e).kind() == Error::Kind::BadInput;
    if (comm.is_root())
      std::fprintf(stderr, "spikeq: %s\n", e.what());
    else
      std::fprintf(stderr, "spikeq: rank %d: %s\n", comm.rank(), e.what());
    comm.abort(bad_input ? 2 : 1);
  }
}

// A rank other than 0 of a network split over ranks: builds its part of the
// network, simulates its share and hands its output to rank 0 through the
// exchange; it writes nothing. Exit code as rank 0's: 0, or the signal's when stopped.
int run_share(const NetworkSpec& spec, const RunOptions& opt, std::uint64_t trial, const Split& split) {
  struct Discard : RunSink {
    void spikes(std::span<const SpikeRecord>) override {}
    void samples(std::span<const VoltageSample>) override {}
  } discard;
  const unsigned threads = run_threads(opt);
  const ThreadAllowance allow(threads);
  std::unique_ptr<const Network> net;
  try {
    const NetworkPart part = rank_part(spec, split.comm);
    net = std::make_unique<const Network>(spec, opt.redraw_connectivity ? trial : 0, &g_stop, threads, &part);
  } catch (const Stopped&) {
  }
  if (!every_rank_built(split.comm, net != nullptr)) return exit_code_for_signal();
  const RunStats stats = simulate(*net, trial, discard, &g_stop, threads, &split.exchange);
  return stats.interrupted ? exit_code_for_signal() : 0;
}

}  // namespace

NetworkSpec load_run_netdef(const RunOptions& opt) {
  // Engine flags are --set overrides, so the manifest's resolved netdef records them.
  std::vector<std::string> sets = opt.sets;
  sets.insert(sets.end(), opt.flag_sets.begin(), opt.flag_sets.end());
  if (!opt.mode.empty()) sets.push_back(opt.mode == "stepped" ? "simulation.mode=STEPPED" : "simulation.mode=EVENT");
  if (!opt.integrator.empty())
    sets.push_back(opt.integrator == "exact" ? "simulation.integrator=EXACT" : "simulation.integrator=EULER_MARUYAMA");
  NetworkSpec spec = opt.netdef_text ? load_netdef_text(*opt.netdef_text, opt.netdef, sets)
                                     : load_netdef_file(opt.netdef, sets);
  for (const std::string& text : opt.sweeps) spec.sweeps.push_back(netdef::parse_sweep_argument(text));
  if (!opt.sweeps.empty())
    netdef::check_sweep_size(netdef::sweep_point_count(spec.sweeps), spec.populations.size() + spec.projections.size(),
                             opt.netdef);
  return spec;
}

int run_command(const RunOptions& opt) {
  g_stop.store(false);  // a process may run several (the Python module)
  g_abandon.store(false);
  g_building.store(false);
  g_signal.store(0);
  std::signal(SIGINT, on_signal);  // from here on, a signal ends the run cleanly
  std::signal(SIGTERM, on_signal);
  // Started by mpirun with several ranks: every rank reads and checks the same
  // input and all agree before anything is written (engine/comm/agree.h).
  comm::Comm& comm = comm::Session::world();
  NetworkSpec spec;
  comm::agree(comm, [&] {
    spec = load_run_netdef(opt);
    const bool batch = spec.simulation.trials > 1 || !spec.sweeps.empty();
    if (batch && opt.trial_given) throw Error("--trial runs one trial alone: not with --trials > 1 or a sweep");
    if (batch)  // trials x threads in flight, up front (run_batch_command then checks each point alone)
      check_memory(spec, opt.netdef, memory_limit_bytes(opt.memory_limit_mb),
                   batch_shape(spec, netdef::sweep_point_count(spec.sweeps), opt.threads, opt.redraw_connectivity));
  });
  if (spec.simulation.trials > 1 || !spec.sweeps.empty()) {
    // Several runs: the nested layout DIR/[point-PPPP/]trial-KKKK/ (README, "Trials and sweeps").
    cli::BatchRunOptions batch;
    batch.netdef = opt.netdef;
    batch.dir = opt.out_dir.empty() ? default_out_dir(opt.netdef) : opt.out_dir;
    comm.broadcast(batch.dir);  // over ranks: rank 0's name for DIR (the default holds a time stamp)
    batch.format = parse_output_format(opt.format);
    batch.threads = static_cast<unsigned>(opt.threads);
    batch.redraw_connectivity = opt.redraw_connectivity;
    batch.quiet = opt.quiet;
    batch.memory_limit_bytes = memory_limit_bytes(opt.memory_limit_mb);
    batch.abandon_builds = &g_abandon;
    batch.watch_progress = opt.watch_progress;
    batch.comm = &comm;
    std::optional<RunLock> lock;  // held until the indexes are written
    return run_batch_command(spec, batch, g_stop, g_signal, [&] {
      create_run_directory(batch.dir);
      lock.emplace(RunLock::acquire(batch.dir));
      prepare_run_directory(batch.dir, opt.force);
    });
  }
  // One run (trial 0, or --trial K): today's flat layout DIR/spikes.h5 ...
  const std::uint64_t trial = opt.trial_given ? opt.trial : 0;
  if (spec.simulation.mode == SimMode::Stepped) check_step_grid(spec);  // before any output exists
  const std::uint64_t limit = memory_limit_bytes(opt.memory_limit_mb);
  if (comm.size() > 1) return run_split(spec, opt, trial, limit, comm);
  check_memory(spec, opt.netdef, limit);
  if (g_stop.load()) {  // a signal while the netdef was read: nothing exists yet
    std::fprintf(stderr, "spikeq: interrupted before the run started; nothing was written\n");
    return exit_code_for_signal();
  }
  const std::string dir = opt.out_dir.empty() ? default_out_dir(opt.netdef) : opt.out_dir;
  create_run_directory(dir);
  const RunLock lock = RunLock::acquire(dir);  // held until the last manifest is written
  prepare_run_directory(dir, opt.force);
  return run_one(spec, opt, dir, trial);
}

namespace {

// -o names a directory: an existing file is refused here, not as "not empty".
CLI::Validator output_directory_check() {
  return CLI::Validator(
      [](std::string& dir) -> std::string {
        std::error_code ec;
        if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
          return netdef::quote(dir) + " exists and is not a directory";
        return {};
      },
      "DIR");
}

}  // namespace

Subcommand add_run(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Simulate a netdef (exact event-driven, or time-stepped) and record spikes");
  auto opt = std::make_shared<RunOptions>();
  sub->add_option("netdef", opt->netdef, "Netdef file (.pbtxt)")->required();
  sub->add_option("-o,--out", opt->out_dir, "Output directory (default: runs/NAME-TIMESTAMP)")
      ->check(output_directory_check());
  // Numbers: tools/spikeq/flags.h (the --set parser; ranges of netdefs/limits.h).
  add_override_flag(*sub, "--seed", "seed", opt->flag_sets, "Master seed, any 64-bit value (is --set seed=SEED)");
  add_override_flag(*sub, "--duration", "duration_ms", opt->flag_sets, "Simulated time, ms (is --set duration_ms=MS)");
  sub->add_option("--set", opt->sets, "Override a field: PATH=VALUE (repeatable)");
  sub->add_option("--mode", opt->mode, "Engine: event (exact) or stepped (time grid); overrides simulation.mode")
      ->check(CLI::IsMember({"event", "stepped"}));
  add_override_flag(*sub, "--dt", "simulation.dt_ms", opt->flag_sets,
                    "Stepped mode: grid step, ms (is --set simulation.dt_ms=MS)");
  sub->add_option("--integrator", opt->integrator, "Stepped mode: euler (Euler-Maruyama) or exact (OU step)")
      ->check(CLI::IsMember({"euler", "exact"}));
  sub->add_option("--format", opt->format, "Spike (and voltage) files: h5 (SONATA, default), tsv or both")
      ->check(CLI::IsMember({"h5", "tsv", "both"}));
  add_override_flag(*sub, "--trials", "simulation.trials", opt->flag_sets,
                    "Independent trials, run in parallel (is --set simulation.trials=N)");
  add_count_flag(*sub, "--threads", opt->threads, 1, limits::kMaxThreads,
                 "more threads than cores only add stacks and contention", "Threads: for trials and sweep points first; "
                 "what is left splits each network (one run: all of them), 1 to 1024 (default: every core); "
                 "spikes do not depend on it");
  add_count_flag(*sub, "--trial", opt->trial, 0, limits::kMaxTrials - 1, "trials are numbered below 1e6",
                 "Run only trial K (RNG streams of (seed, K)), in the flat layout", &opt->trial_given);
  sub->add_flag("--redraw-connectivity", opt->redraw_connectivity,
                "Draw each trial's connectivity from its own streams (default: one frozen network)");
  sub->add_option("--sweep", opt->sweeps, "Sweep a --set path: PATH=FROM:TO:COUNT or PATH=V1,V2,... (repeatable)");
  sub->add_flag("--force", opt->force, "Overwrite a non-empty output directory");
  sub->add_flag("-q,--quiet", opt->quiet, "Print nothing on success");
  add_number_flag(*sub, "--memory-limit-mb", opt->memory_limit_mb, {0, limits::kMaxMemoryLimitMb, true},
                  "Refuse networks estimated above this, MB (default: available memory)");
  return {sub, [opt] { return run_command(*opt); }};
}

}  // namespace spikeq::cli
