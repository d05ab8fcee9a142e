#!/usr/bin/python3
"""Scaling of one network over MPI ranks (README "Running on a cluster").

    tools/bench/mpi_network_scaling.py [--netdef netdefs/brunel2000_ai.pbtxt] [--ranks 1,2]
        [--modes event,stepped] [--n 12500] [--duration 500] [--threads 1] [--repeats 1]
        [--spikeq build/bin/spikeq] [--json-out FILE]

Strong scaling: the netdef at N LIF neurons, `mpirun -np R spikeq run` for each R
(R = 1 through mpirun too, so every run pays the same start-up). Weak scaling:
N x R neurons on R ranks, so each rank holds N. LIF populations are resized in
the netdef's proportions and every in-degree is kept (tools/bench/scale.py), so
the work per neuron, and the rates, stay the same. The runs of one repeat
alternate between the R values so that a change of load hits them alike; the
fastest simulation of the repeats is kept.

Reported per (mode, kind, R): the build and simulation wall time (rank 0's
manifest: build_s, and wall_s - build_s), speed-up and parallel efficiency
against R = 1 (strong: T1 / (R TR); weak: T1 / TR), the events per second of
simulation, the CPU time of all ranks, the largest rank's peak RSS (wait4 of
mpirun includes its children's ru_maxrss, so the figure is per rank, not
summed) and the bytes each rank sends per epoch (computed from the spike
counts: event engine 16 B per delivery and 16 B per recorded spike sent to rank
0; stepped engine 4 B per spike and 4 B per step, and 16 B per recorded spike).
For strong scaling, spikes.h5 is checked to be byte-identical for every R.
Prints the load average: a speed-up on busy cores means little.

Exit 0; 2 on bad input or a failed run.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

from child_usage import machine, run_child
from scale import BadInput, lif_sizes, scaled_sets

NAME = "mpi_network_scaling"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mpirun(ranks):
    root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    return ["mpirun", "-q", "--oversubscribe"] + root + ["-np", str(ranks)]


def exchange_bytes_per_epoch(mode, manifest, ranks, epoch_ms, dt_ms):
    """What one rank sends per epoch, on average (see the module doc)."""
    if ranks == 1:
        return 0.0
    epochs = manifest["simulated_ms"] / epoch_ms
    lif_spikes = sum(p["spikes"] or 0 for p in manifest["populations"] if p["model"] == "lif")
    per_rank = lif_spikes / ranks / epochs
    recorded = per_rank * 16 * (ranks - 1) / ranks  # rank 0 keeps its own
    if mode == "event":
        return per_rank * 16 + recorded  # one delay group per source here
    return per_rank * 4 + 4 * (epoch_ms / dt_ms + 1) + recorded


def run_once(args, mode, n, ranks, pops, out):
    sets, _ = scaled_sets(pops, n)
    cmd = mpirun(ranks) + [args.spikeq, "run", args.netdef, "--mode", mode, "--threads", str(args.threads),
                           "--duration", repr(args.duration), "-o", out, "--force", "-q", "--format", "h5"]
    for s in sets:
        cmd += ["--set", s]
    load0 = os.getloadavg()[0]
    usage = run_child(cmd)
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    sim = manifest["wall_s"] - manifest["build_s"]
    return {"mode": mode, "n": n, "ranks": ranks, "build_s": manifest["build_s"], "simulate_s": sim,
            "process_wall_s": usage.wall_s, "cpu_s": usage.cpu_s, "peak_rss_mib_per_rank": usage.peak_rss_mib,
            "events": manifest["events"]["total"], "events_per_s": manifest["events"]["total"] / sim,
            "exchange_bytes_per_epoch": exchange_bytes_per_epoch(mode, manifest, ranks, args.epoch_ms, args.dt_ms),
            "spikes_sha256": sha256(os.path.join(out, "spikes.h5")), "load": [load0, os.getloadavg()[0]]}


def measure(args, pops, workdir, log):
    results = []
    for mode in args.modes:
        for kind in ("strong", "weak"):
            best = {}
            for rep in range(args.repeats):
                for r in args.ranks:
                    n = args.n if kind == "strong" else args.n * r
                    log(f"  {mode} {kind} R = {r}, N = {n} (repeat {rep + 1})")
                    res = run_once(args, mode, n, r, pops, os.path.join(workdir, f"{mode}-{kind}-{r}"))
                    if r not in best or res["simulate_s"] < best[r]["simulate_s"]:
                        best[r] = res
            base = best[args.ranks[0]]
            for r in args.ranks:
                res = dict(best[r], kind=kind)
                speedup = base["simulate_s"] / res["simulate_s"]
                res["speedup"] = speedup if kind == "strong" else None
                res["efficiency"] = speedup / (r / args.ranks[0]) if kind == "strong" else speedup
                res["identical_to_first"] = res["spikes_sha256"] == base["spikes_sha256"] if kind == "strong" else None
                results.append(res)
    return results


def report(doc):
    m = doc["machine"]
    lines = [f"{doc['netdef']}, {doc['duration_ms']:g} ms, {doc['threads']} thread(s) per rank, "
             f"{m['cores']} cores, {m['cpu']}; {doc['date_utc']}", ""]
    head = ["mode", "scaling", "R", "N", "build s", "simulate s", "speed-up", "efficiency", "events/s",
            "CPU s", "RSS/rank MiB", "B/epoch/rank", "same spikes", "load"]
    rows = [head]
    for r in doc["results"]:
        rows.append([r["mode"], r["kind"], str(r["ranks"]), f"{r['n']:,}", f"{r['build_s']:.2f}",
                     f"{r['simulate_s']:.2f}", "-" if r["speedup"] is None else f"{r['speedup']:.2f}",
                     f"{r['efficiency']:.2f}", f"{r['events_per_s']:.3g}", f"{r['cpu_s']:.1f}",
                     f"{r['peak_rss_mib_per_rank']:.0f}", f"{r['exchange_bytes_per_epoch']:.0f}",
                     "-" if r["identical_to_first"] is None else ("yes" if r["identical_to_first"] else "NO"),
                     f"{r['load'][0]:.1f}->{r['load'][1]:.1f}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in rows]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netdef", default="netdefs/brunel2000_ai.pbtxt")
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--modes", default="event,stepped")
    p.add_argument("--n", type=int, default=12500, help="LIF neurons (strong), per rank (weak)")
    p.add_argument("--duration", type=float, default=500.0, help="simulated ms")
    p.add_argument("--threads", type=int, default=1, help="threads per rank")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--epoch-ms", type=float, default=1.5, help="the netdef's min delay (for the bytes per epoch)")
    p.add_argument("--dt-ms", type=float, default=0.1, help="the grid step (stepped bytes per epoch)")
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--json-out", metavar="FILE")
    args = p.parse_args()
    try:
        args.ranks = [int(x) for x in args.ranks.split(",")]
    except ValueError:
        p.error(f"--ranks {args.ranks}: expected comma-separated integers")
    args.modes = args.modes.split(",")
    if any(r < 1 for r in args.ranks) or args.n < 1 or args.repeats < 1 or not args.duration > 0:
        p.error("--ranks, --n, --repeats and --duration must be positive")
    if any(m not in ("event", "stepped") for m in args.modes):
        p.error(f"--modes {','.join(args.modes)}: event and/or stepped")
    if not os.access(args.spikeq, os.X_OK) or shutil.which("mpirun") is None:
        print(f"{NAME}: needs {args.spikeq} (build first) and mpirun (tools/install-deps.sh)", file=sys.stderr)
        return 2
    log = lambda *a: print(*a, flush=True)  # noqa: E731
    workdir = tempfile.mkdtemp(prefix="spikeq-mpi-scaling-")
    try:
        doc = {"name": NAME, "netdef": args.netdef, "duration_ms": args.duration, "threads": args.threads,
               "machine": machine(), "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        doc["results"] = measure(args, lif_sizes(args.netdef), workdir, log)
    except (BadInput, RuntimeError, OSError, KeyError, ValueError) as e:
        print(f"{NAME}: {e}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    print("\n" + report(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
