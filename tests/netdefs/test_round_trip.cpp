// (d) Text round trip of every schema field, and the conversions the spec
// promises (defaults, v_init, probe start, spikes_from).
#include <catch2/catch.hpp>

#include <cctype>
#include <set>
#include <sstream>

#include "netdef_test_util.h"
#include "netdefs/loader.h"

namespace spikeq {
namespace {

std::string all_fields_path() { return test::source_path("tests/netdefs/all_fields.pbtxt").string(); }

// (No std::regex here: GCC 12 warns inside <regex> under -O2 with sanitizers.)

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// Field names declared in the schema: `[optional|repeated] TYPE NAME = N;`
// (enum values have no TYPE, so they do not match).
std::set<std::string> schema_field_names() {
  std::istringstream schema(test::read_text(test::source_path("netdefs/spikeq.proto")));
  std::set<std::string> names;
  for (std::string line; std::getline(schema, line);) {
    const std::string code = line.substr(0, line.find("//"));
    const std::size_t equals = code.find('=');
    if (equals == std::string::npos) continue;
    auto words = words_of(code.substr(0, equals));
    if (!words.empty() && (words.front() == "optional" || words.front() == "repeated")) {
      words.erase(words.begin());
    }
    if (words.size() == 2 && words.front() != "option") names.insert(words.back());
  }
  return names;
}

// `name` used as a field in text format: a whole word followed by ':' or '{'.
bool sets_field(const std::string& text, const std::string& name) {
  const auto is_word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    if (at > 0 && is_word_char(text[at - 1])) continue;
    std::size_t next = at + name.size();
    while (next < text.size() && text[next] == ' ') ++next;
    if (next < text.size() && (text[next] == ':' || text[next] == '{')) return true;
  }
  return false;
}

TEST_CASE("all_fields.pbtxt sets every field of the schema", "[netdefs]") {
  const auto names = schema_field_names();
  REQUIRE(names.size() > 40);  // the line parser still understands the schema
  const std::string text = test::read_text(all_fields_path());
  for (const auto& name : names) {
    INFO(name);
    CHECK(sets_field(text, name));
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

  REQUIRE(spec.sweeps.size() == 2);
  CHECK(spec.sweeps[0] == SweepSpec{{"exc.lif.sigma_mv"}, "sigma", {1, 2.5}, 1});
  // A range is expanded, both ends included; the name defaults to the first path.
  CHECK(spec.sweeps[1] ==
        SweepSpec{{"inhibition.weight_mv", "recurrent.weight_mv"}, "inhibition_weight_mv", {4, 5, 6}, -0.1});
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
  // Every double of all_fields.pbtxt, replaced one at a time by nan. In the
  // printed text each scalar sits on its own line as `name: value`, and the
  // schema's doubles are the fields with a unit suffix, plus p.
  std::istringstream lines(spec.resolved_text);
  std::vector<std::string> text;
  for (std::string line; std::getline(lines, line);) text.push_back(line);
  const auto is_double = [](const std::string& field) {
    for (const char* unit : {"_ms", "_mv", "_hz"}) {
      if (field.size() > 3 && field.compare(field.size() - 3, 3, unit) == 0) return true;
    }
    return field == "p";
  };
  int doubles = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto words = words_of(text[i]);
    if (words.size() != 2 || words[0].back() != ':') continue;
    const std::string field = words[0].substr(0, words[0].size() - 1);
    if (!is_double(field)) continue;
    ++doubles;
    std::string broken;
    for (std::size_t j = 0; j < text.size(); ++j) broken += (j == i ? field + ": nan" : text[j]) + "\n";
    INFO(field);
    const std::string message = test::error_of([&] { load_netdef_text(broken, "nan.pbtxt"); });
    CHECK(message.find(field + " = nan: must be finite") != std::string::npos);
  }
  CHECK(doubles >= 25);
}

}  // namespace
}  // namespace spikeq
