#!/usr/bin/python3
"""Time to accuracy: CPU time to simulate a white-noise LIF to a 0.1% rate error.

    tools/bench/time_to_accuracy.py [--netdef netdefs/ou_lif.pbtxt] [--quick]
        [--engines event,stepped,brian2] [--dts 0.4,0.2,0.1,0.05,0.025]
        [--event-runs 10] [--event-duration MS] [--grid-duration MS] [--from MS]
        [--target 0.001] [--set PATH=VALUE ...] [--spikeq build/bin/spikeq]
        [--nice 19] [--workdir DIR] [--keep] [--json] [--json-out FILE]

The efficiency measure recommended for exact methods (time to reach a given
accuracy, not time per simulated second), on a netdef with one LIF population
driven by white noise only, whose rate theory knows exactly (Siegert, `spikeq
theory`; netdefs/ou_lif.pbtxt: 9.461 Hz). Error = |rate - theory| / theory.

  * exact (`spikeq run`, event-driven): no bias, so the error is statistical
    only. The script measures CPU per neuron-second over --event-runs runs
    (seeds netdef seed + 0, 1, ...), checks that the pooled rate agrees with
    theory within its standard error (exit 1 if |z| > 4), and scales: the cost
    is CPU per neuron-second x the neuron-seconds for a standard error of
    --target (relative), from the measured one: n = n_obs (se/target)^2.
  * stepped (`spikeq run --mode stepped --integrator euler --dt DT`) and
    Brian2 2.5.1 (runtime mode with Cython, or --brian2-mode standalone;
    method "euler", the same SDE, threshold, reset and refractory:
    tools/bench/brian2_white_noise.py): the rate is
    biased by the grid, |b| ~ c dt^p with p about 1/2. The rate is measured at
    each of --dts (standard errors printed), the law fitted
    (tools/bench/accuracy_fit.py: the power law, and a sqrt(dt) + dt
    expansion), and the dt where the bias is --target found by EXTRAPOLATION
    far below the dts run. Cost = CPU per neuron-second at that dt (cost ~
    1/dt, scaled from the smallest dt run) x the neuron-seconds for a standard
    error of --target (scaled from that same run).

Each run is a child process, started under `nice -n --nice` (the script renices
itself), single-threaded; its cost is the child's own CPU time (user + sys,
rusage from wait4: what getrusage(RUSAGE_CHILDREN) adds for it), not wall time,
because the machine is shared. Brian2's code generation and compilation are
not timed: in runtime mode the child measures its own CPU time around
net.run (tools/bench/brian2_white_noise.py), in standalone mode the cost is
the compiled `main`'s rusage. The rate of
each run is the mean over nodes of spikes in (--from, duration] per second, its
standard error the SEM over nodes (independent neurons); runs of one engine and
dt are pooled over nodes. CPU per neuron-second counts the whole simulated time
(warm-up included); the neuron-seconds needed count observed time only.

--quick: a smoke run (one short event run; dts 0.4,0.2,0.1 of 3 s; from 500 ms):
the numbers are not the measurement. Brian2 is skipped, with one line saying
why, when it is not importable. Exit 0; 1 if the exact engine's rate disagrees
with theory (|z| > 4); 2 on bad input or a failed run.
"""
import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time

from accuracy_fit import discrete_monitoring_a, fit_power_law, fit_sqrt_dt, mean_sem, rate_per_node
from brian2_side_by_side import get, parse_textproto
from child_usage import machine, run_child

NAME = "time_to_accuracy"
FULL = {"dts": "0.4,0.2,0.1,0.05,0.025", "event_runs": 10, "event_duration": 100000.0,
        "grid_duration": 100000.0, "from_ms": 1000.0}
QUICK = {"dts": "0.4,0.2,0.1", "event_runs": 1, "event_duration": 3000.0, "grid_duration": 3000.0,
         "from_ms": 500.0}
BIAS_Z_LIMIT = 4.0  # exact engine: |rate - theory| beyond 4 standard errors is a bias


