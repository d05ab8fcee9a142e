#!/usr/bin/python3
"""Plots of spikeq runs, comparisons, convergence studies and sweeps (PNG + SVG).

Called by `spikeq stats|compare|converge --plot OUTDIR`, or alone (Debian's
python3 with python3-matplotlib, python3-numpy, python3-h5py):

    /usr/bin/python3 tools/plot/spikeq_plot.py run DIR [--stats stats.json] [--from MS] [--window MS] --out OUTDIR
        raster.png   raster (up to 100 nodes per population) with the population rate beneath
        isi.png      ISI histogram per population: Poisson sources with the exponential of
                     theory; LIF neurons with the first-passage density of theory (when the
                     JSON has it: `spikeq stats --plot` adds it) and the exponential of the
                     same mean as the CV-1 reference
        counts.png   spike counts per node and window vs the Poisson law of the same mean
        membrane.png membrane histogram per probed population vs the Gaussian of theory (models/README.md Q9)
    ... compare DIR_A DIR_B [--compare compare.json] [--from MS] [--window MS] --out OUTDIR
        raster_a.png, raster_b.png, and isi/counts/membrane.png with both runs overlaid
    ... converge converge.json --out OUTDIR
        convergence.png  per LIF population: |rate error| vs dt (log-log, fitted order) and rate vs dt
    ... phase sweep.tsv [--x COL] [--y COL] [--population NAME] --out OUTDIR
        phase.png    rate and synchrony (and ISI CV when present) as heat maps over two parameters

sweep.tsv layout (what `phase` reads; written by parameter sweeps):
    tab-separated, one header line, one row per point (or per point and trial:
    rows with equal parameter values are averaged). Parameter columns come
    first, named by what was varied (a netdef path such as `inh.weight_mv`, or a
    short name such as `g` or `eta`); then statistic columns named
    POPULATION.STAT, STAT one of rate_hz, rate_sem_hz, cv_isi, synchrony, chi,
    fano_<W>ms (the keys of `spikeq stats --json`). A column whose name holds no
    '.' is a parameter; `trial`, `point` and `status` (complete, interrupted,
    not_started: a sweep stopped early lists every point) columns are ignored.

Every figure is written as NAME.png (150 dpi) and NAME.svg; one line per figure
"wrote PATH.png (N axes)" goes to stdout.

As a library (the Python package `spikeq` imports it: `res.plot.raster(ax=...)`),
each figure is drawn by a draw_* function onto matplotlib axes the caller passes
(draw_raster, draw_isi, draw_counts, draw_membrane, draw_converge, draw_phase);
the fig_* functions lay those out for the command line. Importing it changes no
matplotlib setting (backend, rcParams): main() does that for the command line.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import matplotlib
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm

try:  # inside the Python package spikeq, next to its copy of the reader
    from . import spikeq_run
except ImportError:  # a script: tools/python holds the run directory reader
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import spikeq_run

RASTER_NODES = 100
COLORS = ["tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple", "tab:brown"]
SIDE_COLORS = {"A": "tab:blue", "B": "tab:orange"}

STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8}


# --- data -----------------------------------------------------------------

def load_json(path):
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def theory_by_name(stats):
    """Population name -> theory dict, from a stats or compare JSON ('theory' key)."""
    if not stats or "theory" not in stats:
        return {}
    return {p["name"]: p for p in stats["theory"]["populations"]}


def interval(run, t_from):
    end = run.manifest.get("simulated_ms", run.manifest.get("duration_ms", 0.0))
    return float(t_from), float(end)


def recorded(run, spiking=False):
    """[(name, size, is_lif, times, node_ids)] of the populations with spikes recorded
    (spiking: and at least one spike)."""
    out = []
    for p in run.manifest["populations"]:
        if p["name"] in run.spikes and p.get("spikes", 0) is not None:
            t, n = run.spikes[p["name"]]
            if spiking and len(t) == 0:
                continue
            out.append((p["name"], int(p["size"]), p.get("model") == "lif", np.asarray(t), np.asarray(n)))
    return out


def headroom(ax, factor=1.4):
    """Room above the data for the legend."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * factor)


