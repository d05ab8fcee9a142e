// spikeq validate NETDEF...: load and check each file; report the first problem.
#include <cstdio>

#include "commands.h"
#include "netdefs/loader.h"

namespace spikeq::cli {

Subcommand add_validate(CLI::App& app) {
  auto* sub = app.add_subcommand("validate", "Check netdef files (syntax and meaning)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto sets = std::make_shared<std::vector<std::string>>();
  sub->add_option("netdef", *files, "Netdef files (.pbtxt)")->required();
  sub->add_option("--set", *sets, "Override a field: PATH=VALUE (repeatable)");
  return {sub, [files, sets] {
    for (const std::string& f : *files) {
      const NetworkSpec spec = load_netdef_file(f, *sets);
      std::printf("%s: ok (%zu populations, %llu nodes, %zu projections)\n", f.c_str(),
                  spec.populations.size(), static_cast<unsigned long long>(spec.total_nodes()),
                  spec.projections.size());
    }
    return 0;
  }};
}

}  // namespace spikeq::cli