class BadInput(Exception):
    pass


def num(x):
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def set_args(args):
    return [a for s in args.set for a in ("--set", s)]


# ---------------------------------------------------------------------------
# What is simulated: one white-noise LIF population, and its theory
# ---------------------------------------------------------------------------

def resolved_netdef(args, workdir):
    """The netdef after --set, as spikeq resolves it (a 1 ms run's manifest)."""
    out = os.path.join(workdir, "resolve")
    run_child([args.spikeq, "run", args.netdef, "-o", out, "--force", "-q", "--threads", "1",
               "--duration", "1"] + set_args(args))
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    shutil.rmtree(out, ignore_errors=True)
    return parse_textproto(manifest["netdef_resolved"])


def theory_of(args, extra=()):
    r = run_child([args.spikeq, "theory", args.netdef, "--json"] + set_args(args) + list(extra),
                  capture_stdout=True)
    return json.loads(r.stdout)["populations"]


def check_model(args, net):
    """(population name, size, seed, lif params, v_init, theory rate, d ln nu/d theta) or BadInput."""
    from brian2_white_noise import lif_parameters
    pops = net.get("populations", [])
    where = f"{args.netdef}"
    if len(pops) != 1 or "lif" not in pops[0] or net.get("projections"):
        raise BadInput(f"{where}: needs exactly one LIF population and no projections "
                       f"(found {len(pops)} populations, {len(net.get('projections', []))} projections)")
    pop = pops[0]
    name, size = get(pop, "name"), int(get(pop, "size", 0))
    params, v_init = lif_parameters(pop)
    if not params["sigma_mv"] > 0:
        raise BadInput(f"{where}: population {name}: sigma_mv = {params['sigma_mv']:g}: must be > 0 "
                       "(white noise: theory's rate is exact only then)")
    th = theory_of(args)[0]
    if not th.get("white_noise_only"):
        raise BadInput(f"{where}: population {name}: spikeq theory does not see white-noise-only input")
    # d ln(nu)/d theta by a central difference of Siegert: the discrete-monitoring prediction.
    h = 1e-3
    up = theory_of(args, ["--set", f"{name}.lif.v_th_mv={params['v_th_mv'] + h!r}"])[0]["rate_hz"]
    down = theory_of(args, ["--set", f"{name}.lif.v_th_mv={params['v_th_mv'] - h!r}"])[0]["rate_hz"]
    dlnnu = (up - down) / (2 * h) / th["rate_hz"]
    return name, size, int(get(net, "seed", 1)), params, v_init, th["rate_hz"], dlnnu


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------

class Point:
    """One engine at one dt: runs pooled over nodes."""

    def __init__(self, engine, dt_ms):
        self.engine, self.dt_ms = engine, dt_ms
        self.rates, self.cpu_s, self.wall_s, self.neuron_s, self.observed_neuron_s = [], 0.0, 0.0, 0.0, 0.0
        self.spikes, self.runs, self.duration_ms = 0, 0, 0.0

    def add(self, usage, rates, spikes, size, duration_ms, from_ms):
        self.rates += rates
        self.cpu_s += usage.cpu_s
        self.wall_s += usage.wall_s
        self.neuron_s += size * duration_ms / 1000.0
        self.observed_neuron_s += size * (duration_ms - from_ms) / 1000.0
        self.spikes += spikes
        self.runs += 1
        self.duration_ms = duration_ms

    def summary(self, theory_hz):
        mean, sem = mean_sem(self.rates)
        return {"engine": self.engine, "dt_ms": self.dt_ms, "runs": self.runs, "duration_ms": self.duration_ms,
                "nodes": len(self.rates), "spikes": self.spikes, "rate_hz": mean, "rate_sem_hz": sem,
                "rel_error": mean / theory_hz - 1, "rel_error_se": sem / theory_hz, "rel_se": sem / mean,
                "cpu_s": self.cpu_s, "wall_s": self.wall_s, "neuron_s": self.neuron_s,
                "observed_neuron_s": self.observed_neuron_s, "cpu_ms_per_neuron_s": 1000 * self.cpu_s / self.neuron_s}


