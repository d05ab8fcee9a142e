// Small pieces of the network build (engine/core/network_build.cpp): degree
// statistics that merge in any order, blocks run on a oneTBB arena, arrays on
// huge pages.
#pragma once

#include <sys/mman.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/core/network.h"

namespace spikeq::build {

// Degree statistics accumulated over nodes, mergeable in any order (min, max
// and integer sums), so blocks give the same statistics however they are split.
struct DegreeSum {
  std::uint64_t min = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max = 0;
  std::uint64_t sum = 0;
  std::uint64_t nodes = 0;  // nodes added
  void add(std::uint64_t degree) {
    min = std::min(min, degree);
    max = std::max(max, degree);
    sum += degree;
    ++nodes;
  }
  void merge(const DegreeSum& o) {
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    sum += o.sum;
    nodes += o.nodes;
  }
  // Over `size` nodes; those never added had degree 0.
  DegreeStats stats(std::uint64_t size) const {
    DegreeStats s;
    if (size == 0) return s;
    s.max = max;
    s.min = nodes < size ? 0 : min;
    s.mean = static_cast<double>(sum) / static_cast<double>(size);
    return s;
  }
};

// Runs fn(0..count-1), on the arena's threads when there is one. Every index
// writes only its own data, so the order and the thread do not matter.
template <class Fn>
void for_each_index(tbb::task_arena* arena, std::uint64_t count, const Fn& fn) {
  if (arena == nullptr || count <= 1) {
    for (std::uint64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  arena->execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, count, 1), [&](const tbb::blocked_range<std::uint64_t>& r) {
      for (std::uint64_t i = r.begin(); i != r.end(); ++i) fn(i);
    });
  });
}

// Sizes `v` to n elements (zeros) on 2 MiB pages where the kernel allows it
// (transparent huge pages in "madvise" or "always" mode; else this is a plain
// resize). The place pass writes edges in target order into ~N rows at once:
// on 4 KiB pages nearly every write misses the TLB, and a page walk is costly
// (twice so in a virtual machine).
// reserve_on_huge_pages only reserves (an empty vector: no copy when the
// allocation moves), for a vector that grows into it later.
template <class T>
void reserve_on_huge_pages(std::vector<T>& v, std::size_t n) {
  if (v.empty()) std::vector<T>().swap(v);
  v.reserve(n);
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t hi = (begin + n * sizeof(T)) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // advice only: ignore failure
}
template <class T>
void resize_on_huge_pages(std::vector<T>& v, std::size_t n) {
  reserve_on_huge_pages(v, n);
  v.resize(n);
}

}  // namespace spikeq::build
