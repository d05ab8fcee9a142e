"""The analysis commands as functions: the same numbers as their `--json`, as
Python objects (dicts and lists; NaN is None, as in the JSON).

    spikeq.stats(res)          `spikeq stats DIR --json`   (also res.stats())
    spikeq.theory(net)         `spikeq theory NETDEF --json`
    spikeq.compare(a, b)       `spikeq compare A B --json`
    spikeq.converge(net, dt_ms=[1, 0.1])   `spikeq converge NETDEF --dt 1,0.1 --json`

The keys are documented where the C++ declares them: engine/analysis/summary.h
(stats), engine/theory/theory_report.h (theory), engine/analysis/compare.h, engine/batch/converge.h.
Runs read from a run directory are analysed by the CLI's own code path on that
directory; runs in memory by the same estimators on the arrays in memory.
"""

import json

from . import _spikeq
from ._spikeq import NetdefError
from .network import Network, load
from .results import Result, Run
from .running import _count, _real

__all__ = ["stats", "theory", "compare", "converge", "Convergence"]


def _summary_arguments(from_ms, to_ms, windows_ms, sync_bin_ms=1.0):
    """The CLI's flags --from, --to, --window, --sync-bin, held to their ranges."""
    max_ms = _spikeq.limits["max_time_ms"]
    from_ms = _real("--from", from_ms, 0, max_ms)
    to_ms = 0.0 if to_ms is None else _real("--to", to_ms, 0, max_ms, True)
    windows = [] if windows_ms is None else [_real("--window", w, 0, max_ms, True) for w in
                                             ([windows_ms] if isinstance(windows_ms, (int, float)) else windows_ms)]
    sync_bin_ms = _real("--sync-bin", sync_bin_ms, 0, max_ms, True)
    return from_ms, to_ms, windows, sync_bin_ms


def _on_files(result):
    """True when every run of `result` is a directory's complete files (h5 or tsv),
    so the CLI's own reader can analyse the directory."""
    return result.path is not None and all(r.source in ("h5", "tsv") for r in result.runs)


def _started(runs):
    # As `spikeq stats` finds them: a trial that never started has no directory.
    return [r for r in runs if r.manifest]


def _points_input(target):
    if isinstance(target, Run):
        return [("", [target._input()])]
    return [(p.label, [r._input() for r in _started(p.trials)]) for p in target.points if _started(p.trials)]


def stats(target, from_ms=0.0, to_ms=None, windows_ms=None, sync_bin_ms=1.0, isi_density=False):
    """`spikeq stats --json` of a Result, a Run, or a run directory's path.

    Per population: spike_count, rate_hz ± rate_sem_hz, ISI mean and CV (window
    corrected), fano [{window_ms, fano, fano_se}], synchrony, coincident_fraction,
    membrane moments and chi; "theory" with what theory predicts. Over trials:
    mean ± SEM across trials; a sweep: {"points": [{"label", "summary"}]}.
    Spikes with from_ms < t <= to_ms (default: the whole run); windows_ms: the
    Fano factor windows (default 10, 100, 1000 ms); isi_density: add the theory's
    ISI densities (as `spikeq stats --plot` does)."""
    args = _summary_arguments(from_ms, to_ms, windows_ms, sync_bin_ms)
    if isinstance(target, str):
        return json.loads(_spikeq.stats_dir(target, *args, isi_density))
    if isinstance(target, Result) and _on_files(target):
        return json.loads(_spikeq.stats_dir(target.path, *args, isi_density))
    points = _points_input(target)
    if not points:
        raise NetdefError("no run to analyse: nothing was simulated")
    return json.loads(_spikeq.stats_runs(points, *args, isi_density))


def theory(net, isi_density=False):
    """What theory predicts for a Network (or a netdef path), each number with its
    formula: `spikeq theory --json` (input mu and sigma, free membrane, Siegert rate
    and CV, mean-field solutions). isi_density: add the ISI densities."""
    if not isinstance(net, Network):
        net = load(net)
    return json.loads(_spikeq.theory(*net._source(), bool(isi_density)))


def _side(target, label):
    if isinstance(target, str):
        return target
    if isinstance(target, Result):
        if len(target.points) != 1:
            raise NetdefError(f"{target.path or label}: a sweep (point-*/); compare one point (res.points[p])")
        if _on_files(target):
            return target.path
        runs = _started(target.points[0].trials)
    elif isinstance(target, Run):
        runs = [target]
    else:
        raise TypeError("compare: each side is a Result, a Run or a run directory's path")
    if not runs:
        raise NetdefError(f"{label}: nothing was simulated")
    return (label, [r._input() for r in runs])


def compare(a, b, *, alpha=0.01, from_ms=0.0, to_ms=None, windows_ms=None, labels=("A", "B"), isi_density=False):
    """`spikeq compare A B --json`: the two runs (Results, Runs or directories) side
    by side per population, each quantity with its CI at 1 - alpha, the difference
    B - A, a KS test of the ISIs, the theory column and a verdict per quantity
    ("overall": family-wise over all quantities). `labels` name in-memory sides."""
    alpha = _real("--alpha", alpha, 1e-12, 0.5)
    from_ms, to_ms, windows, _ = _summary_arguments(from_ms, to_ms, windows_ms)
    return json.loads(_spikeq.compare(_side(a, labels[0]), _side(b, labels[1]), alpha, from_ms, to_ms, windows,
                                      isi_density))


class Convergence(dict):
    """`spikeq converge --json` as a dict, with .plot() for the convergence figure."""

    def plot(self, ax=None, population=None, ax_rate=None):
        """|rate error| vs dt (log-log, fitted orders) for each LIF population;
        see spikeq.plots.convergence."""
        from .plots import convergence
        return convergence(self, ax=ax, population=population, ax_rate=ax_rate)


def converge(net, dt_ms, *, trials=1, integrators=None, from_ms=None, threads=None, seed=None, duration_ms=None):
    """The stepped engine against the event-driven one as dt shrinks: `spikeq
    converge NETDEF --dt ... --json` (rate and CV errors per dt and integrator,
    against the event-driven run and theory, and the fitted order). Runs in
    memory on `threads` (default every core); the numbers do not depend on it.
    integrators: ["euler", "exact"] by default; from_ms: default duration / 10."""
    if not isinstance(net, Network):
        net = load(net)
    text, origin, overrides = net._source()
    if seed is not None:
        overrides.append(_spikeq.flag_override("--seed", "seed", str(seed)))
    if duration_ms is not None:
        overrides.append(_spikeq.flag_override("--duration", "duration_ms", repr(float(duration_ms))))
    max_ms = _spikeq.limits["max_time_ms"]
    dts = [dt_ms] if isinstance(dt_ms, (int, float)) else list(dt_ms)
    if not dts:
        raise NetdefError("--dt: at least one time step")
    dts = [_real("--dt", dt, 0, max_ms, True) for dt in dts]
    integrators = [] if integrators is None else [i for i in ([integrators] if isinstance(integrators, str)
                                                              else integrators)]
    for i in integrators:
        if i not in ("euler", "exact"):
            raise NetdefError(f"--integrator: {i!r} not in {{euler, exact}}")
    trials = _count("--trials", trials, 1, _spikeq.limits["max_trials"])
    from_ms = -1.0 if from_ms is None else _real("--from", from_ms, 0, max_ms)
    threads = 0 if threads is None else _count("--threads", threads, 1, _spikeq.limits["max_threads"],
                                               "more threads than cores only add stacks and contention")
    return Convergence(json.loads(_spikeq.converge(text, origin, overrides, dts, integrators, trials, from_ms,
                                                   threads)))
