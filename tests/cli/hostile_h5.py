#!/usr/bin/python3
"""Damages a run's spikes.h5 in one chosen way, for tests/cli/test_hostile_files.cpp
(Debian's /usr/bin/python3 with h5py).

  hostile_h5.py FILE set-id POP INDEX VALUE       node_ids[INDEX] = VALUE (uint64)
  hostile_h5.py FILE set-time POP INDEX VALUE     timestamps[INDEX] = VALUE ("nan" allowed)
  hostile_h5.py FILE short-ids POP                node_ids one row shorter than timestamps
  hostile_h5.py FILE extra-group NAME             an empty population group NAME
  hostile_h5.py FILE signed-ids POP INDEX VALUE   node_ids stored as int64, one set to VALUE
  hostile_h5.py FILE huge POP                     datasets of 2^40 rows that were never written
  hostile_h5.py FILE sorting POP MEMBER           the sorting enum set to MEMBER (none, by_id)
  hostile_h5.py FILE set-v PROBE ROW COL VALUE    voltages.h5: v_mv[ROW, COL] of probe PROBE = VALUE
  hostile_h5.py FILE set-probe-id PROBE I VALUE   voltages.h5: node_ids[I] of probe PROBE = VALUE
"""
import sys

import h5py
import numpy as np


def replace(group, name, data):
    attrs = dict(group[name].attrs)
    del group[name]
    group.create_dataset(name, data=data)
    for k, v in attrs.items():
        group[name].attrs[k] = v


def main(path, action, *args):
    with h5py.File(path, "r+") as f:
        if action == "set-v":
            f["probes"][args[0]]["v_mv"][int(args[1]), int(args[2])] = float(args[3])
            return
        if action == "set-probe-id":
            f["probes"][args[0]]["node_ids"][int(args[1])] = np.uint64(int(args[2]))
            return
        spikes = f["spikes"]
        if action == "set-id":
            spikes[args[0]]["node_ids"][int(args[1])] = np.uint64(int(args[2]))
        elif action == "set-time":
            spikes[args[0]]["timestamps"][int(args[1])] = float(args[2])
        elif action == "short-ids":
            g = spikes[args[0]]
            replace(g, "node_ids", g["node_ids"][()][:-1])
        elif action == "extra-group":
            g = spikes.create_group(args[0])
            g.create_dataset("timestamps", data=np.zeros(0))
            g.create_dataset("node_ids", data=np.zeros(0, dtype=np.uint64))
        elif action == "signed-ids":
            g = spikes[args[0]]
            ids = g["node_ids"][()].astype(np.int64)
            ids[int(args[1])] = int(args[2])
            replace(g, "node_ids", ids)
        elif action == "huge":
            g = spikes[args[0]]
            for name, dtype in (("timestamps", "f8"), ("node_ids", "u8")):
                del g[name]
                g.create_dataset(name, shape=(2 ** 40,), dtype=dtype)
        elif action == "sorting":
            g = spikes[args[0]]
            kind = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="i1")
            g.attrs.create("sorting", {"none": 0, "by_id": 1, "by_time": 2}[args[1]], dtype=kind)
        else:
            sys.exit("unknown action " + action)


if __name__ == "__main__":
    main(*sys.argv[1:])
