// Helpers shared by the netdef tests: source paths, file text, error capture,
// and running the spikeq CLI as a separate process.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "netdefs/error.h"
#include "process.h"  // run_process: the CLI as a separate process

namespace spikeq::test {

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(SPIKEQ_SOURCE_DIR) / relative;
}

// Sorted, so test output is stable. Only regular files ending in `extension`.
std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                            const std::string& extension);

std::string read_text(const std::filesystem::path& path);

// The message of the spikeq::Error that `load` throws; fails the test when it
// throws nothing or something else.
template <typename Load>
std::string error_of(Load&& load) {
  try {
    load();
  } catch (const spikeq::Error& e) {
    CHECK(e.kind() == spikeq::Error::Kind::BadInput);
    return e.what();
  }
  FAIL("expected a spikeq::Error, got none");
  return {};
}

}  // namespace spikeq::test
