"""The module and the CLI give the same results for the same netdef and seed:
identical spikes and voltages (event and stepped, trials, a sweep), run
directories written by `spikeq.run(out=DIR)` that are `spikeq run -o DIR`'s, and
analysis numbers equal to the commands' --json."""

import json
import os

import numpy as np
import pytest

import spikeq
from conftest import cli, cli_json, SOURCE_DIR

SMALL_EI = os.path.join(SOURCE_DIR, "tests", "python", "small_ei.pbtxt")


def assert_same_runs(a, b):
    """Two Runs hold the same spikes and voltages, bit for bit."""
    assert sorted(a.spikes) == sorted(b.spikes)
    for name in a.spikes:
        (ta, na), (tb, nb) = a.spikes[name], b.spikes[name]
        assert ta.dtype == np.float64 and na.dtype == np.uint64 and nb.dtype == np.uint64
        assert ta.size > 0, name
        np.testing.assert_array_equal(ta, tb, err_msg=name)
        np.testing.assert_array_equal(na, nb, err_msg=name)
    assert sorted(a.voltages) == sorted(b.voltages)
    for k in a.voltages:
        pa, pb = a.voltages[k], b.voltages[k]
        assert pa.population == pb.population
        np.testing.assert_array_equal(pa.node_ids, pb.node_ids)
        np.testing.assert_array_equal(pa.times_ms, pb.times_ms)
        np.testing.assert_array_equal(pa.v_mv, pb.v_mv)
        assert pa.v_mv.shape == (pa.times_ms.size, pa.node_ids.size) and pa.v_mv.size > 0


def without_timing(j):
    """A JSON value without the keys that measure wall-clock time."""
    timing = {"wall_s", "build_s", "started_utc", "finished_utc", "per_wall_second"}
    if isinstance(j, dict):
        return {k: without_timing(v) for k, v in j.items() if k not in timing}
    if isinstance(j, list):
        return [without_timing(v) for v in j]
    return j


def test_event_run_gives_the_cli_spikes_and_voltages(tmp):
    cli("run", SMALL_EI, "--seed", 3, "-o", tmp, "-q")
    res = spikeq.run(spikeq.load(SMALL_EI), seed=3, progress=False)
    assert res.status == "complete" and res.runs[0].source == "memory"
    assert_same_runs(res.runs[0], spikeq.load_run(tmp).runs[0])
    assert res.manifest["populations"] == spikeq.load_run(tmp).manifest["populations"]


def test_stepped_run_gives_the_cli_spikes_and_voltages(tmp):
    # Probe 0 every 0.05 ms on a 0.1 ms grid: two rows per grid point, as voltages.h5 has them.
    probe = "recording.voltage_probes[0].interval_ms=0.05"
    cli("run", SMALL_EI, "--mode", "stepped", "--dt", 0.1, "--integrator", "exact", "--set", probe, "-o", tmp, "-q")
    net = spikeq.load(SMALL_EI).set(probe)
    res = spikeq.run(net, mode="stepped", dt_ms=0.1, integrator="exact", progress=False)
    assert res.manifest["mode"] == "stepped" and res.manifest["integrator"] == "exact"
    times = res.voltages[0].times_ms
    assert np.any(times[1:] == times[:-1])  # shared grid points do occur
    assert_same_runs(res.runs[0], spikeq.load_run(tmp).runs[0])


def test_trials_give_the_cli_trials_whatever_the_threads(tmp):
    cli("run", SMALL_EI, "--trials", 3, "--threads", 2, "--duration", 150, "-o", tmp, "-q")
    from_cli = spikeq.load_run(tmp)
    for threads in (1, 2):
        res = spikeq.run(SMALL_EI, trials=3, threads=threads, duration_ms=150, progress=False)
        assert len(res.trials) == 3 and [r.trial for r in res.trials] == [0, 1, 2]
        for k in range(3):
            assert_same_runs(res[k], from_cli[k])
    assert not np.array_equal(res[0].spikes["exc"][0], res[1].spikes["exc"][0])  # trials differ


def test_sweep_gives_the_cli_points(tmp):
    sweeps = ["ee.weight_mv=0.3,0.5", "ext.poisson.rate_hz=12:15:2"]
    cli("run", SMALL_EI, "--duration", 100, "--sweep", sweeps[0], "--sweep", sweeps[1], "-o", tmp, "-q")
    from_cli = spikeq.load_run(tmp)
    res = spikeq.run(SMALL_EI, duration_ms=100, sweep=sweeps, progress=False)
    assert [p.values for p in res.points] == [p.values for p in from_cli.points] == [
        {"ee_weight_mv": 0.3, "ext_poisson_rate_hz": 12.0}, {"ee_weight_mv": 0.3, "ext_poisson_rate_hz": 15.0},
        {"ee_weight_mv": 0.5, "ext_poisson_rate_hz": 12.0}, {"ee_weight_mv": 0.5, "ext_poisson_rate_hz": 15.0}]
    for p in range(4):
        assert_same_runs(res[p, 0], from_cli[p, 0])
    # The dict form of `sweep` is the same sweep.
    again = spikeq.run(SMALL_EI, duration_ms=100, sweep={"ee.weight_mv": [0.3, 0.5], "ext.poisson.rate_hz": [12, 15]},
                       progress=False)
    assert_same_runs(again[3, 0], from_cli[3, 0])


