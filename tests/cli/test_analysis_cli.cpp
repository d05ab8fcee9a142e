// spikeq stats / theory / compare / converge and their --plot, as a user runs
// them: compare must call two seeds of one netdef consistent and a dt = 1 ms
// stepped run of ou_lif different from the event-driven one; plots must be
// non-empty PNGs with the expected number of axes (tests/cli/check_analysis_plots.py
// checks the figures themselves in Python).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "process.h"
#include "small_ei.h"

using namespace spikeq::test;

namespace {

const std::string kCli = SPIKEQ_CLI;
const std::string kPython = "/usr/bin/python3";
std::string example(const std::string& name) { return std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name; }

void run_ok(const std::vector<std::string>& argv) {
  const ProcessResult r = run_process(argv);
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
}

nlohmann::json json_of(const std::vector<std::string>& argv) {
  const ProcessResult r = run_process(argv);
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.stdout_text);
}

const nlohmann::json& quantity(const nlohmann::json& comparison, const std::string& key) {
  for (const auto& q : comparison.at("populations").at(0).at("quantities"))
    if (q.at("key") == key) return q;
  FAIL("no quantity " << key);
  return comparison;
}

// "wrote DIR/NAME.png (N axes)" lines (on stderr) -> NAME -> N.
std::map<std::string, int> written(const std::string& out) {
  std::map<std::string, int> m;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto png = line.find(".png (");
    if (line.rfind("wrote ", 0) != 0 || png == std::string::npos) continue;
    const std::string path = line.substr(6, png + 4 - 6);
    m[std::filesystem::path(path).stem().string()] = std::stoi(line.substr(png + 6));
  }
  return m;
}

void check_png(const std::string& path) {
  INFO(path);
  REQUIRE(std::filesystem::exists(path));
  CHECK(std::filesystem::file_size(path) > 10000);
  CHECK(read_file(path).substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  const std::string svg = path.substr(0, path.size() - 4) + ".svg";
  CHECK(std::filesystem::exists(svg));
}

}  // namespace

TEST_CASE("theory prints each prediction with its formula; --json has the numbers") {
  const ProcessResult r = run_process({kCli, "theory", example("ou_lif.pbtxt")});
  REQUIRE(r.exit_code == 0);
  CHECK(r.stdout_text.find("9.4608 Hz") != std::string::npos);
  CHECK(r.stdout_text.find("Siegert") != std::string::npos);
  CHECK(r.stdout_text.find("models/README.md Q9") != std::string::npos);
  const nlohmann::json j = json_of({kCli, "theory", example("balanced_input.pbtxt"), "--json"});
  const auto& neurons = j.at("populations").at(3);
  CHECK(neurons.at("mu_mv").get<double>() == Approx(20));
  CHECK(neurons.at("sigma_mv").get<double>() == Approx(std::sqrt(17.0)));
  CHECK(neurons.at("rate_hz").get<double>() == Approx(24.9263469320501).epsilon(1e-9));
  const nlohmann::json brunel = json_of({kCli, "theory", example("brunel2000_ai.pbtxt"), "--json"});
  CHECK(brunel.at("mean_field").at("solutions").size() == 1);
}

