#!/usr/bin/python3
"""One network split over T threads: speed-up, serial fraction, identical spikes.

    tools/bench/thread_scaling.py [--netdef netdefs/brunel2000_ai.pbtxt]
        [--threads 1,2] [--repeats 3] [--duration MS] [--mode event|stepped]
        [--set PATH=VALUE ...] [--spikeq build/bin/spikeq] [--json]

Runs `spikeq run NETDEF --threads T --format tsv -q` for each T in turn (the
repeats interleaved, so a change in the machine's load hits every T alike),
takes each run's simulation time from its manifest (wall_s - build_s: the
build is timed on its own) and prints, per T: the median simulation time,
events per second, the speed-up over the smallest T, and the serial fraction
that speed-up implies under Amdahl's law, f = (T/S - 1)/(T - 1), with the
speed-up f predicts at 16 and 64 threads. It also checks that every run wrote
the same spikes.tsv, byte for byte (exit 1 if not). The machine's core count
and load averages are printed: a speed-up measured on a loaded machine is a
lower bound.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run_once(args, threads, out_dir):
    cmd = [args.spikeq, "run", args.netdef, "--threads", str(threads), "--format", "tsv", "-q",
           "--force", "-o", out_dir, "--mode", args.mode]
    if args.duration:
        cmd += ["--duration", str(args.duration)]
    for s in args.set:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(out_dir, "spikes.tsv"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return manifest["wall_s"] - manifest["build_s"], manifest["events"]["total"], digest


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netdef", default="netdefs/brunel2000_ai.pbtxt")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--duration", type=float)
    p.add_argument("--mode", default="event", choices=["event", "stepped"])
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    load_before = os.getloadavg()
    times = {t: [] for t in thread_counts}
    events = {}
    digests = set()
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for t in thread_counts:
                sim_s, n_events, digest = run_once(args, t, os.path.join(tmp, f"t{t}"))
                times[t].append(sim_s)
                events[t] = n_events
                digests.add(digest)
    load_after = os.getloadavg()
    base_t = thread_counts[0]
    base = statistics.median(times[base_t])
    rows = []
    for t in thread_counts:
        med = statistics.median(times[t])
        speedup = base / med * 1.0
        rel = t / base_t
        serial = (rel / speedup - 1) / (rel - 1) if rel > 1 else None
        amdahl = (lambda n: 1 / (serial + (1 - serial) / n)) if serial is not None else None
        rows.append({
            "threads": t, "sim_s_median": med, "sim_s": times[t], "events_per_s": events[t] / med,
            "speedup": speedup, "serial_fraction": serial,
            "predicted_speedup_16": amdahl(16) if amdahl and serial > 0 else None,
            "predicted_speedup_64": amdahl(64) if amdahl and serial > 0 else None,
        })
    result = {"netdef": args.netdef, "mode": args.mode, "set": args.set, "duration_ms": args.duration,
              "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after,
              "identical_spikes": len(digests) == 1, "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.netdef} ({args.mode}), {args.repeats} repeats, {os.cpu_count()} cores, "
              f"load {load_before[0]:.2f} before, {load_after[0]:.2f} after")
        print("threads  sim median  events/s   speed-up  serial fraction  Amdahl 16 / 64 threads")
        for r in rows:
            serial = "" if r["serial_fraction"] is None else f"{r['serial_fraction']:.3f}"
            pred = "" if r["predicted_speedup_16"] is None else \
                f"{r['predicted_speedup_16']:.1f} / {r['predicted_speedup_64']:.1f}"
            print(f"{r['threads']:7d}  {r['sim_s_median']:9.2f}s  {r['events_per_s']:.3g}  "
                  f"{r['speedup']:8.2f}  {serial:>15}  {pred}")
        print("spikes identical for every T" if len(digests) == 1 else "SPIKES DIFFER BETWEEN THREAD COUNTS")
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
