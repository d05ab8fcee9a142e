"""spikeq.run: simulate a network in memory, or into a run directory exactly as
`spikeq run` does.

The engine runs with the GIL released. Ctrl-C (SIGINT; in Jupyter: interrupt
the kernel) stops it at the next epoch boundary: the result holds everything
simulated up to then and says `interrupted` (a KeyboardInterrupt is raised only
with raise_on_interrupt=True). SIGTERM stops it the same way, then ends the
process as it would have. A run of more than a second shows a progress bar
(tqdm when installed, else one line on stderr).
"""

import json
import numbers
import sys
import time

from . import _spikeq
from . import spikeq_run
from ._spikeq import NetdefError, RunError
from .network import Network, load, _override_value
from .results import Point, Result, Run, load_run

__all__ = ["run"]

_FORMATS = ("h5", "tsv", "both")


def _member(flag, value, allowed):
    if value not in allowed:
        raise NetdefError(f"{flag}: {value!r} not in {{{', '.join(allowed)}}}")
    return value


def _count(flag, value, low, high, why=""):
    """A whole-number argument held to the CLI flag's range, in its words."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise NetdefError(f"{flag}: {value!r} is not an integer")
    value = int(value)
    shown = f"{flag} = {value}: "
    if value < low:
        raise NetdefError(f"{shown}must be >= {low}")
    if value > high:
        raise NetdefError(f"{shown}must be <= {high}" + (f" ({why})" if why else ""))
    return value


def _real(flag, value, low, high, low_exclusive=False):
    """A real argument held to the CLI flag's range, in its words."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NetdefError(f"{flag}: {value!r} is not a number")
    value = float(value)
    shown = f"{flag} = {_spikeq.format_number(value)}: "
    if value != value or value in (float("inf"), float("-inf")):
        raise NetdefError(shown + "must be finite")
    if (value <= low) if low_exclusive else (value < low):
        raise NetdefError(f"{shown}must be {'>' if low_exclusive else '>='} {_spikeq.format_number(low)}")
    if value > high:
        raise NetdefError(f"{shown}must be <= {_spikeq.format_number(high)}")
    return value


def _sweep_arguments(sweep):
    """`sweep=` as --sweep arguments: "PATH=FROM:TO:COUNT" or "PATH=V1,V2" strings,
    or {path: [values]} ({"ie.weight_mv+ii.weight_mv": [...]} moves both)."""
    if sweep is None:
        return []
    if isinstance(sweep, str):
        return [sweep]
    if isinstance(sweep, dict):
        return [f"{path}=" + ",".join(_override_value(v) for v in values) for path, values in sweep.items()]
    return [str(s) for s in sweep]


# --- progress -------------------------------------------------------------------------

class _Progress:
    """Draws the engine's progress snapshots (bindings/progress_watch.h) after the
    run has lasted `delay_s`: a tqdm bar when tqdm is installed, else a line on stderr."""

    def __init__(self, delay_s):
        self.delay_s = delay_s
        self.bar = None
        self.last_line = 0.0
        try:  # a notebook widget when Jupyter's widgets are there, else text
            import ipywidgets  # noqa: F401
            from tqdm.auto import tqdm
        except ImportError:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
        self.tqdm = tqdm

    def __call__(self, s):
        if s["elapsed_s"] < self.delay_s and self.bar is None and not s["final"]:
            return
        if s["final"] and self.bar is None and s["elapsed_s"] < self.delay_s:
            return  # a short run: nothing to show
        done_s, total_s = s["simulated_ms"] * 1e-3, s["total_ms"] * 1e-3
        tasks = f"{s['done']}/{s['tasks']} runs" if s["tasks"] > 1 else ""
        if self.tqdm is not None:
            if self.bar is None:
                self.bar = self.tqdm(total=round(total_s, 3), unit="s", desc="spikeq", leave=True,
                                     bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.3g}/{total:.3g} s simulated "
                                                "[{elapsed}<{remaining}]{postfix}")
                self.bar.start_t -= s["elapsed_s"]  # the run started before the bar showed
            self.bar.n = round(min(done_s, total_s), 3)
            if tasks:
                self.bar.set_postfix_str(tasks, refresh=False)
            if s["final"]:
                self.bar.close()  # draws the last state
            else:
                self.bar.refresh()
            return
        now = time.monotonic()
        if now - self.last_line < 1.0 and not s["final"]:
            return
        self.last_line = now
        fraction = done_s / total_s if total_s > 0 else 0.0
        line = (f"spikeq: {done_s:.3f}/{total_s:.3f} s simulated ({100 * fraction:.0f}%)"
                + (f", {tasks}" if tasks else "") + f", {s['elapsed_s']:.1f} s")
        end = "\n" if s["final"] or not sys.stderr.isatty() else ""
        print("\r" + line if sys.stderr.isatty() else line, end=end, file=sys.stderr, flush=True)


def _progress_callback(progress):
    if progress is False:
        return None
    if progress is None:
        return _Progress(delay_s=1.0)
    if progress is True:
        return _Progress(delay_s=0.0)
    if callable(progress):
        return progress
    raise TypeError("progress must be None (a bar after 1 s), True, False or a callable(snapshot)")


# --- run --------------------------------------------------------------------------------