def read_spikes_h5(path, population):
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f:
        g = f["spikes"][population] if population in f.get("spikes", {}) else None
        if g is None:
            return np.empty(0), np.empty(0, dtype=np.int64)
        return g["timestamps"][:], g["node_ids"][:].astype(np.int64)


def run_spikeq(args, model, workdir, point, seed, duration_ms, stepped_dt=None):
    name, size = model["name"], model["size"]
    out = os.path.join(workdir, f"{point.engine}-{seed}-{stepped_dt}")
    cmd = [args.spikeq, "run", args.netdef, "-o", out, "--force", "-q", "--threads", "1",
           "--seed", str(seed), "--duration", num(duration_ms)] + set_args(args)
    if stepped_dt is not None:
        cmd += ["--mode", "stepped", "--integrator", "euler", "--dt", num(stepped_dt)]
    usage = run_child(cmd)
    t, ids = read_spikes_h5(os.path.join(out, "spikes.h5"), name)
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    point.add(usage, rate_per_node(t, ids, size, args.from_ms, duration_ms), len(t), size, duration_ms,
              args.from_ms)


def run_brian2(args, model, workdir, b2, point, dt_ms, log):
    where = os.path.join(workdir, f"brian2-dt{dt_ms}")
    t, ids, cpu_s, usage, setup_s = b2.run(where, model["params"], model["v_init"], model["size"], dt_ms,
                                           args.grid_duration, model["seed"], run_child)
    if not args.keep:
        shutil.rmtree(where, ignore_errors=True)
    # The cost is the simulation's CPU time: the child's own measurement around net.run in
    # runtime mode (its start, imports and code generation excluded), main's rusage in standalone.
    usage.cpu_s = cpu_s
    point.add(usage, rate_per_node(t, ids, model["size"], args.from_ms, args.grid_duration), len(t),
              model["size"], args.grid_duration, args.from_ms)
    if setup_s is not None:
        log(f"    (Brian2 generation and compilation {setup_s:.1f} s, not timed)")


# ---------------------------------------------------------------------------
# Cost to the target
# ---------------------------------------------------------------------------

def exact_cost(s, target):
    needed = s["observed_neuron_s"] * (s["rel_se"] / target) ** 2
    z = s["rel_error"] / s["rel_error_se"]
    return {"engine": s["engine"], "law": "statistical only (no bias)", "dt_target_ms": None,
            "cpu_ms_per_neuron_s": s["cpu_ms_per_neuron_s"], "neuron_s_needed": needed,
            "cpu_s_to_target": s["cpu_ms_per_neuron_s"] / 1000 * needed, "bias_z": z,
            "bias_ok": abs(z) <= BIAS_Z_LIMIT}


def grid_costs(points, target):
    """Per fit: dt*, CPU per neuron-second there and the CPU to the target."""
    dts = [s["dt_ms"] for s in points]
    bias = [s["rel_error"] for s in points]
    ses = [s["rel_error_se"] for s in points]
    ref = min(points, key=lambda s: s["dt_ms"])
    needed = ref["observed_neuron_s"] * (ref["rel_se"] / target) ** 2
    out = []
    for fit in (fit_power_law(dts, bias, ses, target), fit_sqrt_dt(dts, bias, ses, target)):
        row = {"engine": ref["engine"], "law": fit["model"], "fit": fit, "ref_dt_ms": ref["dt_ms"],
               "neuron_s_needed": needed, "dt_target_ms": fit.get("dt_target_ms")}
        dt = row["dt_target_ms"]
        if dt:
            per_ns = ref["cpu_ms_per_neuron_s"] * ref["dt_ms"] / dt
            row.update({"cpu_ms_per_neuron_s": per_ns, "cpu_s_to_target": per_ns / 1000 * needed})
            rng = fit.get("dt_target_range_ms")
            if rng:
                row["cpu_s_to_target_range"] = [per_ns / 1000 * needed * dt / rng[1],
                                                per_ns / 1000 * needed * dt / rng[0]]
        out.append(row)
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def table(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths)))
                     for r in [head] + rows)


