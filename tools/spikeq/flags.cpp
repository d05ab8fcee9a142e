#include "flags.h"

#include <csignal>

#include <cmath>
#include <memory>

#include "netdefs/error.h"
#include "netdefs/format.h"
#include "netdefs/number_text.h"
#include "netdefs/flag_override.h"

namespace spikeq::cli {

int exit_code_for(int signal) { return signal == SIGTERM ? 143 : 130; }
namespace {

using netdef::format_number;

[[noreturn]] void refuse(const std::string& message) { throw FlagError(message); }

std::string with_why(const std::string& text, const std::string& why) {
  return why.empty() ? text : text + " (" + why + ")";
}

double parse_real(const std::string& flag, const std::string& text, const Bounds& b) {
  double value = 0;
  if (const auto problem = netdef::parse_number(text, value, flag, "double")) refuse(flag + ": " + *problem);
  const std::string shown = flag + " = " + format_number(value) + ": ";
  if (!std::isfinite(value)) refuse(shown + "must be finite");
  if (b.min_exclusive ? !(value > b.min) : !(value >= b.min))
    refuse(shown + "must be " + (b.min_exclusive ? "> " : ">= ") + format_number(b.min));
  if (!(value <= b.max)) refuse(with_why(shown + "must be <= " + format_number(b.max), b.why));
  return value;
}

}  // namespace

CLI::Option* add_override_flag(CLI::App& sub, const std::string& flag, const std::string& path,
                               std::vector<std::string>& overrides, const std::string& help) {
  return sub.add_option_function<std::string>(
      flag,
      [flag, path, &overrides](const std::string& text) {
        try {
          overrides.push_back(netdef::flag_override(flag, path, text));
        } catch (const Error& e) {
          refuse(e.what());
        }
      },
      help);
}

CLI::Option* add_number_flag(CLI::App& sub, const std::string& flag, double& target, const Bounds& bounds,
                             const std::string& help) {
  return sub.add_option_function<std::string>(
      flag, [flag, bounds, &target](const std::string& text) { target = parse_real(flag, text, bounds); }, help);
}

CLI::Option* add_numbers_flag(CLI::App& sub, const std::string& flag, std::vector<double>& target,
                              const Bounds& bounds, const std::string& help) {
  return sub
      .add_option_function<std::vector<std::string>>(
          flag,
          [flag, bounds, &target](const std::vector<std::string>& texts) {
            target.clear();
            for (const std::string& text : texts) target.push_back(parse_real(flag, text, bounds));
          },
          help)
      ->delimiter(',');
}

CLI::Option* add_count_flag(CLI::App& sub, const std::string& flag, std::uint64_t& target, std::uint64_t min,
                            std::uint64_t max, const std::string& why, const std::string& help, bool* given) {
  return sub.add_option_function<std::string>(
      flag,
      [flag, min, max, why, given, &target](const std::string& text) {
        std::uint64_t value = 0;
        if (const auto problem = netdef::parse_number(text, value, flag, "uint64")) refuse(flag + ": " + *problem);
        const std::string shown = flag + " = " + format_number(value) + ": ";
        if (value < min) refuse(shown + "must be >= " + format_number(min));
        if (value > max) refuse(with_why(shown + "must be <= " + format_number(max), why));
        target = value;
        if (given) *given = true;
      },
      help);
}

}  // namespace spikeq::cli
