// The event-driven driver on networks whose spike times are known in closed form
// (sigma = 0, drift above threshold: a node starting at V0 fires at
// tau ln((m - V0)/(m - theta)); models/README.md §3): exact times, the
// refractory drop of a pulse, a crossing exactly at an epoch end, the order of
// simultaneous spikes, and the stream cursor against the stream it stands for.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/core/network.h"
#include "engine/core/rng.h"
#include "engine/event/event_driver.h"
#include "models/lif.h"
#include "netdefs/loader.h"

using namespace spikeq;

namespace {

struct Collector : RunSink {
  void spikes(std::span<const SpikeRecord> batch) override { list.insert(list.end(), batch.begin(), batch.end()); }
  void samples(std::span<const VoltageSample>) override {}
  std::vector<SpikeRecord> list;
};

// A one-node LIF population with m = e_l (no background), threshold 20, reset 10.
std::string node(const std::string& name, double e_l_mv, double v0_mv, double t_ref_ms) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "populations { name: \"%s\" size: 1 lif { tau_m_ms: 20 e_l_mv: %.17g v_th_mv: 20 v_reset_mv: 10 "
                "t_ref_ms: %.17g v_init { fixed_mv: %.17g } } }\n",
                name.c_str(), e_l_mv, t_ref_ms, v0_mv);
  return buf;
}

std::string edge(const std::string& s, const std::string& t, double w_mv, double delay_ms) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "projections { source: \"%s\" target: \"%s\" one_to_one {} weight_mv: %.17g delay_ms: %.17g }\n",
                s.c_str(), t.c_str(), w_mv, delay_ms);
  return buf;
}

struct Run {
  std::vector<SpikeRecord> spikes;
  RunStats stats;
  std::vector<double> times_of(NodeId n) const {
    std::vector<double> t;
    for (const SpikeRecord& s : spikes)
      if (s.node == n) t.push_back(s.time_ms);
    return t;
  }
};

Run run(const std::string& body, double duration_ms) {
  char head[96];
  std::snprintf(head, sizeof head, "name: \"driver\"\nduration_ms: %.17g\nseed: 3\n", duration_ms);
  const NetworkSpec spec = load_netdef_text(head + body, "driver.pbtxt");
  const Network net(spec);
  Collector sink;
  EventDriver driver(net, 0, sink);
  Run r;
  r.stats = driver.run();
  r.spikes = sink.list;
  return r;
}

// First crossing of a node started at v0 with m = 30, theta = 20, tau = 20.
double first_crossing_ms(double v0_mv) { return lif::time_to_threshold_ms(v0_mv, 30, 20, 20); }
// Period after that: t_ref, then from the reset 10 mV to threshold.
double period_ms(double t_ref_ms) { return t_ref_ms + lif::time_to_threshold_ms(10, 30, 20, 20); }

}  // namespace

TEST_CASE("event driver: a drifting node fires at the closed-form times, nothing else happens") {
  const Run r = run(node("a", 30, 0, 2), 100);
  const std::vector<double> t = r.times_of(0);
  REQUIRE(t.size() >= 3);
  CHECK(t[0] == first_crossing_ms(0));  // the same arithmetic as the driver: exact
  for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i] - t[i - 1] == Approx(period_ms(2)).epsilon(1e-12));
  CHECK(t.size() == static_cast<std::size_t>((100 - t[0]) / period_ms(2)) + 1);
  CHECK(r.stats.recurrent_pulses == 0);
  CHECK(r.stats.simulated_ms == 100);
}

TEST_CASE("event driver: a pulse that arrives while the target is refractory is dropped") {
  // a fires at c and c + P; each pulse alone lifts t (at rest 0 mV) over threshold.
  // With t_ref_t > P the second pulse finds t refractory: one spike of t only.
  const double c = first_crossing_ms(0), p = period_ms(2), d = 1.5;
  const std::string body = node("a", 30, 0, 2) + node("t", 0, 0, p + 1) + edge("a", "t", 25, d);
  const Run r = run(body, c + p + d + 1);
  REQUIRE(r.times_of(0).size() == 2);
  const std::vector<double> target = r.times_of(1);
  REQUIRE(target.size() == 1);
  CHECK(target[0] == Approx(c + d).epsilon(1e-14));
  CHECK(r.stats.recurrent_pulses == 2);  // both delivered, the second one dropped by the target

  // With t_ref_t < P the same network fires t twice.
  const Run twice = run(node("a", 30, 0, 2) + node("t", 0, 0, p - 1) + edge("a", "t", 25, d), c + p + d + 1);
  CHECK(twice.times_of(1).size() == 2);
}

