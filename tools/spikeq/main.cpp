// spikeq: the command-line front end. Thin: parse arguments, call the library,
// print. Exit codes: 0 success, 2 bad input (netdef, arguments), 1 failure at run
// time (I/O, memory), 3 `recover` rebuilt files that have gaps, 130/143 interrupted.
// Started by mpirun, every rank runs this; rank 0 speaks for them (README
// "Running on a cluster").
#include <cstdio>
#include <exception>
#include <new>

#include "commands.h"
#include "engine/comm/session.h"
#include "flags.h"
#include "netdefs/error.h"
#include "netdefs/format.h"
#include "spikeq_version.h"

namespace {

// Under mpirun every rank runs main; what all of them would print alike, rank 0 prints.
bool speaks(const spikeq::comm::Session& session) {
  return spikeq::comm::Session::world().is_root() && session.launcher_rank() == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // MPI is initialised only when a launcher started this process (engine/comm/session.h).
  spikeq::comm::Session session(argc, argv);
  if (!session.refusal().empty()) {
    if (speaks(session)) std::fprintf(stderr, "spikeq: %s\n", session.refusal().c_str());
    return 2;
  }
  CLI::App app{"spikeq — exact event-driven spiking network simulation"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("spikeq ") + spikeq::kVersion + " (" + spikeq::kGitRevision + ", " +
                                        spikeq::kBuildType +
                                        (spikeq::comm::compiled_with_mpi() ? ", MPI" : "") + ")");
  std::vector<spikeq::cli::Subcommand> commands;
  for (auto add : {spikeq::cli::add_validate, spikeq::cli::add_info, spikeq::cli::add_run, spikeq::cli::add_convert,
                   spikeq::cli::add_recover, spikeq::cli::add_stats, spikeq::cli::add_theory,
                   spikeq::cli::add_compare, spikeq::cli::add_converge})
    commands.push_back(add(app));
  // CLI11 would say only "A subcommand is required" for `spikeq bogus`.
  std::string names;
  bool known = false;
  for (const auto& cmd : commands) {
    names += (names.empty() ? "" : ", ") + cmd.app->get_name();
    known = known || (argc > 1 && cmd.app->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::fprintf(stderr, "spikeq: unknown command %s (commands: %s; see spikeq --help)\n",
                 spikeq::netdef::quote(argv[1]).c_str(), names.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const spikeq::cli::FlagError& e) {
    std::fprintf(stderr, "spikeq: %s\n", e.what());
    return 2;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "spikeq: %s (see spikeq --help)\n", e.what());
    return 2;
  }
  const int ranks = spikeq::comm::Session::world().size();
  try {
    for (auto& cmd : commands) {
      if (!cmd.app->parsed()) continue;
      if (ranks > 1 && cmd.app->get_name() != "run")
        throw spikeq::Error("mpirun started " + std::to_string(ranks) + " ranks, but `spikeq " +
                            cmd.app->get_name() + "` runs in one process: run it without mpirun (only `spikeq run` "
                            "with trials or a sweep spreads over ranks)");
      return cmd.run();
    }
  } catch (const spikeq::Error& e) {
    if (speaks(session)) std::fprintf(stderr, "spikeq: %s\n", e.what());
    return e.kind() == spikeq::Error::Kind::BadInput ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "spikeq: out of memory (lower the network size or --memory-limit-mb)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spikeq: %s\n", e.what());
    return 1;
  }
  return 0;
}
