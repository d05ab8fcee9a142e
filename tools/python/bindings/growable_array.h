// An array that grows without ever copying its contents, and whose memory can be
// handed over to a NumPy array: what the in-memory run keeps spikes and samples in.
//
// The memory is an anonymous mapping (mmap) enlarged with mremap(MREMAP_MAYMOVE):
// the kernel moves page-table entries, never the data, so a growing array costs
// no copy and no transient second buffer (a std::vector's reallocation would
// briefly hold both), and its untouched capacity costs no physical memory.
// release() trims the mapping to the pages in use and gives it away; whoever takes
// it frees it with munmap (bindings/numpy_owner.h: a capsule owned by the array).
//
// Every mapped byte is added to a counter shared by the arrays of one run, which
// the sink compares with the run's memory limit.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace spikeq::python {

// A mapping given away by release(): `count` elements at `data`, `bytes` mapped.
struct Mapping {
  void* data = nullptr;
  std::size_t bytes = 0;
  std::size_t count = 0;
};

inline void unmap(const Mapping& m) {
  if (m.data) ::munmap(m.data, m.bytes);
}

template <typename T>
class GrowableArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static constexpr std::size_t kFirstBytes = std::size_t{1} << 16;

  explicit GrowableArray(std::atomic<std::int64_t>* mapped_bytes = nullptr) : mapped_bytes_(mapped_bytes) {}
  ~GrowableArray() { unmap({data_, bytes_, size_}); count(-static_cast<std::int64_t>(bytes_)); }
  GrowableArray(GrowableArray&& other) noexcept { swap(other); }
  GrowableArray& operator=(GrowableArray&& other) noexcept {
    GrowableArray gone(std::move(other));
    swap(gone);
    return *this;
  }
  GrowableArray(const GrowableArray&) = delete;
  GrowableArray& operator=(const GrowableArray&) = delete;

  void push_back(T value) {
    if (size_ == capacity_) [[unlikely]] grow(size_ + 1);
    data_[size_++] = value;
  }
  // Makes room for n more elements and returns where they go (size grows by n).
  T* extend(std::size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
    T* at = data_ + size_;
    size_ += n;
    return at;
  }
  void truncate(std::size_t n) { size_ = std::min(size_, n); }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }

  // Gives the memory away, trimmed to the pages in use (no copy); the array is
  // then empty. An empty array gives a Mapping with no data.
  Mapping release() {
    Mapping m{nullptr, 0, size_};
    const std::size_t mapped = bytes_;
    if (size_ == 0) {
      unmap({data_, bytes_, 0});
    } else {
      const std::size_t used = round_to_pages(size_ * sizeof(T));
      if (used < bytes_ && ::mremap(data_, bytes_, used, 0) != MAP_FAILED) bytes_ = used;  // shrinking never moves
      m.data = data_;
      m.bytes = bytes_;
    }
    count(-static_cast<std::int64_t>(mapped));  // unmapped, or the new owner's
    data_ = nullptr;
    bytes_ = capacity_ = size_ = 0;
    return m;
  }

 private:
  static std::size_t round_to_pages(std::size_t bytes) {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (bytes + page - 1) / page * page;
  }

  void count(std::int64_t delta) {
    if (mapped_bytes_ && delta != 0) mapped_bytes_->fetch_add(delta, std::memory_order_relaxed);
  }

  void grow(std::size_t at_least) {
    if (at_least > SIZE_MAX / sizeof(T) / 2) throw std::bad_alloc();
    std::size_t want = std::max(kFirstBytes, bytes_ * 2);
    while (want < at_least * sizeof(T)) want *= 2;
    want = round_to_pages(want);
    void* p = data_ ? ::mremap(data_, bytes_, want, MREMAP_MAYMOVE)
                    : ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    count(static_cast<std::int64_t>(want) - static_cast<std::int64_t>(bytes_));
    data_ = static_cast<T*>(p);
    bytes_ = want;
    capacity_ = want / sizeof(T);
  }

  void swap(GrowableArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    std::swap(bytes_, other.bytes_);
    std::swap(mapped_bytes_, other.mapped_bytes_);
  }

  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0, bytes_ = 0;
  std::atomic<std::int64_t>* mapped_bytes_ = nullptr;
};

}  // namespace spikeq::python