TEST_CASE("event driver: a crossing exactly at an epoch end fires once, at that time, and is delivered") {
  // The epoch is the smallest LIF delay; with delay = c the first epoch ends
  // exactly at a's first crossing.
  const double c = first_crossing_ms(0);
  const std::string body = node("a", 30, 0, 2) + node("t", 0, 0, 2) + edge("a", "t", 25, c);
  const Run r = run(body, 2 * c + 1);
  const std::vector<double> a = r.times_of(0);
  REQUIRE_FALSE(a.empty());
  CHECK(a[0] == c);
  CHECK(std::count(a.begin(), a.end(), c) == 1);
  const std::vector<double> t = r.times_of(1);
  REQUIRE(t.size() == 1);
  CHECK(t[0] == Approx(2 * c).epsilon(1e-14));
}

TEST_CASE("event driver: a crossing at the very end of the run is not recorded; one just before is") {
  const double c = first_crossing_ms(0);
  CHECK(run(node("a", 30, 0, 2), c).times_of(0).empty());  // t = duration: outside [0, duration)
  CHECK(run(node("a", 30, 0, 2), std::nextafter(c, 1e9)).times_of(0).size() == 1);
}

TEST_CASE("event driver: simultaneous spikes are handed over in node order, every run the same") {
  // Three identical drifting nodes in one population fire at the same instants.
  const std::string body =
      "populations { name: \"a\" size: 3 lif { tau_m_ms: 20 e_l_mv: 30 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2 "
      "v_init { fixed_mv: 0 } } }\n";
  const Run r = run(body, 60);
  REQUIRE(r.spikes.size() % 3 == 0);
  for (std::size_t i = 0; i < r.spikes.size(); i += 3) {
    CHECK(r.spikes[i].time_ms == r.spikes[i + 1].time_ms);
    CHECK(r.spikes[i + 1].time_ms == r.spikes[i + 2].time_ms);
    CHECK(r.spikes[i].node == 0);
    CHECK(r.spikes[i + 1].node == 1);
    CHECK(r.spikes[i + 2].node == 2);
  }
  const Run again = run(body, 60);
  REQUIRE(again.spikes.size() == r.spikes.size());
  for (std::size_t i = 0; i < r.spikes.size(); ++i) {
    CHECK(again.spikes[i].time_ms == r.spikes[i].time_ms);
    CHECK(again.spikes[i].node == r.spikes[i].node);
  }
}

TEST_CASE("stream cursor: the same numbers as the stream it stands for, across block boundaries") {
  for (const Purpose purpose : {Purpose::InputTrain, Purpose::SourceTrain, Purpose::SteppedInput}) {
    RngStream stream(11, 2, purpose, 5, 123456789);
    StreamCursor cursor;
    const StreamCursor::Name name = StreamCursor::name(11, 2, purpose, 5, 123456789);
    for (int i = 0; i < 1000; ++i) {
      INFO("draw " << i);
      if (i % 3 == 0) {
        REQUIRE(cursor.exponential(name) == stream.exponential());
      } else if (i % 3 == 1) {
        REQUIRE(cursor.uniform_open0(name) == stream.uniform_open0());
      } else {
        REQUIRE(cursor.next_u64(name) == stream.next_u64());
      }
    }
  }
  // A different name is a different stream.
  RngStream other(11, 2, Purpose::InputTrain, 5, 123456790);
  StreamCursor cursor;
  CHECK(cursor.next_u64(StreamCursor::name(11, 2, Purpose::InputTrain, 5, 123456789)) != other.next_u64());
}
