#include "engine/batch/trial_wire.h"

#include "netdefs/error.h"

namespace spikeq::inline batch {
namespace {

using comm::ByteReader;
using comm::ByteWriter;

// Smallest encoded sizes, to bound counts read from a message.
constexpr std::size_t kMinPopulationBytes = 8;
constexpr std::size_t kMinFanoBytes = 8;

void put_population(ByteWriter& out, const analysis::PopulationSummary& p) {
  out.put_string(p.name).put(p.lif).put<std::uint64_t>(p.size).put(p.recorded).put(p.spike_count).put(p.rate_hz);
  out.put<std::uint64_t>(p.isi_count).put(p.isi_mean_ms).put(p.cv_isi).put(p.isi_mean_raw_ms).put(p.cv_isi_raw);
  out.put<std::uint64_t>(p.fano.size());
  for (const analysis::FanoEstimate& f : p.fano) out.put(f.window_ms).put<std::uint64_t>(f.windows).put(f.fano);
  out.put(p.synchrony).put(p.coincident_fraction).put(p.chi);
  out.put<std::uint64_t>(p.v_samples).put<std::uint64_t>(p.v_nodes).put(p.v_mean_mv).put(p.v_var_mv2);
}

analysis::PopulationSummary get_population(ByteReader& in) {
  analysis::PopulationSummary p;
  p.name = in.get_string();
  p.lif = in.get<bool>();
  p.size = in.get<std::uint64_t>();
  p.recorded = in.get<bool>();
  p.spike_count = in.get<double>();
  p.rate_hz = in.get<analysis::Estimate>();
  p.isi_count = in.get<std::uint64_t>();
  p.isi_mean_ms = in.get<analysis::Estimate>();
  p.cv_isi = in.get<analysis::Estimate>();
  p.isi_mean_raw_ms = in.get<double>();
  p.cv_isi_raw = in.get<double>();
  p.fano.resize(in.get_count(kMinFanoBytes));
  for (analysis::FanoEstimate& f : p.fano) {
    f.window_ms = in.get<double>();
    f.windows = in.get<std::uint64_t>();
    f.fano = in.get<analysis::Estimate>();
  }
  p.synchrony = in.get<analysis::Estimate>();
  p.coincident_fraction = in.get<analysis::Estimate>();
  p.chi = in.get<analysis::Estimate>();
  p.v_samples = in.get<std::uint64_t>();
  p.v_nodes = in.get<std::uint64_t>();
  p.v_mean_mv = in.get<analysis::Estimate>();
  p.v_var_mv2 = in.get<analysis::Estimate>();
  return p;
}

void put_summary(ByteWriter& out, const analysis::RunSummary& s) {
  out.put_string(s.name).put(s.mode).put(s.dt_ms).put_string(s.integrator).put<std::uint64_t>(s.seed);
  out.put(s.from_ms).put(s.to_ms).put<std::uint64_t>(s.trials).put(s.sync_bin_ms).put_string(s.netdef_resolved);
  out.put<std::uint64_t>(s.populations.size());
  for (const analysis::PopulationSummary& p : s.populations) put_population(out, p);
}

analysis::RunSummary get_summary(ByteReader& in) {
  analysis::RunSummary s;
  s.name = in.get_string();
  s.mode = in.get<SimMode>();
  s.dt_ms = in.get<double>();
  s.integrator = in.get_string();
  s.seed = in.get<std::uint64_t>();
  s.from_ms = in.get<double>();
  s.to_ms = in.get<double>();
  s.trials = in.get<std::uint64_t>();
  s.sync_bin_ms = in.get<double>();
  s.netdef_resolved = in.get_string();
  s.populations.resize(in.get_count(kMinPopulationBytes));
  for (analysis::PopulationSummary& p : s.populations) p = get_population(in);
  return s;
}

}  // namespace

void put_trial_result(ByteWriter& out, const TrialResult& t) {
  out.put<std::uint64_t>(t.trial).put_string(t.dir).put(t.status).put_string(t.error).put(t.runtime_error);
  const RunStats& s = t.stats;
  out.put<std::uint64_t>(s.spikes_per_population.size());
  for (std::uint64_t n : s.spikes_per_population) out.put(n);
  out.put<std::uint64_t>(s.population_simulated.size());
  for (bool b : s.population_simulated) out.put(b);
  out.put(s.recurrent_pulses).put(s.external_pulses).put(s.queue_entries).put(s.simulated_ms).put(s.interrupted);
  out.put(t.wall_s).put(t.summary.has_value());
  if (t.summary) put_summary(out, *t.summary);
}

TrialResult get_trial_result(ByteReader& in) {
  TrialResult t;
  t.trial = in.get<std::uint64_t>();
  t.dir = in.get_string();
  t.status = in.get<RunStatus>();
  if (static_cast<int>(t.status) < static_cast<int>(RunStatus::NotStarted) ||
      static_cast<int>(t.status) > static_cast<int>(RunStatus::Failed))
    throw Error("malformed message between ranks: trial status " + std::to_string(static_cast<int>(t.status)),
                Error::Kind::Runtime);
  t.error = in.get_string();
  t.runtime_error = in.get<bool>();
  RunStats& s = t.stats;
  s.spikes_per_population.resize(in.get_count(sizeof(std::uint64_t)));
  for (std::uint64_t& n : s.spikes_per_population) n = in.get<std::uint64_t>();
  s.population_simulated.resize(in.get_count(sizeof(bool)));
  for (std::size_t i = 0; i < s.population_simulated.size(); ++i) s.population_simulated[i] = in.get<bool>();
  s.recurrent_pulses = in.get<std::uint64_t>();
  s.external_pulses = in.get<std::uint64_t>();
  s.queue_entries = in.get<std::uint64_t>();
  s.simulated_ms = in.get<double>();
  s.interrupted = in.get<bool>();
  t.wall_s = in.get<double>();
  if (in.get<bool>()) t.summary = get_summary(in);
  return t;
}

}  // namespace spikeq::batch
