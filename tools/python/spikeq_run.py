"""Load a spikeq run directory (``spikeq run ... -o DIR``) into numpy arrays.

    import spikeq_run
    run = spikeq_run.load("runs/quickstart")
    run.manifest["status"]                      # manifest.json as a dict
    times_ms, node_ids = run.spikes["neurons"]  # per population, sorted by time
    probe = run.voltages[0]                     # probe.node_ids, probe.times_ms, probe.v_mv[time, node]

Reads, in this order of preference, the SONATA report ``spikes.h5`` (and
``voltages.h5``), the text files ``spikes.tsv`` / ``voltages.tsv``, or the
journals a killed run leaves behind (``spikes.journal``, ``voltages.journal``:
whole batches only, as ``spikeq recover`` would keep). Needs numpy, and h5py for
the .h5 files (Debian: python3-numpy python3-h5py).
"""

import json
import os
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

__all__ = ["load", "Run", "Probe", "read_journal"]

SPIKE_ROW = np.dtype([("time_ms", "<f8"), ("node", "<u4"), ("population", "<u4")])
SAMPLE_ROW = np.dtype([("time_ms", "<f8"), ("v_mv", "<f8"), ("probe", "<u4"), ("node", "<u4")])
_JOURNAL_MAGIC = b"SPKQJRNL"
_BLOCK_MAGIC = 0x4B4C4253
_NO_BATCH_END = 0xFFFFFFFF


@dataclass
class Probe:
    population: str
    node_ids: np.ndarray  # uint64 [n], population-local, sorted
    times_ms: np.ndarray  # float64 [T]
    v_mv: np.ndarray      # float64 [T, n]


@dataclass
class Run:
    path: str
    manifest: dict
    spikes: dict = field(default_factory=dict)    # population -> (times_ms float64, node_ids uint64)
    voltages: dict = field(default_factory=dict)  # probe index -> Probe
    source: str = ""                              # "h5", "tsv" or "journal"


