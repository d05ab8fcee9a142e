// (d) Text round trip of every schema field, and the conversions the spec
// promises (defaults, v_init, probe start, spikes_from).
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "netdef_test_util.h"
#include "netdefs/loader.h"

namespace spikeq {
namespace {

std::string all_fields_path() { return test::source_path("tests/netdefs/all_fields.pbtxt").string(); }

// Field names declared in the schema: `[optional|repeated] TYPE NAME = N;`
// (enum values have no TYPE, so they do not match).
std::set<std::string> schema_field_names() {
  const std::string schema = test::read_text(test::source_path("netdefs/spikeq.proto"));
  const std::regex field(R"(^\s*(?:optional\s+|repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+)",
                         std::regex::multiline);
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(schema.begin(), schema.end(), field); it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

TEST_CASE("all_fields.pbtxt sets every field of the schema", "[netdefs]") {
  const auto names = schema_field_names();
  REQUIRE(names.size() > 40);  // the regex still understands the schema
  const std::string text = test::read_text(all_fields_path());
  for (const auto& name : names) {
    INFO(name);
    CHECK(std::regex_search(text, std::regex("\\b" + name + "\\s*[:{]")));
  }
}

TEST_CASE("every field survives load -> resolved_text -> load", "[netdefs]") {
  const NetworkSpec spec = load_netdef_file(all_fields_path());
  const NetworkSpec again = load_netdef_text(spec.resolved_text, "resolved");
  CHECK(again == spec);
  CHECK(again.resolved_text == spec.resolved_text);
  // A field the converter forgot would compare equal at its default, so check
  // that the file's values really arrived.
  const NetworkSpec defaults = load_netdef_text(
      "duration_ms: 1 populations { name: \"a\" size: 1 lif {} }", "defaults");
  CHECK(spec.seed != defaults.seed);
  CHECK(spec.populations[1].lif != defaults.populations[0].lif);
  CHECK(spec.simulation != defaults.simulation);
}

TEST_CASE("converted values of all_fields.pbtxt", "[netdefs]") {
  const NetworkSpec spec = load_netdef_file(all_fields_path());
  CHECK(spec.name == "all fields");
  CHECK(spec.duration_ms == 250.5);
  CHECK(spec.seed == 12345678901234u);
  REQUIRE(spec.populations.size() == 3);
  CHECK(spec.total_nodes() == 100);
  CHECK(spec.populations[0].kind == ModelKind::Poisson);
  CHECK(spec.populations[0].poisson.rate_hz == 8.25);
  const LifParams& exc = spec.populations[1].lif;
  CHECK(spec.populations[1].kind == ModelKind::Lif);
  CHECK(exc == LifParams{15, -70, -50, -65, 1.5, -70, -55.5, 12.5, 3});
  const LifParams& inh = spec.populations[2].lif;
  CHECK(inh.v_init_low_mv == 7);
  CHECK(inh.v_init_high_mv == 7);

  REQUIRE(spec.projections.size() == 4);
  const ProjectionSpec& drive = spec.projections[0];
  CHECK(drive == ProjectionSpec{"drive", 0, 1, RuleKind::FixedIndegree, 40, 0, true, true, 0.3, 0.5, false});
  CHECK(spec.projections[1].name.empty());
  CHECK(spec.projections[1].rule == RuleKind::OneToOne);
  CHECK(spec.projections[1].source == 1);
  CHECK(spec.projections[1].target == 2);
  CHECK(spec.projections[2].rule == RuleKind::AllToAll);
  CHECK(spec.projections[2].allow_autapses);
  CHECK(spec.projections[3].rule == RuleKind::PairwiseBernoulli);
  CHECK(spec.projections[3].p == 0.2);
  CHECK(spec.projections[3].weight_mv == -0.6);

  CHECK(spec.simulation == SimulationSpec{SimMode::Stepped, 0.05, Integrator::Exact, 3, 0.02, 1e-8});
  CHECK(spec.recording.spikes_from == std::vector<bool>{false, true, true});
  REQUIRE(spec.recording.voltage_probes.size() == 2);
  CHECK(spec.recording.voltage_probes[0] == VoltageProbeSpec{1, {0, 29, 3}, 0.5, 10});
  // Defaults: every node, 1 ms, first sample at one interval.
  CHECK(spec.recording.voltage_probes[1] == VoltageProbeSpec{2, {}, 1, 1});
}

TEST_CASE("defaults come from the schema", "[netdefs]") {
  const NetworkSpec spec = load_netdef_text(R"pb(
    duration_ms: 10
    populations { name: "ext" size: 2 poisson {} }
    populations { name: "exc" size: 3 lif { e_l_mv: -60 v_th_mv: -50 v_reset_mv: -55 } }
    projections { source: "ext" target: "exc" all_to_all {} }
    projections { source: "exc" target: "exc" fixed_indegree { indegree: 2 } delay_ms: 1 }
    recording { voltage_probes { population: "exc" interval_ms: 0.25 } }
  )pb", "defaults");
  CHECK(spec.seed == 1);
  CHECK(spec.populations[0].poisson.rate_hz == 0);
  const LifParams& lif = spec.populations[1].lif;
  CHECK(lif.tau_m_ms == 20);
  CHECK(lif.t_ref_ms == 2);
  CHECK(lif.sigma_mv == 0);
  // v_init unset: every node starts at rest.
  CHECK(lif.v_init_low_mv == -60);
  CHECK(lif.v_init_high_mv == -60);
  CHECK(spec.projections[0].independent_trains);
  CHECK(spec.projections[0].delay_ms == 0);
  CHECK_FALSE(spec.projections[0].allow_autapses);
  CHECK(spec.projections[1].independent_trains);  // LIF source: unset, so the default
  CHECK_FALSE(spec.projections[1].allow_multapses);
  CHECK(spec.simulation == SimulationSpec{});
  CHECK(spec.recording.spikes_from == std::vector<bool>{true, true});
  CHECK(spec.recording.voltage_probes[0].node_ids.empty());
  CHECK(spec.recording.voltage_probes[0].start_ms == 0.25);
}

TEST_CASE("non-finite numbers are refused wherever they appear", "[netdefs]") {
  const NetworkSpec spec = load_netdef_file(all_fields_path());
  // Every double of all_fields.pbtxt, replaced one at a time by nan.
  const std::string text = spec.resolved_text;
  const std::regex number_field(R"((\w+): (-?[0-9.e+-]+)\n)");
  int doubles = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number_field); it != std::sregex_iterator(); ++it) {
    const std::string field = (*it)[1];
    if (field.find("_ms") == std::string::npos && field.find("_mv") == std::string::npos &&
        field.find("_hz") == std::string::npos && field != "p") {
      continue;  // integers
    }
    ++doubles;
    std::string broken = text;
    broken.replace(static_cast<std::size_t>(it->position(2)), static_cast<std::size_t>(it->length(2)), "nan");
    INFO(field);
    const std::string message = test::error_of([&] { load_netdef_text(broken, "nan.pbtxt"); });
    CHECK(message.find(field + " = nan: must be finite") != std::string::npos);
  }
  CHECK(doubles >= 25);
}

}  // namespace
}  // namespace spikeq
