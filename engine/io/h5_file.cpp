#include "engine/io/h5_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <exception>

#include "engine/io/input_file.h"
#include "netdefs/error.h"

namespace spikeq::inline io::h5 {
namespace {

// HDF5 prints its error stack to stderr by default; spikeq reports one line instead.
// And no exit handler: HDF5 1.10 crashes at exit in H5F__close_cb on a file whose
// close failed (a full disk), and spikeq closes every file it opens itself.
// The threadsafe HDF5 (Debian's) keeps the error-printing setting per thread,
// so every thread that opens files (trials run on TBB workers) silences its own.
void silence_hdf5() {
  static const bool once = [] {
    H5dont_atexit();
    return true;
  }();
  static thread_local const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)once;
  (void)silenced;
}

herr_t keep_innermost(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err->desc) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

// The reason of the last failure: the system's message when a write or read
// failed (HDF5 puts it in the innermost description), or that description.
std::string hdf5_reason() {
  std::string desc;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &desc);
  const std::string key = "error message = '";
  const std::size_t at = desc.find(key);
  if (at != std::string::npos) {
    const std::size_t end = desc.find('\'', at + key.size());
    return desc.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
  }
  return desc.empty() ? "HDF5 error" : desc;
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

herr_t Handle::close() {
  herr_t status = 0;
  if (id_ >= 0 && closer_) status = closer_(id_);
  id_ = H5I_INVALID_HID;
  return status;
}

void Handle::reset() { close(); }

File File::create(const std::string& path) {
  silence_hdf5();
  // The root group, too, without modification times (see untimed_creation).
  const hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (fcpl < 0 || H5Pset_obj_track_times(fcpl, false) < 0)
    throw Error(path + ": cannot create: " + hdf5_reason(), Error::Kind::Runtime);
  const Handle fcpl_handle(fcpl, H5Pclose);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  if (id < 0) throw Error(path + ": cannot create: " + hdf5_reason(), Error::Kind::Runtime);
  return File(path, Handle(id, H5Fclose));
}

File File::open(const std::string& path) {
  silence_hdf5();
  require_regular_file(path);  // HDF5 would block on a FIFO
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw Error(path + ": cannot open as HDF5: " + hdf5_reason());  // bad input, like a missing file
  return File(path, Handle(id, H5Fclose));
}

void File::close() {
  if (file_.get() < 0) return;
  if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) fail("write failed");
  if (file_.close() < 0) fail("write failed");
}

void File::fail(const std::string& what) const {
  throw Error(path_ + ": " + what + ": " + hdf5_reason(), Error::Kind::Runtime);
}

void File::fail_input(const std::string& what) const { throw Error(path_ + ": " + what + ": " + hdf5_reason()); }

void File::refuse(const std::string& what) const { throw Error(path_ + ": " + what); }

hid_t File::check_input(hid_t id, const std::string& what) const {
  if (id < 0) fail_input(what);
  return id;
}

hid_t File::check(hid_t id, const std::string& what) const {
  if (id < 0) fail(what);
  return id;
}

void File::check(herr_t status, const std::string& what) const {
  if (status < 0) fail(what);
}

// Object creation properties without modification times: HDF5 stamps every group
// and dataset with the wall clock by default, so two runs with the same netdef and
// seed would differ in bytes; without them a rerun is byte-identical and a
// checksum verifies it.
Handle File::untimed_creation(hid_t property_class) const {
  Handle plist(check(H5Pcreate(property_class), "property list"), H5Pclose);
  check(H5Pset_obj_track_times(plist.get(), false), "object times");
  return plist;
}

Handle File::create_group(hid_t loc, const std::string& name) const {
  const Handle gcpl = untimed_creation(H5P_GROUP_CREATE);
  return Handle(check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), "cannot create group " + name),
                H5Gclose);
}

Handle File::open_group(hid_t loc, const std::string& name) const {
  return Handle(check_input(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "cannot open group " + name), H5Gclose);
}

bool File::exists(hid_t loc, const std::string& name) const { return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0; }

namespace {

struct LinkVisit {
  const std::function<void(const std::string&)>* link;
  std::exception_ptr error;  // an exception must not unwind through HDF5's C frames
};

herr_t visit_link(hid_t, const char* name, const H5L_info_t*, void* data) {
  auto* visit = static_cast<LinkVisit*>(data);
  try {
    (*visit->link)(name);
    return 0;
  } catch (...) {
    visit->error = std::current_exception();
    return 1;  // stop iterating
  }
}

}  // namespace

void File::for_each_link(hid_t loc, const std::function<void(const std::string&)>& link) const {
  LinkVisit visit{&link, nullptr};
  hsize_t index = 0;
  const herr_t status = H5Literate(loc, H5_INDEX_NAME, H5_ITER_INC, &index, visit_link, &visit);
  if (visit.error) std::rethrow_exception(visit.error);
  if (status < 0) fail_input("cannot list a group");
}

H5T_class_t File::type_class(hid_t dataset) const {
  Handle type(check_input(H5Dget_type(dataset), "datatype"), H5Tclose);
  return H5Tget_class(type.get());
}

void File::check_stored(hid_t dataset, const std::string& where, hsize_t elements) const {
  if (elements == 0) return;
  Handle type(check_input(H5Dget_type(dataset), "datatype"), H5Tclose);
  const hsize_t element_bytes = std::max<hsize_t>(1, H5Tget_size(type.get()));
  const hsize_t stored = H5Dget_storage_size(dataset);
  // Compressed (chunked) datasets store less than they hold; 64 times is far
  // more than deflate gives on spike times, ids or voltages.
  constexpr hsize_t kRatio = 64;
  const bool huge = elements > std::numeric_limits<hsize_t>::max() / element_bytes / kRatio;
  if (huge || stored * kRatio < elements * element_bytes)
    refuse(where + ": " + std::to_string(elements) + " values but " + std::to_string(stored) +
           " bytes stored (a damaged or truncated file)");
}

