"""The Python API around the engine: networks (Builder, set, text), results
(indexing, voltages, killed runs' journals), progress and plots."""

import os
import signal
import subprocess
import threading
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spikeq  # noqa: E402
from spikeq import plots, spikeq_plot  # noqa: E402
from conftest import CLI, SOURCE_DIR, cli  # noqa: E402

SMALL_EI = os.path.join(SOURCE_DIR, "tests", "python", "small_ei.pbtxt")
LIF = {"tau_m_ms": 20, "e_l_mv": 0, "v_th_mv": 20, "v_reset_mv": 10, "t_ref_ms": 2,
       "v_init": {"uniform": {"low_mv": 0, "high_mv": 20}}}


def small_ei_builder():
    """small_ei.pbtxt made in Python."""
    b = spikeq.Builder("small_ei", duration_ms=300, seed=7)
    b.population("ext", 1000, poisson={"rate_hz": 15})
    b.population("exc", 400, lif=LIF).population("inh", 100, lif=LIF)
    for name, target in (("ext_exc", "exc"), ("ext_inh", "inh")):
        b.projection(name, "ext", target, fixed_indegree={"indegree": 1000}, weight_mv=0.1)
    for name, source, target, k, w in (("ee", "exc", "exc", 80, 0.4), ("ei", "exc", "inh", 80, 0.4),
                                       ("ie", "inh", "exc", 20, -2), ("ii", "inh", "inh", 20, -2)):
        b.projection(name, source, target, fixed_indegree={"indegree": k}, weight_mv=w, delay_ms=1.5)
    b.recording(spikes_from=["exc", "inh"], voltage_probes=[
        {"population": "exc", "node_ids": [0, 5, 9], "interval_ms": 0.5},
        {"population": "inh", "interval_ms": 2, "start_ms": 0.25},
        {"population": "exc", "node_ids": [3], "interval_ms": 1, "start_ms": 0.5}])
    return b


def test_builder_makes_the_file_network():
    built, loaded = small_ei_builder().build(), spikeq.load(SMALL_EI)
    assert built.text() == loaded.text()
    a = spikeq.run(built, duration_ms=100, progress=False)
    b = spikeq.run(loaded, duration_ms=100, progress=False)
    for name in ("exc", "inh"):
        np.testing.assert_array_equal(a.spikes[name][0], b.spikes[name][0])


def test_set_text_and_copy():
    net = spikeq.load(SMALL_EI)
    assert net.name == "small_ei" and net.duration_ms == 300 and net.seed == 7 and net.total_nodes == 1500
    assert [p["name"] for p in net.populations] == ["ext", "exc", "inh"]
    other = net.copy().set("exc.lif.tau_m_ms", 10).set("ie.weight_mv=-3").set("simulation.mode", "STEPPED")
    assert other.overrides == ["exc.lif.tau_m_ms=10", "ie.weight_mv=-3", "simulation.mode=STEPPED"]
    assert net.overrides == [] and net.populations[1]["lif"]["tau_m_ms"] == 20
    assert other.populations[1]["lif"]["tau_m_ms"] == 10 and other.simulation["mode"] == "stepped"
    assert "tau_m_ms: 10" in other.text() and "STEPPED" in other.text()
    # The text is the network: parsed again it is the same, and runs the same.
    again = spikeq.parse(other.text())
    assert again.text() == other.text()
    a = spikeq.run(other, duration_ms=50, progress=False)
    b = spikeq.run(again, duration_ms=50, progress=False)
    np.testing.assert_array_equal(a.spikes["exc"][0], b.spikes["exc"][0])
    assert "small_ei" in repr(net) and "3 overrides" in repr(other)
    assert spikeq.netdef_path("balanced_input").endswith("netdefs/balanced_input.pbtxt")


def test_results_by_point_and_trial():
    res = spikeq.run(SMALL_EI, duration_ms=50, trials=2, sweep={"ee.weight_mv": [0.3, 0.4]}, progress=False)
    assert len(res) == 4 and len(res.points) == 2 and [len(p.trials) for p in res.points] == [2, 2]
    assert res[1, 0].values == {"ee_weight_mv": 0.4} and res[1, 1].trial == 1
    assert [r.point for r in res] == [0, 0, 1, 1] and res.status == "complete"
    with pytest.raises(ValueError, match="pick one"):
        res.spikes
    one = spikeq.run(SMALL_EI, duration_ms=50, trials=2, progress=False)
    assert one[1] is one.trials[1] and one.points[0].status == "complete"
    assert "2 trials" in repr(one)


def test_voltages_in_memory_are_matrices_over_engine_memory():
    res = spikeq.run(SMALL_EI, duration_ms=50, progress=False)
    probes = res.voltages
    assert sorted(probes) == [0, 1, 2]
    p0, p1 = probes[0], probes[1]
    assert p0.population == "exc" and list(p0.node_ids) == [0, 5, 9] and p0.node_ids.dtype == np.uint64
    assert p0.v_mv.shape == (p0.times_ms.size, 3) and p0.times_ms[-1] == 50 and np.all(np.diff(p0.times_ms) == 0.5)
    assert p1.v_mv.shape == (p1.times_ms.size, 100) and p1.times_ms[0] == 0.25
    assert type(p1.v_mv.base).__name__ == "PyCapsule" and not p1.v_mv.flags.owndata


