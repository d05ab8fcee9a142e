// The parts of the extension module _spikeq (tools/python/spikeq is the Python
// package around it), each registered by its own file.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // in every part: one set of type casters

#include <string>
#include <vector>

namespace spikeq::python {

namespace py = pybind11;

void bind_errors(py::module_& m);    // errors.cpp: NetdefError, RunError
void bind_netdef(py::module_& m);    // bind_netdef.cpp: load, resolve, theory
void bind_run(py::module_& m);       // bind_run.cpp: in memory, or into a run directory
void bind_analysis(py::module_& m);  // bind_analysis.cpp: stats, compare, converge

// A netdef as the Python package holds it: its text, the name it goes by in
// messages and manifests (the file, or "<text>"), and its --set overrides.
struct NetdefSource {
  std::string text;
  std::string origin;
  std::vector<std::string> overrides;
};

}  // namespace spikeq::python
