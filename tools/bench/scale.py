#!/usr/bin/python3
"""Scale benchmark: brunel2000_ai at N = 12,500, 50,000 and 125,000 neurons, fixed in-degree.

    tools/bench/scale.py [--netdef netdefs/brunel2000_ai.pbtxt] [--sizes 12500,50000,125000]
        [--duration 200] [--spikeq build/bin/spikeq] [--nice 19] [--no-build-run]
        [--workdir DIR] [--keep] [--json] [--json-out FILE]

N counts the LIF neurons. Each LIF population is resized in the netdef's
proportions (`--set exc.size=... inh.size=...`: 80% / 20% for brunel2000_ai);
Poisson populations and every in-degree stay as they are, so the work per neuron
is the same at every N and only the network grows. Per N, in this order:

  1. `spikeq info NETDEF --set ...`: synapses, and how many are stored as edges
     ("S synapses, E of them stored as edges"; independent-train inputs are rates).
  2. unless --no-build-run, `spikeq run ... --duration 1`: the build plus 1 ms, whose
     CPU time stands for the build's (a 200 ms run's build is the same work) and
     whose peak RSS, next to the full run's, tells whether the peak is the build's.
  3. `spikeq run NETDEF -o DIR -q --threads 1 --duration MS --set ...`, timed.

From the run's manifest.json: build_s and wall_s (wall, in-process; simulate =
wall_s - build_s), the event counts (recurrent pulses + external arrivals:
README "Performance") and spikes. From the child's rusage (wait4): its CPU time
(user + sys) and peak RSS (ru_maxrss). Reported per N: build and simulate time,
events per second of simulation wall time and per CPU second (simulate CPU =
run CPU - the 1 ms run's CPU), peak RSS, and peak RSS per stored synapse (and
per synapse). Wall times stretch when the machine is loaded (the CPU/wall column
says how much); the CPU columns do much less. Peak RSS includes this script's
own RSS at the spawn (Linux keeps the pre-exec maximum: tools/bench/child_usage.py),
a few MiB, printed.

Exit 0; 2 on bad input or a failed run.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time

from brian2_side_by_side import get, parse_textproto
from child_usage import machine, parent_rss_mib, run_child

NAME = "scale"
INFO_LINE = re.compile(r"(\d+) nodes, (\d+) synapses, (\d+) of them stored as edges")


class BadInput(Exception):
    pass


def lif_sizes(netdef_path):
    """[(population, size)] of the netdef's LIF populations."""
    with open(netdef_path) as f:
        net = parse_textproto(f.read())
    pops = [(get(p, "name"), int(get(p, "size", 0))) for p in net.get("populations", []) if "lif" in p]
    if not pops:
        raise BadInput(f"{netdef_path}: no LIF population to scale")
    return pops


def scaled_sets(pops, n):
    """--set values giving n LIF nodes in the netdef's proportions (the last takes the rounding)."""
    total = sum(s for _, s in pops)
    sizes = [round(n * s / total) for _, s in pops[:-1]]
    sizes.append(n - sum(sizes))
    if min(sizes) < 1:
        raise BadInput(f"--sizes {n}: too small to keep every LIF population ({', '.join(p for p, _ in pops)})")
    return [f"{p}.size={s}" for (p, _), s in zip(pops, sizes)], dict(zip((p for p, _ in pops), sizes))


def measure(args, n, pops, workdir, log):
    sets, sizes = scaled_sets(pops, n)
    set_args = [a for s in sets for a in ("--set", s)]
    info = run_child([args.spikeq, "info", args.netdef] + set_args, capture_stdout=True)
    m = INFO_LINE.search(info.stdout)
    if not m:
        raise RuntimeError(f"spikeq info: no '... synapses, ... of them stored as edges' line in: "
                           f"{info.stdout.splitlines()[0] if info.stdout else '(nothing)'}")
    nodes, synapses, stored = (int(x) for x in m.groups())
    out = os.path.join(workdir, f"N{n}")
    base = [args.spikeq, "run", args.netdef, "-o", out, "--force", "-q", "--threads", "1"] + set_args
    build_cpu = build_rss = None
    if not args.no_build_run:
        log(f"  N = {n}: build + 1 ms")
        build = run_child(base + ["--duration", "1"])
        build_cpu, build_rss = build.cpu_s, build.peak_rss_mib
    log(f"  N = {n}: run {args.duration:g} ms")
    load0 = os.getloadavg()[0]
    run = run_child(base + ["--duration", repr(args.duration)])
    load1 = os.getloadavg()[0]
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    ev = manifest["events"]
    build_s, wall_s = manifest.get("build_s", 0.0), manifest["wall_s"]
    sim_s = wall_s - build_s
    sim_cpu = run.cpu_s - build_cpu if build_cpu is not None else None
    rates = {p["name"]: p["rate_hz"] for p in manifest["populations"] if p.get("rate_hz") is not None}
    return {"n": n, "sizes": sizes, "nodes": nodes, "synapses": synapses, "stored_edges": stored,
            "build_s": build_s, "simulate_s": sim_s, "wall_s": wall_s, "process_wall_s": run.wall_s,
            "cpu_s": run.cpu_s, "build_cpu_s": build_cpu, "simulate_cpu_s": sim_cpu,
            "events": ev["total"], "recurrent_pulses": ev["recurrent_pulses"], "external_pulses": ev["external_pulses"],
            "events_per_s": ev["total"] / sim_s if sim_s > 0 else None,
            "events_per_cpu_s": ev["total"] / sim_cpu if sim_cpu else None,
            "peak_rss_mib": run.peak_rss_mib, "build_run_peak_rss_mib": build_rss, "bytes_per_stored_synapse": run.peak_rss_mib * 2 ** 20 / stored
            if stored else None, "bytes_per_synapse": run.peak_rss_mib * 2 ** 20 / synapses if synapses else None,
            "rates_hz": rates, "spikes": sum(p["spikes"] or 0 for p in manifest["populations"]),
            "load_before": load0, "load_after": load1}