def fmt_time(s):
    if s is None:
        return "-"
    if s < 100:
        return f"{s:.3g} s"
    if s < 3600 * 48:
        return f"{s:.3g} s ({s / 3600:.2g} h)"
    return f"{s:.3g} s ({s / 86400:.3g} d)"


def report(doc):
    m, mdl = doc["machine"], doc["model"]
    lines = [f"{doc['name']}: {mdl['population']} ({mdl['size']} nodes), theory {doc['theory_rate_hz']:.6g} Hz "
             f"(Siegert, exact for white noise); target |rate error| {doc['target']:.3%}; spikes counted after "
             f"{doc['from_ms']:g} ms",
             f"machine: {m['cores']} cores, {m['cpu']}; load (1 min) {doc['load_before']:.2f} before, "
             f"{doc['load_after']:.2f} after; CPU = user+sys of each child, nice {doc['nice']}, 1 thread",
             ""]
    rows = []
    for s in doc["points"]:
        rows.append([s["engine"], "-" if s["dt_ms"] is None else f"{s['dt_ms']:g}",
                     f"{s['runs']} x {s['duration_ms']:g}", f"{s['nodes']}", f"{s['spikes']}",
                     f"{s['rate_hz']:.5f} ± {s['rate_sem_hz']:.5f}",
                     f"{s['rel_error']:+.4%} ± {s['rel_error_se']:.4%}",
                     f"{s['cpu_s']:.1f}", f"{s['cpu_ms_per_neuron_s']:.4g}",
                     "-" if s["dt_ms"] is None else f"{s['cpu_ms_per_neuron_s'] * s['dt_ms']:.4g}"])
    lines.append(table(["engine", "dt ms", "runs x ms", "nodes", "spikes", "rate Hz ± SE", "error vs theory ± SE",
                        "CPU s", "CPU ms/neuron-s", "x dt"], rows))
    lines.append("")
    for fits in doc["fits"].values():
        for row in fits:
            f = row["fit"]
            if "error" in f:
                lines.append(f"{row['engine']}: {f['model']}: {f['error']}")
                continue
            if "p" in f:
                lines.append(f"{row['engine']}: |b| = c dt^p: c = {abs(f['c']):.4g} (±{f['c_rel_se']:.1%}), "
                             f"p = {f['p']:.3f} ± {f['p_se']:.3f}, chi2 = {f['chi2']:.3g} / {f['dof']} dof, "
                             f"over dt {','.join(f'{d:g}' for d in f['dts_used'])}")
            else:
                lines.append(f"{row['engine']}: b = a sqrt(dt) + d dt: a = {f['a']:.4g} ± {f['a_se']:.2g} per "
                             f"sqrt(ms), d = {f['d']:.3g} ± {f['d_se']:.2g} per ms, chi2 = {f['chi2']:.3g} / "
                             f"{f['dof']} dof")
    if doc.get("discrete_monitoring"):
        dm = doc["discrete_monitoring"]
        lines.append(f"leading-order theory (threshold shifted by 0.5826 sigma sqrt(dt/tau)): a = {dm['a']:.4g} per "
                     f"sqrt(ms), |b| = {doc['target']:.1%} at dt = {dm['dt_target_ms']:.3g} ms")
    lines.append("")
    rows = []
    exact_cpu = next((c["cpu_s_to_target"] for c in doc["costs"] if c["dt_target_ms"] is None), None)
    for c in doc["costs"]:
        dt = c.get("dt_target_ms")
        rng = c.get("cpu_s_to_target_range")
        cost = c.get("cpu_s_to_target")
        rows.append([c["engine"], c["law"] + ("" if dt is None else " (extrapolated)"),
                     "-" if dt is None else f"{dt:.3g}",
                     f"{c['cpu_ms_per_neuron_s']:.4g}" if c.get("cpu_ms_per_neuron_s") else "-",
                     f"{c['neuron_s_needed']:.4g}", fmt_time(cost),
                     f"{rng[0]:.3g}-{rng[1]:.3g} s" if rng else "-",
                     f"{cost / exact_cpu:.3g}" if cost and exact_cpu else "-"])
    lines.append(f"time to |rate error| <= {doc['target']:.1%} (bias at dt*, plus a {doc['target']:.1%} standard error):")
    lines.append(table(["engine", "error law", "dt* ms", "CPU ms/neuron-s at dt*", "neuron-s for SE",
                        "CPU to target", "1-sigma range", "x exact"], rows))
    for c in doc["costs"]:
        if c["dt_target_ms"] is None:
            lines.append(f"{c['engine']}: rate - theory = {c['bias_z']:+.2f} standard errors "
                         f"({'no bias seen' if c['bias_ok'] else 'BIASED'} at |z| <= {BIAS_Z_LIMIT:g})")
    for note in doc["notes"]:
        lines.append(note)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netdef", default="netdefs/ou_lif.pbtxt")
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--quick", action="store_true", help="smoke run: short runs, 3 dts")
    p.add_argument("--engines", default="event,stepped,brian2", help="comma-separated subset of event,stepped,brian2")
    p.add_argument("--dts", help=f"grid steps, ms (default {FULL['dts']}; --quick {QUICK['dts']})")
    p.add_argument("--event-runs", type=int, help=f"exact-engine runs, seeds netdef seed + k (default {FULL['event_runs']})")
    p.add_argument("--event-duration", type=float, help=f"ms per exact run (default {FULL['event_duration']:g})")
    p.add_argument("--grid-duration", type=float, help=f"ms per grid run (default {FULL['grid_duration']:g})")
    p.add_argument("--from", dest="from_ms", type=float, help=f"count spikes after this, ms (default {FULL['from_ms']:g})")
    p.add_argument("--brian2-mode", choices=("runtime", "standalone"), default="runtime",
                   help="Brian2 device: runtime (Cython; default, the faster here) or cpp_standalone")
    p.add_argument("--target", type=float, default=1e-3, help="relative rate error (default 0.001)")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="PATH=VALUE", help="passed to spikeq")
    p.add_argument("--nice", type=int, default=19, help="niceness of the runs (default 19)")
    p.add_argument("--workdir", help="run directories and Brian2 projects (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep run directories and projects")
    p.add_argument("--json", action="store_true", help="print JSON instead of the tables")
    p.add_argument("--json-out", metavar="FILE", help="also write the JSON to FILE")
    args = p.parse_args()
    defaults = QUICK if args.quick else FULL
    for key in ("dts", "event_runs", "event_duration", "grid_duration", "from_ms"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])
    try:
        args.dt_list = [float(x) for x in args.dts.split(",")]
    except ValueError:
        p.error(f"--dts {args.dts}: expected comma-separated numbers")
    args.engine_list = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in args.engine_list if e not in ("event", "stepped", "brian2")]
    if bad:
        p.error(f"--engines: unknown engine {bad[0]} (event, stepped, brian2)")
    if any(not (d > 0 and math.isfinite(d)) for d in args.dt_list) or len(set(args.dt_list)) < 2:
        p.error(f"--dts {args.dts}: needs at least 2 different positive steps")
    if args.event_runs < 1:
        p.error("--event-runs must be >= 1")
    if not 0 < args.target < 1:
        p.error(f"--target {args.target}: must be in (0, 1)")
    for key in ("event_duration", "grid_duration"):
        if not getattr(args, key) > args.from_ms >= 0:
            p.error(f"--{key.replace('_', '-')} must exceed --from ({args.from_ms:g} ms)")
    return args


