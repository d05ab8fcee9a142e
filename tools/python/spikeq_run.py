"""Load a spikeq run directory (``spikeq run ... -o DIR``) into numpy arrays.

    import spikeq_run
    run = spikeq_run.load("runs/quickstart")
    run.manifest["status"]                      # manifest.json as a dict
    times_ms, node_ids = run.spikes["neurons"]  # per population, sorted by time
    probe = run.voltages[0]                     # probe.node_ids, probe.times_ms, probe.v_mv[time, node]
    run.gaps                                    # [(from_ms, to_ms)]: records lost inside the run

Reads, in this order of preference, the SONATA report ``spikes.h5`` (and
``voltages.h5``), the text files ``spikes.tsv`` / ``voltages.tsv``, or the
journals a killed run leaves behind (``spikes.journal``, ``voltages.journal``:
whole batches only, intact blocks after a damaged one salvaged, as ``spikeq
recover`` keeps them). Needs numpy, and h5py for the .h5 files (Debian:
python3-numpy python3-h5py).

Like spikeq's own readers it checks what it relies on, and raises
``SpikeqFileError`` (a ValueError) naming the file, the dataset (or line, or
record) and the value: node ids below their population's size (64-bit, never
truncated), times finite, >= 0 and sorted, datasets of equal length, known
populations and probes, lengths read from a journal bounded before use.
"""

import json
import os
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

__all__ = ["load", "Run", "Probe", "read_journal", "SpikeqFileError"]

SPIKE_ROW = np.dtype([("time_ms", "<f8"), ("node", "<u4"), ("population", "<u4")])
SAMPLE_ROW = np.dtype([("time_ms", "<f8"), ("v_mv", "<f8"), ("probe", "<u4"), ("node", "<u4")])
_JOURNAL_MAGIC = b"SPKQJRNL"
_BLOCK_MAGIC = struct.pack("<I", 0x4B4C4253)
_NO_BATCH_END = 0xFFFFFFFF
_MAX_BLOCK_BYTES = 1 << 20  # engine/io/journal_format.h
_MAX_META_BYTES = 64 << 20
_MAX_DAMAGED_REGIONS = 1000
_TSV_HEADERS = {3: "population\tnode_id\ttime_ms", 5: "probe\tpopulation\tnode_id\ttime_ms\tv_mv"}


class SpikeqFileError(ValueError):
    """A file of a run directory breaks what spikeq writes: file, place and value."""


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
    gaps: list = field(default_factory=list)      # [(from_ms, to_ms)]: records lost inside the run


# --- invariants -------------------------------------------------------------------

def _dataset(where):
    """Names value i of an HDF5 dataset or a journal: "/spikes/a/timestamps[17] = 2.5"."""
    return lambda i, what, value: f"{where}[{i}] = {value}"


def _lines(i, what, value):
    """Names value i of a TSV file (row i is line i + 2): "line 19: time_ms 2.5"."""
    return f"line {i + 2}: {what} {value}"


def _check_times(path, name, t):
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
    if bad.size:
        i = bad[0]
        raise SpikeqFileError(f"{path}: {name(i, 'time_ms', repr(t[i]))}: not a finite time >= 0")
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        i = back[0] + 1
        raise SpikeqFileError(f"{path}: {name(i, 'time_ms', repr(t[i]))}: earlier than the one before "
                              f"({t[i - 1]!r}): the file is sorted by time")


def _check_ids(path, name, ids, limits):
    """ids (uint64) against per-row limits (uint64)."""
    bad = np.flatnonzero(ids >= limits) if ids.size else []
    if len(bad):
        i = bad[0]
        raise SpikeqFileError(f"{path}: {name(i, 'node_id', ids[i])}: not below the population size {limits[i]}")


def _layout_sizes(layout):
    sizes = [int(p["size"]) for p in layout["populations"]]
    return sizes, [sizes[int(p["population"])] for p in layout["probes"]]