def table(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths)))
                     for r in [head] + rows)


def report(doc):
    m = doc["machine"]
    lines = [f"{doc['netdef']}, {doc['duration_ms']:g} ms simulated, one thread, nice {doc['nice']}; "
             f"{m['cores']} cores, {m['cpu']}; {doc['date_utc']}", ""]
    rows = []
    for r in doc["results"]:
        f = lambda x, fmt: "-" if x is None else format(x, fmt)  # noqa: E731
        rows.append([f"{r['n']:,}", f"{r['stored_edges']:.4g}", f"{r['synapses']:.4g}",
                     f"{r['build_s']:.2f}", f(r["build_cpu_s"], ".2f"), f"{r['simulate_s']:.2f}",
                     f(r["simulate_cpu_s"], ".2f"), f"{r['cpu_s'] / r['process_wall_s']:.2f}",
                     f"{r['events']:.4g}", f(r["events_per_s"], ".3g"), f(r["events_per_cpu_s"], ".3g"),
                     f"{r['peak_rss_mib']:.0f}", f(r["build_run_peak_rss_mib"], ".0f"),
                     f(r["bytes_per_stored_synapse"], ".2f"),
                     f(r["bytes_per_synapse"], ".2f"),
                     " / ".join(f"{v:.2f}" for v in r["rates_hz"].values()),
                     f"{r['load_before']:.1f}->{r['load_after']:.1f}"])
    lines.append(table(["N", "stored edges", "synapses", "build s", "build CPU s", "simulate s", "sim CPU s",
                        "CPU/wall", "events", "events/s", "events/CPU-s", "peak RSS MiB", "1 ms run", "B/stored syn",
                        "B/synapse", "rates Hz", "load"], rows))
    lines.append("")
    lines.append(f"build CPU = CPU of the same run with --duration 1; sim CPU = run CPU - build CPU; "
                 f"peak RSS includes this script's {doc['parent_rss_mib']:.0f} MiB")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netdef", default="netdefs/brunel2000_ai.pbtxt")
    p.add_argument("--sizes", default="12500,50000,125000", help="LIF neurons per run, comma-separated")
    p.add_argument("--duration", type=float, default=200.0, help="simulated ms (default 200)")
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--nice", type=int, default=19, help="niceness of the runs (default 19)")
    p.add_argument("--no-build-run", action="store_true", help="skip the 1 ms run (no CPU split build/simulate)")
    p.add_argument("--workdir", help="run directories (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the run directories")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--json-out", metavar="FILE", help="also write the JSON to FILE")
    args = p.parse_args()
    try:
        sizes = [int(x) for x in args.sizes.split(",")]
    except ValueError:
        p.error(f"--sizes {args.sizes}: expected comma-separated integers")
    if any(n < 1 for n in sizes):
        p.error(f"--sizes {args.sizes}: every size must be >= 1")
    if not args.duration > 1:
        p.error(f"--duration {args.duration:g}: must exceed 1 ms (the build run's duration)")
    if not os.access(args.spikeq, os.X_OK):
        print(f"{NAME}: {args.spikeq} is not an executable (build first, or --spikeq)", file=sys.stderr)
        return 2
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    os.nice(max(0, args.nice - os.nice(0)))
    workdir = args.workdir or tempfile.mkdtemp(prefix="spikeq-scale-")
    os.makedirs(workdir, exist_ok=True)
    results = []
    try:
        pops = lif_sizes(args.netdef)
        for n in sizes:
            results.append(measure(args, n, pops, workdir, log))
    except (BadInput, RuntimeError, OSError, KeyError, ValueError) as e:
        print(f"{NAME}: {e}", file=sys.stderr)
        return 2
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    doc = {"name": NAME, "netdef": args.netdef, "duration_ms": args.duration, "nice": args.nice,
           "machine": machine(), "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "parent_rss_mib": parent_rss_mib(), "results": results}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    print(json.dumps(doc, indent=1) if args.json else "\n" + report(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
