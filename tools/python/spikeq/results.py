"""Results of runs: one `Run` per trial and sweep point, gathered in a `Result`.

A Run has what the run-directory reader gives (tools/python/spikeq_run.py, whose
Run it extends): `manifest` (manifest.json as a dict, for in-memory runs too),
`spikes[population]` = (times_ms float64, node_ids uint64) sorted by time,
`voltages[probe]` = Probe(population, node_ids, times_ms, v_mv[time, node]).
In-memory runs hold the engine's own buffers: the arrays are views of the
memory the simulation wrote (no copy; the arrays' base owns it).

A Result is what `spikeq.run` and `spikeq.load_run` return: `points` (one per
sweep point, each with its `values` and `trials`), `runs` (all, point-major),
and for a single run its `spikes`, `voltages`, `manifest` directly.
"""

import json
import os
from dataclasses import dataclass, field

from . import spikeq_run
from ._spikeq import NetdefError

__all__ = ["Run", "Point", "Result", "load_run"]


def _population(summary, name):
    """One population's entry of a stats summary, by name."""
    if "points" in summary:
        raise ValueError("a sweep: take a point's stats (res.points[p].trials, or stats()['points'])")
    for p in summary["populations"]:
        if p["name"] == name:
            return p
    raise ValueError(f"no population {name!r} (populations: {', '.join(p['name'] for p in summary['populations'])})")


@dataclass(eq=False)
class Run(spikeq_run.Run):
    """One run: a trial at a sweep point (see the module's doc)."""
    point: int = 0
    trial: int = 0
    values: dict = field(default_factory=dict)  # the sweep's values at its point
    error: str = ""

    @property
    def status(self):
        """"complete", "interrupted", "failed" or "not_started"."""
        return self.manifest.get("status", "not_started") if self.manifest else "not_started"

    @property
    def interrupted(self):
        return self.status == "interrupted"

    @property
    def simulated_ms(self):
        """The time reached (the duration unless interrupted)."""
        return self.manifest.get("simulated_ms", 0.0) if self.manifest else 0.0

    @property
    def duration_ms(self):
        return self.manifest.get("duration_ms", 0.0) if self.manifest else 0.0

    def stats(self, from_ms=0.0, to_ms=None, windows_ms=None, sync_bin_ms=1.0):
        """`spikeq stats --json` of this run alone; see Result.stats."""
        from .analysis import stats
        return stats(self, from_ms=from_ms, to_ms=to_ms, windows_ms=windows_ms, sync_bin_ms=sync_bin_ms)

    def population_stats(self, name, **options):
        """stats(**options) of the population `name` alone: {"rate_hz": ..., "cv_isi": ...}."""
        return _population(self.stats(**options), name)

    @property
    def plot(self):
        """Plots of this run on matplotlib axes: raster, rate, isi, counts, membrane."""
        from .plots import Plots
        return Plots(self)

    def _input(self):
        """(manifest JSON, spikes, voltages) for the extension's analysis."""
        probes = [(int(k), [int(n) for n in p.node_ids], p.times_ms, p.v_mv) for k, p in sorted(self.voltages.items())]
        return json.dumps(self.manifest), dict(self.spikes), probes

    def __repr__(self):
        counts = ", ".join(f"{name} {len(t)}" for name, (t, _) in self.spikes.items())
        where = self.path or "memory"
        label = f"point {self.point} " if self.values else ""
        return (f"<spikeq.Run {self.manifest.get('name', '') if self.manifest else ''} {label}trial {self.trial} "
                f"({where}): {self.status}, {self.simulated_ms:g} ms; spikes: {counts or 'none'}>")


@dataclass(eq=False)
class Point:
    """One sweep point (the only one without a sweep) and its trials."""
    index: int
    values: dict  # sweep name -> value
    label: str     # "point-0003", or "" without a sweep
    trials: list = field(default_factory=list)

    @property
    def status(self):
        """"complete" if every trial is, "failed" if one failed, "not_started" if none
        started, else "interrupted" (as trials.json says)."""
        states = [t.status for t in self.trials]
        if "failed" in states:
            return "failed"
        if states and all(s == "complete" for s in states):
            return "complete"
        return "not_started" if all(s == "not_started" for s in states) else "interrupted"