def read_journal(path):
    """Returns (meta dict, structured array of rows) of a journal, keeping the
    records up to the last batch end of its intact blocks (engine/journal_format.h)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, version, kind, record_bytes, meta_bytes = struct.unpack_from("<8sIIII", data, 0)
    if magic != _JOURNAL_MAGIC or version != 1:
        raise ValueError(f"{path}: not a spikeq journal (version 1)")
    dtype = SPIKE_ROW if kind == 1 else SAMPLE_ROW
    if record_bytes != dtype.itemsize:
        raise ValueError(f"{path}: unknown record layout")
    meta = json.loads(data[24:24 + meta_bytes])
    offset, parts, total, kept = 24 + meta_bytes, [], 0, 0
    while offset + 16 <= len(data):
        block_magic, count, complete, crc = struct.unpack_from("<IIII", data, offset)
        end = offset + 16 + count * record_bytes
        if block_magic != _BLOCK_MAGIC or end > len(data):
            break
        if complete != _NO_BATCH_END and complete > count:
            break
        payload = data[offset + 16:end]
        if zlib.crc32(payload, zlib.crc32(struct.pack("<II", count, complete))) != crc:
            break
        parts.append(payload)
        if complete != _NO_BATCH_END:
            kept = total + complete
        total += count
        offset = end
    rows = np.frombuffer(b"".join(parts), dtype=dtype, count=kept)
    return meta, rows


def _columns(manifest, probe, population_sizes):
    ids = np.asarray(probe["node_ids"], dtype=np.uint64)
    if ids.size == 0:
        ids = np.arange(population_sizes[probe["population"]], dtype=np.uint64)
    return np.sort(ids)


def _matrix(times, values, n):
    """Samples sorted by (time, node) -> (row times, V[row, column]). When r rows
    share one time (stepped runs), each node appears r times in a row."""
    if n == 0 or times.size == 0:
        return np.zeros(0), np.zeros((0, n))
    starts = np.flatnonzero(np.r_[True, times[1:] != times[:-1]])
    counts = np.diff(np.r_[starts, times.size])
    if np.all(counts == n):
        return times[starts], values.reshape(-1, n)
    row_times, rows = [], []
    for s, c in zip(starts, counts):
        r = c // n
        rows.append(values[s:s + c].reshape(n, r).T)
        row_times.extend([times[s]] * r)
    return np.asarray(row_times), np.vstack(rows)


def _spikes_from_rows(run, populations, pop_index, times, nodes):
    for i, p in enumerate(populations):
        if p.get("recorded", True):
            sel = pop_index == i
            run.spikes[p["name"]] = (np.asarray(times[sel], dtype=np.float64), np.asarray(nodes[sel], dtype=np.uint64))


def _voltages_from_rows(run, probe_index, nodes, times, values):
    manifest = run.manifest
    sizes = {p["name"]: p["size"] for p in manifest["populations"]}
    for k, probe in enumerate(manifest.get("voltage_probes", [])):
        sel = probe_index == k
        columns = _columns(manifest, probe, sizes)
        row_times, v = _matrix(times[sel], values[sel], columns.size)
        run.voltages[k] = Probe(probe["population"], columns, row_times, v)


def _load_h5(run):
    import h5py
    with h5py.File(os.path.join(run.path, "spikes.h5"), "r") as f:
        for p in run.manifest["populations"]:
            if p["name"] in f["spikes"]:
                g = f["spikes"][p["name"]]
                run.spikes[p["name"]] = (g["timestamps"][()], g["node_ids"][()])
    path = os.path.join(run.path, "voltages.h5")
    if os.path.exists(path):
        with h5py.File(path, "r") as f:
            for name, g in f["probes"].items():
                run.voltages[int(name)] = Probe(g.attrs["population"], g["node_ids"][()], g["time_ms"][()], g["v_mv"][()])


def _read_tsv(path, columns):
    with open(path, "r", encoding="utf-8") as f:
        f.readline()  # header
        lines = [line.rstrip("\n").split("\t") for line in f if line.endswith("\n")]
    return [np.array([line[c] for line in lines]) for c in range(columns)] if lines else [np.array([])] * columns


def _load_tsv(run):
    names = [p["name"] for p in run.manifest["populations"]]
    pops, nodes, times = _read_tsv(os.path.join(run.path, "spikes.tsv"), 3)
    index = {name: i for i, name in enumerate(names)}
    pop_index = np.array([index[p] for p in pops], dtype=np.int64)
    _spikes_from_rows(run, run.manifest["populations"], pop_index, times.astype(np.float64), nodes.astype(np.uint64))
    path = os.path.join(run.path, "voltages.tsv")
    if os.path.exists(path):
        probe, _, nodes, times, v = _read_tsv(path, 5)
        _voltages_from_rows(run, probe.astype(np.int64), nodes.astype(np.uint64), times.astype(np.float64),
                            v.astype(np.float64))


def _load_journals(run):
    _, rows = read_journal(os.path.join(run.path, "spikes.journal"))
    _spikes_from_rows(run, run.manifest["populations"], rows["population"], rows["time_ms"], rows["node"])
    path = os.path.join(run.path, "voltages.journal")
    if os.path.exists(path):
        _, rows = read_journal(path)
        _voltages_from_rows(run, rows["probe"], rows["node"], rows["time_ms"], rows["v_mv"])


def load(path):
    """Loads the run directory `path`; returns a Run."""
    with open(os.path.join(path, "manifest.json"), encoding="utf-8") as f:
        run = Run(path, json.load(f))
    for source, name, loader in (("h5", "spikes.h5", _load_h5), ("tsv", "spikes.tsv", _load_tsv),
                                 ("journal", "spikes.journal", _load_journals)):
        if os.path.exists(os.path.join(path, name)):
            # A killed run's TSV may be ahead of its journal; the journal is the record then.
            if source == "tsv" and os.path.exists(os.path.join(path, "spikes.journal")):
                continue
            loader(run)
            run.source = source
            return run
    raise FileNotFoundError(f"{path}: no spikes.h5, spikes.tsv or spikes.journal")
