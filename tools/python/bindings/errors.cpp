// spikeq::Error as Python exceptions, with the CLI's one-line message (what
// `spikeq` prints after "spikeq: "): Kind::BadInput -> spikeq.NetdefError (a
// ValueError), Kind::Runtime -> spikeq.RunError (a RuntimeError); both derive
// from spikeq.SpikeqError.
#include "bindings.h"

#include "netdefs/error.h"

namespace spikeq::python {

void bind_errors(py::module_& m) {
  static PyObject* base = PyErr_NewExceptionWithDoc(
      "spikeq.SpikeqError", "An error spikeq reports in one line (the CLI's message).", PyExc_Exception, nullptr);
  py::tuple netdef_bases = py::make_tuple(py::handle(base), py::handle(PyExc_ValueError));
  py::tuple run_bases = py::make_tuple(py::handle(base), py::handle(PyExc_RuntimeError));
  static PyObject* netdef_error = PyErr_NewExceptionWithDoc(
      "spikeq.NetdefError", "Bad input: a malformed netdef, an impossible parameter, a missing or corrupt file "
      "(the CLI's exit code 2).", netdef_bases.ptr(), nullptr);
  static PyObject* run_error = PyErr_NewExceptionWithDoc(
      "spikeq.RunError", "A failure at run time: disk, memory (the CLI's exit code 1).", run_bases.ptr(), nullptr);
  m.add_object("SpikeqError", py::handle(base));
  m.add_object("NetdefError", py::handle(netdef_error));
  m.add_object("RunError", py::handle(run_error));
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(e.kind() == Error::Kind::BadInput ? netdef_error : run_error, e.what());
    }
  });
}

}  // namespace spikeq::python
