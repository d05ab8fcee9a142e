// Command-line flags that stand for --set overrides (`--duration 500` is
// `--set duration_ms=500`), checked by the --set parser itself: one code path,
// so a flag and --set accept and refuse the same texts. No protobuf types here:
// the CLI includes it (tools/spikeq/flags.h).
#pragma once

#include <string>

namespace spikeq::netdef {

// Returns "PATH=VALUE" after checking VALUE with the --set parser; throws Error
// "FLAG: problem" otherwise (`--seed: "abc" is not an integer`). PATH must exist
// in every netdef (a top-level or simulation.* field). The field's range applies
// when the netdef is validated, with the field's name in the message.
std::string flag_override(const std::string& flag, const std::string& path, const std::string& value);

}  // namespace spikeq::netdef
