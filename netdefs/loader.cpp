// The loader's pipeline: parse -> --set overrides -> validate -> plain structs.
#include "netdefs/loader.h"

#include <google/protobuf/text_format.h>

#include "netdefs/convert.h"
#include "netdefs/error.h"
#include "netdefs/overrides.h"
#include "netdefs/parse.h"
#include "netdefs/validate.h"

namespace spikeq {

namespace {

NetworkSpec finish_loading(pb::Network& network, const std::string& origin,
                           const std::vector<std::string>& overrides) {
  netdef::apply_overrides(network, overrides);
  netdef::validate(network, origin);
  NetworkSpec spec = netdef::to_spec(network);
  // Printed after the overrides, so the text alone reproduces this spec.
  if (!google::protobuf::TextFormat::PrintToString(network, &spec.resolved_text)) {
    throw Error(origin + ": cannot print the resolved netdef", Error::Kind::Runtime);
  }
  return spec;
}

}  // namespace

NetworkSpec load_netdef_text(const std::string& text, const std::string& origin,
                             const std::vector<std::string>& overrides) {
  pb::Network network = netdef::parse_text(text, origin);
  return finish_loading(network, origin, overrides);
}

NetworkSpec load_sweep_point(const NetworkSpec& base, const std::vector<std::string>& overrides,
                             const std::string& origin) {
  pb::Network network = netdef::parse_text(base.resolved_text, origin);
  network.clear_sweep();
  return finish_loading(network, origin, overrides);
}

NetworkSpec load_netdef_file(const std::string& path, const std::vector<std::string>& overrides) {
  return load_netdef_text(netdef::read_file(path), path, overrides);
}

}  // namespace spikeq
