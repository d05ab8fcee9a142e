// The event scheduler's global queue (engine/event/delivery_queue.h): pops in
// (time, source node, delay group) order whatever the push order, so that the
// simulated dynamics alone decide the order of deliveries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "engine/event/delivery_queue.h"

using namespace spikeq;

namespace {

std::vector<Delivery> drain(DeliveryQueue& q) {
  std::vector<Delivery> out;
  while (!q.empty()) out.push_back(q.pop());
  return out;
}

bool same(const Delivery& a, const Delivery& b) {
  return a.time_ms == b.time_ms && a.source == b.source && a.group == b.group;
}

}  // namespace

TEST_CASE("delivery queue: equal times pop by source node, then delay group, for every push order") {
  const std::vector<Delivery> sorted = {{1.0, 3, 0}, {1.5, 0, 1}, {1.5, 2, 0}, {1.5, 2, 1}, {1.5, 7, 0},
                                        {2.0, 0, 0}, {2.0, 0, 3}, {2.5, 1, 0}};
  std::vector<Delivery> order = sorted;
  std::mt19937 shuffle(42);
  for (int round = 0; round < 200; ++round) {
    std::shuffle(order.begin(), order.end(), shuffle);
    DeliveryQueue q;
    for (const Delivery& d : order) q.push(d);
    REQUIRE(q.size() == sorted.size());
    const std::vector<Delivery> out = drain(q);
    REQUIRE(out.size() == sorted.size());
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(same(out[i], sorted[i]));
  }
}

TEST_CASE("delivery queue: interleaved pushes and pops keep the order") {
  DeliveryQueue q;
  q.reserve(64);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> tick(0, 20);
  std::vector<Delivery> popped;
  double now = 0;
  for (int i = 0; i < 10000; ++i) {
    // Everything pushed lies after the last time popped (delays are > 0), as in the driver.
    q.push({now + (tick(rng) + 1) * 0.125, static_cast<NodeId>(tick(rng)), static_cast<std::uint32_t>(tick(rng) % 3)});
    if (i % 3 == 2) {
      popped.push_back(q.pop());
      now = popped.back().time_ms;
    }
  }
  for (const Delivery& d : drain(q)) popped.push_back(d);
  for (std::size_t i = 1; i < popped.size(); ++i) {
    const Delivery &a = popped[i - 1], &b = popped[i];
    CHECK(std::tie(a.time_ms, a.source, a.group) <= std::tie(b.time_ms, b.source, b.group));
  }
  CHECK(popped.size() == 10000);
}
