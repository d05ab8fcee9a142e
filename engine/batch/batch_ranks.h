// A batch of trials and sweep points (engine/batch/trials.h) spread over the
// ranks of an MPI job (engine/comm/comm.h): `mpirun -np R spikeq run NETDEF
// --sweep ... --trials N [--threads T]`.
//
// Every rank runs the same batch code on its own TBB arena of T threads; only
// where tasks come from changes. Rank 0 hands tasks out one at a time, in task
// order (point-major, then trial), to whichever worker of whichever rank asks
// first — its own workers included — so ranks stay busy when points take
// unequal time, and a stopped batch leaves a tail of tasks not started, as on
// one process. A task's spikes depend only on (point, trial) (its RNG streams),
// never on the rank or thread that runs it, so the files are those of the
// one-process run whatever the assignment; each task's result (status, counts,
// summary) travels to rank 0 bit for bit (engine/batch/trial_wire.h), which
// then holds the whole batch's results and writes the indexes alone.
//
// The protocol is point-to-point and never blocks (Comm::send/poll): the
// thread that made the MPI session runs a polling loop while the workers run
// on another. Non-root ranks ask for tasks, return results, and send a
// heartbeat with their running tasks' progress every half second (rank 0's
// one progress line shows every rank's tasks); rank 0 answers, pings them
// every second, and ends when every rank has said it is done.
//
// Stopping. A signal on any rank (mpirun turns SIGINT/SIGTERM into SIGTERM on
// every rank) or a failed task anywhere stops every rank, as one process stops
// all its tasks: rank 0 tells the others, running trials end at their next
// epoch with their files built and their manifests "interrupted", tasks not
// handed out stay not_started, and rank 0 learns the signal for the exit code.
//
// A rank that dies. mpirun (and srun --kill-on-bad-exit) end the whole job
// when a rank is killed: finished tasks are complete on disk, the killed
// ones' journals are there for `spikeq recover DIR`, which also rebuilds the
// indexes. Under a launcher that lets the others run on, a peer silent for
// longer than `silence_s` (10 s) is taken for dead: rank 0 marks that rank's running
// tasks failed and stops the rest (the caller writes the indexes, says so in
// one line and ends the job: lost()); a rank that loses rank 0 stops its
// tasks, says so and ends the job. No rank ever waits for a peer without a
// clock running.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "engine/batch/trials.h"
#include "engine/comm/comm.h"

namespace spikeq::inline batch {

struct RanksOptions {
  // This rank's signal number, set by its handler: a non-root rank reports it,
  // rank 0 records the first a rank reports when it has none of its own.
  std::atomic<int>* signal = nullptr;
  // A peer silent this long is taken for dead (the environment variable
  // SPIKEQ_MPI_SILENCE_S overrides it). Heartbeats come from the polling
  // thread, which does nothing else, every half second whatever the workers
  // do, so 10 s of silence means a rank that is gone; time in which this rank
  // itself did not run (a suspended job) is not counted.
  double silence_s = 10;
  std::string dir;  // the batch's output directory, for messages
};

// The silence limit: SPIKEQ_MPI_SILENCE_S if set (seconds, > 0), else `fallback`.
double silence_limit_s(double fallback);

class BatchOverRanks {
 public:
  BatchOverRanks(comm::Comm& world, RanksOptions options);
  ~BatchOverRanks();

  // Every rank calls it with the same points and options (options.tasks is
  // this object's). Rank 0 gets every task's result, aggregates included;
  // another rank its own tasks' only, and ends the job itself if rank 0 is lost.
  BatchResult run(const std::vector<BatchPoint>& points, const BatchOptions& options);

  // Rank 0, after run: the ranks taken for dead. Non-empty: their tasks are
  // failed in the result, and the job must end with Comm::abort once the
  // indexes are written (MPI_Finalize would wait for them forever).
  const std::vector<int>& lost() const { return lost_; }

 private:
  comm::Comm comm_;  // the world's ranks, this protocol's own messages
  RanksOptions options_;
  std::vector<int> lost_;
};

}  // namespace spikeq::batch
