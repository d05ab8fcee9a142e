#!/usr/bin/python3
"""Checks the figures of tools/plot/spikeq_plot.py on synthetic data (run by
tests/cli/test_analysis_cli.cpp with Debian's python3):

  * a hand-written TSV run directory (two populations, a voltage probe): the
    raster has 2 axes (raster + population rate), ISI / count grids one axes per
    spiking population, the membrane figure one per probed population, every
    axis labelled, theory curves drawn;
  * a synthetic convergence JSON: 2 axes per population, log-log error axes;
  * a synthetic sweep.tsv (documented layout): rate, synchrony and CV heat maps
    with colour bars (6 axes), duplicate (trial) rows averaged;
  * the command line writes non-empty PNG and SVG files.

Usage: check_analysis_plots.py TMPDIR
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PLOT_DIR = os.path.join(HERE, "..", "..", "tools", "plot")
sys.path.insert(0, PLOT_DIR)
import spikeq_plot as sp  # noqa: E402


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def make_run(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(7)
    manifest = {"name": "synthetic", "mode": "event", "duration_ms": 1000.0, "simulated_ms": 1000.0, "seed": 1,
                "status": "complete", "files": ["spikes.tsv", "voltages.tsv"],
                "populations": [{"name": "src", "size": 20, "model": "poisson", "recorded": True, "spikes": 0},
                                {"name": "lif", "size": 10, "model": "lif", "recorded": True, "spikes": 0}],
                "voltage_probes": [{"population": "lif", "node_ids": [0, 1, 2], "interval_ms": 1.0,
                                    "start_ms": 1.0}]}
    rows = []
    for pop, size, rate in (("src", 20, 40.0), ("lif", 10, 10.0)):
        for node in range(size):
            t = np.cumsum(rng.exponential(1000.0 / rate, size=100))
            rows += [(tt, pop, node) for tt in t[t < 1000.0]]
    rows.sort()
    with open(os.path.join(d, "spikes.tsv"), "w") as f:
        f.write("population\tnode_id\ttime_ms\n")
        for t, pop, node in rows:
            f.write(f"{pop}\t{node}\t{t:.17g}\n")
    with open(os.path.join(d, "voltages.tsv"), "w") as f:
        f.write("probe\tpopulation\tnode_id\ttime_ms\tv_mv\n")
        for k in range(1, 1001):
            for node in (0, 1, 2):
                f.write(f"0\tlif\t{node}\t{float(k):.17g}\t{rng.normal(15, 3):.17g}\n")
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    theory = {"theory": {"populations": [
        {"name": "src", "model": "poisson", "rate_hz": 40.0, "cv_isi": 1.0},
        {"name": "lif", "model": "lif", "rate_hz": 10.0, "cv_isi": 0.8, "free_v_mean_mv": 15.0,
         "free_v_var_mv2": 9.0, "free_membrane_applies": True}]}}
    return theory


def labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes if ax.get_label() != "<colorbar>")


def main(tmp):
    run_dir = os.path.join(tmp, "run")
    theory = sp.theory_by_name(make_run(run_dir))
    run = sp.spikeq_run.load(run_dir)
    runs = [("", run)]

    fig = sp.fig_raster(run)
    check(len(fig.axes) == 2, "raster: raster + population rate axes")
    check(labelled(fig) or fig.axes[1].get_xlabel() == "time (ms)", "raster: time axis labelled in ms")
    check(len(fig.axes[0].collections) == 2, "raster: one scatter per population")

    fig = sp.fig_isi(runs, theory)
    check(len(fig.axes) == 2, "ISI: one axes per spiking population")
    check(labelled(fig), "ISI: axes labelled")
    check(any("theory: Exp(40 Hz)" in t.get_text() for t in fig.axes[0].get_legend().get_texts()),
          "ISI: Poisson population has the theory exponential")

    fig = sp.fig_counts(runs, theory, 100.0)
    check(len(fig.axes) == 2, "counts: one axes per spiking population")
    check(labelled(fig), "counts: axes labelled")

    fig = sp.fig_membrane(runs, theory)
    check(len(fig.axes) == 1, "membrane: one axes per probed population")
    check(any("theory N(15" in t.get_text() for t in fig.axes[0].get_legend().get_texts()),
          "membrane: Gaussian of theory drawn")

    fig = sp.fig_isi([("A", run), ("B", run)], theory)
    check(len(fig.axes[0].get_legend().get_texts()) >= 3, "compare ISI: A, B and theory in the legend")

    conv = {
        "event": {"summary": {"populations": [{"name": "n", "rate_hz": 10.0, "rate_sem_hz": 0.1}]}},
        "theory": {"populations": [{"name": "n", "rate_hz": 10.05}]},
        "errors": [{"population": "n", "engine": e, "dt_ms": dt, "rate_hz": 10 - 2 * dt ** 0.5,
                    "rate_sem_hz": 0.1, "rate_error_vs_event_hz": -2 * dt ** 0.5,
                    "rate_error_vs_event_se_hz": 0.14}
                   for e in ("euler", "exact") for dt in (1, 0.5, 0.1, 0.01)],
        "fits": [{"population": "n", "engine": e, "reference": "event", "order": 0.5, "order_se": 0.02,
                  "intercept": float(np.log(2))} for e in ("euler", "exact")],
    }
    fig = sp.fig_converge(conv)
    check(len(fig.axes) == 2, "convergence: error and rate axes for one population")
    check(fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log", "convergence: log-log error axes")
    check(any("order 0.50" in t.get_text() for t in fig.axes[0].get_legend().get_texts()),
          "convergence: fitted order in the legend")

    sweep = os.path.join(tmp, "sweep.tsv")
    with open(sweep, "w") as f:
        f.write("g\teta\ttrial\texc.rate_hz\texc.synchrony\texc.cv_isi\n")
        for g in (3, 4, 5, 6):
            for eta in (1, 2, 3):
                for trial in (0, 1):
                    f.write(f"{g}\t{eta}\t{trial}\t{10 * eta / g + trial}\t{100 if g == 3 else 1.5}\t0.8\n")
    fig = sp.fig_phase(sweep)
    check(len(fig.axes) == 6, "phase: three heat maps with colour bars")
    check(fig.axes[0].get_xlabel() == "g" and fig.axes[0].get_ylabel() == "eta", "phase: parameter axes labelled")
    mesh = fig.axes[0].collections[0].get_array()
    check(abs(float(mesh.reshape(3, 4)[0, 0]) - (10 * 1 / 3 + 0.5)) < 1e-9, "phase: trials averaged per point")
    check(np.ma.count_masked(mesh) == 0, "phase: every point filled")

    out = os.path.join(tmp, "cli")
    res = subprocess.run([sys.executable, os.path.join(PLOT_DIR, "spikeq_plot.py"), "phase", sweep, "--out", out],
                         capture_output=True, text=True)
    check(res.returncode == 0 and "phase.png (6 axes)" in res.stdout, "phase: command line")
    for ext in ("png", "svg"):
        path = os.path.join(out, "phase." + ext)
        check(os.path.getsize(path) > 5000, f"phase.{ext} non-empty")
    with open(os.path.join(out, "phase.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "phase.png is a PNG")
    print("all plot checks passed")


if __name__ == "__main__":
    main(sys.argv[1])
