// The MPI session of a spikeq process (engine/comm/comm.h): initialised when the
// process was started by an MPI launcher, finalised when the Session ends.
//
// A process started without a launcher never initialises MPI: `spikeq` alone
// runs exactly as a build without MPI does (no MPI_Init singleton, which would
// cost a start-up of the MPI runtime on every command). Started by one, it
// initialises with MPI_THREAD_FUNNELED: only the thread that made the Session
// calls MPI (engine threads, TBB workers, never do).
//
// Launchers recognised by their environment: OpenMPI's mpirun
// (OMPI_COMM_WORLD_SIZE), PMIx (PMIX_RANK: srun --mpi=pmix, prterun), PMI
// (PMI_RANK: MPICH's hydra, srun --mpi=pmi2).
#pragma once

#include <string>

#include "engine/comm/comm.h"

namespace spikeq::comm {

class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The communicator of every rank of the job: the live Session's, or (no
  // Session, no launcher, no MPI in this build) one process of its own.
  static Comm& world();

  // Non-empty when this process cannot take part in the job it was started in: a
  // build without MPI (SPIKEQ_MPI=OFF) started by a launcher with more than one
  // rank, where each process would run the whole job into the same files.
  const std::string& refusal() const { return refusal_; }
  // That process's rank as the launcher numbered it (0 when unknown).
  int launcher_rank() const { return launcher_rank_; }

 private:
  bool initialized_ = false;
  std::string refusal_;
  int launcher_rank_ = 0;
};

bool compiled_with_mpi();
bool launched_by_mpi();

}  // namespace spikeq::comm
