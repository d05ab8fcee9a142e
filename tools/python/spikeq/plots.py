"""Plots of results on matplotlib axes: the figures of `spikeq stats|compare|
converge --plot`, drawn by the same functions (tools/plot/spikeq_plot.py, the
draw_* functions, imported here, not copied).

Every function takes `ax` (or `axes`): the axes to draw on, or None for a new
figure; it returns the axes it drew on. Per-population plots (isi, counts,
membrane) draw each population on its own axes: pass `population=` with one
axes, or a sequence of axes, one per population.

    res.plot.raster()                        # raster above the population rates
    fig, ax = plt.subplots(); res.plot.isi(ax=ax, population="neurons")
    spikeq.plots.convergence(spikeq.converge(net, dt_ms=[1, 0.1]))
    res.plot.phase()                         # a sweep over two parameters
"""

import math
import os

import numpy as np

from . import _spikeq
from . import spikeq_plot as sp

__all__ = ["Plots", "raster", "rate", "isi", "counts", "membrane", "convergence", "phase"]


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _run_of(target):
    """The run to draw: a Run, or a Result's first run that was simulated (as
    `spikeq stats --plot` draws a batch's first trial)."""
    from .results import Result
    if isinstance(target, Result):
        for run in target.runs:
            if run.manifest:
                return run
        raise ValueError("nothing was simulated")
    return target


def _theory(run):
    """Population -> theory (with the ISI densities), from the run's resolved netdef."""
    text = run.manifest.get("netdef_resolved", "")
    if not text:
        return {}
    try:
        import json
        report = json.loads(_spikeq.theory(text, "manifest.json netdef_resolved", [], True))
    except _spikeq.SpikeqError:
        return {}
    return sp.theory_by_name({"theory": report})


def _per_population(ax, names, population, what):
    """The axes for `names` (or just `population`)."""
    if population is not None:
        if population not in names:
            raise ValueError(f"{what}: no population {population!r} here (populations: {', '.join(names)})")
        names = [population]
    if not names:
        raise ValueError(f"{what}: no population to draw")
    if ax is None:
        _, axes = sp.grid(len(names))
        return list(axes), names
    if hasattr(ax, "plot"):
        if len(names) > 1:
            raise ValueError(f"{what}: {len(names)} populations ({', '.join(names)}): pass population=NAME, "
                             "or one axes per population")
        return [ax], names
    axes = list(np.ravel(ax))
    if len(axes) < len(names):
        raise ValueError(f"{what}: {len(names)} populations but {len(axes)} axes")
    return axes, names


def raster(target, ax=None, *, from_ms=0.0, title=None, rates=True):
    """Spikes of up to 100 nodes per population; with rates, the population rates
    beneath. ax: None (a new figure), one Axes (the raster alone), or a pair
    (raster, rates)."""
    run = _run_of(target)
    if ax is None:
        if rates:
            _, (ax, ax_rate) = _plt().subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1.3],
                                               layout="constrained")
        else:
            _, ax = _plt().subplots(figsize=(9, 4.5), layout="constrained")
            ax_rate = None
    elif hasattr(ax, "plot"):
        ax_rate = None
    else:
        ax, ax_rate = ax
    sp.draw_raster(ax, run, from_ms, title, ax_rate)
    return ax if ax_rate is None else (ax, ax_rate)


def rate(target, ax=None, *, from_ms=0.0, bin_ms=None):
    """Each recorded population's rate over time (Hz), in bins of bin_ms."""
    run = _run_of(target)
    if ax is None:
        _, ax = _plt().subplots(figsize=(9, 3), layout="constrained")
    return sp.draw_rates(ax, run, from_ms, bin_ms)


def isi(target, ax=None, *, population=None, from_ms=0.0, theory=True):
    """ISI density per population (window-corrected) with theory: the exponential
    for Poisson sources, the first-passage density of the OU membrane for noisy LIF."""
    run = _run_of(target)
    names = [p[0] for p in sp.recorded(run, spiking=True)]
    axes, names = _per_population(ax, names, population, "isi")
    th = _theory(run) if theory else {}
    for a, name in zip(axes, names):
        sp.draw_isi(a, [("", run)], th, name, from_ms)
    return axes[0] if hasattr(ax, "plot") else axes


def counts(target, ax=None, *, population=None, window_ms=None, from_ms=0.0):
    """Spike counts per node in windows of window_ms against the Poisson law of the same mean."""
    run = _run_of(target)
    names = [p[0] for p in sp.recorded(run, spiking=True)]
    axes, names = _per_population(ax, names, population, "counts")
    window_ms = window_ms or sp.default_window(None, run, from_ms)
    for a, name in zip(axes, names):
        sp.draw_counts(a, [("", run)], {}, name, window_ms, from_ms)
    return axes[0] if hasattr(ax, "plot") else axes


