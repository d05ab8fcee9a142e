// libFuzzer entry point for the netdef loader: arbitrary bytes in, and either a
// spec or a spikeq::Error out. Anything else (another exception, a crash, a
// sanitizer report, a spec whose resolved text reloads differently) is a bug.
//
// Lines starting with "#=" also become --set overrides ("#=exc.size=3"); to the
// text parser they are comments, so every seed stays a valid netdef.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netdefs/error.h"
#include "netdefs/loader.h"

namespace {

std::vector<std::string> overrides_in(std::string_view text) {
  std::vector<std::string> overrides;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    if (line.starts_with("#=")) overrides.emplace_back(line.substr(2));
    begin = end + 1;
  }
  return overrides;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const spikeq::NetworkSpec spec = spikeq::load_netdef_text(text, "fuzz", overrides_in(text));
    // The resolved text is what manifests keep: it must reproduce the spec.
    if (!(spikeq::load_netdef_text(spec.resolved_text, "fuzz") == spec)) __builtin_trap();
  } catch (const spikeq::Error&) {
    // The loader refusing bad input is its job.
  }
  return 0;
}