def test_load_run_reads_a_killed_runs_journals(tmp):
    proc = subprocess.Popen([CLI, "run", SMALL_EI, "--duration", "1e6", "-q", "-o", tmp])
    deadline = time.monotonic() + 20
    journal = os.path.join(tmp, "spikes.journal")
    while time.monotonic() < deadline and (not os.path.exists(journal) or os.path.getsize(journal) < 2 << 20):
        time.sleep(0.05)  # a block of 1 MiB written and synced
    time.sleep(1.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = spikeq.load_run(tmp)
    assert killed.runs[0].source == "journal" and killed.runs[0].status == "running"
    stats = killed.stats()  # from the arrays: the CLI's reader needs spikes.h5
    assert stats["populations"][1]["spike_count"] > 0
    journal_spikes = {k: (t.copy(), n.copy()) for k, (t, n) in killed.spikes.items()}
    assert cli("recover", tmp, check=False).returncode == 0
    recovered = spikeq.load_run(tmp)
    assert recovered.runs[0].source == "h5" and recovered.status == "interrupted"
    for name, (t, n) in journal_spikes.items():
        assert t.size > 0
        np.testing.assert_array_equal(recovered.spikes[name][0], t)
        np.testing.assert_array_equal(recovered.spikes[name][1], n)


def test_progress_callbacks_bars_and_lines(capsys):
    seen = []
    spikeq.run(SMALL_EI, duration_ms=300, trials=2, progress=seen.append)
    assert seen and seen[-1]["final"] and seen[-1]["done"] == 2 and seen[-1]["tasks"] == 2
    assert seen[-1]["simulated_ms"] == seen[-1]["total_ms"] == 600
    capsys.readouterr()
    spikeq.run(SMALL_EI, duration_ms=300, progress=True)
    assert "s simulated" in capsys.readouterr().err  # tqdm's bar
    from spikeq.running import _Progress
    plain = _Progress(delay_s=0)
    plain.tqdm = None  # as without python3-tqdm
    spikeq.run(SMALL_EI, duration_ms=300, progress=plain)
    assert "spikeq: 0.300/0.300 s simulated (100%)" in capsys.readouterr().err
    spikeq.run(SMALL_EI, duration_ms=300)  # a short run shows nothing
    assert capsys.readouterr().err == ""


def test_progress_of_runs_into_directories(tmp):
    for kw in ({}, {"trials": 2}):
        seen = []
        spikeq.run(SMALL_EI, duration_ms=300, out=os.path.join(tmp, str(len(kw))), progress=seen.append, **kw)
        last = seen[-1]
        assert last["final"] and last["tasks"] == last["done"] == kw.get("trials", 1)
        assert last["simulated_ms"] == last["total_ms"] == 300 * kw.get("trials", 1)


def test_runs_from_another_thread():
    out = {}
    thread = threading.Thread(target=lambda: out.update(res=spikeq.run(SMALL_EI, duration_ms=50, progress=False)))
    thread.start()
    thread.join(60)
    assert out["res"].status == "complete"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_plots_draw_on_the_axes_given(tmp):
    res = spikeq.run(SMALL_EI, duration_ms=200, progress=False)
    ax, ax_rate = res.plot.raster()
    assert ax.collections and ax_rate.lines and ax.figure is ax_rate.figure
    fig, axes = plt.subplots(2, 3)
    assert res.plot.raster(ax=axes[0, 0], rates=False) is axes[0, 0] and axes[0, 0].collections
    assert res.plot.rate(ax=axes[0, 1]) is axes[0, 1] and len(axes[0, 1].lines) == 2
    assert res.plot.isi(ax=axes[0, 2], population="exc") is axes[0, 2]
    assert res.plot.counts(ax=axes[1, 0], population="inh", window_ms=50) is axes[1, 0] and axes[1, 0].patches
    assert res.plot.membrane(ax=axes[1, 1], population="exc") is axes[1, 1] and axes[1, 1].patches
    assert len(res.plot.isi()) == 2  # one axes per population
    with pytest.raises(ValueError, match="population=NAME"):
        res.plot.isi(ax=axes[1, 2])
    plt.close("all")
    # A noisy LIF population gets the first-passage density of theory.
    ou = spikeq.run(spikeq.load(os.path.join(SOURCE_DIR, "netdefs", "ou_lif.pbtxt")).set("neurons.size", 100),
                    duration_ms=500, progress=False)
    ax = ou.plot.isi(ax=plt.subplots()[1])
    assert any("first passage" in t.get_text() for t in ax.get_legend().get_texts())
    conv = spikeq.converge(spikeq.load(os.path.join(SOURCE_DIR, "netdefs", "ou_lif.pbtxt")).set("neurons.size", 100),
                           dt_ms=[1, 0.5], duration_ms=200)
    grid = conv.plot()
    assert grid.shape == (1, 2) and grid[0, 0].get_xscale() == "log"
    one = plt.subplots()[1]
    assert conv.plot(ax=one, population="neurons") is one and one.get_yscale() == "log"
    plt.close("all")


def test_phase_plot_of_a_sweep_in_memory_is_the_cli_sweep_tsv(tmp):
    sweeps = ["ee.weight_mv=0.3,0.5", "ext.poisson.rate_hz=12,15"]
    cli("run", SMALL_EI, "--duration", 100, "--sweep", sweeps[0], "--sweep", sweeps[1], "-o", tmp, "-q")
    res = spikeq.run(SMALL_EI, duration_ms=100, sweep=sweeps, progress=False)
    header, cols, params = plots._sweep_table(res, None)
    file_header, file_cols, file_params = spikeq_plot.read_sweep(os.path.join(tmp, "sweep.tsv"))
    assert params == file_params == ["ee_weight_mv", "ext_poisson_rate_hz"]
    for h in header:
        np.testing.assert_allclose(cols[h], file_cols[h], rtol=1e-9, err_msg=h)
    axes = res.plot.phase()
    assert len(axes) == 3 and axes[0].get_xlabel() == "ee_weight_mv"
    assert len(spikeq.plots.phase(tmp, axes=plt.subplots(1, 3)[1])) == 3  # the directory's sweep.tsv
    plt.close("all")