def _manifest_layout(manifest):
    index = {p["name"]: i for i, p in enumerate(manifest["populations"])}
    return {"populations": [{"name": p["name"], "size": p["size"], "recorded": p["recorded"]}
                            for p in manifest["populations"]],
            "probes": [{"population": index[p["population"]], "node_ids": p["node_ids"],
                        "interval_ms": p["interval_ms"], "start_ms": p["start_ms"]}
                       for p in manifest.get("voltage_probes", [])]}


# --- journals ---------------------------------------------------------------------

class _JournalScan:
    """The block scan of engine/io/journal_reader.h: runs of contiguous intact
    blocks; a run after damage keeps records from its first batch end on (a block
    says only where its last batch ends), and the time between is a gap."""

    def __init__(self, data, record_bytes, info):
        self.data, self.rb, self.info = data, record_bytes, info
        self.budget = 4 * len(data) + (64 << 20)
        self.kept, self.last_ms = [], None
        self.after_damage = False
        self._reset_run()

    def _reset_run(self):
        self.in_run, self.open, self.pending, self.records, self.run_pos, self.start_pos = False, False, [], 0, 0, 0

    def plausible(self, at):
        if at + 16 > len(self.data):
            return None
        magic, count, complete, crc = struct.unpack_from("<4sIII", self.data, at)
        if (magic != _BLOCK_MAGIC or count * self.rb > _MAX_BLOCK_BYTES
                or not (complete == _NO_BATCH_END or complete <= count)):
            return None
        return count, complete, crc, at + 16 + count * self.rb

    def intact(self, at):
        p = self.plausible(at)
        if p is None or p[3] > len(self.data):
            return None
        count, complete, crc, end = p
        return p if zlib.crc32(self.data[at + 16:end], zlib.crc32(struct.pack("<II", count, complete))) == crc else None

    def find_intact(self, start):
        at = self.data.find(_BLOCK_MAGIC, start)
        while at >= 0:
            p = self.plausible(at)
            if p is not None and p[3] <= len(self.data):
                cost = p[3] - at
                if cost > self.budget:
                    self.info["gave_up"] = True
                    return None
                self.budget -= cost
                if self.intact(at) is not None:
                    return at
            at = self.data.find(_BLOCK_MAGIC, at + 1)
        return None

    def torn(self, at):
        left = self.data[at:]
        if len(left) < 16:
            return _BLOCK_MAGIC[:len(left)] == left[:4]
        p = self.plausible(at)
        return p is not None and p[3] > len(self.data)

    def take(self, at, count, complete, end):
        payload = self.data[at + 16:end]
        if not self.in_run:
            self._reset_run()
            self.in_run, self.open = True, not self.after_damage
        if complete != _NO_BATCH_END:
            batch_end = self.run_pos + complete
            if not self.open:
                self.open, self.start_pos = True, batch_end
                self.pending.append(payload[complete * self.rb:])
            else:
                self.pending.append(payload)
                self.records = batch_end - self.start_pos
        elif self.open:
            self.pending.append(payload)
        self.run_pos += count
        self.info["blocks"] += 1

    def end_run(self, damage):
        if self.in_run and self.open and self.records > 0:
            rows = b"".join(self.pending)[:self.records * self.rb]
            if self.after_damage:
                first = struct.unpack_from("<d", rows, 0)[0]
                self.info["gaps"].append((0.0 if self.last_ms is None else self.last_ms, first))
            self.kept.append(rows)
            self.last_ms = struct.unpack_from("<d", rows, len(rows) - self.rb)[0]
        self._reset_run()
        self.after_damage = self.after_damage or damage

    def run(self, offset):
        data, info = self.data, self.info
        while offset < len(data):
            p = self.intact(offset)
            if p is not None:
                self.take(offset, p[0], p[1], p[3])
                offset = p[3]
                continue
            nxt = self.find_intact(offset + 1) if len(info["damaged"]) < _MAX_DAMAGED_REGIONS else None
            if nxt is None and not info.get("gave_up") and self.torn(offset):
                info["torn_bytes"] = len(data) - offset
            else:
                info["damaged"].append((offset, len(data) if nxt is None else nxt))
                self.end_run(True)
            if nxt is None:
                break
            offset = nxt
        self.end_run(False)
        return b"".join(self.kept)


