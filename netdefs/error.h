// The one exception type of spikeq: a message fit to show a user as one line.
// Raised first by the loader, so it lives at the bottom of the data flow.
#pragma once

#include <stdexcept>
#include <string>

namespace spikeq {

// Kind decides the CLI's exit code: bad input (2) or a failure at run time (1).
class Error : public std::runtime_error {
 public:
  enum class Kind { BadInput, Runtime };
  explicit Error(const std::string& message, Kind kind = Kind::BadInput)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace spikeq
