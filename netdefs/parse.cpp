#include "netdefs/parse.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "netdefs/error.h"

namespace spikeq::netdef {
namespace {

// Keeps only the first error: later ones are usually echoes of it, and the
// contract is one line per failure.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(const std::string& origin) : origin_(origin) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_) return;
    std::string text = origin_;
    // The parser reports errors without a position (e.g. at end of input for
    // some checks) as line -1.
    if (line >= 0) text += ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1);
    text += ": " + one_line(message);
    first_ = std::move(text);
  }

  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  const std::optional<std::string>& first() const { return first_; }

 private:
  static std::string one_line(std::string message) {
    for (char& c : message) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    // "Expected identifier, got: " ends in the (empty) end-of-input token.
    while (!message.empty() && message.back() == ' ') message.pop_back();
    return message;
  }

  std::string origin_;
  std::optional<std::string> first_;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

[[noreturn]] void throw_cannot_read(const std::string& path, int error_number) {
  throw Error(path + ": cannot read: " + std::strerror(error_number));
}

}  // namespace

std::string read_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw_cannot_read(path, errno);
  std::string content;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) content.append(buffer, got);
  // fopen succeeds on a directory; the read then fails with EISDIR.
  if (std::ferror(file.get())) throw_cannot_read(path, errno);
  return content;
}

pb::Network parse_text(const std::string& text, const std::string& origin) {
  FirstErrorCollector errors(origin);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  pb::Network network;
  if (!parser.ParseFromString(text, &network)) {
    throw Error(errors.first().value_or(origin + ": cannot parse"));
  }
  return network;
}

}  // namespace spikeq::netdef
