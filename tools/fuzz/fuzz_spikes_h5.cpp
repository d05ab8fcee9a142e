// libFuzzer entry point for the spikes.h5 reader (engine/io/h5_spikes.h), three
// ways, by the first byte modulo 3:
//   0: the rest of the input *describes* a spike report, which is written with
//      the HDF5 API (groups, possibly unknown populations, datasets of chosen
//      types and lengths, any ids and times, a sorting attribute or not) — this
//      reaches every check of spikeq's own reader;
//   1: the rest *is* the file (raw HDF5 bytes, seeds from real runs);
//   2: the rest is a list of 3-byte patches (16-bit offset, value) applied to a
//      valid report spikeq wrote — damaged real files, as a kill, a disk or a
//      hostile user leaves them; this exercises libhdf5's parser on them (it is
//      not instrumented, so libFuzzer sees only spikeq's side of the coverage).
// Read with the run's layout as `spikeq stats` and `convert` do: either
// spikeq::Error, or a time-ordered stream of rows whose ids are in range.
// FUZZ_DEBUG=1 in the environment prints each refusal (to check seeds reach deep).
#include <hdf5.h>
#include <sanitizer/lsan_interface.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/io/h5_spikes.h"
#include "fuzz_input_file.h"
#include "fuzz_layout.h"
#include "netdefs/error.h"