def isis_of(times, nodes, size, t0, t1):
    sel = (times > t0) & (times <= t1)
    t, n = times[sel], nodes[sel].astype(np.int64)
    order = np.lexsort((t, n))
    t, n = t[order], n[order]
    d = np.diff(t)
    return d[n[1:] == n[:-1]]


def counts_of(times, nodes, size, t0, t1, window):
    nw = int(math.floor((t1 - t0) / window * (1 + 1e-12)))
    if nw < 1:
        return np.zeros(0)
    sel = (times > t0) & (times <= t0 + nw * window)
    k = np.ceil((times[sel] - t0) / window * (1 - 1e-12)).astype(np.int64) - 1  # grid times an ulp late
    k = np.clip(k, 0, nw - 1)
    c = np.zeros((size, nw))
    np.add.at(c, (nodes[sel].astype(np.int64), k), 1)
    return c.ravel()


def samples_by_population(run, t0, t1):
    """Population -> all V samples (mV) with t0 < t <= t1, pooled over probes."""
    out = {}
    for probe in run.voltages.values():
        sel = (probe.times_ms > t0) & (probe.times_ms <= t1)
        v = np.asarray(probe.v_mv)[sel].ravel()
        out.setdefault(probe.population, []).append(v)
    return {k: np.concatenate(v) for k, v in out.items()}


# --- output ---------------------------------------------------------------

def save(fig, outdir, name):
    os.makedirs(outdir, exist_ok=True)
    base = os.path.join(outdir, name)
    fig.savefig(base + ".png", dpi=150)
    fig.savefig(base + ".svg")
    print(f"wrote {base}.png ({len(fig.axes)} axes)")
    plt.close(fig)


def grid(n, width=4.6, height=3.4):
    cols = min(n, 3)
    rows = int(math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, layout="constrained")
    axes = axes.ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, axes[:n]


# --- figures --------------------------------------------------------------

def fig_raster(run, t_from=0.0, title=None):
    """Raster (up to RASTER_NODES nodes per population) above the population rates."""
    fig, (ax, ax_rate) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1.3],
                                      layout="constrained")
    draw_raster(ax, run, t_from, title, ax_rate)
    return fig


