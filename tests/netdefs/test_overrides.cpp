// (c) --set overrides: addressing by index, population name and projection
// name; every scalar kind; every way an override can be wrong; and overrides
// that break a valid network are caught by validation like a bad file.
#include <catch2/catch.hpp>

#include <utility>

#include "netdef_test_util.h"
#include "netdefs/loader.h"

namespace spikeq {
namespace {

constexpr const char* base_text = R"pb(
  name: "base"
  duration_ms: 100
  populations { name: "ext" size: 10 poisson { rate_hz: 5 } }
  populations { name: "exc" size: 20 lif { sigma_mv: 1 v_init { fixed_mv: 3 } } }
  projections { name: "drive" source: "ext" target: "exc" fixed_indegree { indegree: 5 } weight_mv: 0.5 }
  projections { name: "inh" source: "exc" target: "exc" pairwise_bernoulli { p: 0.1 } weight_mv: -0.2 delay_ms: 1.5 }
  recording { spikes_from: "exc" voltage_probes { population: "exc" node_ids: [0, 1] } }
)pb";

NetworkSpec load(const std::vector<std::string>& overrides) {
  return load_netdef_text(base_text, "base.pbtxt", overrides);
}

std::string set_error(const std::string& setting) {
  return test::error_of([&] { load({setting}); });
}

TEST_CASE("set overrides: addresses fields by index", "[netdefs]") {
  const auto spec = load({"populations[1].lif.sigma_mv=4", "projections[0].weight_mv=0.25",
                          "populations[0].poisson.rate_hz=7.5"});
  CHECK(spec.populations[1].lif.sigma_mv == 4);
  CHECK(spec.projections[0].weight_mv == 0.25);
  CHECK(spec.populations[0].poisson.rate_hz == 7.5);
}

TEST_CASE("set overrides: addresses a population by name", "[netdefs]") {
  const auto spec = load({"exc.lif.sigma_mv=4", "exc.size=50", "ext.poisson.rate_hz=12"});
  CHECK(spec.populations[1].lif.sigma_mv == 4);
  CHECK(spec.populations[1].size == 50);
  CHECK(spec.populations[0].poisson.rate_hz == 12);
}

TEST_CASE("set overrides: addresses a projection by name", "[netdefs]") {
  const auto spec = load({"inh.weight_mv=-0.5", "drive.fixed_indegree.indegree=7"});
  CHECK(spec.projections[1].weight_mv == -0.5);
  CHECK(spec.projections[0].indegree == 7);
}

TEST_CASE("set overrides: parses every scalar kind of the schema", "[netdefs]") {
  SECTION("double") { CHECK(load({"duration_ms=2.5e2"}).duration_ms == 250); }
  SECTION("uint64, full range") {
    CHECK(load({"seed=18446744073709551615"}).seed == 18446744073709551615u);
  }
  SECTION("uint32, full range; then the field's own range (netdefs/limits.h)") {
    CHECK(load({"simulation.trials=1000000"}).simulation.trials == 1000000u);
    CHECK(set_error("simulation.trials=4294967295") == "base.pbtxt: simulation.trials = 4294967295: must be <= 1e+06");
  }
  SECTION("bool as true/false/1/0") {
    CHECK_FALSE(load({"drive.independent_trains=false"}).projections[0].independent_trains);
    CHECK_FALSE(load({"drive.independent_trains=0"}).projections[0].independent_trains);
    CHECK(load({"drive.independent_trains=0", "drive.independent_trains=true"}).projections[0].independent_trains);
    CHECK(load({"drive.fixed_indegree.allow_multapses=1"}).projections[0].allow_multapses);
  }
  SECTION("string, which may contain '='") {
    CHECK(load({"name=a=b"}).name == "a=b");
    CHECK(load({"recording.spikes_from[0]=ext"}).recording.spikes_from == std::vector<bool>{true, false});
  }
  SECTION("enum by name") {
    const auto spec = load({"simulation.mode=STEPPED", "simulation.integrator=EXACT"});
    CHECK(spec.simulation.mode == SimMode::Stepped);
    CHECK(spec.simulation.integrator == Integrator::Exact);
  }
  SECTION("element of a repeated scalar") {
    CHECK(load({"recording.voltage_probes[0].node_ids[1]=19"}).recording.voltage_probes[0].node_ids ==
          std::vector<std::uint64_t>{0, 19});
  }
}

TEST_CASE("set overrides: creates an absent block and applies in order", "[netdefs]") {
  const auto spec = load({"simulation.dt_ms=0.05", "duration_ms=1", "duration_ms=2"});
  CHECK(spec.simulation.dt_ms == 0.05);
  CHECK(spec.simulation.trials == 1);  // the rest of the new block keeps its defaults
  CHECK(spec.duration_ms == 2);
  // An unset oneof may be filled: exc starts fixed, an unset v_init can become uniform.
  const auto lif = load_netdef_text("duration_ms: 1 populations { name: \"a\" size: 1 lif {} }", "x",
                                    {"a.lif.v_init.uniform.high_mv=5"})
                       .populations[0]
                       .lif;
  CHECK(lif.v_init_low_mv == 0);
  CHECK(lif.v_init_high_mv == 5);
}

TEST_CASE("set overrides: is recorded in resolved_text", "[netdefs]") {
  const auto spec = load({"exc.lif.sigma_mv=4", "simulation.mode=STEPPED"});
  CHECK(load_netdef_text(spec.resolved_text, "resolved") == spec);
  CHECK(spec.resolved_text != load({}).resolved_text);
}

TEST_CASE("set overrides: applies to files too", "[netdefs]") {
  const auto path = test::source_path("tests/netdefs/all_fields.pbtxt").string();
  CHECK(load_netdef_file(path, {"duration_ms=7"}).duration_ms == 7);
}

TEST_CASE("set overrides: errors name the override and the problem", "[netdefs]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // shape of the setting
      {"foo", "expected PATH=VALUE"},
      {"=5", "expected PATH=VALUE"},
      {"populations..size=1", "empty name in path"},
      {"populations[x].size=1", "bad index in \"populations[x]\", expected NAME[N]"},
      {"populations[1.size=1", "bad index in \"populations[1\", expected NAME[N]"},
      {"populations[-1].size=1", "bad index in \"populations[-1]\", expected NAME[N]"},
      // where the path leads
      {"exc.lif.sigm_mv=4", "no field \"sigm_mv\" in spikeq.pb.LifModel"},
      {"foo.size=3", "no field, population or projection named \"foo\" in spikeq.pb.Network"},
      {"populations[2].size=1", "index 2 out of range: populations has 2 entries"},
      {"recording.voltage_probes[1].interval_ms=1", "index 1 out of range: voltage_probes has 1 entry"},
      {"recording.spikes_from[1]=ext", "index 1 out of range: spikes_from has 1 entry"},
      {"populations.size=1", "\"populations\" is a list, give an index: populations[0]"},
      {"recording.spikes_from=ext", "\"spikes_from\" is a list, give an index: spikes_from[0]"},
      {"duration_ms[0]=1", "\"duration_ms\" is not a list, drop the [index]"},
      {"exc[0].size=1", "\"exc\" names a Population, not a list"},
      {"duration_ms.x=1", "\"duration_ms\" is a double, not a message"},
      {"exc=1", "path ends at \"exc\" (a spikeq.pb.Population), not at a value"},
      {"exc.lif=1", "path ends at \"lif\" (a spikeq.pb.LifModel), not at a value"},
      {"simulation=1", "path ends at \"simulation\" (a spikeq.pb.Simulation), not at a value"},
      // oneofs keep their member: overrides change values, not structure
      {"ext.lif.sigma_mv=4", "\"lif\" cannot be set: oneof \"model\" already holds \"poisson\""},
      {"exc.lif.v_init.uniform.low_mv=1", "\"uniform\" cannot be set: oneof \"kind\" already holds \"fixed_mv\""},
      {"inh.all_to_all.allow_autapses=true", "\"all_to_all\" cannot be set: oneof \"rule\" already holds \"pairwise_bernoulli\""},
      // values
      {"duration_ms=abc", "\"abc\" is not a number"},
      {"duration_ms=", "\"\" is not a number"},
      {"duration_ms=5ms", "\"5ms\" is not a number"},
      {"duration_ms= 5", "\" 5\" is not a number"},
      {"duration_ms=1e999", "\"1e999\" is out of range for double"},
      {"seed=1.5", "\"1.5\" is not an integer"},
      {"seed=0x10", "\"0x10\" is not an integer"},
      {"seed=-1", "\"-1\" is negative, but seed is a uint64"},
      {"seed=18446744073709551616", "\"18446744073709551616\" is out of range for uint64"},
      {"simulation.trials=4294967296", "\"4294967296\" is out of range for uint32"},
      {"exc.size=", "\"\" is not an integer"},
      {"drive.independent_trains=yes", "\"yes\" is not a bool (true, false, 1 or 0)"},
      {"simulation.mode=FAST", "\"FAST\" is not a spikeq.pb.Simulation.Mode (EVENT, STEPPED)"},
      {"simulation.mode=1", "\"1\" is not a spikeq.pb.Simulation.Mode (EVENT, STEPPED)"},
  };
  for (const auto& [setting, problem] : cases) {
    INFO(setting);
    CHECK(set_error(setting) == "--set " + setting + ": " + problem);
  }
}

