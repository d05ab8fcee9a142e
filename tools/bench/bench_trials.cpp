// spikeq_bench_trials: parallel speed-up of independent trials (engine/batch/trials.h).
//
//   spikeq_bench_trials NETDEF [--trials N] [--threads T1,T2,...] [--duration MS]
//                       [--repeat R] [--set PATH=VALUE ...]
//
// Runs the same N trials (default 8) with each thread count (default 1,2), as
// `spikeq run --trials N --threads T` does: files written (SONATA h5, into a
// temporary directory removed afterwards), per-trial summaries computed. Each
// configuration is run R times (default 1) and the fastest wall time kept.
// Reports wall time, events per second, and the speed-up over the first thread
// count; prints the 1-minute load average first, since on a shared machine a
// speed-up means nothing unless the cores were idle.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/batch/trials.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"

namespace {

std::vector<unsigned> parse_list(const char* text) {
  std::vector<unsigned> out;
  for (const char* p = text; *p;) {
    char* end = nullptr;
    out.push_back(static_cast<unsigned>(std::strtoul(p, &end, 10)));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p) break;
  }
  return out;
}

double load_average() {
  double load = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1;
    std::fclose(f);
  }
  return load;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: spikeq_bench_trials NETDEF [--trials N] [--threads 1,2] [--duration MS] "
                         "[--repeat R] [--set PATH=VALUE ...]\n");
    return 2;
  }
  const std::string netdef = argv[1];
  std::vector<std::string> sets;
  std::uint32_t trials = 8;
  std::vector<unsigned> threads = {1, 2};
  int repeat = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--trials") trials = static_cast<std::uint32_t>(std::atoi(argv[i + 1]));
    else if (flag == "--threads") threads = parse_list(argv[i + 1]);
    else if (flag == "--duration") sets.push_back(std::string("duration_ms=") + argv[i + 1]);
    else if (flag == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--set") sets.push_back(argv[i + 1]);
    else {
      std::fprintf(stderr, "spikeq_bench_trials: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    const spikeq::NetworkSpec spec = spikeq::load_netdef_file(netdef, sets);
    const std::filesystem::path tmp =
        std::filesystem::temp_directory_path() / ("spikeq_bench_trials-" + std::to_string(::getpid()));
    std::printf("%s: %u trials of %g ms; load average (1 min) %.2f before\n", netdef.c_str(), trials,
                spec.duration_ms, load_average());
    double base_wall = 0;
    for (unsigned t : threads) {
      double best = 0;
      std::uint64_t events = 0;
      for (int r = 0; r < repeat; ++r) {
        std::filesystem::remove_all(tmp);
        spikeq::BatchOptions o;
        o.threads = t;
        o.trials = trials;
        const spikeq::BatchResult res = spikeq::run_batch({spikeq::BatchPoint{spec, {}, tmp.string()}}, o);
        if (const auto* failed = res.first_failure()) throw spikeq::Error(failed->error);
        events = 0;
        for (const auto& trial : res.points[0].trials) events += trial.stats.events();
        if (r == 0 || res.wall_s < best) best = res.wall_s;
      }
      if (base_wall == 0) base_wall = best;
      std::printf("  threads %u: wall %.3f s, %.4g events/s, speed-up %.2f\n", t, best,
                  static_cast<double>(events) / best, base_wall / best);
      std::fflush(stdout);
    }
    std::filesystem::remove_all(tmp);
    std::printf("load average (1 min) %.2f after\n", load_average());
  } catch (const spikeq::Error& e) {
    std::fprintf(stderr, "spikeq_bench_trials: %s\n", e.what());
    return e.kind() == spikeq::Error::Kind::Runtime ? 1 : 2;
  }
  return 0;
}
