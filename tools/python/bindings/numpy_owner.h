// NumPy arrays over memory the engine filled (growable_array.h), without a copy:
// the array's base is a capsule that owns the mapping and unmaps it when the last
// array (or view) using it is gone.
#pragma once

#include <pybind11/numpy.h>

#include <vector>

#include "bindings.h"
#include "growable_array.h"

namespace spikeq::python {

template <typename T>
py::array_t<T> owned_array(const Mapping& m, std::vector<py::ssize_t> shape) {
  if (!m.data) return py::array_t<T>(shape);  // empty: nothing to own
  auto* held = new Mapping(m);
  py::capsule owner(held, [](void* p) {
    auto* mapping = static_cast<Mapping*>(p);
    unmap(*mapping);
    delete mapping;
  });
  // With a base object numpy wraps the pointer instead of copying from it.
  return py::array_t<T>(shape, static_cast<const T*>(m.data), owner);
}

}  // namespace spikeq::python
