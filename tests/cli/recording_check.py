#!/usr/bin/python3
"""Checks of run directories for tests/cli/test_recording.cpp, with h5py and the
reader in tools/python (run with /usr/bin/python3: Debian's numpy and h5py).

  recording_check.py sonata DIR          spikes.h5 is a SONATA spike report matching the manifest
  recording_check.py load DIR SOURCE     spikeq_run.load reads DIR from SOURCE (h5|tsv|journal)
  recording_check.py equal DIR_A DIR_B   same spikes and voltages
  recording_check.py prefix DIR_A DIR_B  A's spikes are B's up to A's simulated_ms
Prints "ok" and exits 0, or names the first difference and exits 1.
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
import spikeq_run  # noqa: E402


def fail(message):
    print(message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def sonata(path):
    manifest = json.load(open(os.path.join(path, "manifest.json")))
    with h5py.File(os.path.join(path, "spikes.h5"), "r") as f:
        check(int(f.attrs["magic"]) == 0x0A7A, "magic")
        check(list(f.attrs["version"]) == [0, 1], "version")
        check("spikes" in f, "no /spikes")
        recorded = [p for p in manifest["populations"] if p["recorded"]]
        check(sorted(f["spikes"].keys()) == sorted(p["name"] for p in recorded), "population groups")
        for p in recorded:
            g = f["spikes"][p["name"]]
            mapping = h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)
            check(mapping == {"none": 0, "by_id": 1, "by_time": 2}, "sorting enum " + str(mapping))
            check(int(g.attrs["sorting"]) == mapping["by_time"], "sorting is not by_time")
            t, ids = g["timestamps"], g["node_ids"]
            check(t.dtype == np.float64 and ids.dtype == np.uint64, "dtypes")
            check(t.attrs["units"] == "ms", "units")
            check(t.shape == ids.shape and len(t.shape) == 1, "shapes")
            t, ids = t[()], ids[()]
            check(np.all(np.diff(t) >= 0), "timestamps not sorted")
            check(ids.size == 0 or ids.max() < p["size"], "node ids not population-local")
            if p["spikes"] is not None:
                check(t.size == p["spikes"], f"{p['name']}: {t.size} spikes, manifest says {p['spikes']}")
            check(t.size == 0 or t[-1] <= manifest["simulated_ms"], "spike after simulated_ms")


def load(path, source):
    run = spikeq_run.load(path)
    check(run.source == source, f"read from {run.source}, expected {source}")
    total = sum(t.size for t, _ in run.spikes.values())
    check(total > 0, "no spikes")
    for p in run.manifest["populations"]:
        if p["recorded"] and p["spikes"] is not None and run.manifest["status"] != "running":
            check(run.spikes[p["name"]][0].size == p["spikes"], p["name"] + ": count differs from the manifest")


def same_arrays(a, b, what):
    check(a.shape == b.shape and np.array_equal(a, b), what + " differ")


def equal(path_a, path_b, cut=None):
    a, b = spikeq_run.load(path_a), spikeq_run.load(path_b)
    if cut is None:
        check(a.spikes.keys() == b.spikes.keys(), "populations differ")
    for name, (t, ids) in a.spikes.items():
        tb, ib = b.spikes[name]
        if cut is not None:
            keep = tb <= cut
            tb, ib = tb[keep], ib[keep]
        same_arrays(t, tb, name + " times")
        same_arrays(ids.astype(np.uint64), ib.astype(np.uint64), name + " node ids")
    if cut is None:
        check(a.voltages.keys() == b.voltages.keys(), "probes differ")
        for k, p in a.voltages.items():
            q = b.voltages[k]
            same_arrays(p.node_ids, q.node_ids, f"probe {k} nodes")
            same_arrays(p.times_ms, q.times_ms, f"probe {k} times")
            same_arrays(p.v_mv, q.v_mv, f"probe {k} V")


def main(argv):
    if argv[1] == "sonata":
        sonata(argv[2])
    elif argv[1] == "load":
        load(argv[2], argv[3])
    elif argv[1] == "equal":
        equal(argv[2], argv[3])
    elif argv[1] == "prefix":
        equal(argv[2], argv[3], cut=spikeq_run.load(argv[2]).manifest["simulated_ms"])
    else:
        fail("unknown check " + argv[1])
    print("ok")


if __name__ == "__main__":
    main(sys.argv)
