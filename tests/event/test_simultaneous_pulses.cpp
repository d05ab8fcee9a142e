// Pulses that reach a node at one instant act as one jump (README, "How it works";
// models/README.md, "Simultaneous pulses"): the summed weight is added once and the
// threshold tested once on V(t+); a refractory node drops the whole sum; a node
// fires at most once at t. Deterministic networks of single nodes: source nodes
// that start above threshold fire at t = 0, so their pulses arrive together at
// their delay. Both engines are run on each case (the stepped engine sums a
// step's input by construction) and must agree.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "engine/event/event_driver.h"
#include "engine/stepped/stepped_driver.h"
#include "netdefs/loader.h"

using namespace spikeq;

namespace {

struct Collector : RunSink {
  void spikes(std::span<const SpikeRecord> batch) override { spike_list.insert(spike_list.end(), batch.begin(), batch.end()); }
  void samples(std::span<const VoltageSample> batch) override {
    sample_list.insert(sample_list.end(), batch.begin(), batch.end());
  }
  std::vector<SpikeRecord> spike_list;
  std::vector<VoltageSample> sample_list;
};

struct Outcome {
  std::vector<double> target_spikes_ms;  // spikes of population "t"
  std::vector<VoltageSample> target_samples;
};

// A LIF population of one node; v_init above threshold makes it fire at t = 0.
std::string node(const std::string& name, double e_l_mv, double v_init_mv, double v_reset_mv = 10,
                 double t_ref_ms = 2) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "populations { name: \"%s\" size: 1 lif { e_l_mv: %.17g v_th_mv: 20 v_reset_mv: %.17g "
                "t_ref_ms: %.17g v_init { fixed_mv: %.17g } } }\n",
                name.c_str(), e_l_mv, v_reset_mv, t_ref_ms, v_init_mv);
  return buf;
}

std::string edge(const std::string& source, const std::string& target, double weight_mv, double delay_ms) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "projections { source: \"%s\" target: \"%s\" one_to_one {} weight_mv: %.17g delay_ms: %.17g }\n",
                source.c_str(), target.c_str(), weight_mv, delay_ms);
  return buf;
}

// Probe of "t" every 0.5 ms from 0.5 ms: a sample at an instant with pulses sees V(t+).
const std::string kProbe = "recording { voltage_probes { population: \"t\" interval_ms: 0.5 start_ms: 0.5 } }\n";

std::string netdef(const std::string& body, double duration_ms = 10) {
  char head[96];
  std::snprintf(head, sizeof head, "name: \"coincidence\"\nduration_ms: %.17g\nseed: 5\n", duration_ms);
  return head + body;
}

Outcome run(const std::string& text, bool stepped) {
  NetworkSpec spec = load_netdef_text(text, "coincidence.pbtxt");
  if (stepped) {
    spec.simulation.mode = SimMode::Stepped;
    spec.simulation.dt_ms = 0.5;
    spec.simulation.integrator = Integrator::Exact;
  }
  const Network net(spec);
  Collector sink;
  if (stepped) {
    SteppedDriver(net, 0, sink).run();
  } else {
    EventDriver(net, 0, sink).run();
  }
  std::size_t t_pop = 0;
  while (spec.populations[t_pop].name != "t") ++t_pop;
  const PopulationTable& pt = net.populations()[t_pop];
  Outcome o;
  for (const SpikeRecord& s : sink.spike_list)
    if (s.node >= pt.first && s.node < pt.first + pt.size) o.target_spikes_ms.push_back(s.time_ms);
  o.target_samples = sink.sample_list;
  return o;
}

double sample_at(const Outcome& o, double t_ms) {
  for (const VoltageSample& s : o.target_samples)
    if (std::abs(s.time_ms - t_ms) < 1e-9) return s.v_mv;
  FAIL("no sample at " << t_ms);
  return 0;
}

// Both engines on one netdef: the same spikes of "t" and the same V after the instant.
Outcome both_engines(const std::string& text) {
  const Outcome event = run(text, false);
  const Outcome stepped = run(text, true);
  CHECK(event.target_spikes_ms == stepped.target_spikes_ms);
  for (double t : {1.5, 3.0}) CHECK(sample_at(event, t) == Approx(sample_at(stepped, t)).margin(1e-12));
  return event;
}

}  // namespace

TEST_CASE("+0.6 and -0.5 mV at one instant from theta - 0.3 mV: no spike, whichever source has the lower id") {
  // The target rests at 19.7 mV (E_l, no drive): only the pulses move it.
  const std::string target = node("t", 19.7, 19.7);
  for (bool excitatory_first : {true, false}) {
    CAPTURE(excitatory_first);
    const std::string exc = node("a", 0, 25), inh = node("b", 0, 25);
    const std::string text = netdef((excitatory_first ? exc + inh : inh + exc) + target + edge("a", "t", 0.6, 1.5) +
                                     edge("b", "t", -0.5, 1.5) + kProbe);
    const Outcome o = both_engines(text);
    CHECK(o.target_spikes_ms.empty());
    CHECK(sample_at(o, 1.5) == Approx(19.8).margin(1e-12));  // one jump of +0.1, seen at t+
  }
}