class Result:
    """Runs by sweep point and trial, from `spikeq.run` or `spikeq.load_run`."""

    def __init__(self, points, sweeps=(), path=None, signal=0, info=None):
        self.points = list(points)
        self.sweeps = list(sweeps)  # [{"name", "paths", "values", "scale"}]
        self.path = path            # the run directory, or None in memory
        self.signal = signal        # the signal that stopped the run (2 SIGINT, 15 SIGTERM), or 0
        self.info = dict(info or {})  # threads, wall_s, mapped_bytes (in memory), exit_code (out=DIR)

    # --- the runs ---------------------------------------------------------------

    @property
    def runs(self):
        """Every run, point-major (trials in order)."""
        return [r for p in self.points for r in p.trials]

    @property
    def trials(self):
        """The trials of the only point (a run without a sweep)."""
        return self._only_point().trials

    def _only_point(self):
        if len(self.points) != 1:
            raise ValueError(f"a sweep of {len(self.points)} points: pick one with res.points[p]")
        return self.points[0]

    def _only_run(self):
        runs = self.runs
        if len(runs) != 1:
            raise ValueError(f"{len(runs)} runs ({len(self.points)} points x {len(self.points[0].trials)} trials): "
                             "pick one with res.trials[k] or res.points[p].trials[k]")
        return runs[0]

    def __getitem__(self, key):
        """res[k]: trial k (no sweep); res[p, k]: trial k of point p."""
        if isinstance(key, tuple):
            p, k = key
            return self.points[p].trials[k]
        return self.trials[key]

    def __len__(self):
        return len(self.runs)

    def __iter__(self):
        return iter(self.runs)

    @property
    def spikes(self):
        """population -> (times_ms, node_ids) of the single run."""
        return self._only_run().spikes

    @property
    def voltages(self):
        """probe index -> Probe(population, node_ids, times_ms, v_mv) of the single run."""
        return self._only_run().voltages

    @property
    def manifest(self):
        return self._only_run().manifest

    @property
    def status(self):
        """"complete", "interrupted", "failed" (the worst of the points')."""
        states = [p.status for p in self.points]
        if "failed" in states:
            return "failed"
        return "complete" if all(s == "complete" for s in states) else "interrupted"

    @property
    def interrupted(self):
        """True when a signal (Ctrl-C) stopped the run: the arrays hold what was simulated."""
        return self.status == "interrupted"

    @property
    def simulated_ms(self):
        """The time reached by the single run."""
        return self._only_run().simulated_ms

    # --- analysis and plots ------------------------------------------------------

    def stats(self, from_ms=0.0, to_ms=None, windows_ms=None, sync_bin_ms=1.0, isi_density=False):
        """Per population: spike count, rate ± SEM, ISI mean and CV, Fano factors,
        synchrony, membrane moments, with the theory — what `spikeq stats DIR --json`
        prints for the same run (mean ± SEM across trials; a sweep gives
        {"points": [{"label", "summary"}]}). Spikes with from_ms < t <= to_ms."""
        from .analysis import stats
        return stats(self, from_ms=from_ms, to_ms=to_ms, windows_ms=windows_ms, sync_bin_ms=sync_bin_ms,
                     isi_density=isi_density)

    def population_stats(self, name, **options):
        """stats(**options) of the population `name` alone (mean ± SEM across trials):
        `res.population_stats("neurons", from_ms=100)["rate_hz"]`."""
        return _population(self.stats(**options), name)

    @property
    def plot(self):
        """Plots on matplotlib axes: raster, rate, isi, counts, membrane (of the first
        run), phase (of a sweep)."""
        from .plots import Plots
        return Plots(self)

    def __repr__(self):
        where = self.path or "memory"
        shape = f"{len(self.points)} points x " if self.sweeps else ""
        trials = len(self.points[0].trials) if self.points else 0
        return f"<spikeq.Result ({where}): {shape}{trials} trial{'s' if trials != 1 else ''}, {self.status}>"


# --- run directories ----------------------------------------------------------------

def _load_one(path, point=0, values=None):
    base = spikeq_run.load(path)
    run = Run(path=base.path, manifest=base.manifest, spikes=base.spikes, voltages=base.voltages,
              source=base.source, gaps=base.gaps, point=point, values=dict(values or {}))
    run.trial = int(run.manifest.get("trial", 0))
    run.error = run.manifest.get("error", "")
    if run.source == "journal" and run.manifest.get("status") == "running":
        # A killed run: its manifest never got the time reached. As `spikeq recover`
        # does, the record ends with its last spike or sample.
        last = [t[-1] for t, _ in run.spikes.values() if t.size]
        last += [p.times_ms[-1] for p in run.voltages.values() if p.times_ms.size]
        run.manifest = dict(run.manifest, simulated_ms=float(max(last, default=0.0)))
    return run


def _trial_dirs(path):
    """DIR itself, or its trial-*/ with a manifest (as `spikeq stats` finds them)."""
    if os.path.exists(os.path.join(path, "manifest.json")):
        return [path]
    return [os.path.join(path, d) for d in sorted(os.listdir(path))
            if d.startswith("trial-") and os.path.exists(os.path.join(path, d, "manifest.json"))]


def load_run(path):
    """Reads a run directory of `spikeq run` (or of `spikeq.run(out=DIR)`): a run,
    DIR/trial-KKKK/ trials, or DIR/point-PPPP/ sweep points. Spikes from spikes.h5,
    spikes.tsv or, for a killed run, its journals (tools/python/spikeq_run.py,
    which checks every file: SpikeqFileError names the file, place and value)."""
    path = str(path)
    if not os.path.isdir(path):
        raise NetdefError(f"{path}: not a directory")
    trials = _trial_dirs(path)
    if trials:
        return Result([Point(0, {}, "", [_load_one(t) for t in trials])], path=path)
    points, sweeps = [], []
    sweep_file = os.path.join(path, "sweep.json")
    listed = {}
    if os.path.exists(sweep_file):
        with open(sweep_file, encoding="utf-8") as f:
            sweep = json.load(f)
        sweeps = sweep.get("sweeps", [])
        listed = {p["dir"]: p.get("values", {}) for p in sweep.get("points", [])}
    for d in sorted(os.listdir(path)):
        p_dir = os.path.join(path, d)
        if not d.startswith("point-") or not os.path.isdir(p_dir):
            continue
        values = listed.get(d, {})
        p = Point(len(points), values, d, [_load_one(t, len(points), values) for t in _trial_dirs(p_dir)])
        if p.trials:
            points.append(p)
    if not points:
        raise NetdefError(f"{path}: no run here (no manifest.json, trial-*/ or point-*/)")
    return Result(points, sweeps=sweeps, path=path)
