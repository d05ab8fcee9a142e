#!/usr/bin/python3
"""Seed corpora for the recording fuzz targets, from a real run.

    build/bin/spikeq run tools/fuzz/seed_run.pbtxt -o RUN --format both -q
    /usr/bin/python3 tools/fuzz/make_seeds.py RUN OUT

writes OUT/journal/ (journals in the format of engine/io/journal_format.h, built
from the run's spikes and samples with small blocks: whole, torn, damaged),
OUT/tsv/ (the run's spikes.tsv and voltages.tsv, whole and torn, behind the
selector byte of fuzz_spikes_tsv) and OUT/h5/ (the run's spikes.h5 as a raw
image, a few descriptions for fuzz_spikes_h5's structured mode and a few patches
for its damaged-real-file mode).
"""
import json
import os
import random
import struct
import sys
import zlib

NO_BATCH_END = 0xFFFFFFFF


def layout_of(manifest):
    pops = [{"name": p["name"], "size": p["size"], "recorded": p["recorded"]} for p in manifest["populations"]]
    index = {p["name"]: i for i, p in enumerate(manifest["populations"])}
    probes = [{"population": index[p["population"]], "node_ids": p["node_ids"], "interval_ms": p["interval_ms"],
               "start_ms": p["start_ms"]} for p in manifest["voltage_probes"]]
    return {"populations": pops, "probes": probes}


def journal(kind, record, layout, rows, per_block, batch_every):
    """rows: packed records in time order; a batch ends every `batch_every` rows."""
    meta = json.dumps({"kind": "spikes" if kind == 1 else "voltages", "record": record, "layout": layout}).encode()
    size = 16 if kind == 1 else 24
    out = bytearray(struct.pack("<8sIIII", b"SPKQJRNL", 1, kind, size, len(meta)) + meta)
    for start in range(0, len(rows), per_block):
        block = rows[start:start + per_block]
        ends = [i + 1 for i in range(len(block)) if (start + i + 1) % batch_every == 0]
        complete = ends[-1] if ends else NO_BATCH_END
        payload = b"".join(block)
        crc = zlib.crc32(payload, zlib.crc32(struct.pack("<II", len(block), complete)))
        out += struct.pack("<IIII", 0x4B4C4253, len(block), complete, crc) + payload
    return bytes(out)


def tsv_rows(path):
    with open(path) as f:
        f.readline()
        return [line.rstrip("\n").split("\t") for line in f]


def main(run, out):
    manifest = json.load(open(os.path.join(run, "manifest.json")))
    layout = layout_of(manifest)
    names = {p["name"]: i for i, p in enumerate(manifest["populations"])}
    spikes = [struct.pack("<dII", float(t), int(n), names[p]) for p, n, t in tsv_rows(os.path.join(run, "spikes.tsv"))]
    samples = [struct.pack("<ddII", float(t), float(v), int(k), int(n))
               for k, _, n, t, v in tsv_rows(os.path.join(run, "voltages.tsv"))[:240]]
    rng = random.Random(1)
    seeds = {"journal": {}, "tsv": {}, "h5": {}}
    j = journal(1, "<f8 time_ms, <u4 node, <u4 population", layout, spikes, 8, 5)
    seeds["journal"]["spikes"] = j
    seeds["journal"]["spikes_torn"] = j[:-30]
    damaged = bytearray(j)
    damaged[len(j) // 3] ^= 0x5A
    seeds["journal"]["spikes_damaged"] = bytes(damaged)
    seeds["journal"]["spikes_header_torn"] = j[:40]
    seeds["journal"]["voltages"] = journal(2, "<f8 time_ms, <f8 v_mv, <u4 probe, <u4 node", layout, samples, 16, 13)
    spikes_tsv = open(os.path.join(run, "spikes.tsv"), "rb").read()
    voltages_tsv = b"".join(open(os.path.join(run, "voltages.tsv"), "rb").readlines()[:80])
    seeds["tsv"]["spikes"] = b"\x00" + spikes_tsv
    seeds["tsv"]["spikes_torn"] = b"\x00" + spikes_tsv[:-7]
    seeds["tsv"]["voltages"] = b"\x01" + voltages_tsv
    seeds["h5"]["raw_spikes"] = b"\x01" + open(os.path.join(run, "spikes.h5"), "rb").read()
    # Descriptions (fuzz_spikes_h5.cpp `describe`): groups a and b, each with a
    # sorting attribute, n time increments and n small ids; then random ones.
    for k, n in enumerate((5, 12)):
        group = bytes([0x80, n]) + bytes(rng.randrange(1, 40) for _ in range(n)) + bytes(rng.randrange(10) for _ in range(n)) + b"\x02"
        seeds["h5"][f"described_valid_{k}"] = b"\x00\x03" + group + group
    for k in range(3):
        seeds["h5"][f"described_{k}"] = b"\x00" + bytes(rng.randrange(256) for _ in range(120))
    # Patches (fuzz_spikes_h5.cpp mode 2): a few (offset, value) flips of a valid report.
    for k in range(4):
        seeds["h5"][f"patched_{k}"] = b"\x02" + bytes(rng.randrange(256) for _ in range(3 * (k + 1)))
    for target, files in seeds.items():
        os.makedirs(os.path.join(out, target), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(out, target, name), "wb") as f:
                f.write(data)
    print(f"{out}: " + ", ".join(f"{t} {len(f)}" for t, f in seeds.items()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
