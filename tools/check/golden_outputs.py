#!/usr/bin/python3
"""Records what spikeq produces, so that a restructuring can prove it changed nothing.

    tools/check/golden_outputs.py OUTDIR [--spikeq build/bin/spikeq] [--duration MS]
    diff -r OUT_BEFORE OUT_AFTER        # empty: behaviour unchanged

For every example netdef (netdefs/*.pbtxt) it runs the event-driven engine and the
stepped engine (dt 0.1 ms, both integrators) with `--format both`, for a short
duration (default 200 ms; sweeps and trials as the netdef says), and writes into
OUTDIR, per run: every dataset and attribute of spikes.h5 / voltages.h5 as text
(exact: doubles with 17 significant digits), spikes.tsv and voltages.tsv, and
manifest.json / trials.json / sweep.json / sweep.tsv without the fields that change
from run to run (wall and build times, dates, version and build). Then the
`--json` output of `stats`, `theory`, `compare` (event vs stepped) and `converge`
(a small one on ou_lif). Nothing here interprets the numbers: equal files mean
equal behaviour.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

import h5py
import numpy as np

VOLATILE = {"wall_s", "build_s", "started_utc", "finished_utc", "version", "build", "git_revision",
            "events_per_s", "per_wall_second", "elapsed_s", "path", "netdef_path", "dir", "a", "b"}


def scrub(value):
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    return value


def dump_h5(path, out):
    lines = []

    def visit(name, obj):
        for key, val in sorted(obj.attrs.items()):
            lines.append(f"{name}@{key} = {val!r}")
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            flat = np.asarray(data).ravel()
            text = " ".join(repr(float(x)) if np.issubdtype(flat.dtype, np.floating) else str(x) for x in flat)
            lines.append(f"{name} {obj.dtype} {obj.shape}: {text}")

    with h5py.File(path, "r") as f:
        for key, val in sorted(f.attrs.items()):
            lines.append(f"/@{key} = {val!r}")
        f.visititems(visit)
    with open(out, "w") as o:
        o.write("\n".join(lines) + "\n")


def record_dir(run_dir, out_dir):
    for root, _, files in os.walk(run_dir):
        rel = os.path.relpath(root, run_dir)
        target = os.path.join(out_dir, rel)
        os.makedirs(target, exist_ok=True)
        for name in sorted(files):
            src = os.path.join(root, name)
            if name.endswith(".h5"):
                dump_h5(src, os.path.join(target, name + ".txt"))
            elif name.endswith(".json"):
                with open(src) as f:
                    doc = scrub(json.load(f))
                with open(os.path.join(target, name), "w") as o:
                    json.dump(doc, o, indent=1, sort_keys=True)
            elif name.endswith(".tsv"):
                with open(src) as f, open(os.path.join(target, name), "w") as o:
                    o.write(f.read())


def spikeq(args, *argv, capture=False, refusal_to=None):
    """Runs spikeq; a refusal (exit 2) is recorded in `refusal_to` when given (it is behaviour too)."""
    cmd = [args.spikeq, *argv]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 2 and refusal_to:
        os.makedirs(os.path.dirname(refusal_to), exist_ok=True)
        with open(refusal_to, "w") as o:
            o.write(r.stderr)
        return None
    if r.returncode != 0:
        sys.exit(f"golden_outputs: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout if capture else True


def save_json(text, path):
    with open(path, "w") as o:
        json.dump(scrub(json.loads(text)), o, indent=1, sort_keys=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--duration", default="200")
    p.add_argument("--netdefs", default="netdefs/*.pbtxt")
    args = p.parse_args()
    work = os.path.join(args.out, "_runs")
    os.makedirs(work, exist_ok=True)
    for netdef in sorted(glob.glob(args.netdefs)):
        name = os.path.splitext(os.path.basename(netdef))[0]
        modes = {"event": [], "stepped_euler": ["--mode", "stepped", "--dt", "0.1", "--integrator", "euler"],
                 "stepped_exact": ["--mode", "stepped", "--dt", "0.1", "--integrator", "exact"]}
        for mode, flags in modes.items():
            run_dir = os.path.join(work, f"{name}-{mode}")
            if not spikeq(args, "run", netdef, "-o", run_dir, "--force", "-q", "--format", "both", "--threads", "2",
                          "--duration", args.duration, *flags,
                          refusal_to=os.path.join(args.out, name, mode, "refused.txt")):
                continue
            record_dir(run_dir, os.path.join(args.out, name, mode))
            save_json(spikeq(args, "stats", run_dir, "--json", capture=True),
                      os.path.join(args.out, name, mode, "stats.json"))
        save_json(spikeq(args, "theory", netdef, "--json", capture=True), os.path.join(args.out, name, "theory.json"))
        stepped_dir = os.path.join(work, f"{name}-stepped_exact")
        if os.path.isdir(stepped_dir) and not glob.glob(os.path.join(work, f"{name}-event", "point-*")):
            save_json(spikeq(args, "compare", os.path.join(work, f"{name}-event"),
                             stepped_dir, "--json", capture=True),
                      os.path.join(args.out, name, "compare.json"))
    save_json(spikeq(args, "converge", "netdefs/ou_lif.pbtxt", "--dt", "1,0.5", "--duration", "500", "--json",
                     "--threads", "2", capture=True), os.path.join(args.out, "converge_ou_lif.json"))
    print(f"golden_outputs: recorded into {args.out}")


if __name__ == "__main__":
    main()