def membrane(target, ax=None, *, population=None, from_ms=0.0, theory=True):
    """Histogram of the probed membrane potentials against the free-membrane Gaussian of theory."""
    run = _run_of(target)
    names = sp.membrane_populations([("", run)])
    axes, names = _per_population(ax, names, population, "membrane")
    th = _theory(run) if theory else {}
    for a, name in zip(axes, names):
        sp.draw_membrane(a, [("", run)], th, name, from_ms)
    return axes[0] if hasattr(ax, "plot") else axes


def convergence(conv, ax=None, *, population=None, ax_rate=None):
    """A convergence study (spikeq.converge): |rate error| vs dt on log-log axes with
    the fitted orders; with ax None, the rate vs dt beside it. One row per LIF
    population (or just `population`)."""
    names = sp.converge_populations(conv)
    if population is not None:
        if population not in names:
            raise ValueError(f"convergence: no population {population!r} (populations: {', '.join(names)})")
        names = [population]
    if not names:
        raise ValueError("convergence: no recorded LIF population")
    if ax is None:
        _, grid = _plt().subplots(len(names), 2, figsize=(11, 4.2 * len(names)), squeeze=False, layout="constrained")
        for row, name in zip(grid, names):
            sp.draw_converge(row[0], conv, name, row[1])
        return grid
    if len(names) > 1:
        raise ValueError(f"convergence: {len(names)} populations: pass population=NAME")
    return sp.draw_converge(ax, conv, names[0], ax_rate)


def _sweep_table(result, population):
    """(header, columns, parameters) as spikeq_plot.read_sweep reads sweep.tsv: per
    point its swept values and, over its complete trials, rate, SEM, CV and synchrony."""
    if result.path and os.path.exists(os.path.join(result.path, "sweep.tsv")):
        return sp.read_sweep(os.path.join(result.path, "sweep.tsv"))
    if not result.sweeps:
        raise ValueError("phase: not a sweep (run with sweep=... or a netdef with sweeps)")
    params = [s["name"] for s in result.sweeps]
    inputs = [(p.label, [r._input() for r in p.trials if r.status == "complete"]) for p in result.points]
    summaries = {}
    done = [(label, runs) for label, runs in inputs if runs]
    if done:
        import json
        for e in json.loads(_spikeq.stats_runs(done))["points"]:
            summaries[e["label"]] = e["summary"]
    first = next(iter(summaries.values()), None)
    pops = [p["name"] for p in first["populations"] if p["recorded"]] if first else []
    keys = ["rate_hz", "rate_sem_hz", "cv_isi", "synchrony"]
    header = params + [f"{pop}.{k}" for pop in pops for k in keys]
    cols = {h: [] for h in header}
    for point in result.points:
        for name in params:
            cols[name].append(float(point.values[name]))
        summary = summaries.get(point.label)
        by_name = {p["name"]: p for p in summary["populations"]} if summary else {}
        for pop in pops:
            for k in keys:
                v = by_name.get(pop, {}).get(k)
                cols[f"{pop}.{k}"].append(math.nan if v is None else float(v))
    return header, {h: np.array(v, dtype=float) for h, v in cols.items()}, params


def phase(target, axes=None, *, x=None, y=None, population=None):
    """Heat maps of rate, synchrony and ISI CV over two swept parameters (a sweep's
    Result, a sweep directory, or a sweep.tsv path). axes: None or one axes per map."""
    from .results import Result
    if isinstance(target, Result):
        table = _sweep_table(target, population)
        where = target.path or "sweep"
    else:
        path = str(target)
        path = os.path.join(path, "sweep.tsv") if os.path.isdir(path) else path
        table, where = sp.read_sweep(path), path
    wanted = sp.phase_columns(table, population, where)
    if axes is None:
        _, grid = _plt().subplots(1, len(wanted), figsize=(4.8 * len(wanted), 4.2), squeeze=False,
                                  layout="constrained")
        axes = grid[0]
    elif hasattr(axes, "plot"):
        axes = [axes]
    return sp.draw_phase(list(np.ravel(axes)), table, x, y, population, where)


class Plots:
    """`res.plot` / `run.plot`: the functions of this module on one result."""

    def __init__(self, target):
        self._target = target

    def raster(self, ax=None, **kw):
        return raster(self._target, ax, **kw)

    def rate(self, ax=None, **kw):
        return rate(self._target, ax, **kw)

    def isi(self, ax=None, **kw):
        return isi(self._target, ax, **kw)

    def counts(self, ax=None, **kw):
        return counts(self._target, ax, **kw)

    def membrane(self, ax=None, **kw):
        return membrane(self._target, ax, **kw)

    def phase(self, axes=None, **kw):
        return phase(self._target, axes, **kw)


for _name in ("raster", "rate", "isi", "counts", "membrane", "phase"):
    getattr(Plots, _name).__doc__ = globals()[_name].__doc__
del _name
