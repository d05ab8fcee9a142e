#include "netdefs/override_value.h"

#include <cstdint>

#include <google/protobuf/descriptor.h>

#include "netdefs/format.h"
#include "netdefs/number_text.h"

namespace spikeq::netdef {
namespace {

namespace gp = google::protobuf;

// Why a value was refused; caught in set_scalar and returned as text.
struct BadValue {
  std::string problem;
};

// Numbers by the rules shared with the command-line flags (netdefs/number_text.h).
// Floating-point text accepts nan and inf on purpose, so validation can name the
// field that must be finite rather than --set guessing what was meant.
template <typename T>
T parse_typed(const std::string& text, const gp::FieldDescriptor& field) {
  T value{};
  if (const auto problem = parse_number(text, value, field.name(), field.type_name())) throw BadValue{*problem};
  return value;
}

bool parse_bool(const std::string& text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  throw BadValue{quote(text) + " is not a bool (true, false, 1 or 0)"};
}

const gp::EnumValueDescriptor* parse_enum(const std::string& text, const gp::FieldDescriptor& field) {
  const gp::EnumDescriptor& type = *field.enum_type();
  if (const gp::EnumValueDescriptor* value = type.FindValueByName(text)) return value;
  std::string names;
  for (int i = 0; i < type.value_count(); ++i) names += (i ? ", " : "") + type.value(i)->name();
  throw BadValue{quote(text) + " is not a " + type.full_name() + " (" + names + ")"};
}

// One place that knows the Set/SetRepeated pairs of protobuf reflection.
void set_parsed(gp::Message& message, const gp::FieldDescriptor& field, std::optional<int> index,
                const std::string& text) {
  const gp::Reflection& r = *message.GetReflection();
  gp::Message* m = &message;
  const gp::FieldDescriptor* f = &field;
  const bool rep = index.has_value();
  const int i = index.value_or(0);
  switch (field.cpp_type()) {
    case gp::FieldDescriptor::CPPTYPE_DOUBLE: {
      const auto v = parse_typed<double>(text, field);
      return rep ? r.SetRepeatedDouble(m, f, i, v) : r.SetDouble(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_FLOAT: {
      const auto v = parse_typed<float>(text, field);
      return rep ? r.SetRepeatedFloat(m, f, i, v) : r.SetFloat(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_INT32: {
      const auto v = parse_typed<std::int32_t>(text, field);
      return rep ? r.SetRepeatedInt32(m, f, i, v) : r.SetInt32(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_INT64: {
      const auto v = parse_typed<std::int64_t>(text, field);
      return rep ? r.SetRepeatedInt64(m, f, i, v) : r.SetInt64(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_UINT32: {
      const auto v = parse_typed<std::uint32_t>(text, field);
      return rep ? r.SetRepeatedUInt32(m, f, i, v) : r.SetUInt32(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_UINT64: {
      const auto v = parse_typed<std::uint64_t>(text, field);
      return rep ? r.SetRepeatedUInt64(m, f, i, v) : r.SetUInt64(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_BOOL: {
      const bool v = parse_bool(text);
      return rep ? r.SetRepeatedBool(m, f, i, v) : r.SetBool(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_ENUM: {
      const gp::EnumValueDescriptor* v = parse_enum(text, field);
      return rep ? r.SetRepeatedEnum(m, f, i, v) : r.SetEnum(m, f, v);
    }
    case gp::FieldDescriptor::CPPTYPE_STRING:
      return rep ? r.SetRepeatedString(m, f, i, text) : r.SetString(m, f, text);
    case gp::FieldDescriptor::CPPTYPE_MESSAGE:
      throw BadValue{"internal: " + field.name() + " is a message"};  // the caller refuses these
  }
}

}  // namespace

std::optional<std::string> set_scalar(gp::Message& message, const gp::FieldDescriptor& field,
                                      std::optional<int> index, const std::string& text) {
  try {
    set_parsed(message, field, index, text);
  } catch (const BadValue& bad) {
    return bad.problem;
  }
  return std::nullopt;
}

}  // namespace spikeq::netdef