def main():
    args = parse_args()
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    if not os.access(args.spikeq, os.X_OK):
        print(f"{NAME}: {args.spikeq} is not an executable (build first, or --spikeq)", file=sys.stderr)
        return 2
    os.nice(max(0, args.nice - os.nice(0)))
    b2 = None
    notes = []
    if "brian2" in args.engine_list:
        try:
            from brian2_white_noise import Brian2WhiteNoise
            b2 = Brian2WhiteNoise(args.brian2_mode)
        except Exception as e:  # ImportError, or a broken installation
            msg = f"{NAME}: Brian2 skipped: not importable ({type(e).__name__}: {e})"
            log(msg)
            notes.append(msg)
    workdir = args.workdir or tempfile.mkdtemp(prefix="spikeq-tta-")
    os.makedirs(workdir, exist_ok=True)
    load_before = os.getloadavg()[0]
    try:
        check = run_child([args.spikeq, "validate", args.netdef] + set_args(args), capture_stdout=True)
        del check
        net = resolved_netdef(args, workdir)
        name, size, seed, params, v_init, theory_hz, dlnnu = check_model(args, net)
        model = {"name": name, "size": size, "seed": seed, "params": params, "v_init": v_init}
        points = []
        if "event" in args.engine_list:
            pt = Point("exact event", None)
            for k in range(args.event_runs):
                log(f"exact event: run {k + 1}/{args.event_runs}, {args.event_duration:g} ms, seed {seed + k}")
                run_spikeq(args, model, workdir, pt, seed + k, args.event_duration)
            points.append(pt.summary(theory_hz))
        if "stepped" in args.engine_list:
            for dt in args.dt_list:
                log(f"spikeq stepped euler: dt {dt:g} ms, {args.grid_duration:g} ms")
                pt = Point("spikeq stepped euler", dt)
                run_spikeq(args, model, workdir, pt, seed, args.grid_duration, stepped_dt=dt)
                points.append(pt.summary(theory_hz))
        if b2 is not None:
            for dt in args.dt_list:
                log(f"Brian2 euler: dt {dt:g} ms, {args.grid_duration:g} ms")
                pt = Point(f"Brian2 {b2.version} euler ({b2.mode})", dt)
                run_brian2(args, model, workdir, b2, pt, dt, log)
                points.append(pt.summary(theory_hz))
    except BadInput as e:
        print(f"{NAME}: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        print(f"{NAME}: {e}", file=sys.stderr)
        return 2
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    costs, fits = [], {}
    for s in points:
        if s["dt_ms"] is None:
            costs.append(exact_cost(s, args.target))
    for engine in dict.fromkeys(s["engine"] for s in points if s["dt_ms"] is not None):
        rows = grid_costs([s for s in points if s["engine"] == engine], args.target)
        fits[engine] = rows
        costs += rows
    a_theory = discrete_monitoring_a(dlnnu, params["sigma_mv"], params["tau_m_ms"])
    doc = {"name": NAME, "netdef": args.netdef, "set": args.set, "quick": args.quick, "target": args.target,
           "from_ms": args.from_ms, "nice": args.nice, "machine": machine(), "date_utc":
           time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_before": load_before,
           "load_after": os.getloadavg()[0], "theory_rate_hz": theory_hz,
           "model": {"population": name, "size": size, "seed": seed, "params": params, "v_init": list(v_init)},
           "points": points, "fits": fits, "costs": costs,
           "discrete_monitoring": {"a": a_theory, "dlnnu_dtheta_per_mv": dlnnu,
                                   "dt_target_ms": (args.target / a_theory) ** 2 if a_theory else None},
           "notes": notes + (["--quick: a smoke run, not the measurement"] if args.quick else [])}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    print(json.dumps(doc, indent=1) if args.json else "\n" + report(doc))
    biased = any(c["dt_target_ms"] is None and not c["bias_ok"] for c in costs)
    return 1 if biased else 0


if __name__ == "__main__":
    sys.exit(main())
