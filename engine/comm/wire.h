// Bytes of a message between ranks (engine/comm/comm.h): values appended in
// order and read back in the same order. Raw host representation: the ranks of
// one job run one build of spikeq on one architecture, so doubles and integers
// travel bit for bit (a value read back is the value written, NaN payloads and
// all). A reader checks every length against what is left and throws Error
// (Runtime) on a short or malformed message rather than reading past it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "netdefs/error.h"

namespace spikeq::comm {

class ByteWriter {
 public:
  template <typename T>
  ByteWriter& put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
    return *this;
  }
  ByteWriter& put_string(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.append(s);
    return *this;
  }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  std::string get_string() {
    const std::uint64_t n = get<std::uint64_t>();
    need(n);
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }
  // A count of items each at least `min_item_bytes` long: bounded by what is left.
  std::uint64_t get_count(std::size_t min_item_bytes) {
    const std::uint64_t n = get<std::uint64_t>();
    if (min_item_bytes > 0 && n > left() / min_item_bytes) malformed(n);
    return n;
  }
  std::size_t left() const { return bytes_.size() - at_; }
  bool done() const { return at_ == bytes_.size(); }

 private:
  void need(std::uint64_t n) const {
    if (n > left()) malformed(n);
  }
  [[noreturn]] void malformed(std::uint64_t n) const {
    throw Error("malformed message between ranks: " + std::to_string(n) + " at byte " + std::to_string(at_) +
                    " of " + std::to_string(bytes_.size()),
                Error::Kind::Runtime);
  }

  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace spikeq::comm
