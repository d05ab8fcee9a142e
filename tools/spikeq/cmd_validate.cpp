// spikeq validate NETDEF...: load and check each file; for each, "ok" or its first problem.
#include <cstdio>

#include "commands.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"

namespace spikeq::cli {

Subcommand add_validate(CLI::App& app) {
  auto* sub = app.add_subcommand("validate", "Check netdef files (syntax and meaning)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto sets = std::make_shared<std::vector<std::string>>();
  sub->add_option("netdef", *files, "Netdef files (.pbtxt)")->required();
  sub->add_option("--set", *sets, "Override a field: PATH=VALUE (repeatable)");
  // Every file is checked, even after one failed: one line per file (ok on
  // stdout, the problem on stderr), exit 2 if any failed.
  return {sub, [files, sets] {
    int failed = 0;
    for (const std::string& f : *files) {
      try {
        const NetworkSpec spec = load_netdef_file(f, *sets);
        std::printf("%s: ok (%zu populations, %llu nodes, %zu projections)\n", f.c_str(), spec.populations.size(),
                    static_cast<unsigned long long>(spec.total_nodes()), spec.projections.size());
      } catch (const Error& e) {
        std::fflush(stdout);  // keep the lines in file order on a shared terminal
        std::fprintf(stderr, "spikeq: %s\n", e.what());
        ++failed;
      }
    }
    return failed > 0 ? 2 : 0;
  }};
}

}  // namespace spikeq::cli