namespace {

// Consumes the description byte by byte (zeros past the end).
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  template <typename T>
  T raw() {
    T v{};
    unsigned char b[sizeof(T)];
    for (unsigned char& c : b) c = u8();
    std::memcpy(&v, b, sizeof v);
    return v;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_, at_ = 0;
};

void write_dataset(hid_t group, const char* name, hid_t type, const std::vector<unsigned char>& bytes, hsize_t n) {
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t set = H5Dcreate2(group, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (set >= 0 && n > 0) H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
  if (set >= 0) H5Dclose(set);
  H5Sclose(space);
}

// A spike report as the description says; returns false if HDF5 refused to write it.
bool describe(const std::string& path, Bytes in) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) return false;
  const hid_t spikes = H5Gcreate2(file, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char* names[] = {"a", "b", "c", "zz"};
  const hid_t id_types[] = {H5T_NATIVE_UINT64, H5T_NATIVE_INT64, H5T_NATIVE_UINT32, H5T_NATIVE_DOUBLE};
  const hid_t time_types[] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_FLOAT, H5T_NATIVE_INT64, H5T_NATIVE_DOUBLE};
  const std::uint8_t groups = in.u8();
  for (int g = 0; g < 4; ++g) {
    if (!(groups >> g & 1)) continue;
    const hid_t group = H5Gcreate2(spikes, names[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::uint8_t shape = in.u8();
    const hsize_t n_times = in.u8() % 40, n_ids = shape & 1 ? in.u8() % 40 : n_times;
    const hid_t time_type = time_types[(shape >> 1) & 3], id_type = id_types[(shape >> 3) & 3];
    std::vector<unsigned char> times(n_times * H5Tget_size(time_type)), ids(n_ids * H5Tget_size(id_type));
    // Times: increments (mostly sorted) or raw values; ids: small or raw 64-bit.
    double t = 0;
    for (hsize_t i = 0; i < n_times; ++i) {
      const std::uint8_t how = in.u8();
      t = how < 200 ? t + how * 0.125 : in.raw<double>();
      if (time_type == H5T_NATIVE_DOUBLE) std::memcpy(&times[i * 8], &t, 8);
      else if (time_type == H5T_NATIVE_FLOAT) { const float f = static_cast<float>(t); std::memcpy(&times[i * 4], &f, 4); }
      else { const std::int64_t v = static_cast<std::int64_t>(how); std::memcpy(&times[i * 8], &v, 8); }
    }
    for (hsize_t i = 0; i < n_ids; ++i) {
      const std::uint8_t how = in.u8();
      const std::uint64_t v = how < 240 ? how % 120 : in.raw<std::uint64_t>();
      if (H5Tget_size(id_type) == 8) std::memcpy(&ids[i * 8], &v, 8);
      else { const std::uint32_t w = static_cast<std::uint32_t>(v); std::memcpy(&ids[i * 4], &w, 4); }
    }
    if (!(shape & 32)) write_dataset(group, "timestamps", time_type, times, n_times);
    if (!(shape & 64)) write_dataset(group, "node_ids", id_type, ids, n_ids);
    if (shape & 128) {  // SONATA's sorting enum, by_time or another member
      const hid_t type = H5Tenum_create(H5T_NATIVE_SCHAR);
      const signed char none = 0, by_id = 1, by_time = 2;
      H5Tenum_insert(type, "none", &none);
      H5Tenum_insert(type, "by_id", &by_id);
      H5Tenum_insert(type, "by_time", &by_time);
      const signed char value = static_cast<signed char>(in.u8() % 3);
      const hid_t space = H5Screate(H5S_SCALAR);
      const hid_t attr = H5Acreate2(group, "sorting", type, space, H5P_DEFAULT, H5P_DEFAULT);
      if (attr >= 0) {
        H5Awrite(attr, type, &value);
        H5Aclose(attr);
      }
      H5Sclose(space);
      H5Tclose(type);
    }
    H5Gclose(group);
  }
  H5Gclose(spikes);
  return H5Fclose(file) >= 0;
}

spikeq::fuzz::InputFile& input_file() {
  static spikeq::fuzz::InputFile file("fuzz_spikes_h5", true);
  return file;
}

// A report of a few spikes, written and read back once before fuzzing: HDF5
// allocates some state on first use (free lists, type conversion paths) that it
// keeps for the life of the process, and LeakSanitizer would take it for a leak
// of the first input. It is allocated here with leak checking off; leaks of any
// later input are still caught (valgrind finds none in `spikeq convert`).
class FewSpikes : public spikeq::SpikeSource {
 public:
  void read(const Chunk& chunk) override {
    std::vector<spikeq::SpikeRow> rows;
    for (std::uint32_t i = 0; i < 60; ++i) rows.push_back({0.25 * i, (7 * i) % 10, i % 2});
    chunk(rows);
  }
};

// The valid report the patches of mode 2 damage.
std::string& valid_image() {
  static std::string image;
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  __lsan_disable();
  const std::string& path = input_file().path();
  FewSpikes few;
  spikeq::write_spike_report(path, spikeq::fuzz::layout(), few);
  spikeq::H5SpikeSource back(path, spikeq::fuzz::layout());
  back.read([](std::span<const spikeq::SpikeRow>) {});
  __lsan_enable();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  char buf[4096];
  for (std::size_t n; f && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) valid_image().append(buf, n);
  if (f) std::fclose(f);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  spikeq::fuzz::InputFile& file = input_file();
  static const spikeq::RunLayout layout = spikeq::fuzz::layout();
  if (data[0] % 3 == 0) {
    if (!describe(file.path(), Bytes(data + 1, size - 1))) return 0;
  } else if (data[0] % 3 == 1) {
    file.write(data + 1, size - 1);
  } else {
    std::string image = valid_image();
    if (image.empty()) return 0;
    for (std::size_t i = 1; i + 3 <= size; i += 3)
      image[(data[i] | std::size_t{data[i + 1]} << 8) % image.size()] = static_cast<char>(data[i + 2]);
    file.write(reinterpret_cast<const std::uint8_t*>(image.data()), image.size());
  }
  try {
    spikeq::H5SpikeSource source(file.path(), layout);
    spikeq::fuzz::RowChecker check(layout);
    source.read([&](std::span<const spikeq::SpikeRow> rows) { check.spikes(rows); });
  } catch (const spikeq::Error& e) {
    if (std::getenv("FUZZ_DEBUG")) std::fprintf(stderr, "refused: %s\n", e.what());
  }
  return 0;
}
