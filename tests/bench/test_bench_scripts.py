"""Smoke runs of tools/bench/time_to_accuracy.py (--quick), tools/bench/scale.py and
tools/bench/mpi_network_scaling.py (small N).

Run by CTest from the source directory with SPIKEQ_CLI set to this build's spikeq.
The quick runs are short but their numbers are still checked where they must
hold for any seed: the stepped Euler rate of ou_lif is biased low by several
standard errors at dt >= 0.1 ms, the fitted order is near 1/2, the exact rate
is not biased, and scale.py's derived columns follow from its measured ones.
"""
import json
import os
import subprocess
import sys

import pytest

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("SPIKEQ_CLI", os.path.join(SOURCE_DIR, "build", "bin", "spikeq"))
BENCH = os.path.join(SOURCE_DIR, "tools", "bench")


def script(name, *args, timeout=600):
    return subprocess.run([sys.executable, os.path.join(BENCH, name), "--spikeq", CLI, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=SOURCE_DIR)


def netdef(name):
    return os.path.join(SOURCE_DIR, "netdefs", name + ".pbtxt")


def brian2_importable():
    return subprocess.run([sys.executable, "-c", "import brian2"], capture_output=True).returncode == 0


def test_time_to_accuracy_quick_event_and_stepped():
    r = script("time_to_accuracy.py", "--quick", "--engines", "event,stepped", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["theory_rate_hz"] == pytest.approx(9.4608, abs=1e-4)
    exact = [p for p in doc["points"] if p["dt_ms"] is None]
    grid = [p for p in doc["points"] if p["dt_ms"] is not None]
    assert len(exact) == 1 and [p["dt_ms"] for p in grid] == [0.4, 0.2, 0.1]
    assert abs(exact[0]["rel_error"]) < 4 * exact[0]["rel_error_se"]  # the exact engine has no bias
    for p in grid:  # the grid loses crossings: low by many standard errors
        assert p["rel_error"] < -5 * p["rel_error_se"], p
        assert p["cpu_s"] > 0 and p["neuron_s"] == p["nodes"] * 3.0
    costs = {(c["engine"], c["law"]): c for c in doc["costs"]}
    power = costs[("spikeq stepped euler", "|b| = c dt^p")]
    assert 0.25 < power["fit"]["p"] < 0.75
    for c in doc["costs"]:
        assert c["cpu_s_to_target"] > 0
        if c["dt_target_ms"] is not None:  # extrapolated far below the dts run, and costlier than exact
            assert c["dt_target_ms"] < 1e-3
            assert c["cpu_s_to_target"] > costs[("exact event", "statistical only (no bias)")]["cpu_s_to_target"]
    # The exact engine's cost: CPU per neuron-second times the neuron-seconds for a 0.1% SE.
    e = costs[("exact event", "statistical only (no bias)")]
    assert e["neuron_s_needed"] == pytest.approx(exact[0]["observed_neuron_s"] * (exact[0]["rel_se"] / 1e-3) ** 2)
    assert e["cpu_s_to_target"] == pytest.approx(exact[0]["cpu_s"] / exact[0]["neuron_s"] * e["neuron_s_needed"])


@pytest.mark.parametrize("mode", ["runtime", "standalone"])
def test_time_to_accuracy_table_and_brian2_or_its_skip_line(mode):
    r = script("time_to_accuracy.py", "--quick", "--engines", "stepped,brian2", "--dts", "0.4,0.2",
               "--brian2-mode", mode, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    brian = [p for p in doc["points"] if p["engine"].startswith("Brian2 ")]
    if brian2_importable():
        assert all(p["engine"].endswith(f" euler ({mode})") for p in brian), brian
        assert [p["dt_ms"] for p in brian] == [0.4, 0.2]
        spikeq = {p["dt_ms"]: p for p in doc["points"] if p["engine"] == "spikeq stepped euler"}
        for p in brian:  # the same SDE on the same grid: the same bias within the noise (5 SE)
            assert p["rel_error"] < -5 * p["rel_error_se"]
            diff = p["rel_error"] - spikeq[p["dt_ms"]]["rel_error"]
            assert abs(diff) < 5 * (p["rel_error_se"] ** 2 + spikeq[p["dt_ms"]]["rel_error_se"] ** 2) ** 0.5, p
            assert 0 < p["cpu_s"] < p["wall_s"] + 1
        assert not doc["notes"][:-1]  # only the --quick note
    else:
        assert not brian and any("Brian2 skipped: not importable" in n for n in doc["notes"])
    table = script("time_to_accuracy.py", "--quick", "--engines", "stepped", "--dts", "0.4,0.2")
    assert table.returncode == 0 and "time to |rate error| <= 0.1%" in table.stdout, table.stderr


def test_time_to_accuracy_refuses_a_netdef_without_white_noise():
    r = script("time_to_accuracy.py", "--quick", "--netdef", netdef("poisson"), "--engines", "event")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("time_to_accuracy: ") and "poisson.pbtxt" in lines[0], r.stderr
    r = script("time_to_accuracy.py", "--quick", "--netdef", netdef("ou_lif"), "--set", "neurons.lif.sigma_mv=0")
    assert r.returncode == 2 and "sigma_mv = 0" in r.stderr, r.stderr


def test_scale_small_networks():
    r = script("scale.py", "--sizes", "2500,5000", "--duration", "20", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [x["n"] for x in doc["results"]] == [2500, 5000]
    for x in doc["results"]:
        assert x["sizes"] == {"exc": x["n"] * 4 // 5, "inh": x["n"] // 5}  # brunel2000_ai's 80/20
        assert x["stored_edges"] == 1250 * x["n"]  # in-degree 1000 + 250 per neuron, fixed
        assert x["synapses"] == 2250 * x["n"]      # plus the 1000 external inputs, stored as a rate
        assert x["events"] == x["recurrent_pulses"] + x["external_pulses"] > 0
        assert x["events_per_s"] == pytest.approx(x["events"] / x["simulate_s"])
        assert x["simulate_s"] == pytest.approx(x["wall_s"] - x["build_s"])
        assert x["peak_rss_mib"] > 10
        assert x["bytes_per_stored_synapse"] == pytest.approx(x["peak_rss_mib"] * 2 ** 20 / x["stored_edges"])
        assert x["build_cpu_s"] > 0 and x["cpu_s"] > x["build_cpu_s"]
    assert doc["results"][1]["peak_rss_mib"] > doc["results"][0]["peak_rss_mib"]


def test_scale_refuses_what_it_cannot_scale():
    r = script("scale.py", "--netdef", netdef("poisson"), "--sizes", "100")
    assert r.returncode == 2 and r.stderr.strip().startswith("scale: ") and "no LIF population" in r.stderr
    r = script("scale.py", "--sizes", "1000")  # in-degree 1000 needs more than 800 excitatory sources
    assert r.returncode == 2 and "indegree" in r.stderr, r.stderr


def mpirun_available():
    return subprocess.run(["sh", "-c", "command -v mpirun"], capture_output=True).returncode == 0


@pytest.mark.skipif(not mpirun_available(), reason="no mpirun (tools/install-deps.sh installs it)")
def test_mpi_network_scaling_small(tmp_path):
    out = tmp_path / "scaling.json"
    r = script("mpi_network_scaling.py", "--n", "2000", "--duration", "20", "--json-out", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    rows = {(x["mode"], x["kind"], x["ranks"]): x for x in doc["results"]}
    assert set(rows) == {(m, k, r) for m in ("event", "stepped") for k in ("strong", "weak") for r in (1, 2)}
    for (mode, kind, ranks), x in rows.items():
        assert x["n"] == (2000 if kind == "strong" else 2000 * ranks)
        assert x["events_per_s"] == pytest.approx(x["events"] / x["simulate_s"])
        assert (x["exchange_bytes_per_epoch"] > 0) == (ranks > 1)
        if kind == "strong":
            assert x["identical_to_first"], (mode, ranks)  # one network over 2 ranks: the same spikes
            assert x["speedup"] == pytest.approx(rows[(mode, kind, 1)]["simulate_s"] / x["simulate_s"])
