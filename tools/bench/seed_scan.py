#!/usr/bin/python3
"""Runs one netdef over many seeds and tabulates each seed's steady state.

    tools/bench/seed_scan.py NETDEF [--seeds 1-10] [--duration MS] [--from MS]
                             [--spikeq build/bin/spikeq] [--out DIR] [--jobs J]
                             [--mean-field HZ] [-- EXTRA spikeq run ARGS]

Per seed: `spikeq run NETDEF --seed S --duration MS` into OUT/seed-S, then
`spikeq stats --json --from MS`. Prints, per recorded population, the rate, the
ISI CV and the coincident fraction (spikes that share their exact time with
another spike: ~1 in lock-step volleys), then the mean ± SEM over seeds and the
largest rate against twice the mean-field rate (from `spikeq theory --json`, or
--mean-field). This is the lock-step check for networks too large for the test
suite (brunel2000_ai: README, "How it works", simultaneous pulses).
"""
import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys


def seed_list(text):
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def run_seed(args, seed):
    out = os.path.join(args.out, f"seed-{seed}")
    cmd = [args.spikeq, "run", args.netdef, "--seed", str(seed), "-o", out, "--force", "-q"]
    if args.duration:
        cmd += ["--duration", str(args.duration)]
    subprocess.run(cmd + args.extra, check=True)
    stats = subprocess.run([args.spikeq, "stats", out, "--json", "--from", str(args.from_ms)],
                           check=True, capture_output=True, text=True)
    return seed, json.loads(stats.stdout)


def mean_sem(values):
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, float("nan")
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def mean_field_hz(args):
    if args.mean_field:
        return args.mean_field
    theory = json.loads(subprocess.run([args.spikeq, "theory", args.netdef, "--json"], check=True,
                                       capture_output=True, text=True).stdout)
    rates = [s["rate_hz"] for s in theory.get("mean_field", {}).get("solutions", []) if s.get("stable")]
    return rates[0] if rates else float("nan")


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("netdef")
    p.add_argument("--seeds", default="1-10")
    p.add_argument("--duration", type=float, default=0, help="ms (default: the netdef's)")
    p.add_argument("--from", dest="from_ms", type=float, default=100, help="steady state after this time, ms")
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--out", default="runs/seed_scan")
    p.add_argument("--jobs", type=int, default=1, help="seeds run at once (each is one thread)")
    p.add_argument("--mean-field", type=float, default=0, help="Hz (default: spikeq theory's stable solution)")
    args = p.parse_args(argv)
    args.extra = extra

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = sorted(pool.map(lambda s: run_seed(args, s), seed_list(args.seeds)))
    populations = [q["name"] for q in results[0][1]["populations"] if q["recorded"]]
    print(f"{args.netdef}: {len(results)} seeds, steady state after {args.from_ms:g} ms")
    print(f"  {'seed':>4}" + "".join(f"  {name + ' Hz':>10} {'CV':>6} {'coinc':>6}" for name in populations))
    table = {name: {"rate_hz": [], "cv_isi": [], "coincident_fraction": []} for name in populations}
    for seed, stats in results:
        row = f"  {seed:>4}"
        for q in stats["populations"]:
            if q["name"] not in table:
                continue
            for key in table[q["name"]]:
                table[q["name"]][key].append(q[key] if q[key] is not None else float("nan"))
            row += f"  {q['rate_hz']:>10.3f} {q['cv_isi']:>6.3f} {q['coincident_fraction']:>6.3f}"
        print(row)
    print(f"  mean ± SEM over {len(results)} seeds:")
    for name in populations:
        (r, rs), (c, cs), (k, ks) = (mean_sem(table[name][key]) for key in ("rate_hz", "cv_isi", "coincident_fraction"))
        print(f"    {name}: rate {r:.3f} ± {rs:.3f} Hz, ISI CV {c:.4f} ± {cs:.4f}, coincident fraction {k:.4f} ± {ks:.4f}")
    mf = mean_field_hz(args)
    top = max(max(table[name]["rate_hz"]) for name in populations)
    verdict = "no seed above twice the mean field" if top < 2 * mf else "LOCK-STEP: a seed above twice the mean field"
    print(f"  mean field {mf:.2f} Hz; highest rate {top:.2f} Hz: {verdict}")
    return 0 if top < 2 * mf else 1


if __name__ == "__main__":
    sys.exit(main())
