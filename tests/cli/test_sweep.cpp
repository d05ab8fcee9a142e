// spikeq run --sweep and netdef sweep {}: the points and their order, the
// nested layout, sweep.tsv as the phase plot reads it, each point equal to a
// single run with --set, and one-line refusals of bad paths before any output.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "process.h"
#include "small_ei.h"

using namespace spikeq::test;
namespace fs = std::filesystem;

namespace {

const std::string kCli = SPIKEQ_CLI;

std::vector<std::vector<std::string>> tsv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cols(line);
    for (std::string cell; std::getline(cols, cell, '\t');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

TEST_CASE("sweep: points in order (first sweep slowest), results equal single runs with --set") {
  TempDir tmp;
  const std::string net = tmp / "small_ei.pbtxt";
  std::ofstream(net) << kSmallEiNetdef;
  const ProcessResult r = run_process({kCli, "run", net, "--sweep", "ie.weight_mv+ii.weight_mv=-0.5:-1.5:3",
                                       "--sweep", "ext.poisson.rate_hz=5000,7000", "--trials", "2", "--format",
                                       "tsv", "-o", tmp / "s"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK(r.stdout_text.find("sweep of 6 points x 2 trials") != std::string::npos);
  CHECK(r.stdout_text.find("point-0003 ie_weight_mv=-1 ext_poisson_rate_hz=7000 | exc ") != std::string::npos);
  const auto rows = tsv_rows(read_file(tmp / "s/sweep.tsv"));
  REQUIRE(rows.size() == 7);
  CHECK(std::vector<std::string>(rows[0].begin(), rows[0].begin() + 4) ==
        std::vector<std::string>{"point", "ie_weight_mv", "ext_poisson_rate_hz", "exc.rate_hz"});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"-0.5", "5000"}, {"-0.5", "7000"}, {"-1", "5000"}, {"-1", "7000"}, {"-1.5", "5000"}, {"-1.5", "7000"}};
  for (std::size_t p = 0; p < 6; ++p) {
    CHECK(rows[p + 1][0] == std::to_string(p));
    CHECK(rows[p + 1][1] == expected[p].first);
    CHECK(rows[p + 1][2] == expected[p].second);
    CHECK(std::stod(rows[p + 1][3]) > 1);  // exc.rate_hz
    CHECK(rows[p + 1].size() == rows[0].size());
  }
  // Inhibition lowers the rate.
  CHECK(std::stod(rows[5][3]) < std::stod(rows[1][3]));
  const nlohmann::json sweep = nlohmann::json::parse(read_file(tmp / "s/sweep.json"));
  CHECK(sweep["point_count"] == 6);
  CHECK(sweep["networks_built"] == 6);  // one frozen network per point, shared by its 2 trials
  CHECK(sweep["points"][4]["dir"] == "point-0004");
  CHECK(sweep["points"][4]["values"]["ie_weight_mv"] == -1.5);
  CHECK(fs::exists(tmp / "s/point-0004/trials.json"));

  for (const int trial : {0, 1}) {
    const ProcessResult single =
        run_process({kCli, "run", net, "--set", "ie.weight_mv=-1.5", "--set", "ii.weight_mv=-1.5", "--set",
                     "ext.poisson.rate_hz=5000", "--trial", std::to_string(trial), "--format", "tsv", "-o",
                     tmp / ("single" + std::to_string(trial)), "-q"});
    REQUIRE(single.exit_code == 0);
    CHECK(read_file(tmp / ("single" + std::to_string(trial)) + "/spikes.tsv") ==
          read_file(tmp / ("s/point-0004/trial-000" + std::to_string(trial)) + "/spikes.tsv"));
  }
  // The point's manifest holds a netdef that reruns the point alone (no sweep in it).
  const nlohmann::json manifest = nlohmann::json::parse(read_file(tmp / "s/point-0004/trial-0000/manifest.json"));
  const std::string resolved = manifest["netdef_resolved"];
  CHECK(resolved.find("sweep") == std::string::npos);
  CHECK(resolved.find("rate_hz: 5000") != std::string::npos);
}

TEST_CASE("sweep: bad paths and values are refused in one line before any output") {
  TempDir tmp;
  const std::string net = tmp / "small_ei.pbtxt";
  std::ofstream(net) << kSmallEiNetdef;
  const ProcessResult bad_path = run_process({kCli, "run", net, "--sweep", "exc.lif.nope=1,2", "-o", tmp / "a"});
  CHECK(bad_path.exit_code == 2);
  CHECK(bad_path.stderr_text ==
        "spikeq: sweep point 0 (exc.lif.nope=1): --set exc.lif.nope=1: no field \"nope\" in spikeq.pb.LifModel\n");
  CHECK_FALSE(fs::exists(tmp / "a"));
  const ProcessResult bad_value = run_process({kCli, "run", net, "--sweep", "exc.lif.tau_m_ms=10,-1", "-o", tmp / "b"});
  CHECK(bad_value.exit_code == 2);
  CHECK(bad_value.stderr_text.find("sweep point 1 (exc.lif.tau_m_ms=-1)") != std::string::npos);
  CHECK(bad_value.stderr_text.find("tau_m_ms = -1: must be > 0") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp / "b"));
  const ProcessResult bad_syntax = run_process({kCli, "run", net, "--sweep", "duration_ms=1:2", "-o", tmp / "c"});
  CHECK(bad_syntax.exit_code == 2);
  CHECK(bad_syntax.stderr_text.rfind("spikeq: --sweep duration_ms=1:2: expected FROM:TO:COUNT", 0) == 0);
  // A netdef sweep is checked by `spikeq validate` too.
  const std::string swept = tmp / "swept.pbtxt";
  std::ofstream(swept) << kSmallEiNetdef << "sweep { path: \"exc.lif.tau_m_ms\" values: [10, 0] }\n";
  const ProcessResult validate = run_process({kCli, "validate", swept});
  CHECK(validate.exit_code == 2);
  CHECK(validate.stderr_text.find("sweep point 1 (exc.lif.tau_m_ms=0)") != std::string::npos);
}

TEST_CASE("sweep: brunel2000_phase.pbtxt sweeps (g, eta) on a 4 x 3 grid in Brunel's units") {
  TempDir tmp;
  const std::string phase = std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/brunel2000_phase.pbtxt";
  const ProcessResult r = run_process({kCli, "run", phase, "--duration", "5", "-o", tmp / "ph", "-q"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  const auto rows = tsv_rows(read_file(tmp / "ph/sweep.tsv"));
  REQUIRE(rows.size() == 13);
  CHECK(std::vector<std::string>(rows[0].begin(), rows[0].begin() + 4) ==
        std::vector<std::string>{"point", "g", "eta", "exc.rate_hz"});
  CHECK((rows[1][1] == "3" && rows[1][2] == "0.9"));
  CHECK((rows[12][1] == "6" && rows[12][2] == "4"));
  // g = 6, eta = 4: both inhibitory weights -0.25 g = -1.5 mV, the drive 4000 eta = 16000 Hz.
  const nlohmann::json manifest = nlohmann::json::parse(read_file(tmp / "ph/point-0011/trial-0000/manifest.json"));
  const std::string resolved = manifest["netdef_resolved"];
  CHECK(resolved.find("rate_hz: 16000") != std::string::npos);
  CHECK(resolved.find("weight_mv: -1.5") != std::string::npos);
}
