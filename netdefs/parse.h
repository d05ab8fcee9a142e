// Reading and parsing netdef text into the protobuf message, with errors as
// `origin:line:col: message` (1-based, the first error only).
#pragma once

#include <string>

#include "spikeq.pb.h"

namespace spikeq::netdef {

// The whole file as bytes; throws Error "path: cannot read: <strerror>".
std::string read_file(const std::string& path);

// Parses protobuf text format strictly (no unknown fields, no repeated
// singular fields); throws Error "origin:line:col: message" on the first error.
pb::Network parse_text(const std::string& text, const std::string& origin);

}  // namespace spikeq::netdef
