#include "engine/comm/session.h"

#include <cstdlib>

#if SPIKEQ_WITH_MPI
#include <mpi.h>
#endif

namespace spikeq::comm {
namespace {

Comm* g_world = nullptr;  // the live Session's

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int env_int(std::initializer_list<const char*> names, int fallback) {
  for (const char* name : names)
    if (const char* v = env(name)) return std::atoi(v);
  return fallback;
}

}  // namespace

bool compiled_with_mpi() { return SPIKEQ_WITH_MPI != 0; }

bool launched_by_mpi() { return env("OMPI_COMM_WORLD_SIZE") || env("PMIX_RANK") || env("PMI_RANK"); }

Session::Session([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
  if (!launched_by_mpi()) return;
  launcher_rank_ = env_int({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}, 0);
#if SPIKEQ_WITH_MPI
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  initialized_ = true;
  static Comm world;
  world = Comm::world_of_mpi();
  g_world = &world;
#else
  const int ranks = env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"}, 1);
  if (ranks > 1)
    refusal_ = "this spikeq was built without MPI (SPIKEQ_MPI=OFF, or libopenmpi-dev missing), so it cannot be one of " +
               std::to_string(ranks) + " ranks: start it without mpirun, or rebuild with MPI";
#endif
}

Session::~Session() {
#if SPIKEQ_WITH_MPI
  if (!initialized_) return;
  *g_world = Comm();  // its queued sends leave first (Comm::Impl)
  g_world = nullptr;
  MPI_Finalize();
#endif
}

Comm& Session::world() {
  if (g_world) return *g_world;
  static Comm one_process;
  return one_process;
}

}  // namespace spikeq::comm
