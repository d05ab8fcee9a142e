#include "netdefs/overrides.h"

#include <charconv>
#include <optional>
#include <string_view>

#include <google/protobuf/descriptor.h>

#include "netdefs/error.h"
#include "netdefs/flag_override.h"
#include "netdefs/format.h"
#include "netdefs/override_value.h"

namespace spikeq::netdef {
namespace {

namespace gp = google::protobuf;

// One step of a path: `lif` or `populations[1]`.
struct Segment {
  std::string name;
  std::optional<int> index;
};

// One "PATH=VALUE" being applied; knows how to word its own failures.
class Override {
 public:
  explicit Override(const std::string& text) : text_(text) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error("--set " + text_ + ": " + problem);
  }

  void apply(pb::Network& network) const;

 private:
  std::vector<Segment> parse_path(std::string_view path) const;
  Segment parse_segment(std::string_view text) const;
  gp::Message* start(pb::Network& network, const Segment& first) const;
  const gp::FieldDescriptor& find_field(const gp::Message& message, const Segment& segment) const;
  int checked_index(const gp::Message& message, const gp::FieldDescriptor& field,
                    const Segment& segment) const;
  gp::Message* step_into(gp::Message& message, const Segment& segment) const;

  const std::string& text_;
};

Segment Override::parse_segment(std::string_view text) const {
  const std::size_t open = text.find('[');
  Segment segment{std::string(text.substr(0, open)), std::nullopt};
  if (segment.name.empty()) fail("empty name in path");
  if (open == std::string_view::npos) return segment;
  const std::string_view digits = text.substr(open + 1, text.size() - open - 2);
  int index = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (text.back() != ']' || digits.empty() || error != std::errc{} ||
      end != digits.data() + digits.size() || index < 0) {
    fail("bad index in " + quote(text) + ", expected NAME[N]");
  }
  segment.index = index;
  return segment;
}

std::vector<Segment> Override::parse_path(std::string_view path) const {
  std::vector<Segment> segments;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = path.find('.', begin);
    segments.push_back(parse_segment(path.substr(begin, dot - begin)));
    if (dot == std::string_view::npos) return segments;
    begin = dot + 1;
  }
}

// Where the walk begins: the Network itself, or the population or projection
// the first segment names (Network fields win, then populations, then
// projections; validation keeps these names apart).
gp::Message* Override::start(pb::Network& network, const Segment& first) const {
  if (pb::Network::descriptor()->FindFieldByName(first.name) != nullptr) return &network;
  gp::Message* found = nullptr;
  for (pb::Population& population : *network.mutable_populations()) {
    if (population.name() == first.name) {
      found = &population;
      break;
    }
  }
  for (pb::Projection& projection : *network.mutable_projections()) {
    if (found == nullptr && projection.name() == first.name) found = &projection;
  }
  if (found == nullptr) {
    fail("no field, population or projection named " + quote(first.name) + " in " +
         pb::Network::descriptor()->full_name());
  }
  if (first.index) fail(quote(first.name) + " names a " + found->GetDescriptor()->name() + ", not a list");
  return found;
}

const gp::FieldDescriptor& Override::find_field(const gp::Message& message,
                                                const Segment& segment) const {
  const gp::Descriptor& type = *message.GetDescriptor();
  const gp::FieldDescriptor* field = type.FindFieldByName(segment.name);
  if (field == nullptr) fail("no field " + quote(segment.name) + " in " + type.full_name());
  // Switching a oneof would change the network's structure (a Poisson
  // population into a LIF one); overrides only change values.
  if (const gp::OneofDescriptor* oneof = field->containing_oneof()) {
    const gp::FieldDescriptor* set = message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
    if (set != nullptr && set != field) {
      fail(quote(field->name()) + " cannot be set: oneof " + quote(oneof->name()) + " already holds " +
           quote(set->name()));
    }
  }
  return *field;
}

int Override::checked_index(const gp::Message& message, const gp::FieldDescriptor& field,
                            const Segment& segment) const {
  if (!field.is_repeated()) {
    if (segment.index) fail(quote(field.name()) + " is not a list, drop the [index]");
    return -1;
  }
  if (!segment.index) fail(quote(field.name()) + " is a list, give an index: " + field.name() + "[0]");
  const int size = message.GetReflection()->FieldSize(message, &field);
  if (*segment.index >= size) {
    fail("index " + std::to_string(*segment.index) + " out of range: " + field.name() + " has " +
         std::to_string(size) + (size == 1 ? " entry" : " entries"));
  }
  return *segment.index;
}

gp::Message* Override::step_into(gp::Message& message, const Segment& segment) const {
  const gp::FieldDescriptor& field = find_field(message, segment);
  if (field.cpp_type() != gp::FieldDescriptor::CPPTYPE_MESSAGE) {
    fail(quote(field.name()) + " is a " + field.type_name() + ", not a message");
  }
  const int index = checked_index(message, field, segment);
  const gp::Reflection& reflection = *message.GetReflection();
  return index < 0 ? reflection.MutableMessage(&message, &field)
                   : reflection.MutableRepeatedMessage(&message, &field, index);
}

void Override::apply(pb::Network& network) const {
  const std::size_t equals = text_.find('=');
  if (equals == std::string::npos || equals == 0) fail("expected PATH=VALUE");
  const std::vector<Segment> path = parse_path(std::string_view(text_).substr(0, equals));
  const std::string value = text_.substr(equals + 1);

  gp::Message* message = start(network, path.front());
  const std::size_t first_field = message == &network ? 0 : 1;
  if (first_field == path.size()) {
    fail("path ends at " + quote(path.back().name) + " (a " + message->GetDescriptor()->full_name() +
         "), not at a value");
  }
  for (std::size_t i = first_field; i + 1 < path.size(); ++i) message = step_into(*message, path[i]);

  const gp::FieldDescriptor& field = find_field(*message, path.back());
  if (field.cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) {
    fail("path ends at " + quote(field.name()) + " (a " + field.message_type()->full_name() +
         "), not at a value");
  }
  const int index = checked_index(*message, field, path.back());
  const auto problem =
      set_scalar(*message, field, index < 0 ? std::nullopt : std::optional<int>(index), value);
  if (problem) fail(*problem);
}

}  // namespace

void apply_overrides(pb::Network& network, const std::vector<std::string>& overrides) {
  for (const std::string& text : overrides) Override(text).apply(network);
}

std::string flag_override(const std::string& flag, const std::string& path, const std::string& value) {
  const std::string text = path + "=" + value;
  pb::Network scratch;
  try {
    Override(text).apply(scratch);
  } catch (const Error& e) {
    // "--set PATH=VALUE: problem" -> "FLAG: problem" (the problem quotes the value)
    std::string problem = e.what();
    const std::string prefix = "--set " + text + ": ";
    if (problem.rfind(prefix, 0) == 0) problem.erase(0, prefix.size());
    throw Error(flag + ": " + problem);
  }
  return text;
}

}  // namespace spikeq::netdef
