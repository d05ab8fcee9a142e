// The spikeq subcommands. Each registers itself on the CLI11 app and returns the
// function that runs it; the functions throw spikeq::Error for anything the user
// should read, and main() turns that into one line and an exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace spikeq::cli {

using Command = std::function<int()>;

struct Subcommand {
  CLI::App* app;
  Command run;
};

Subcommand add_validate(CLI::App& app);
Subcommand add_info(CLI::App& app);
Subcommand add_run(CLI::App& app);
Subcommand add_convert(CLI::App& app);
Subcommand add_recover(CLI::App& app);
Subcommand add_stats(CLI::App& app);
Subcommand add_theory(CLI::App& app);
Subcommand add_compare(CLI::App& app);
Subcommand add_converge(CLI::App& app);

}  // namespace spikeq::cli