@pytest.mark.parametrize("args", [[], ["--trials", "2"], ["--sweep", "ee.weight_mv=0.3,0.5"]],
                         ids=["run", "trials", "sweep"])
def test_out_dir_is_what_spikeq_run_writes(tmp, args):
    a, b = os.path.join(tmp, "cli"), os.path.join(tmp, "py")
    cli("run", SMALL_EI, "--duration", 100, "--threads", 2, *args, "-o", a, "-q")
    kw = {}
    if args and args[0] == "--trials":
        kw["trials"] = int(args[1])
    if args and args[0] == "--sweep":
        kw["sweep"] = args[1]
    res = spikeq.run(spikeq.load(SMALL_EI), duration_ms=100, threads=2, out=b, progress=False, **kw)
    assert res.path == b and res.status == "complete"
    files_a = sorted(os.path.relpath(os.path.join(d, f), a) for d, _, fs in os.walk(a) for f in fs)
    files_b = sorted(os.path.relpath(os.path.join(d, f), b) for d, _, fs in os.walk(b) for f in fs)
    assert files_a == files_b and "manifest.json" in " ".join(files_a)
    for f in files_a:
        if f.endswith(".json"):
            ja, jb = (json.load(open(os.path.join(d, f))) for d in (a, b))
            assert without_timing(ja) == without_timing(jb), f
        elif f.endswith(".tsv"):
            assert open(os.path.join(a, f)).read() == open(os.path.join(b, f)).read(), f
    for ra, rb in zip(spikeq.load_run(a).runs, res.runs):
        assert_same_runs(ra, rb)


def test_stats_are_the_cli_stats_json(tmp):
    cli("run", SMALL_EI, "--seed", 5, "-o", tmp, "-q")
    res = spikeq.run(SMALL_EI, seed=5, progress=False)
    assert res.stats() == cli_json("stats", tmp, "--json")
    assert (res.stats(from_ms=50, to_ms=250, windows_ms=[5, 20], sync_bin_ms=2) ==
            cli_json("stats", tmp, "--json", "--from", 50, "--to", 250, "--window", "5,20", "--sync-bin", 2))
    exc = res.stats()["populations"][1]
    assert exc["name"] == "exc" and exc["v_samples"] > 0 and exc["rate_hz"] > 0  # probes, two on exc


def test_stats_of_trials_and_sweeps_are_the_cli_stats_json(tmp):
    a, b = os.path.join(tmp, "trials"), os.path.join(tmp, "sweep")
    cli("run", SMALL_EI, "--trials", 3, "--duration", 100, "-o", a, "-q")
    cli("run", SMALL_EI, "--sweep", "ee.weight_mv=0.3,0.5", "--duration", 100, "-o", b, "-q")
    trials = spikeq.run(SMALL_EI, trials=3, duration_ms=100, progress=False)
    sweep = spikeq.run(SMALL_EI, sweep="ee.weight_mv=0.3,0.5", duration_ms=100, progress=False)
    assert trials.stats() == cli_json("stats", a, "--json")
    assert sweep.stats() == cli_json("stats", b, "--json")
    assert spikeq.load_run(b).stats() == cli_json("stats", b, "--json")


def test_theory_is_the_cli_theory_json():
    for name in ("balanced_input", "brunel2000_ai", "ou_lif"):
        path = os.path.join(SOURCE_DIR, "netdefs", name + ".pbtxt")
        assert spikeq.theory(spikeq.load(path)) == cli_json("theory", path, "--json"), name
    net = spikeq.load(SMALL_EI).set("ee.weight_mv", 0.2)
    assert net.theory() == cli_json("theory", SMALL_EI, "--set", "ee.weight_mv=0.2", "--json")


def test_compare_is_the_cli_compare_json(tmp):
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    cli("run", SMALL_EI, "--seed", 1, "-o", a, "-q")
    cli("run", SMALL_EI, "--seed", 2, "--mode", "stepped", "--dt", 0.5, "-o", b, "-q")
    ra = spikeq.run(SMALL_EI, seed=1, progress=False)
    rb = spikeq.run(SMALL_EI, seed=2, mode="stepped", dt_ms=0.5, progress=False)
    expected = cli_json("compare", a, b, "--json", "--alpha", 0.05, "--from", 20)
    got = spikeq.compare(ra, rb, alpha=0.05, from_ms=20, labels=(a, b))
    assert got == expected
    assert got["overall"]["verdict"] == "differs"  # a 0.5 ms grid is visibly off
    assert spikeq.compare(a, b, alpha=0.05, from_ms=20) == expected  # directories, as the CLI reads them


def test_converge_is_the_cli_converge_json():
    path = os.path.join(SOURCE_DIR, "netdefs", "ou_lif.pbtxt")
    expected = cli_json("converge", path, "--dt", "1,0.5", "--duration", 300, "--set", "neurons.size=200",
                        "--trials", 2, "--json")
    got = spikeq.converge(spikeq.load(path).set("neurons.size", 200), dt_ms=[1, 0.5], duration_ms=300, trials=2)
    assert without_timing(got) == without_timing(expected)
    assert {f["engine"] for f in got["fits"]} == {"euler", "exact"}
