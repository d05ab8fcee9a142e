"""spikeq from Python: define, run, analyse and plot spiking networks.

    import spikeq
    net = spikeq.load("netdefs/balanced_input.pbtxt")   # or spikeq.parse(text), spikeq.Builder(...)
    net.set("neurons.lif.sigma_mv", 1)                   # the paths of `spikeq run --set`
    res = spikeq.run(net, duration_ms=500, seed=2)       # in memory; out="runs/x" writes a run directory
    times_ms, node_ids = res.spikes["neurons"]           # NumPy arrays over the engine's buffers
    res.stats()                                          # = `spikeq stats DIR --json`
    res.plot.raster()

Functions: load, parse, Builder, run, load_run, stats, theory, compare, converge;
plots in spikeq.plots (and res.plot). Errors: NetdefError (bad input, the CLI's
one-line message), RunError (failures at run time), both SpikeqError. Import it
with PYTHONPATH=BUILD/python (the build assembles the package there).
"""

from ._spikeq import NetdefError, RunError, SpikeqError
from ._spikeq import version as _version
from .network import Builder, Network, load, netdef_path, parse
from .results import Point, Result, Run, load_run
from .running import run
from .analysis import Convergence, compare, converge, stats, theory
from . import plots
from .spikeq_run import Probe, SpikeqFileError

__version__ = _version.split()[0]
version = _version

__all__ = ["Builder", "Convergence", "NetdefError", "Network", "Point", "Probe", "Result", "Run", "RunError",
           "SpikeqError", "SpikeqFileError", "compare", "converge", "load", "load_run", "netdef_path", "parse",
           "plots", "run", "stats", "theory", "version"]
