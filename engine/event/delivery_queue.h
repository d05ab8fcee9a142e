// The global level of the event-driven scheduler: a binary min-heap of spike
// deliveries. One entry stands for one spike and one delay group; fan-out to the
// targets happens when it is popped (Network::group_begin/end).
//
// Deterministic tie-break: entries are ordered by (time, source node, delay group),
// a total order that depends only on the simulated dynamics.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/core/network.h"

namespace spikeq::inline event {

struct Delivery {
  double time_ms;
  NodeId source;
  std::uint32_t group;
  bool operator>(const Delivery& o) const {
    if (time_ms != o.time_ms) return time_ms > o.time_ms;
    if (source != o.source) return source > o.source;
    return group > o.group;
  }
};

class DeliveryQueue {
 public:
  // Capacity grows with the number of spikes in flight and is then reused:
  // no allocation per event in steady state.
  void reserve(std::size_t n) { heap_.reserve(n); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Delivery& top() const { return heap_.front(); }
  void push(const Delivery& d) {
    heap_.push_back(d);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
  }
  Delivery pop() {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
    const Delivery d = heap_.back();
    heap_.pop_back();
    return d;
  }

 private:
  std::vector<Delivery> heap_;
};

}  // namespace spikeq::event
