// The extension module _spikeq: the engine, loader and analysis for the Python
// package `spikeq` (tools/python/spikeq), which is what users import.
#include "bindings.h"

PYBIND11_MODULE(_spikeq, m) {
  m.doc() = "spikeq engine bindings (use the package `spikeq`)";
  spikeq::python::bind_errors(m);
  spikeq::python::bind_netdef(m);
  spikeq::python::bind_run(m);
  spikeq::python::bind_analysis(m);
}