def read_journal(path, expected_layout=None, info=None):
    """Returns (meta dict, structured array of rows) of a journal: whole batches
    only, intact blocks after a damaged one salvaged (engine/io/journal_reader.h).
    `expected_layout` (shaped like the meta's "layout", e.g. from the manifest)
    is used when the journal's own is unreadable. If `info` is a dict it receives
    what was found: "gaps" [(from_ms, to_ms)], "damaged" [(begin, end)] byte
    ranges, "torn_bytes", "blocks" (intact), "records" (kept)."""
    with open(path, "rb") as f:
        data = f.read()
    info = {} if info is None else info
    info.update(gaps=[], damaged=[], torn_bytes=0, records=0, blocks=0)
    if data[:8] != _JOURNAL_MAGIC[:len(data[:8])]:
        raise SpikeqFileError(f"{path}: not a spikeq journal (no SPKQJRNL magic)")
    if len(data) < 24:  # killed while creating it: nothing recorded yet
        info["torn_bytes"] = len(data)
        return {}, np.zeros(0, dtype=SPIKE_ROW)
    _, version, kind, record_bytes, meta_bytes = struct.unpack_from("<8sIIII", data, 0)
    if version != 1:
        raise SpikeqFileError(f"{path}: journal version {version} is not supported (only 1)")
    if kind not in (1, 2):
        raise SpikeqFileError(f"{path}: journal kind {kind} is unknown")
    dtype = SPIKE_ROW if kind == 1 else SAMPLE_ROW
    if record_bytes != dtype.itemsize:
        raise SpikeqFileError(f"{path}: journal records of {record_bytes} bytes: expected {dtype.itemsize}")
    offset, meta, layout = 24 + meta_bytes, {}, None
    if meta_bytes <= _MAX_META_BYTES and offset <= len(data):
        try:
            meta = json.loads(data[24:offset])
            layout = meta["layout"]
            _layout_sizes(layout)
        except (ValueError, KeyError, TypeError, IndexError):
            layout = None
    elif meta_bytes <= _MAX_META_BYTES and data.find(_BLOCK_MAGIC, 24) < 0:
        info["torn_bytes"] = len(data)  # killed while writing the header
        return {}, np.zeros(0, dtype=dtype)
    if layout is None:
        if expected_layout is None:
            raise SpikeqFileError(f"{path}: the journal's header is damaged (its layout is unreadable)")
        layout, meta = expected_layout, {"layout": expected_layout}
        info["meta_damaged"] = True
        if not (offset <= len(data) and (offset == len(data) or data[offset:offset + 4] == _BLOCK_MAGIC)):
            offset = 24
    rows = np.frombuffer(_JournalScan(data, record_bytes, info).run(offset), dtype=dtype)
    info["records"] = rows.size
    sizes, probe_sizes = _layout_sizes(layout)
    _check_times(path, _dataset("record"), rows["time_ms"])
    if kind == 1:
        index, limits, what = rows["population"].astype(np.int64), sizes, "population"
    else:
        index, limits, what = rows["probe"].astype(np.int64), probe_sizes, "probe"
        bad = np.flatnonzero(~np.isfinite(rows["v_mv"]))
        if bad.size:
            raise SpikeqFileError(f"{path}: record[{bad[0]}]: v_mv {rows['v_mv'][bad[0]]!r}: not a finite voltage")
    bad = np.flatnonzero(index >= len(limits))
    if bad.size:
        raise SpikeqFileError(f"{path}: record[{bad[0]}]: {what} {index[bad[0]]}: the layout has {len(limits)}")
    _check_ids(path, _dataset("record"), rows["node"].astype(np.uint64), np.asarray(limits, dtype=np.uint64)[index])
    return meta, rows