def draw_raster(ax, run, t_from=0.0, title=None, ax_rate=None):
    """Raster of up to RASTER_NODES nodes per population on `ax`; the population
    rates on `ax_rate` when given (draw_rates)."""
    t0, t1 = interval(run, t_from)
    pops = recorded(run)
    offset, ticks, labels = 0, [], []
    for i, (name, size, _, t, n) in enumerate(pops):
        color = COLORS[i % len(COLORS)]
        shown = min(size, RASTER_NODES)
        sel = (n < shown) & (t > t0) & (t <= t1)
        ax.scatter(t[sel], n[sel] + offset, s=9, color=color, marker="|", linewidths=1.0, rasterized=True)
        ticks.append(offset + shown / 2)
        labels.append(f"{name}\n({shown} of {size})")
        offset += shown + max(2, shown // 20)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-1, max(offset, 1))
    ax.set_ylabel("node (per population)")
    ax.set_title(title or f"{run.manifest.get('name', '')}: spikes")
    if ax_rate is None:
        ax.set_xlabel("time (ms)")
        ax.set_xlim(t0, t1)
        return ax
    draw_rates(ax_rate, run, t_from)
    return ax


def draw_rates(ax, run, t_from=0.0, bin_ms=None):
    """Each recorded population's rate over time (Hz) on `ax`, in bins of bin_ms
    (default: about 200 bins, at least 1 ms)."""
    t0, t1 = interval(run, t_from)
    pops = recorded(run)
    bin_ms = bin_ms or max(1.0, round(max(t1 - t0, 1e-9) / 200.0))
    edges = np.arange(t0, t1 + bin_ms * 0.5, bin_ms)
    for i, (name, size, _, t, _) in enumerate(pops):
        if edges.size >= 2:
            h, _ = np.histogram(t[(t > t0) & (t <= t1)], bins=edges)
            ax.step(edges[:-1], h / (size * bin_ms * 1e-3), where="post", color=COLORS[i % len(COLORS)], lw=1,
                    label=name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz), {bin_ms:g} ms bins")
    ax.set_xlim(t0, t1)
    ax.set_ylim(bottom=0)
    if pops:
        ax.legend(loc="upper right", ncols=min(len(pops), 4))
    return ax


def fig_isi(runs, theory, t_from=0.0):
    """ISI density per population; runs = [(label, run)]. Theory: exponential at the theory
    rate for Poisson sources; for LIF the exponential of the measured rate as a reference."""
    names = [p[0] for p in recorded(runs[0][1], spiking=True)]
    fig, axes = grid(max(len(names), 1))
    for ax, name in zip(axes, names):
        draw_isi(ax, runs, theory, name, t_from)
    return fig


def draw_isi(ax, runs, theory, name, t_from=0.0):
    """The ISI density of population `name` on `ax`; runs = [(label, run)]."""
    all_isis = []
    for label, run in runs:
        t0, t1 = interval(run, t_from)
        for pname, size, lif, t, n in recorded(run):
            if pname == name:
                all_isis.append((label, isis_of(t, n, size, t0, t1), lif, t1 - t0))
    hi = max((np.percentile(x, 99) for _, x, _, _ in all_isis if x.size), default=1.0)
    bins = np.linspace(0, hi, 60)
    lif = any(l for _, _, l, _ in all_isis)
    for label, x, _, window in all_isis:
        if x.size:
            # Weights 1/(T - L) undo the window's bias against long intervals
            # (engine/analysis/summary.h), so the histogram estimates the ISI density.
            w = 1.0 / (window - x)
            mean = np.sum(w * x) / np.sum(w)
            cv = math.sqrt(np.sum(w * (x - mean) ** 2) / np.sum(w)) / mean
            ax.hist(x, bins=bins, weights=w, density=True, histtype="step", lw=1.3,
                    color=SIDE_COLORS.get(label, "tab:blue"),
                    label=(f"{label}: " if label else "") + f"{x.size} ISIs, CV {cv:.3f} (window-corrected)")
    th = theory.get(name)
    tt = np.linspace(0, hi, 300)
    if th and not lif and th.get("rate_hz"):
        lam = th["rate_hz"] * 1e-3
        ax.plot(tt, lam * np.exp(-lam * tt), "k--", lw=1.2, label=f"theory: Exp({th['rate_hz']:g} Hz), CV 1")
    elif all_isis and all_isis[0][1].size:
        if th and th.get("isi_density"):
            d = th["isi_density"]
            ax.plot(d["t_ms"], d["density_per_ms"], "k-", lw=1.4,
                    label=f"theory: first passage (mean {d['mean_ms']:.4g} ms, CV {d['cv']:.3f})")
        lam = 1.0 / np.mean(all_isis[0][1])
        ax.plot(tt, lam * np.exp(-lam * tt), "k:", lw=1.2, label="exponential, same mean (CV 1)")
        if th and th.get("cv_isi") is not None and not th.get("isi_density"):
            ax.text(0.97, 0.62, f"theory (Siegert/Brunel):\nrate {th['rate_hz']:.4g} Hz, CV {th['cv_isi']:.3f}",
                    transform=ax.transAxes, ha="right", va="top", fontsize=8,
                    bbox=dict(boxstyle="round", fc="white", ec="0.7"))
    ax.set_xlim(0, hi)
    ax.set_xlabel("inter-spike interval (ms)")
    ax.set_ylabel("density (1/ms)")
    ax.set_title(f"{name}: ISI distribution")
    headroom(ax)
    ax.legend(loc="upper right")
    return ax


def fig_counts(runs, theory, window_ms, t_from=0.0):
    """Counts per node in windows vs the Poisson law of the same mean."""
    names = [p[0] for p in recorded(runs[0][1], spiking=True)]
    fig, axes = grid(max(len(names), 1))
    for ax, name in zip(axes, names):
        draw_counts(ax, runs, theory, name, window_ms, t_from)
    return fig


def draw_counts(ax, runs, theory, name, window_ms, t_from=0.0):
    """Counts per node of population `name` in windows vs the Poisson law, on `ax`."""
    from math import lgamma
    hi = 0
    data = []
    for label, run in runs:
        t0, t1 = interval(run, t_from)
        for pname, size, _, t, n in recorded(run):
            if pname == name:
                c = counts_of(t, n, size, t0, t1, window_ms)
                data.append((label, c))
                if c.size:
                    hi = max(hi, int(c.max()))
    k = np.arange(0, hi + 2)
    width = 0.8 / max(len(data), 1)
    for j, (label, c) in enumerate(data):
        if not c.size:
            continue
        p = np.bincount(c.astype(np.int64), minlength=k.size)[:k.size] / c.size
        fano = c.var(ddof=1) / c.mean() if c.mean() > 0 else float("nan")
        ax.bar(k + (j - (len(data) - 1) / 2) * width, p, width=width, alpha=0.75,
               color=SIDE_COLORS.get(label, "tab:blue"),
               label=(f"{label}: " if label else "") + f"mean {c.mean():.3g}, Fano {fano:.3f}")
    if data and data[0][1].size:
        m = data[0][1].mean()
        pois = np.exp(k * math.log(m) - m - np.array([lgamma(x + 1) for x in k])) if m > 0 else (k == 0) * 1.0
        ax.plot(k, pois, "ko--", ms=3, lw=1, label=f"Poisson, same mean{' as A' if len(data) > 1 else ''} (Fano 1)")
    ax.set_xlabel(f"spikes per node in {window_ms:g} ms")
    ax.set_ylabel("probability")
    ax.set_title(f"{name}: count distribution")
    headroom(ax)
    ax.legend(loc="upper right")
    return ax


def fig_membrane(runs, theory, t_from=0.0):
    """Membrane histogram per probed population vs N(E_l + mu, sigma^2/2) (models/README.md Q9)."""
    names = membrane_populations(runs)
    fig, axes = grid(max(len(names), 1))
    for ax, name in zip(axes, names):
        draw_membrane(ax, runs, theory, name, t_from)
    return fig


def membrane_populations(runs):
    """The populations with voltage samples in any of runs = [(label, run)]."""
    return sorted({probe.population for _, run in runs for probe in run.voltages.values()})


def draw_membrane(ax, runs, theory, name, t_from=0.0):
    """Membrane histogram of population `name` vs N(E_l + mu, sigma^2/2), on `ax`."""
    per = [(label, samples_by_population(run, *interval(run, t_from))) for label, run in runs]
    all_v = np.concatenate([s[name] for _, s in per if name in s])
    lo, hi = np.percentile(all_v, [0.1, 99.9]) if all_v.size else (0, 1)
    th = theory.get(name)
    if th and th.get("free_v_mean_mv") is not None:
        m, sd = th["free_v_mean_mv"], math.sqrt(th["free_v_var_mv2"])
        lo, hi = min(lo, m - 4 * sd), max(hi, m + 4 * sd)
    bins = np.linspace(lo, hi, 70)
    for label, s in per:
        if name in s and s[name].size:
            v = s[name]
            ax.hist(v, bins=bins, density=True, histtype="step", lw=1.3, color=SIDE_COLORS.get(label, "tab:blue"),
                    label=(f"{label}: " if label else "") + f"mean {v.mean():.3g} mV, var {v.var(ddof=1):.3g} mV²")
    if th and th.get("free_v_mean_mv") is not None:
        vv = np.linspace(lo, hi, 400)
        ax.plot(vv, np.exp(-0.5 * ((vv - m) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)), "k--", lw=1.2,
                label=f"theory N({m:.3g}, {th['free_v_var_mv2']:.3g}) (free membrane)")
        if not th.get("free_membrane_applies", True):
            ax.text(0.02, 0.97, "threshold in reach:\nthe free-membrane law\nholds below it only",
                    transform=ax.transAxes, va="top", fontsize=8)
    ax.set_xlabel("membrane potential V (mV)")
    ax.set_ylabel("density (1/mV)")
    ax.set_title(f"{name}: membrane potential")
    headroom(ax, 1.3)
    ax.legend(loc="upper right")
    return ax


def fig_converge(conv):
    """Per LIF population: |rate error| vs dt on log-log with fitted orders; rate vs dt."""
    pops = converge_populations(conv)
    rows = max(len(pops), 1)
    fig, axes = plt.subplots(rows, 2, figsize=(11, 4.2 * rows), squeeze=False, layout="constrained")
    for row, name in enumerate(pops):
        draw_converge(axes[row][0], conv, name, axes[row][1])
    return fig


def converge_populations(conv):
    """The populations of a `spikeq converge --json` result, in its order."""
    names = [e["population"] for e in conv["errors"]]
    return sorted(set(names), key=names.index)


def draw_converge(ax, conv, name, ax_rate=None):
    """Population `name` of a convergence study: |rate error| vs dt (log-log, fitted
    orders) on `ax`, the rate vs dt on `ax_rate` when given."""
    marker = {"euler": "o", "exact": "s"}
    color = {"euler": "tab:red", "exact": "tab:blue"}
    ev_pops = {p["name"]: p for p in conv["event"]["summary"]["populations"]}
    th_pops = {p["name"]: p for p in conv["theory"]["populations"]}
    errs = [e for e in conv["errors"] if e["population"] == name]
    dts = np.array(sorted({e["dt_ms"] for e in errs}))
    for engine in ("euler", "exact"):
        es = sorted((e for e in errs if e["engine"] == engine), key=lambda e: e["dt_ms"])
        if not es:
            continue
        dt = np.array([e["dt_ms"] for e in es])
        err = np.array([abs(e["rate_error_vs_event_hz"]) for e in es])
        se = np.array([e["rate_error_vs_event_se_hz"] for e in es])
        # Log axes: the lower bar stops at err/5; an open marker is an error below 2 SE.
        lower = np.minimum(se, err * 0.8)
        ax.errorbar(dt, err, yerr=[lower, se], fmt="none", ecolor=color[engine], capsize=2)
        strong = err >= 2 * se
        ax.plot(dt[strong], err[strong], marker[engine], color=color[engine], ms=6,
                label=f"{engine}: |stepped − event|")
        ax.plot(dt[~strong], err[~strong], marker[engine], color=color[engine], ms=6, mfc="white",
                label=f"{engine}: below 2 SE" if (~strong).any() else None)
        fit = next((f for f in conv["fits"] if f["population"] == name and f["engine"] == engine
                    and f["reference"] == "event"), None)
        if fit and fit["order"] is not None:
            xx = np.array([dts.min(), dts.max()])
            vague = fit["order_se"] > 0.15  # as engine/batch/converge.cpp: errors mostly within noise
            ax.plot(xx, np.exp(fit["intercept"]) * xx ** fit["order"], ":" if vague else "-", color=color[engine],
                    lw=1, label=f"{engine} fit: order {fit['order']:.2f} ± {fit['order_se']:.2f}"
                    + (" (inconclusive)" if vague else ""))
        rate = np.array([e["rate_hz"] for e in es])
        rse = np.array([e["rate_sem_hz"] for e in es])
        if ax_rate is not None:
            ax_rate.errorbar(dt, rate, yerr=rse, fmt=marker[engine] + "-", color=color[engine], ms=5,
                             capsize=2, lw=1, label=f"stepped, {engine}")
    # Guides through the largest-dt error: slope 1/2 and 1.
    big = [abs(e["rate_error_vs_event_hz"]) for e in errs if e["dt_ms"] == dts.max()]
    if big and dts.size >= 2:
        xx = np.array([dts.min(), dts.max()])
        y0 = max(big)
        ax.plot(xx, y0 * (xx / dts.max()) ** 0.5, "k--", lw=0.8, alpha=0.6, label="slope 1/2 (√dt)")
        ax.plot(xx, y0 * (xx / dts.max()) ** 1.0, "k:", lw=0.8, alpha=0.6, label="slope 1 (dt)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time step dt (ms)")
    ax.set_ylabel("|rate error| vs event-driven (Hz)")
    ax.set_title(f"{name}: stepped rate error")
    ax.legend(loc="lower right")
    if ax_rate is None:
        return ax
    ev = ev_pops[name]
    ax_rate.axhspan(ev["rate_hz"] - ev["rate_sem_hz"], ev["rate_hz"] + ev["rate_sem_hz"], color="0.85")
    ax_rate.axhline(ev["rate_hz"], color="k", lw=1.2, label=f"event-driven {ev['rate_hz']:.4g} Hz")
    th = th_pops.get(name)
    if th and th.get("rate_hz") is not None:
        ax_rate.axhline(th["rate_hz"], color="tab:green", ls="--", lw=1.2, label=f"theory {th['rate_hz']:.4g} Hz")
    ax_rate.set_xscale("log")
    ax_rate.set_xlabel("time step dt (ms)")
    ax_rate.set_ylabel("rate (Hz)")
    ax_rate.set_title(f"{name}: rate vs dt")
    ax_rate.legend(loc="lower left")
    return ax


def read_sweep(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    cols = {h: np.array([float(r[i]) if r[i] not in ("", "nan", "null") else np.nan for r in rows])
            for i, h in enumerate(header) if h != "status"}
    params = [h for h in header if "." not in h and h not in ("trial", "point", "status")]
    return header, cols, params


def fig_phase(path, x=None, y=None, population=None):
    """Heat maps of rate, synchrony (and CV) over two swept parameters."""
    table = read_sweep(path)
    if len(table[2]) < 2 and not (x and y):
        raise SystemExit(f"{path}: need two parameter columns (found {table[2]})")
    wanted = phase_columns(table, population, path)
    fig, axes = plt.subplots(1, len(wanted), figsize=(4.8 * len(wanted), 4.2), squeeze=False, layout="constrained")
    draw_phase(axes[0], table, x, y, population, path)
    return fig


def phase_columns(table, population=None, path="sweep.tsv"):
    """The statistic columns a phase diagram shows: [(column, label, colour map)]."""
    header, cols, _ = table
    pops = []
    for h in header:
        if "." in h and h.rsplit(".", 1)[0] not in pops:
            pops.append(h.rsplit(".", 1)[0])
    pop = population or (pops[0] if pops else None)
    wanted = [(f"{pop}.rate_hz", "rate (Hz)", "viridis"), (f"{pop}.synchrony", "synchrony\n(Var/mean of 1 ms pop. count)", "magma"),
              (f"{pop}.cv_isi", "ISI CV", "cividis")]
    wanted = [w for w in wanted if w[0] in cols]
    if not wanted:
        raise SystemExit(f"{path}: no {pop}.rate_hz / {pop}.synchrony / {pop}.cv_isi columns")
    return wanted


def draw_phase(axes, table, x=None, y=None, population=None, path="sweep.tsv"):
    """One heat map per statistic of phase_columns on `axes` (a sequence of that
    many axes); `table` as read_sweep returns it: (header, {column: values}, parameters)."""
    header, cols, params = table
    if len(params) < 2 and not (x and y):
        raise SystemExit(f"{path}: need two parameter columns (found {params})")
    x = x or params[0]
    y = y or params[1]
    wanted = phase_columns(table, population, path)
    pop = wanted[0][0].rsplit(".", 1)[0]
    xs, ys = np.unique(cols[x]), np.unique(cols[y])
    # One cell per swept value (sweeps are often uneven: eta = 0.9, 2, 4), ticks at
    # the values, and each cell's number written in it when the grid is small.
    for ax, (col, label, cmap) in zip(axes, wanted):
        z = np.full((ys.size, xs.size), np.nan)
        for i, yv in enumerate(ys):
            for j, xv in enumerate(xs):
                sel = (cols[x] == xv) & (cols[y] == yv)
                if sel.any() and np.isfinite(cols[col][sel]).any():
                    z[i, j] = np.nanmean(cols[col][sel])
        norm = None
        finite = z[np.isfinite(z) & (z > 0)]
        if col.endswith("synchrony") and finite.size and finite.max() / finite.min() > 20:
            norm = LogNorm(vmin=finite.min(), vmax=finite.max())
        mesh = ax.pcolormesh(np.arange(xs.size + 1) - 0.5, np.arange(ys.size + 1) - 0.5, np.ma.masked_invalid(z),
                             cmap=cmap, norm=norm, shading="flat")
        ax.figure.colorbar(mesh, ax=ax, label=label)
        if z.size <= 100:
            for i in range(ys.size):
                for j in range(xs.size):
                    if np.isfinite(z[i, j]):
                        shade = mesh.norm(z[i, j])
                        ax.text(j, i, f"{z[i, j]:.3g}", ha="center", va="center", fontsize=8,
                                color="black" if shade > 0.6 else "white")
        ax.set_xticks(np.arange(xs.size), [f"{v:g}" for v in xs])
        ax.set_yticks(np.arange(ys.size), [f"{v:g}" for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(f"{pop}: {label.splitlines()[0]}")
    return axes


# --- commands -------------------------------------------------------------

def default_window(stats, run, t_from):
    if stats:
        for p in stats.get("populations", []):
            if p.get("fano"):
                return p["fano"][-1]["window_ms"]
    t0, t1 = interval(run, t_from)
    return max(1.0, (t1 - t0) / 10)


def cmd_run(a):
    run = spikeq_run.load(a.dir)
    stats = load_json(a.stats)
    theory = theory_by_name(stats)
    runs = [("", run)]
    save(fig_raster(run, a.t_from), a.out, "raster")
    if recorded(run, spiking=True):
        save(fig_isi(runs, theory, a.t_from), a.out, "isi")
        save(fig_counts(runs, theory, a.window or default_window(stats, run, a.t_from), a.t_from), a.out, "counts")
    if run.voltages:
        save(fig_membrane(runs, theory, a.t_from), a.out, "membrane")


def first_trial(d):
    if os.path.exists(os.path.join(d, "manifest.json")):
        return d
    trials = sorted(e for e in os.listdir(d) if e.startswith("trial-"))
    if not trials:
        raise SystemExit(f"{d}: no run here")
    return os.path.join(d, trials[0])


def cmd_compare(a):
    ra, rb = spikeq_run.load(first_trial(a.dir_a)), spikeq_run.load(first_trial(a.dir_b))
    comp = load_json(a.compare)
    theory = theory_by_name(comp)
    runs = [("A", ra), ("B", rb)]
    save(fig_raster(ra, a.t_from, f"A = {a.dir_a}"), a.out, "raster_a")
    save(fig_raster(rb, a.t_from, f"B = {a.dir_b}"), a.out, "raster_b")
    if recorded(ra, spiking=True) and recorded(rb, spiking=True):
        save(fig_isi(runs, theory, a.t_from), a.out, "isi")
        save(fig_counts(runs, theory, a.window or default_window(comp and comp.get("summary_a"), ra, a.t_from),
                        a.t_from), a.out, "counts")
    if ra.voltages and rb.voltages:
        save(fig_membrane(runs, theory, a.t_from), a.out, "membrane")


def cmd_converge(a):
    save(fig_converge(load_json(a.json)), a.out, "convergence")


def cmd_phase(a):
    save(fig_phase(a.sweep, a.x, a.y, a.population), a.out, "phase")


def main(argv=None):
    matplotlib.use("Agg")  # files only; set here, so that importing this module changes nothing
    plt.rcParams.update(STYLE)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="raster, ISI, counts, membrane of one run")
    r.add_argument("dir")
    r.add_argument("--stats", help="JSON of `spikeq stats --json` (theory curves)")
    c = sub.add_parser("compare", help="two runs overlaid")
    c.add_argument("dir_a")
    c.add_argument("dir_b")
    c.add_argument("--compare", help="JSON of `spikeq compare --json` (theory curves)")
    for p in (r, c):
        p.add_argument("--from", dest="t_from", type=float, default=0.0, help="observation starts after (ms)")
        p.add_argument("--window", type=float, help="count window (ms)")
    v = sub.add_parser("converge", help="convergence plot from `spikeq converge --json`")
    v.add_argument("json")
    ph = sub.add_parser("phase", help="phase diagram from a sweep.tsv")
    ph.add_argument("sweep")
    ph.add_argument("--x")
    ph.add_argument("--y")
    ph.add_argument("--population")
    for p in (r, c, v, ph):
        p.add_argument("--out", required=True, help="output directory")
    a = ap.parse_args(argv)
    {"run": cmd_run, "compare": cmd_compare, "converge": cmd_converge, "phase": cmd_phase}[a.cmd](a)


if __name__ == "__main__":
    main()
