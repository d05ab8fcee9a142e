// A thin layer over the HDF5 C API for the recording files: owned handles, and
// failures turned into one-line Errors naming the file (with the system's reason
// when HDF5 has one, e.g. "No space left on device"). Failures while reading a
// file (missing, corrupt, not what spikeq writes) are bad input (Error::BadInput,
// exit 2); failures while writing one are run-time failures (Runtime, exit 1).
// Included only by the engine's h5_*.cpp files, so HDF5's headers go no further.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace spikeq::inline io::h5 {

// An owned hid_t, closed with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  // Closes now and reports failure (closing a file is when HDF5 writes its metadata).
  herr_t close();
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Where errors are reported: the file's path for messages.
class File {
 public:
  static File create(const std::string& path);  // truncates
  static File open(const std::string& path);    // read-only
  const std::string& path() const { return path_; }
  hid_t id() const { return file_.get(); }
  // Flushes and closes; throws on failure.
  void close();

  [[noreturn]] void fail(const std::string& what) const;         // Runtime, with HDF5's reason
  [[noreturn]] void fail_input(const std::string& what) const;   // BadInput, with HDF5's reason
  [[noreturn]] void refuse(const std::string& what) const;       // BadInput: "PATH: what"
  hid_t check(hid_t id, const std::string& what) const;
  void check(herr_t status, const std::string& what) const;
  hid_t check_input(hid_t id, const std::string& what) const;

  Handle create_group(hid_t loc, const std::string& name) const;
  // A creation property list of `property_class` that records no object times.
  Handle untimed_creation(hid_t property_class) const;
  Handle open_group(hid_t loc, const std::string& name) const;
  bool exists(hid_t loc, const std::string& name) const;
  // A contiguous dataset of the given shape (1 or 2 dimensions).
  Handle create_dataset(hid_t loc, const std::string& name, hid_t file_type, const std::vector<hsize_t>& dims) const;
  Handle open_dataset(hid_t loc, const std::string& name) const;
  // Calls `link` with the name of each link in the group `loc`, in name order.
  void for_each_link(hid_t loc, const std::function<void(const std::string&)>& link) const;
  std::vector<hsize_t> dims(hid_t dataset) const;
  // The dataset's type class (H5T_INTEGER, H5T_FLOAT, ...) and, for integers, signedness.
  H5T_class_t type_class(hid_t dataset) const;
  bool is_signed(hid_t dataset) const;
  // Refuses (BadInput) a dataset of `elements` values that the file does not
  // store: HDF5 reads unallocated storage back as fill values, so a damaged
  // header claiming 2^40 rows would otherwise be an endless stream of zeros.
  void check_stored(hid_t dataset, const std::string& where, hsize_t elements) const;
  // Rows [row, row + rows) of a 1-d dataset or of a 2-d one's rows (all columns).
  void write_rows(hid_t dataset, hid_t mem_type, hsize_t row, hsize_t rows, const void* data) const;
  void read_rows(hid_t dataset, hid_t mem_type, hsize_t row, hsize_t rows, void* data) const;

  void write_attribute(hid_t loc, const std::string& name, const std::string& value) const;
  void write_attribute(hid_t loc, const std::string& name, double value) const;
  void write_attribute(hid_t loc, const std::string& name, std::uint64_t value) const;
  void write_attribute(hid_t loc, const std::string& name, std::uint32_t value) const;
  void write_attribute(hid_t loc, const std::string& name, const std::vector<std::uint32_t>& values) const;
  // SONATA's `sorting` enum (none = 0, by_id = 1, by_time = 2), here "by_time".
  void write_sorting_by_time(hid_t loc) const;
  std::optional<std::string> read_string_attribute(hid_t loc, const std::string& name) const;
  std::optional<double> read_double_attribute(hid_t loc, const std::string& name) const;

 private:
  File(std::string path, Handle file) : path_(std::move(path)), file_(std::move(file)) {}
  std::string path_;
  Handle file_;
};

}  // namespace spikeq::io::h5