# --- rows into arrays -------------------------------------------------------------

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


# --- formats ----------------------------------------------------------------------

def _load_h5(run):
    import h5py
    path = os.path.join(run.path, "spikes.h5")
    pops = {p["name"]: p for p in run.manifest["populations"]}
    with h5py.File(path, "r") as f:
        if "spikes" not in f:
            raise SpikeqFileError(f"{path}: not a SONATA spike report (no /spikes group)")
        for name in f["spikes"]:
            if name not in pops:
                raise SpikeqFileError(f"{path}: /spikes/{name}: not a population of this run")
        for p in run.manifest["populations"]:
            where = "/spikes/" + p["name"]
            if p["name"] not in f["spikes"]:
                if p["recorded"]:
                    raise SpikeqFileError(f"{path}: {where}: missing (the run records this population)")
                continue
            g = f["spikes"][p["name"]]
            for d in ("timestamps", "node_ids"):
                if d not in g or not isinstance(g[d], h5py.Dataset) or len(g[d].shape) != 1:
                    raise SpikeqFileError(f"{path}: {where}/{d}: missing or not 1-dimensional")
            if g["timestamps"].shape != g["node_ids"].shape:
                raise SpikeqFileError(f"{path}: {where}: timestamps has {g['timestamps'].shape[0]} rows, "
                                      f"node_ids {g['node_ids'].shape[0]}")
            if g["node_ids"].dtype.kind not in "iu" or g["timestamps"].dtype.kind != "f":
                raise SpikeqFileError(f"{path}: {where}: node_ids must be integers, timestamps floating-point")
            t = np.asarray(g["timestamps"][()], dtype=np.float64)
            raw = g["node_ids"][()]
            if raw.dtype.kind == "i" and raw.size and raw.min() < 0:
                i = int(np.flatnonzero(raw < 0)[0])
                raise SpikeqFileError(f"{path}: {where}/node_ids[{i}] = {raw[i]}: negative")
            ids = raw.astype(np.uint64)
            _check_ids(path, _dataset(where + "/node_ids"), ids, np.full(ids.size, p["size"], dtype=np.uint64))
            _check_times(path, _dataset(where + "/timestamps"), t)
            run.spikes[p["name"]] = (t, ids)
    path = os.path.join(run.path, "voltages.h5")
    if os.path.exists(path):
        probes = run.manifest.get("voltage_probes", [])
        with h5py.File(path, "r") as f:
            for name, g in f["probes"].items():
                if not name.isdigit() or int(name) >= len(probes):
                    raise SpikeqFileError(f"{path}: /probes/{name}: not a voltage probe of this run")
                ids, t, v = g["node_ids"][()], g["time_ms"][()], g["v_mv"][()]
                if v.shape != (t.shape[0], ids.shape[0]):
                    raise SpikeqFileError(f"{path}: /probes/{name}/v_mv: shape {v.shape}, expected "
                                          f"({t.shape[0]}, {ids.shape[0]})")
                _check_times(path, _dataset(f"/probes/{name}/time_ms"), t)
                if not np.all(np.isfinite(v)):
                    raise SpikeqFileError(f"{path}: /probes/{name}/v_mv: a value that is not finite")
                run.voltages[int(name)] = Probe(g.attrs["population"], ids, t, v)


