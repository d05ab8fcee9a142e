// Strict text -> scalar conversion for --set values: the whole string must be
// one value of the field's type, in range. Private to overrides.cpp.
#pragma once

#include <optional>
#include <string>

#include <google/protobuf/message.h>

namespace spikeq::netdef {

// Sets `field` (element `index` when repeated) of `message` from `text`.
// Returns the problem ("\"abc\" is not a number") instead of setting, if any.
std::optional<std::string> set_scalar(google::protobuf::Message& message,
                                      const google::protobuf::FieldDescriptor& field,
                                      std::optional<int> index, const std::string& text);

}  // namespace spikeq::netdef
