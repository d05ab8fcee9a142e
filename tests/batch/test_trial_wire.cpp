// A trial's result as the message a rank sends rank 0 (engine/batch/trial_wire.h):
// every field comes back bit for bit, and a short or lying message is refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "engine/batch/trial_wire.h"
#include "netdefs/error.h"

using namespace spikeq;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same(const analysis::Estimate& a, const analysis::Estimate& b) {
  return same_bits(a.value, b.value) && same_bits(a.se, b.se) && same_bits(a.dof, b.dof);
}

analysis::Estimate estimate(double base) { return {base, base / 7, base * 3}; }

TrialResult sample() {
  TrialResult t;
  t.trial = 17;
  t.dir = "runs/x/point-0003/trial-0017";
  t.status = RunStatus::Interrupted;
  t.error = "disk full";
  t.runtime_error = true;
  t.stats.spikes_per_population = {3, 0, 123456789012345ull};
  t.stats.population_simulated = {true, false, true};
  t.stats.recurrent_pulses = 11;
  t.stats.external_pulses = 22;
  t.stats.queue_entries = 33;
  t.stats.simulated_ms = 0.1 + 0.2;  // not a round number
  t.stats.interrupted = true;
  t.wall_s = 1.0 / 3;
  analysis::RunSummary s;
  s.name = "net";
  s.mode = SimMode::Stepped;
  s.dt_ms = 0.1;
  s.integrator = "exact";
  s.seed = 0xFFFFFFFFFFFFFFFFull;
  s.from_ms = 100;
  s.to_ms = 200.5;
  s.trials = 4;
  s.sync_bin_ms = 2;
  s.netdef_resolved = std::string("name: \"net\"\0binary", 19);
  for (int i = 0; i < 2; ++i) {
    analysis::PopulationSummary p;
    p.name = i ? "inh" : "exc";
    p.lif = i == 0;
    p.size = 1000 + static_cast<std::uint64_t>(i);
    p.recorded = true;
    p.spike_count = 1.5 + i;
    p.rate_hz = estimate(10 + i);
    p.isi_count = 99;
    p.isi_mean_ms = estimate(20 + i);
    p.cv_isi = estimate(0.9 + i);
    p.isi_mean_raw_ms = 19.5;
    p.cv_isi_raw = std::numeric_limits<double>::quiet_NaN();
    p.fano = {{10, 30, estimate(1.1)}, {100, 3, estimate(0.7)}};
    p.synchrony = estimate(1.01);
    p.coincident_fraction = estimate(0.4);
    p.chi = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(), -0.0};
    p.v_samples = 5;
    p.v_nodes = 6;
    p.v_mean_mv = estimate(-60);
    p.v_var_mv2 = estimate(4);
    s.populations.push_back(p);
  }
  t.summary = s;
  return t;
}

}  // namespace

TEST_CASE("trial wire: every field of a trial's result comes back bit for bit") {
  const TrialResult a = sample();
  comm::ByteWriter w;
  put_trial_result(w, a);
  const std::string bytes = w.take();
  comm::ByteReader r(bytes);
  const TrialResult b = get_trial_result(r);
  CHECK(r.done());
  CHECK(b.trial == a.trial);
  CHECK(b.dir == a.dir);
  CHECK(b.status == a.status);
  CHECK(b.error == a.error);
  CHECK(b.runtime_error == a.runtime_error);
  CHECK(b.stats.spikes_per_population == a.stats.spikes_per_population);
  CHECK(b.stats.population_simulated == a.stats.population_simulated);
  CHECK(b.stats.recurrent_pulses == a.stats.recurrent_pulses);
  CHECK(b.stats.external_pulses == a.stats.external_pulses);
  CHECK(b.stats.queue_entries == a.stats.queue_entries);
  CHECK(same_bits(b.stats.simulated_ms, a.stats.simulated_ms));
  CHECK(b.stats.interrupted == a.stats.interrupted);
  CHECK(same_bits(b.wall_s, a.wall_s));
  REQUIRE(b.summary);
  const analysis::RunSummary& x = *a.summary;
  const analysis::RunSummary& y = *b.summary;
  CHECK(y.name == x.name);
  CHECK(y.mode == x.mode);
  CHECK(same_bits(y.dt_ms, x.dt_ms));
  CHECK(y.integrator == x.integrator);
  CHECK(y.seed == x.seed);
  CHECK(same_bits(y.from_ms, x.from_ms));
  CHECK(same_bits(y.to_ms, x.to_ms));
  CHECK(y.trials == x.trials);
  CHECK(same_bits(y.sync_bin_ms, x.sync_bin_ms));
  CHECK(y.netdef_resolved == x.netdef_resolved);
  REQUIRE(y.populations.size() == x.populations.size());
  for (std::size_t i = 0; i < x.populations.size(); ++i) {
    const analysis::PopulationSummary& p = x.populations[i];
    const analysis::PopulationSummary& q = y.populations[i];
    CHECK(q.name == p.name);
    CHECK(q.lif == p.lif);
    CHECK(q.size == p.size);
    CHECK(q.recorded == p.recorded);
    CHECK(same_bits(q.spike_count, p.spike_count));
    CHECK(same(q.rate_hz, p.rate_hz));
    CHECK(q.isi_count == p.isi_count);
    CHECK(same(q.isi_mean_ms, p.isi_mean_ms));
    CHECK(same(q.cv_isi, p.cv_isi));
    CHECK(same_bits(q.isi_mean_raw_ms, p.isi_mean_raw_ms));
    CHECK(same_bits(q.cv_isi_raw, p.cv_isi_raw));
    REQUIRE(q.fano.size() == p.fano.size());
    for (std::size_t f = 0; f < p.fano.size(); ++f) {
      CHECK(same_bits(q.fano[f].window_ms, p.fano[f].window_ms));
      CHECK(q.fano[f].windows == p.fano[f].windows);
      CHECK(same(q.fano[f].fano, p.fano[f].fano));
    }
    CHECK(same(q.synchrony, p.synchrony));
    CHECK(same(q.coincident_fraction, p.coincident_fraction));
    CHECK(same(q.chi, p.chi));
    CHECK(q.v_samples == p.v_samples);
    CHECK(q.v_nodes == p.v_nodes);
    CHECK(same(q.v_mean_mv, p.v_mean_mv));
    CHECK(same(q.v_var_mv2, p.v_var_mv2));
  }

  TrialResult none;  // not started: no summary
  comm::ByteWriter w2;
  put_trial_result(w2, none);
  const std::string bytes2 = w2.take();
  comm::ByteReader r2(bytes2);
  CHECK_FALSE(get_trial_result(r2).summary);
}

TEST_CASE("trial wire: a cut or lying message is refused, never read past") {
  comm::ByteWriter w;
  put_trial_result(w, sample());
  const std::string bytes = w.take();
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    comm::ByteReader r(std::string_view(bytes).substr(0, cut));
    CHECK_THROWS_AS(get_trial_result(r), Error);
  }
  // A count of populations far beyond what the message holds.
  std::string lying = bytes;
  comm::ByteWriter huge;
  huge.put<std::uint64_t>(1ull << 60);
  const std::string count = huge.take();
  const std::size_t at = lying.find(std::string("exc")) - 2 * sizeof(std::uint64_t);  // before the first name
  lying.replace(at, sizeof(std::uint64_t), count);
  comm::ByteReader r(lying);
  CHECK_THROWS_AS(get_trial_result(r), Error);
}
