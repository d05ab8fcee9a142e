// (b) Malformed netdefs are refused with one exact line, by the library and by
// `spikeq validate` (exit 2, stderr "spikeq: <message>"). Cases live in
// tests/netdefs/malformed/NAME.pbtxt; NAME.expected holds the message with the
// file's path written as FILE.
#include <catch2/catch.hpp>

#include <cstring>

#include "netdef_test_util.h"
#include "netdefs/loader.h"

namespace spikeq {
namespace {

struct MalformedCase {
  std::filesystem::path file;
  std::string expected;  // with FILE replaced by the path
};

std::filesystem::path malformed_dir() { return test::source_path("tests/netdefs/malformed"); }

std::vector<MalformedCase> malformed_cases() {
  std::vector<MalformedCase> cases;
  for (const auto& file : test::files_in(malformed_dir(), ".pbtxt")) {
    auto expected_file = file;
    expected_file.replace_extension(".expected");
    std::string expected = test::read_text(expected_file);
    if (!expected.empty() && expected.back() == '\n') expected.pop_back();
    if (expected.rfind("FILE", 0) == 0) expected.replace(0, 4, file.string());
    cases.push_back({file, expected});
  }
  return cases;
}

// A file that does not exist: the OS reason is part of the message.
std::filesystem::path missing_file() { return malformed_dir() / "no_such_file.pbtxt"; }
std::string missing_file_message() {
  return missing_file().string() + ": cannot read: " + std::strerror(ENOENT);
}

TEST_CASE("malformed table: at least 25 cases, each .pbtxt with one-line .expected", "[netdefs]") {
  const auto inputs = test::files_in(malformed_dir(), ".pbtxt");
  const auto expectations = test::files_in(malformed_dir(), ".expected");
  CHECK(inputs.size() >= 25);
  CHECK(inputs.size() == expectations.size());
  for (const auto& expected_file : expectations) {
    INFO(expected_file.string());
    auto input = expected_file;
    CHECK(std::filesystem::exists(input.replace_extension(".pbtxt")));
    const std::string text = test::read_text(expected_file);
    CHECK(text.rfind("FILE", 0) == 0);
    CHECK(text.find('\n') == text.size() - 1);
  }
}

TEST_CASE("malformed netdefs are refused with their exact message", "[netdefs]") {
  for (const auto& c : malformed_cases()) {
    DYNAMIC_SECTION(c.file.filename().string()) {
      CHECK(test::error_of([&] { load_netdef_file(c.file.string()); }) == c.expected);
      // From memory the origin plays the file's part.
      const std::string text = test::read_text(c.file);
      CHECK(test::error_of([&] { load_netdef_text(text, c.file.string()); }) == c.expected);
    }
  }
}

TEST_CASE("an unreadable netdef is reported with the OS reason", "[netdefs]") {
  CHECK(test::error_of([] { load_netdef_file(missing_file().string()); }) == missing_file_message());
  const std::string dir = malformed_dir().string();
  CHECK(test::error_of([&] { load_netdef_file(dir); }) ==
        dir + ": cannot read: " + std::strerror(EISDIR));
}

void check_cli_refuses(const std::string& file, const std::string& message) {
  const auto result = test::run_process({SPIKEQ_CLI, "validate", file});
  CHECK(result.exit_code == 2);
  CHECK(result.stderr_text == "spikeq: " + message + "\n");
}

TEST_CASE("spikeq validate refuses malformed netdefs: exit 2, one line on stderr", "[netdefs][cli]") {
  REQUIRE(std::filesystem::exists(SPIKEQ_CLI));
  for (const auto& c : malformed_cases()) {
    DYNAMIC_SECTION(c.file.filename().string()) { check_cli_refuses(c.file.string(), c.expected); }
  }
  SECTION("missing file") { check_cli_refuses(missing_file().string(), missing_file_message()); }
}

}  // namespace
}  // namespace spikeq