TEST_CASE("+0.2 and +0.2 mV at one instant from theta - 0.3 mV: one spike at that instant") {
  const std::string text =
      netdef(node("a", 0, 25) + node("b", 0, 25) + node("t", 19.7, 19.7) + edge("a", "t", 0.2, 1.5) +
             edge("b", "t", 0.2, 1.5) + kProbe);
  const Outcome o = both_engines(text);
  REQUIRE(o.target_spikes_ms.size() == 1);
  CHECK(o.target_spikes_ms[0] == 1.5);
  CHECK(sample_at(o, 1.5) == 10.0);  // reset, and refractory
}

TEST_CASE("a refractory node drops the whole sum of an instant") {
  // "t" starts above threshold: it fires at 0 and is refractory until 2 ms, so
  // the pulses at 1.5 ms (+0.6 and -0.5, and +5 which alone would fire it) vanish.
  const std::string text = netdef(node("a", 0, 25) + node("b", 0, 25) + node("c", 0, 25) + node("t", 19.7, 25) +
                                  edge("a", "t", 0.6, 1.5) + edge("b", "t", -0.5, 1.5) + edge("c", "t", 5, 1.5) +
                                  kProbe);
  const Outcome o = both_engines(text);
  REQUIRE(o.target_spikes_ms.size() == 1);
  CHECK(o.target_spikes_ms[0] == 0.0);
  CHECK(sample_at(o, 1.5) == 10.0);
  // Released at 2 ms from V_r, relaxing towards 19.7 mV: nothing of the sum remains.
  const double expected = 19.7 + (10.0 - 19.7) * std::exp(-1.0 / 20.0);
  CHECK(sample_at(run(text, false), 3.0) == Approx(expected).epsilon(1e-12));
}

TEST_CASE("a node fires at most once at one instant, even without a refractory period") {
  // t_ref = 0 and V_r = 19.5 mV: testing after each pulse would fire it twice at 1.5 ms.
  const std::string text = netdef(node("a", 0, 25) + node("b", 0, 25) + node("t", 19.7, 19.7, 19.5, 0) +
                                  edge("a", "t", 0.6, 1.5) + edge("b", "t", 0.6, 1.5));
  const Outcome o = run(text, false);
  REQUIRE(o.target_spikes_ms.size() == 1);
  CHECK(o.target_spikes_ms[0] == 1.5);
}

TEST_CASE("pulses of different delay groups and sources that arrive together sum") {
  // a fires at 0; c is driven over threshold by a at 1.5 ms and fires then;
  // at 3 ms "t" receives a's +0.6 (delay 3) and c's -0.5 (delay 1.5) together.
  const std::string text = netdef(node("a", 0, 25) + node("c", 19.7, 19.7) + node("t", 19.7, 19.7) +
                                  edge("a", "c", 1.0, 1.5) + edge("a", "t", 0.6, 3.0) + edge("c", "t", -0.5, 1.5) +
                                  kProbe);
  const Outcome o = both_engines(text);
  CHECK(o.target_spikes_ms.empty());
  CHECK(sample_at(o, 3.0) == Approx(19.8).margin(1e-12));
}

TEST_CASE("one source's pulses to one target over two projections sum") {
  // Same source, same delay: one delivery group in which "t" appears twice.
  const std::string text = netdef(node("a", 0, 25) + node("t", 19.7, 19.7) + edge("a", "t", 0.6, 1.5) +
                                  edge("a", "t", -0.5, 1.5) + kProbe);
  const Outcome o = both_engines(text);
  CHECK(o.target_spikes_ms.empty());
  CHECK(sample_at(o, 1.5) == Approx(19.8).margin(1e-12));
}

TEST_CASE("an input-train arrival at exactly a delivery time joins the sum") {
  // Find the first arrival of "t"'s merged input train: with +0.6 mV it fires
  // "t" at that instant. The train's stream is keyed by (seed, projection 0,
  // target 0), so its arrivals do not depend on its weight or on other projections.
  auto train = [](double weight_mv) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "populations { name: \"ext\" size: 1 poisson { rate_hz: 200 } }\n"
                  "projections { source: \"ext\" target: \"t\" all_to_all {} weight_mv: %.17g }\n",
                  weight_mv);
    return std::string(buf);
  };
  const std::string target = node("t", 19.7, 19.7);
  const Outcome probe_run = run(netdef(train(0.6) + target, 50), false);
  REQUIRE(!probe_run.target_spikes_ms.empty());
  const double t_arrival = probe_run.target_spikes_ms[0];
  CAPTURE(t_arrival);

  // Now the train brings -0.5 mV and a recurrent +0.6 mV pulse lands at exactly
  // t_arrival (a fires at 0, delay t_arrival): one jump of +0.1, no spike.
  const std::string text = netdef(train(-0.5) + node("a", 0, 25) + target + edge("a", "t", 0.6, t_arrival), 50);
  const Outcome o = run(text, false);
  for (double t : o.target_spikes_ms) CHECK(t != t_arrival);
}
