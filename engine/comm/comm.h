// Communication between the processes (ranks) of one spikeq job started by an MPI
// launcher (mpirun, srun): a thin wrapper over MPI's C API that the rest of the
// engine sees instead of <mpi.h>.
//
// Built with or without MPI (CMake option SPIKEQ_MPI). Without it, or when the
// process was not started by a launcher, a Comm is one process: rank 0 of 1, the
// collectives return this rank's own data, and nothing is sent anywhere — the
// meaning of each call for a job of one process, so callers need no second path.
//
// Two kinds of calls:
//  - collectives (barrier, broadcast, gather, all_gather, all_reduce): every rank of the
//    communicator calls them, in the same order. They block until all have; a
//    rank that died leaves the others blocked until the launcher ends the job.
//    Call them only where every rank is known to be alive and on its way there
//    (startup checks; the per-epoch spike exchange of one network over ranks).
//  - point-to-point (send, poll): never block. send() queues the bytes (an
//    MPI_Isend whose buffer the Comm keeps until it is delivered) and poll()
//    returns a message that has arrived, if any. A protocol built on them can
//    watch the clock and give up on a silent peer (engine/batch/batch_ranks.h).
//
// Only one thread of the process may call MPI (MPI_THREAD_FUNNELED: the thread
// that created the Session), so a Comm is used from that thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace spikeq::comm {

// A message from another rank.
struct Message {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

class Comm {
 public:
  Comm();  // one process: rank 0 of 1
  ~Comm();
  Comm(Comm&&) noexcept;
  Comm& operator=(Comm&&) noexcept;
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  // A communicator of the same ranks whose messages never mix with this one's
  // (MPI_Comm_dup; collective): a protocol gets its own.
  Comm duplicate() const;

  // --- Collectives -----------------------------------------------------------
  void barrier();
  // `bytes` of `root`, on every rank.
  void broadcast(std::string& bytes, int root = 0);
  // At `root`: every rank's `mine`, in rank order; elsewhere: empty.
  std::vector<std::string> gather(const std::string& mine, int root = 0);
  // Every rank's elements, concatenated in rank order, into `out` (reused: no
  // allocation once it is large enough); counts[r] = how many came from rank r.
  template <typename T>
  void all_gather(std::span<const T> mine, std::vector<T>& out, std::vector<std::size_t>& counts) {
    static_assert(std::is_trivially_copyable_v<T>, "all_gather sends the bytes of T");
    all_gather_bytes(mine.data(), mine.size() * sizeof(T), sizeof(T), counts);
    out.resize(gathered_.size() / sizeof(T));
    if (!gathered_.empty()) std::memcpy(out.data(), gathered_.data(), gathered_.size());
  }

  // Element-wise sum or maximum of every rank's `values` (the same length on
  // every rank), in place on every rank (MPI_Allreduce: no rank holds more than
  // its own vector, whatever the number of ranks).
  enum class Reduce { Sum, Max };
  void all_reduce(std::span<std::uint64_t> values, Reduce op);

  // --- Point-to-point (never blocking) ----------------------------------------
  void send(int dest, int tag, std::string bytes);
  std::optional<Message> poll();
  // Advances queued sends; how many are not delivered yet.
  std::size_t sends_pending();

  // Ends every rank of the job with `exit_code` (MPI_Abort): for a rank that
  // cannot wait for a peer any longer. One process: _exit(exit_code).
  [[noreturn]] void abort(int exit_code);

 private:
  friend class Session;
  struct Impl;
  static Comm world_of_mpi();  // MPI_COMM_WORLD (builds with MPI, after MPI_Init)
  void all_gather_bytes(const void* data, std::size_t bytes, std::size_t element, std::vector<std::size_t>& counts);

  std::unique_ptr<Impl> impl_;  // null: one process
  int rank_ = 0;
  int size_ = 1;
  std::vector<char> gathered_;
};

}  // namespace spikeq::comm