def _read_tsv(path, columns, torn_ok):
    """The columns of every line after the header, as arrays of text. A killed
    run's (`torn_ok`) unfinished last line is ignored; any other bad line refused."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines[-1] and not torn_ok:
        raise SpikeqFileError(f"{path}: line {len(lines)}: cut short (no newline at the end of the file)")
    lines = lines[:-1]
    if not lines or lines[0].decode("utf-8", "replace") != _TSV_HEADERS[columns]:
        raise SpikeqFileError(f"{path}: line 1: not the header {_TSV_HEADERS[columns]!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.decode("utf-8", "replace").split("\t")
        if len(fields) != columns:
            raise SpikeqFileError(f"{path}: line {number}: not {columns} tab-separated fields")
        rows.append(fields)
    return [[r[c] for r in rows] for c in range(columns)]


def _numbers(path, texts, what, integer):
    """Decimal unsigned 64-bit integers, or floats; line numbers in errors."""
    out = np.zeros(len(texts), dtype=np.uint64 if integer else np.float64)
    for i, x in enumerate(texts):
        try:
            if integer:
                if not (x.isascii() and x.isdigit()) or int(x) >= 1 << 64:
                    raise ValueError
                out[i] = int(x)
            else:
                out[i] = float(x)
        except ValueError:
            raise SpikeqFileError(f"{path}: line {i + 2}: {what} {x!r}: not a number") from None
    return out


def _load_tsv(run):
    populations = run.manifest["populations"]
    sizes = np.array([int(p["size"]) for p in populations], dtype=np.uint64)
    index = {p["name"]: i for i, p in enumerate(populations)}
    torn_ok = run.manifest.get("status") == "running"
    path = os.path.join(run.path, "spikes.tsv")
    pops, nodes, times = _read_tsv(path, 3, torn_ok)
    for i, p in enumerate(pops):
        if p not in index:
            raise SpikeqFileError(f"{path}: line {i + 2}: population {p!r}: not a population of this run")
    pop_index = np.array([index[p] for p in pops], dtype=np.int64)
    nodes, times = _numbers(path, nodes, "node_id", True), _numbers(path, times, "time_ms", False)
    _check_ids(path, _lines, nodes, sizes[pop_index])
    _check_times(path, _lines, times)
    _spikes_from_rows(run, populations, pop_index, times, nodes)
    path = os.path.join(run.path, "voltages.tsv")
    if os.path.exists(path):
        probe, _, nodes, times, v = _read_tsv(path, 5, torn_ok)
        probes = run.manifest.get("voltage_probes", [])
        probe = _numbers(path, probe, "probe", True)
        bad = np.flatnonzero(probe >= len(probes))
        if bad.size:
            raise SpikeqFileError(f"{path}: line {bad[0] + 2}: probe {probe[bad[0]]}: the run has {len(probes)} probes")
        probe = probe.astype(np.int64)
        probe_sizes = np.array([sizes[index[p["population"]]] for p in probes], dtype=np.uint64)
        nodes, times = _numbers(path, nodes, "node_id", True), _numbers(path, times, "time_ms", False)
        v = _numbers(path, v, "v_mv", False)
        _check_ids(path, _lines, nodes, probe_sizes[probe] if probe.size else np.zeros(0, dtype=np.uint64))
        _check_times(path, _lines, times)
        if not np.all(np.isfinite(v)):
            raise SpikeqFileError(f"{path}: line {np.flatnonzero(~np.isfinite(v))[0] + 2}: v_mv: not a finite voltage")
        _voltages_from_rows(run, probe, nodes, times, v)


def _load_journals(run):
    layout, info = _manifest_layout(run.manifest), {}
    _, rows = read_journal(os.path.join(run.path, "spikes.journal"), layout, info)
    run.gaps = list(info["gaps"])
    _spikes_from_rows(run, run.manifest["populations"], rows["population"], rows["time_ms"], rows["node"])
    path = os.path.join(run.path, "voltages.journal")
    if os.path.exists(path):
        _, rows = read_journal(path, layout)
        _voltages_from_rows(run, rows["probe"], rows["node"], rows["time_ms"], rows["v_mv"])


def load(path):
    """Loads the run directory `path`; returns a Run."""
    with open(os.path.join(path, "manifest.json"), encoding="utf-8") as f:
        run = Run(path, json.load(f))
    run.gaps = [(g["from_ms"], g["to_ms"]) for g in run.manifest.get("gaps", [])]
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