TEST_CASE("set overrides: that breaks a valid network is caught by validation", "[netdefs]") {
  CHECK(set_error("exc.lif.tau_m_ms=-5") == "base.pbtxt: populations[1] \"exc\": lif.tau_m_ms = -5: must be > 0");
  CHECK(set_error("duration_ms=nan") == "base.pbtxt: duration_ms = nan: must be finite");
  CHECK(set_error("exc.lif.sigma_mv=-inf") == "base.pbtxt: populations[1] \"exc\": lif.sigma_mv = -inf: must be finite");
  CHECK(set_error("inh.delay_ms=0") == "base.pbtxt: projections[1] \"inh\": delay_ms = 0: must be > 0 for a LIF source");
  CHECK(set_error("drive.fixed_indegree.indegree=11") ==
        "base.pbtxt: projections[0] \"drive\": fixed_indegree.indegree = 11: must be <= 10, the eligible "
        "sources (or set allow_multapses)");
  CHECK(set_error("exc.name=ext") == "base.pbtxt: populations[1]: name = \"ext\": already used by populations[0]");
  CHECK(set_error("recording.voltage_probes[0].node_ids[0]=20") ==
        "base.pbtxt: recording.voltage_probes[0].node_ids[0] = 20: must be < 20 (size of \"exc\")");
}

}  // namespace
}  // namespace spikeq
