// Numeric command-line flags, one code path for every command: the text is
// parsed by the rules of --set values (netdefs/number_text.h: the whole text one
// number of the type, never saturated), NaN and infinity are refused, and the
// value is held to its range (netdefs/limits.h). A flag that stands for a
// netdef field (`--duration`, `--dt`, `--seed`, `--trials`) becomes a --set
// override instead, so it is also validated like one.
//
// Refusals are CLI11 parse errors (main prints them, exit 2) worded like the
// loader's: `--threads = 100000: must be <= 1024 (...)`, `--seed: "x" is not
// an integer`.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace spikeq::cli {

// The exit code of a run ended by `signal`: 143 for SIGTERM, else 130 (SIGINT).
int exit_code_for(int signal);

// A flag's value refused: main prints it as it is (no "see --help": the line
// already says what is wrong and what is allowed).
class FlagError : public CLI::ValidationError {
 public:
  explicit FlagError(const std::string& message) : CLI::ValidationError(message) {}
};

// `flag VALUE` appends "PATH=VALUE" to `overrides`, checked at once by the --set
// parser (netdef::flag_override); the field's range applies when the netdef is
// validated. Keep `overrides` apart from --set's and append it after them, so
// the flag wins.
CLI::Option* add_override_flag(CLI::App& sub, const std::string& flag, const std::string& path,
                               std::vector<std::string>& overrides, const std::string& help);

// A real number in [min, max] (in (min, max] when min_exclusive).
struct Bounds {
  double min;
  double max;
  bool min_exclusive = false;
  std::string why = {};  // appended to the message when above max, in parentheses
};
CLI::Option* add_number_flag(CLI::App& sub, const std::string& flag, double& target, const Bounds& bounds,
                             const std::string& help);
// Comma-separated numbers, each in bounds.
CLI::Option* add_numbers_flag(CLI::App& sub, const std::string& flag, std::vector<double>& target,
                              const Bounds& bounds, const std::string& help);
// A whole number in [min, max] (`why` explains max); `given` (optional) is set
// when the flag appears.
CLI::Option* add_count_flag(CLI::App& sub, const std::string& flag, std::uint64_t& target, std::uint64_t min,
                            std::uint64_t max, const std::string& why, const std::string& help,
                            bool* given = nullptr);

}  // namespace spikeq::cli
