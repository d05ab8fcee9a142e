// (a) Every shipped example network loads and validates, and its resolved text
// reloads to the same spec. An empty netdefs/ is a failure: the examples are
// part of the product.
#include <catch2/catch.hpp>

#include "netdef_test_util.h"
#include "netdefs/loader.h"

namespace spikeq {
namespace {

TEST_CASE("every example netdef validates", "[netdefs]") {
  const auto files = test::files_in(test::source_path("netdefs"), ".pbtxt");
  REQUIRE_FALSE(files.empty());
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      NetworkSpec spec;
      REQUIRE_NOTHROW(spec = load_netdef_file(file.string()));
      CHECK(spec.total_nodes() > 0);
      CHECK(load_netdef_text(spec.resolved_text, "resolved") == spec);
    }
  }
}

}  // namespace
}  // namespace spikeq
