#include "engine/comm/comm.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <deque>
#include <thread>

#include "netdefs/error.h"

#if SPIKEQ_WITH_MPI
#include <mpi.h>
#endif

namespace spikeq::comm {

#if SPIKEQ_WITH_MPI

struct Comm::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  bool owned = false;  // made by duplicate(): freed with the Comm
  // Sends in flight, each with the bytes MPI reads until it completes (a deque:
  // elements never move).
  struct Pending {
    std::string bytes;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::deque<Pending> sends;

  ~Impl() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    // Queued sends get a few seconds to leave; the bytes of one that does not
    // (a peer gone) are left allocated rather than freed under MPI's feet.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      bool pending = false;
      for (Pending& p : sends) {
        int done = 0;
        if (p.request != MPI_REQUEST_NULL) MPI_Test(&p.request, &done, MPI_STATUS_IGNORE);
        pending |= p.request != MPI_REQUEST_NULL;
      }
      if (!pending) break;
      if (std::chrono::steady_clock::now() > until) {
        new std::deque<Pending>(std::move(sends));  // deliberately leaked
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (owned && comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

namespace {

int checked_count(std::size_t bytes, const char* what) {
  if (bytes > static_cast<std::size_t>(INT_MAX))
    throw Error(std::string(what) + ": " + std::to_string(bytes) + " bytes, more than MPI's int count allows",
                Error::Kind::Runtime);
  return static_cast<int>(bytes);
}

}  // namespace

Comm Comm::world_of_mpi() {
  Comm out;
  out.impl_ = std::make_unique<Impl>();
  out.impl_->comm = MPI_COMM_WORLD;
  MPI_Comm_rank(MPI_COMM_WORLD, &out.rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &out.size_);
  return out;
}

Comm Comm::duplicate() const {
  Comm out;
  if (!impl_) return out;
  out.impl_ = std::make_unique<Impl>();
  MPI_Comm_dup(impl_->comm, &out.impl_->comm);
  out.impl_->owned = true;
  out.rank_ = rank_;
  out.size_ = size_;
  return out;
}

void Comm::barrier() {
  if (impl_) MPI_Barrier(impl_->comm);
}

void Comm::broadcast(std::string& bytes, int root) {
  if (!impl_) return;
  unsigned long long n = bytes.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, impl_->comm);
  bytes.resize(n);
  MPI_Bcast(bytes.data(), checked_count(n, "broadcast"), MPI_BYTE, root, impl_->comm);
}

std::vector<std::string> Comm::gather(const std::string& mine, int root) {
  if (!impl_) return {mine};
  const int n = checked_count(mine.size(), "gather");
  std::vector<int> counts(rank_ == root ? size_ : 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, impl_->comm);
  std::vector<int> displs(counts.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs[r] = checked_count(total, "gather");
    total += static_cast<std::size_t>(counts[r]);
  }
  checked_count(total, "gather");
  std::string all(total, '\0');
  MPI_Gatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, root, impl_->comm);
  std::vector<std::string> out;
  for (std::size_t r = 0; r < counts.size(); ++r)
    out.push_back(all.substr(static_cast<std::size_t>(displs[r]), static_cast<std::size_t>(counts[r])));
  return out;
}

void Comm::all_gather_bytes(const void* data, std::size_t bytes, std::size_t element,
                            std::vector<std::size_t>& counts) {
  if (!impl_) {
    gathered_.assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
    counts.assign(1, bytes / element);
    return;
  }
  const int n = checked_count(bytes, "all_gather");
  std::vector<int> byte_counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
  MPI_Allgather(&n, 1, MPI_INT, byte_counts.data(), 1, MPI_INT, impl_->comm);
  std::size_t total = 0;
  counts.resize(static_cast<std::size_t>(size_));
  for (std::size_t r = 0; r < byte_counts.size(); ++r) {
    displs[r] = checked_count(total, "all_gather");
    total += static_cast<std::size_t>(byte_counts[r]);
    counts[r] = static_cast<std::size_t>(byte_counts[r]) / element;
  }
  checked_count(total, "all_gather");
  gathered_.resize(total);
  MPI_Allgatherv(data, n, MPI_BYTE, gathered_.data(), byte_counts.data(), displs.data(), MPI_BYTE, impl_->comm);
}

void Comm::all_reduce(std::span<std::uint64_t> values, Reduce op) {
  if (!impl_) return;
  // In pieces whose count fits MPI's int.
  constexpr std::size_t kPiece = std::size_t{1} << 28;
  for (std::size_t at = 0; at < values.size(); at += kPiece) {
    const auto n = static_cast<int>(std::min(kPiece, values.size() - at));
    MPI_Allreduce(MPI_IN_PLACE, values.data() + at, n, MPI_UINT64_T, op == Reduce::Sum ? MPI_SUM : MPI_MAX,
                  impl_->comm);
  }
}

void Comm::send(int dest, int tag, std::string bytes) {
  if (!impl_ || dest == rank_ || dest < 0 || dest >= size_)
    throw Error("send to rank " + std::to_string(dest) + " of " + std::to_string(size_) + " from rank " +
                    std::to_string(rank_),
                Error::Kind::Runtime);
  Impl::Pending& p = impl_->sends.emplace_back();
  p.bytes = std::move(bytes);
  MPI_Isend(p.bytes.data(), checked_count(p.bytes.size(), "send"), MPI_BYTE, dest, tag, impl_->comm, &p.request);
}

std::size_t Comm::sends_pending() {
  if (!impl_) return 0;
  // Completed sends leave from the front; MPI delivers in order per peer, and a
  // later one still pending keeps its earlier neighbours' buffers alive no longer
  // than its own (they are small).
  for (Impl::Pending& p : impl_->sends) {
    if (p.request == MPI_REQUEST_NULL) continue;
    int done = 0;
    MPI_Test(&p.request, &done, MPI_STATUS_IGNORE);
  }
  while (!impl_->sends.empty() && impl_->sends.front().request == MPI_REQUEST_NULL) impl_->sends.pop_front();
  std::size_t pending = 0;
  for (const Impl::Pending& p : impl_->sends) pending += p.request != MPI_REQUEST_NULL;
  return pending;
}

std::optional<Message> Comm::poll() {
  if (!impl_) return std::nullopt;
  sends_pending();
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, impl_->comm, &flag, &status);
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  Message m;
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  m.bytes.resize(static_cast<std::size_t>(count));
  MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.source, m.tag, impl_->comm, MPI_STATUS_IGNORE);
  return m;
}

