"""In-memory results share memory with the engine's buffers: a run of 10^7 spikes
hands NumPy the very memory the simulation wrote (no copy), the process stays
within a stated bound, and results that would pass the memory limit stop the run
with RunError instead of exhausting the machine.

Bound (measured on the project's machine: 10^7 spikes = 160 MB of arrays, peak
RSS 66 MiB after import -> 220 MiB after the run, +154 MiB): the peak may grow
by at most the arrays' bytes x 1.1 + 32 MiB. A copy into NumPy, or a vector
that reallocates while growing, needs the arrays' bytes twice at once."""

import json

from conftest import finish, python_child

TEN_MILLION = r"""
import gc, json, os, resource, sys
import numpy as np
import spikeq

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

net = spikeq.Builder("ten_million", duration_ms=10000, seed=1).population("src", 1000, poisson={"rate_hz": 1000}).build()
spikeq.run(net, duration_ms=1, progress=False)  # loads everything a run needs
before = peak_mb()
out = {"peak_before_mb": before}
if sys.argv[1] == "limit":
    try:
        spikeq.run(net, memory_limit_mb=100, progress=False)
        out["limit"] = "no error"
    except spikeq.RunError as e:
        part = e.result.runs[0]
        out.update(limit=str(e), status=part.status, reached_ms=part.simulated_ms,
                   spikes=int(part.spikes["src"][0].size), peak_after_mb=peak_mb())
    print(json.dumps(out))
    sys.exit(0)
res = spikeq.run(net, progress=False)
out["peak_after_mb"] = peak_mb()
t, n = res.spikes["src"]
run = res.runs[0]
out.update({
    "spikes": int(t.size), "manifest_spikes": run.manifest["populations"][0]["spikes"],
    "bytes": int(t.nbytes + n.nbytes), "mapped": res.info["mapped_bytes"],
    "base_is_capsule": type(t.base).__name__ == "PyCapsule" and type(n.base).__name__ == "PyCapsule",
    "owndata": bool(t.flags.owndata or n.flags.owndata),
    "same_address": [t.__array_interface__["data"][0], n.__array_interface__["data"][0]] == list(run._buffers["src"]),
    "sorted": all(bool(np.all(np.diff(t[i:i + 2**20 + 1]) >= 0)) for i in range(0, t.size, 2**20)),
    "ids_below_size": bool(n.max() < 1000),
})
del res, run
gc.collect()
out["alive_after_result_dropped"] = float(t[-1]) > 9990.0  # the arrays own their memory
rss_with = rss_mb()
del t, n
gc.collect()
out["freed_mb"] = rss_with - rss_mb()
print(json.dumps(out))
"""


def run_child(mode):
    child = python_child(TEN_MILLION, mode)
    stdout, stderr = finish(child, 120)
    assert child.returncode == 0, stderr
    r = json.loads(stdout)
    print(json.dumps(r, indent=1))  # the measured numbers, in the test's log
    return r


def test_ten_million_spikes_share_the_engines_memory():
    r = run_child("full")
    assert r["spikes"] == r["manifest_spikes"] and 9.9e6 < r["spikes"] < 1.01e7
    assert r["sorted"] and r["ids_below_size"]
    # No copy: NumPy's arrays are views of the engine's buffers, which they own.
    assert r["base_is_capsule"] and not r["owndata"] and r["same_address"]
    assert r["alive_after_result_dropped"]
    assert r["bytes"] <= r["mapped"] <= 2 * r["bytes"] + 2 * 65536  # capacity: doubling, untouched pages free
    # The stated bound: the peak grows by the arrays once, not twice.
    mb = r["bytes"] / 2**20
    assert r["peak_after_mb"] - r["peak_before_mb"] <= 1.1 * mb + 32, r
    assert r["freed_mb"] > 0.9 * mb  # dropping the arrays returns their memory


def test_results_past_the_memory_limit_stop_the_run():
    r = run_child("limit")
    assert r["limit"].startswith("<builder ten_million>: the results kept in memory passed") and \
        "out=DIR" in r["limit"], r["limit"]
    assert r["status"] == "interrupted" and 0 < r["reached_ms"] < 10000 and r["spikes"] > 0
    # The results stop near the limit (100 MiB of mapped capacity, about half of it touched).
    assert r["peak_after_mb"] - r["peak_before_mb"] <= 100 + 32, r
