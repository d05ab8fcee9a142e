// Lets oneTBB run as many threads as a run asked for. oneTBB caps its workers at
// the cores this process may run on (its affinity mask; under mpirun, one core
// per rank by default), and then prints a warning for every larger arena and
// runs it short-handed. `--threads T` is the user's choice: more threads than
// cores only oversubscribe, and no output depends on T. Alive for as long as
// the run's arenas are used.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <cstddef>

namespace spikeq {

class ThreadAllowance {
 public:
  explicit ThreadAllowance(unsigned threads)
      : control_(tbb::global_control::max_allowed_parallelism,
                 std::max<std::size_t>(threads, static_cast<std::size_t>(tbb::info::default_concurrency()))) {}

 private:
  tbb::global_control control_;
};

}  // namespace spikeq