void Comm::abort(int exit_code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (impl_) MPI_Abort(impl_->comm, exit_code);
  _exit(exit_code);
}

#else  // one process, no MPI in this build

struct Comm::Impl {};

Comm Comm::duplicate() const { return Comm(); }
void Comm::barrier() {}
void Comm::broadcast(std::string&, int) {}
std::vector<std::string> Comm::gather(const std::string& mine, int) { return {mine}; }
void Comm::all_gather_bytes(const void* data, std::size_t bytes, std::size_t element,
                            std::vector<std::size_t>& counts) {
  gathered_.assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
  counts.assign(1, bytes / element);
}
void Comm::all_reduce(std::span<std::uint64_t>, Reduce) {}
void Comm::send(int dest, int, std::string) {
  throw Error("send to rank " + std::to_string(dest) + ": a job of one process has no other rank",
              Error::Kind::Runtime);
}
std::size_t Comm::sends_pending() { return 0; }
std::optional<Message> Comm::poll() { return std::nullopt; }
void Comm::abort(int exit_code) {
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(exit_code);
}

#endif

Comm::Comm() = default;
Comm::~Comm() = default;
Comm::Comm(Comm&&) noexcept = default;
Comm& Comm::operator=(Comm&&) noexcept = default;

}  // namespace spikeq::comm
