// Loads a netdef (protobuf text format) into a validated NetworkSpec.
//
// Syntax errors come back as "file:line:col: message"; meaning errors name the
// field and value, e.g. `net.pbtxt: populations[2] "exc": lif.tau_m_ms = -5: must be > 0`.
// Both throw spikeq::Error (Kind::BadInput).
#pragma once

#include <string>
#include <vector>

#include "netdefs/spec.h"

namespace spikeq {

// `overrides` are "PATH=VALUE" strings applied before validation, e.g.
// "populations[1].lif.sigma_mv=4", "exc.lif.sigma_mv=4" (population by name),
// "inh.weight_mv=-0.5" (projection by name), "duration_ms=500".
NetworkSpec load_netdef_file(const std::string& path,
                             const std::vector<std::string>& overrides = {});

// Same, from text in memory; `origin` names it in error messages.
NetworkSpec load_netdef_text(const std::string& text, const std::string& origin,
                             const std::vector<std::string>& overrides = {});

// One point of a sweep: `base`'s resolved netdef with its sweeps removed and the
// point's "PATH=VALUE" overrides applied, validated; its resolved_text reruns
// the point alone.
NetworkSpec load_sweep_point(const NetworkSpec& base, const std::vector<std::string>& overrides,
                             const std::string& origin);

}  // namespace spikeq