TEST_CASE("stats reports rate, ISI, Fano, synchrony per population, and aggregates trials") {
  TempDir dir;
  run_ok({kCli, "run", example("poisson.pbtxt"), "-o", dir / "run", "-q", "--duration", "2000"});
  const nlohmann::json j = json_of({kCli, "stats", dir / "run", "--json", "--window", "10,100"});
  CHECK(j.at("trials") == 1);
  const auto& fast = j.at("populations").at(1);
  CHECK(fast.at("name") == "fast");
  // 100 Poisson sources at 50 Hz for 2 s: rate within 5 SE of 50 Hz, CV and Fano near 1.
  const double rate = fast.at("rate_hz").get<double>(), sem = fast.at("rate_sem_hz").get<double>();
  CHECK(std::abs(rate - 50) < 5 * sem);
  CHECK(std::abs(fast.at("cv_isi").get<double>() - 1) < 5 * fast.at("cv_isi_se").get<double>());
  REQUIRE(fast.at("fano").size() == 2);
  CHECK(fast.at("fano").at(1).at("window_ms") == 100);
  CHECK(std::abs(fast.at("fano").at(1).at("fano").get<double>() - 1) <
        5 * fast.at("fano").at(1).at("fano_se").get<double>());
  CHECK(j.at("theory").at("populations").at(1).at("rate_hz") == 50);
  const ProcessResult text = run_process({kCli, "stats", dir / "run"});
  CHECK(text.stdout_text.find("fast (poisson, 100 nodes)") != std::string::npos);

  // Two trials side by side: mean ± SEM across them.
  std::filesystem::create_directories(dir / "trials");
  run_ok({kCli, "run", example("poisson.pbtxt"), "-o", dir / "trials/trial-0000", "-q", "--duration", "500"});
  run_ok({kCli, "run", example("poisson.pbtxt"), "-o", dir / "trials/trial-0001", "-q", "--duration", "500",
          "--seed", "2", "--format", "tsv"});
  const nlohmann::json t = json_of({kCli, "stats", dir / "trials", "--json"});
  CHECK(t.at("trials") == 2);
  CHECK(t.at("populations").at(0).at("rate_sem_hz").is_number());

  const ProcessResult missing = run_process({kCli, "stats", dir / "nothing"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.stderr_text.find("not a directory") != std::string::npos);
}

TEST_CASE("compare: two seeds of ou_lif are consistent; stepped dt = 1 ms differs from event-driven") {
  TempDir dir;
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", dir / "a", "-q"});
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", dir / "b", "-q", "--seed", "2"});
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", dir / "dt1", "-q", "--mode", "stepped", "--dt", "1"});

  const nlohmann::json same = json_of({kCli, "compare", dir / "a", dir / "b", "--json"});
  CHECK(same.at("overall").at("verdict") == "consistent");
  CHECK(quantity(same, "rate_hz").at("verdict") == "consistent");
  CHECK(quantity(same, "isi_ks").at("verdict") == "consistent");
  CHECK(quantity(same, "rate_hz").at("theory").get<double>() == Approx(9.4608).epsilon(1e-4));
  const ProcessResult text = run_process({kCli, "compare", dir / "a", dir / "b"});
  CHECK(text.stdout_text.find("overall: consistent") != std::string::npos);

  const nlohmann::json diff = json_of({kCli, "compare", dir / "a", dir / "dt1", "--json"});
  CHECK(diff.at("overall").at("verdict") == "differs");
  const auto& rate = quantity(diff, "rate_hz");
  CHECK(rate.at("verdict") == "differs");
  CHECK(rate.at("diff").get<double>() < 0);  // crossings lost between grid points
  CHECK(rate.at("ci_high").get<double>() < 0);
  CHECK(quantity(diff, "isi_ks").at("verdict") == "differs");
}

TEST_CASE("converge runs both engines at each dt and fits the order") {
  const nlohmann::json j =
      json_of({kCli, "converge", example("ou_lif.pbtxt"), "--dt", "1,0.25", "--set", "neurons.size=300",
               "--duration", "400", "--trials", "2", "--threads", "1", "--json"});
  CHECK(j.at("trials") == 2);
  CHECK(j.at("from_ms") == 40);
  CHECK(j.at("stepped").size() == 4);
  CHECK(j.at("errors").size() == 4);
  CHECK(j.at("fits").size() == 4);
  for (const auto& e : j.at("errors")) CHECK(e.at("rate_error_vs_event_hz").get<double>() < 0);
  const ProcessResult text =
      run_process({kCli, "converge", example("ou_lif.pbtxt"), "--dt", "1,0.25", "--set", "neurons.size=100",
                   "--duration", "200", "--integrator", "euler", "--threads", "1"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.stdout_text.find("fitted order") != std::string::npos);
  CHECK(text.stdout_text.find("euler  vs event") != std::string::npos);
  CHECK(text.stdout_text.find("exact  vs event") == std::string::npos);
  const ProcessResult bad = run_process({kCli, "converge", example("ou_lif.pbtxt"), "--dt", "0.3"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.stderr_text.find("dt = 0.3 ms") != std::string::npos);
}

TEST_CASE("plots: stats, compare and converge --plot write PNG and SVG figures with the expected axes") {
  TempDir dir;
  run_ok({kCli, "run", example("free_membrane.pbtxt"), "-o", dir / "fm", "-q", "--set", "membranes.size=200"});
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", dir / "a", "-q", "--set", "neurons.size=300"});
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", dir / "b", "-q", "--set", "neurons.size=300", "--seed", "5",
          "--format", "tsv"});

  ProcessResult r = run_process({kCli, "stats", dir / "a", "--plot", dir / "plots_a"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  auto w = written(r.stderr_text);
  CHECK(w["raster"] == 2);  // raster + population rate
  CHECK(w["isi"] == 1);
  CHECK(w["counts"] == 1);
  for (const char* f : {"raster", "isi", "counts"}) check_png(dir / (std::string("plots_a/") + f + ".png"));
  CHECK(std::filesystem::exists(dir / "plots_a/stats.json"));

  r = run_process({kCli, "stats", dir / "fm", "--from", "100", "--plot", dir / "plots_fm"});
  REQUIRE(r.exit_code == 0);
  w = written(r.stderr_text);
  CHECK(w["membrane"] == 1);
  CHECK(w.count("isi") == 0);  // no spikes: no ISI figure
  check_png(dir / "plots_fm/membrane.png");

  r = run_process({kCli, "compare", dir / "a", dir / "b", "--plot", dir / "plots_ab"});
  REQUIRE(r.exit_code == 0);
  w = written(r.stderr_text);
  CHECK(w["raster_a"] == 2);
  CHECK(w["raster_b"] == 2);
  CHECK(w["isi"] == 1);
  check_png(dir / "plots_ab/isi.png");

  r = run_process({kCli, "converge", example("ou_lif.pbtxt"), "--dt", "1,0.5,0.25", "--set", "neurons.size=200",
                   "--duration", "300", "--threads", "1", "--plot", dir / "plots_conv"});
  REQUIRE(r.exit_code == 0);
  w = written(r.stderr_text);
  CHECK(w["convergence"] == 2);  // one population: error log-log + rate vs dt
  check_png(dir / "plots_conv/convergence.png");
}

TEST_CASE("plot figures checked in Python: axes, labels, phase diagram of a synthetic sweep") {
  TempDir dir;
  const ProcessResult r = run_process(
      {kPython, std::string(SPIKEQ_SOURCE_DIR) + "/tests/cli/check_analysis_plots.py", dir.path()});
  INFO(r.stdout_text << r.stderr_text);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_text.find("all plot checks passed") != std::string::npos);
}

TEST_CASE("compare: the same network with its populations declared in another order is consistent") {
  // small_ei with exc declared before inh, and after: node numbering differs, so do
  // the uniform initial states (drawn per population index), but not the model.
  TempDir tmp;
  std::string text = kSmallEiNetdef;
  const std::size_t exc = text.find("populations { name: \"exc\"");
  const std::size_t inh = text.find("populations { name: \"inh\"");
  const std::size_t projections = text.find("projections");
  const std::string swapped = text.substr(0, exc) + text.substr(inh, projections - inh) + "\n" +
                              text.substr(exc, inh - exc) + text.substr(projections);
  std::ofstream(tmp / "a.pbtxt") << text;
  std::ofstream(tmp / "b.pbtxt") << swapped;
  for (const char* name : {"a", "b"})
    run_ok({kCli, "run", tmp / (std::string(name) + ".pbtxt"), "-o", tmp / name, "--trials", "4", "--duration", "1000", "-q"});
  const nlohmann::json j = json_of({kCli, "compare", tmp / "a", tmp / "b", "--json", "--from", "100"});
  CHECK(j.at("overall").at("verdict") == "consistent");
  CHECK(quantity(j, "rate_hz").at("verdict") == "consistent");
}

TEST_CASE("with --json, stdout is exactly one JSON document, also with --plot (messages go to stderr)") {
  TempDir tmp;
  const std::string a = tmp / "a", b = tmp / "b";
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", a, "--duration", "200", "--set", "neurons.size=50", "-q"});
  run_ok({kCli, "run", example("ou_lif.pbtxt"), "-o", b, "--duration", "200", "--set", "neurons.size=50", "--seed", "2",
          "-q"});
  const std::vector<std::vector<std::string>> commands = {
      {kCli, "stats", a, "--json", "--plot", tmp / "p_stats"},
      {kCli, "compare", a, b, "--json", "--plot", tmp / "p_compare"},
      {kCli, "theory", example("ou_lif.pbtxt"), "--json"},
      {kCli, "converge", example("ou_lif.pbtxt"), "--dt", "1", "--set", "neurons.size=50", "--duration", "100",
       "--threads", "1", "--json", "--plot", tmp / "p_converge"},
  };
  for (const auto& argv : commands) {
    INFO(argv[1]);
    const ProcessResult r = run_process(argv);
    INFO(r.stderr_text);
    REQUIRE(r.exit_code == 0);
    CHECK_NOTHROW(nlohmann::json::parse(r.stdout_text));  // one document, nothing before or after
    if (argv[1] != "theory") CHECK(r.stderr_text.find("wrote") != std::string::npos);
  }
}