bool File::is_signed(hid_t dataset) const {
  Handle type(check_input(H5Dget_type(dataset), "datatype"), H5Tclose);
  return H5Tget_sign(type.get()) == H5T_SGN_2;
}

Handle File::create_dataset(hid_t loc, const std::string& name, hid_t file_type, const std::vector<hsize_t>& dims) const {
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "dataspace"), H5Sclose);
  const Handle dcpl = untimed_creation(H5P_DATASET_CREATE);
  return Handle(check(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                      "cannot create dataset " + name),
                H5Dclose);
}

Handle File::open_dataset(hid_t loc, const std::string& name) const {
  return Handle(check_input(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "cannot open dataset " + name), H5Dclose);
}

std::vector<hsize_t> File::dims(hid_t dataset) const {
  Handle space(check_input(H5Dget_space(dataset), "dataspace"), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > H5S_MAX_RANK) fail_input("dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail_input("dataspace");
  return dims;
}

namespace {

// File and memory dataspaces for rows [row, row + rows) of `dataset`.
struct RowSelection {
  Handle file_space, mem_space;
};

RowSelection select_rows(const File& file, hid_t dataset, hsize_t row, hsize_t rows) {
  std::vector<hsize_t> dims = file.dims(dataset);
  if (dims.empty() || row + rows > dims[0]) file.fail("rows out of range");
  Handle file_space(file.check(H5Dget_space(dataset), "dataspace"), H5Sclose);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = row;
  count[0] = rows;
  file.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
             "selection");
  Handle mem_space(file.check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), "dataspace"),
                   H5Sclose);
  return {std::move(file_space), std::move(mem_space)};
}

}  // namespace

void File::write_rows(hid_t dataset, hid_t mem_type, hsize_t row, hsize_t rows, const void* data) const {
  if (rows == 0) return;
  RowSelection sel = select_rows(*this, dataset, row, rows);
  check(H5Dwrite(dataset, mem_type, sel.mem_space.get(), sel.file_space.get(), H5P_DEFAULT, data), "write failed");
}

void File::read_rows(hid_t dataset, hid_t mem_type, hsize_t row, hsize_t rows, void* data) const {
  if (rows == 0) return;
  RowSelection sel = select_rows(*this, dataset, row, rows);
  if (H5Dread(dataset, mem_type, sel.mem_space.get(), sel.file_space.get(), H5P_DEFAULT, data) < 0)
    fail_input("cannot read");
}

namespace {

void write_attribute_raw(const File& file, hid_t loc, const std::string& name, hid_t type, hid_t mem_type,
                         const std::vector<hsize_t>& dims, const void* data) {
  Handle space(file.check(dims.empty() ? H5Screate(H5S_SCALAR)
                                       : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                          "dataspace"),
               H5Sclose);
  Handle attr(file.check(H5Acreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         "cannot create attribute " + name),
              H5Aclose);
  file.check(H5Awrite(attr.get(), mem_type, data), "cannot write attribute " + name);
}

}  // namespace

void File::write_attribute(hid_t loc, const std::string& name, const std::string& value) const {
  // Variable-length UTF-8, as h5py writes strings (h5py reads it back as str).
  Handle type(check(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string type");
  const char* text = value.c_str();
  write_attribute_raw(*this, loc, name, type.get(), type.get(), {}, &text);
}

void File::write_attribute(hid_t loc, const std::string& name, double value) const {
  write_attribute_raw(*this, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &value);
}

void File::write_attribute(hid_t loc, const std::string& name, std::uint64_t value) const {
  write_attribute_raw(*this, loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, {}, &value);
}

void File::write_attribute(hid_t loc, const std::string& name, std::uint32_t value) const {
  write_attribute_raw(*this, loc, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, {}, &value);
}

void File::write_attribute(hid_t loc, const std::string& name, const std::vector<std::uint32_t>& values) const {
  write_attribute_raw(*this, loc, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, {values.size()}, values.data());
}

void File::write_sorting_by_time(hid_t loc) const {
  // libsonata declares the enum over char; HDF5 converts enums by member name.
  Handle type(check(H5Tenum_create(H5T_NATIVE_SCHAR), "enum type"), H5Tclose);
  const signed char none = 0, by_id = 1, by_time = 2;
  check(H5Tenum_insert(type.get(), "none", &none), "enum type");
  check(H5Tenum_insert(type.get(), "by_id", &by_id), "enum type");
  check(H5Tenum_insert(type.get(), "by_time", &by_time), "enum type");
  write_attribute_raw(*this, loc, "sorting", type.get(), type.get(), {}, &by_time);
}

std::optional<std::string> File::read_string_attribute(hid_t loc, const std::string& name) const {
  if (H5Aexists(loc, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "attribute " + name), H5Aclose);
  Handle type(check(H5Aget_type(attr.get()), "attribute " + name), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(check(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* text = nullptr;
    check(H5Aread(attr.get(), mem.get(), &text), "attribute " + name);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), value.data()), "attribute " + name);
  value.resize(std::strlen(value.c_str()));
  return value;
}

std::optional<double> File::read_double_attribute(hid_t loc, const std::string& name) const {
  if (H5Aexists(loc, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "attribute " + name), H5Aclose);
  double value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), "attribute " + name);
  return value;
}

}  // namespace spikeq::io::h5