def run(net, *, mode=None, dt_ms=None, integrator=None, duration_ms=None, seed=None, trials=None, threads=None,
        sweep=None, redraw_connectivity=False, out=None, format="h5", force=False, memory_limit_mb=None,
        progress=None, raise_on_interrupt=False):
    """Simulates `net` (a Network, or a netdef path) and returns a Result.

    The arguments are `spikeq run`'s flags, with the same meaning and checks:
    mode "event" (exact, default) or "stepped"; dt_ms and integrator ("euler",
    "exact") for stepped runs; duration_ms, seed, trials override the netdef's
    fields; threads (default every core) runs trials and sweep points in
    parallel (the spikes do not depend on it); sweep: "PATH=FROM:TO:COUNT",
    "PATH=V1,V2,..." (or a list of them, or {path: values}) as `--sweep`;
    redraw_connectivity as `--redraw-connectivity`.

    out=None: everything stays in memory (no file), spikes and voltages as NumPy
    arrays over the engine's own buffers. out=DIR: writes DIR exactly as
    `spikeq run NETDEF -o DIR` (format "h5", "tsv", "both"; force=True empties a
    DIR an earlier run left), then reads it back.

    memory_limit_mb: the networks must fit (as --memory-limit-mb; default the
    available memory), and in memory the results too: a run whose results pass
    what is left stops and raises RunError (its partial result in `.result`).
    progress: None (a bar after 1 s), True, False, or a callable(dict).
    Ctrl-C: see the module's doc; `raise_on_interrupt=True` raises KeyboardInterrupt
    after the run (the result in `.result`).
    Errors: NetdefError (bad input, the CLI's message), RunError (run time).
    """
    if not isinstance(net, Network):
        net = load(net)
    text, origin, overrides = net._source()
    flag_sets = []
    if seed is not None:
        flag_sets.append(_spikeq.flag_override("--seed", "seed", _override_value(seed)))
    if duration_ms is not None:
        flag_sets.append(_spikeq.flag_override("--duration", "duration_ms", _override_value(duration_ms)))
    if dt_ms is not None:
        flag_sets.append(_spikeq.flag_override("--dt", "simulation.dt_ms", _override_value(dt_ms)))
    if trials is not None:
        flag_sets.append(_spikeq.flag_override("--trials", "simulation.trials", _override_value(trials)))
    mode = "" if mode is None else _member("--mode", mode, ("event", "stepped"))
    integrator = "" if integrator is None else _member("--integrator", integrator, ("euler", "exact"))
    limits = _spikeq.limits
    threads = 0 if threads is None else _count("--threads", threads, 1, limits["max_threads"],
                                               "more threads than cores only add stacks and contention")
    memory_limit_mb = 0.0 if memory_limit_mb is None else _real("--memory-limit-mb", memory_limit_mb, 0,
                                                                limits["max_memory_limit_mb"], True)
    sweeps = _sweep_arguments(sweep)
    callback = _progress_callback(progress)
    common = (text, origin, overrides, flag_sets, mode, integrator, sweeps, threads, bool(redraw_connectivity),
              memory_limit_mb)
    if out is not None:
        _member("--format", format, _FORMATS)
        native = _spikeq.run_directory(*common, str(out), format, bool(force), callback, 0.2)
        result = load_run(str(out))
        result.signal = native["signal"]
        result.info = {"exit_code": native["exit_code"]}
        interrupted = native["interrupted"]
    else:
        native = _spikeq.run_memory(*common, callback, 0.2)
        result = _memory_result(native)
        interrupted = native["interrupted"]
        if native["failure"]:
            failure = native["failure"]
            error = (RunError if failure["runtime"] else NetdefError)(failure["message"])
            error.result = result
            raise error
        if native["memory_exceeded"]:
            reached = min((r.simulated_ms for r in result.runs if r.manifest), default=0.0)
            error = RunError(f"{origin}: the results kept in memory passed {native['memory_limit_bytes'] / 2**20:.0f} "
                             f"MiB (what memory_limit_mb, or the available memory, leaves after the network); the "
                             f"run stopped at {reached:g} ms: record it to disk with out=DIR")
            error.result = result
            raise error
    if interrupted:
        if out is None:  # (a run directory's run says it itself, as `spikeq run` does)
            reached = ", ".join(f"{r.simulated_ms:g}" for r in result.runs if r.status == "interrupted")
            print(f"spikeq: interrupted at {reached or 0} ms; the result holds what was simulated "
                  f"(status \"interrupted\")", file=sys.stderr)
        if raise_on_interrupt:
            error = KeyboardInterrupt()
            error.result = result
            raise error
    return result


def _memory_result(native):
    names = [s["name"] for s in native["sweeps"]]
    points = [Point(i, dict(zip(names, p["values"])), f"point-{i:04d}" if names else "")
              for i, p in enumerate(native["points"])]
    for t in native["tasks"]:
        point = points[t["point"]]
        voltages = {v["probe"]: spikeq_run.Probe(v["population"], v["node_ids"], v["times_ms"], v["v_mv"])
                    for v in t["voltages"]}
        run = Run(path=None, manifest=json.loads(t["manifest"]) if t["manifest"] else {}, spikes=t["spikes"],
                  voltages=voltages, source="memory", point=point.index, trial=t["trial"], values=point.values,
                  error=t["error"])
        run._buffers = t["buffers"]  # where the engine wrote: the arrays' data (tests check it)
        point.trials.append(run)
    return Result(points, sweeps=native["sweeps"], signal=native["signal"],
                  info={k: native[k] for k in ("threads", "wall_s", "mapped_bytes", "memory_limit_bytes")})
