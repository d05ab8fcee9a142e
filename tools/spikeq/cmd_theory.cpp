// spikeq theory NETDEF: what theory predicts for every population, each number
// with the formula it came from (engine/theory/theory_report.h).
#include <cstdio>

#include "commands.h"
#include "engine/theory/theory_report.h"
#include "netdefs/loader.h"

namespace spikeq::cli {

Subcommand add_theory(CLI::App& app) {
  auto* sub = app.add_subcommand("theory", "What theory predicts for a netdef (rates, CVs, input and membrane moments, "
                                           "mean-field solutions), with the formula behind each number");
  auto file = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  sub->add_option("netdef", *file, "Netdef file (.pbtxt)")->required();
  sub->add_option("--set", *sets, "Override a field: PATH=VALUE (repeatable)");
  sub->add_flag("--json", *json, "Print JSON (keys documented in engine/theory/theory_report.h)");
  return {sub, [file, sets, json] {
    const NetworkSpec spec = load_netdef_file(*file, *sets);
    const theory::TheoryReport report = theory::theory_report(spec);
    if (*json) std::printf("%s\n", theory::theory_json(report).dump(2).c_str());
    else std::fputs(theory::format_theory(report).c_str(), stdout);
    return 0;
  }};
}

}  // namespace spikeq::cli
