"""Ctrl-C (SIGINT to the interpreter, what Jupyter's "interrupt kernel" sends)
during spikeq.run: the run stops at the next epoch within a second, run()
returns what was simulated marked interrupted — exactly the uninterrupted run's
spikes before the time reached — and Python's own SIGINT handling is back
afterwards. With out=DIR the directory is `spikeq run`'s after Ctrl-C; SIGTERM
stops the run the same way and then ends the process."""

import json
import os
import signal
import time

import pytest

import spikeq
from conftest import finish, SOURCE_DIR, python_child

SMALL_EI = os.path.join(SOURCE_DIR, "tests", "python", "small_ei.pbtxt")

CHILD = r"""
import json, math, os, signal, sys
import numpy as np
import spikeq

mode, netdef, out = sys.argv[1], sys.argv[2], sys.argv[3]
announced = False

def progress(s):
    global announced
    if not announced and s["simulated_ms"] > 100:  # the simulation is under way
        announced = True
        print("running", flush=True)

report = {}
try:
    res = spikeq.run(netdef, duration_ms=1e6, progress=progress, out=None if mode == "memory" or mode == "raise" else out,
                     raise_on_interrupt=mode == "raise")
except KeyboardInterrupt as e:
    report["keyboard_interrupt"] = True
    res = e.result
run = res.runs[0]
report.update(status=res.status, interrupted=res.interrupted, signal=res.signal, reached=run.simulated_ms,
              manifest_status=run.manifest["status"], source=run.source)
# Exactly the uninterrupted run's spikes before the time reached.
full = spikeq.run(netdef, duration_ms=math.ceil(run.simulated_ms) + 2, progress=False)
same = True
for name, (t, n) in run.spikes.items():
    ft, fn = full.spikes[name]
    keep = ft < run.simulated_ms
    same = same and t.size > 0 and np.array_equal(t, ft[keep]) and np.array_equal(n, fn[keep])
report["prefix_of_full_run"] = bool(same)
# Python's handler is back: a later Ctrl-C is a KeyboardInterrupt again.
report["handler_restored"] = signal.getsignal(signal.SIGINT) is signal.default_int_handler
try:
    os.kill(os.getpid(), signal.SIGINT)
    __import__("time").sleep(0.1)
    report["later_sigint"] = "ignored"
except KeyboardInterrupt:
    report["later_sigint"] = "KeyboardInterrupt"
print(json.dumps(report), flush=True)
"""


def interrupt(mode, out, sig=signal.SIGINT):
    child = python_child(CHILD, mode, SMALL_EI, out)
    line = child.stdout.readline()
    if line.strip() != "running":
        child.kill()
        raise AssertionError(f"child did not start: {line!r} {child.stderr.read()}")
    sent = time.monotonic()
    child.send_signal(sig)
    stdout, stderr = finish(child, 60)
    return child.returncode, stdout, stderr, sent


@pytest.mark.parametrize("mode", ["memory", "dir", "raise"])
def test_sigint_returns_what_was_simulated(tmp, mode):
    code, stdout, stderr, _ = interrupt(mode, os.path.join(tmp, "run"))
    assert code == 0, stderr
    r = json.loads(stdout.strip().splitlines()[-1])
    assert r["status"] == "interrupted" and r["interrupted"] and r["manifest_status"] == "interrupted"
    assert r["signal"] == signal.SIGINT
    assert 100 < r["reached"] < 1e6
    assert r["prefix_of_full_run"]
    assert r["handler_restored"] and r["later_sigint"] == "KeyboardInterrupt"
    assert r.get("keyboard_interrupt", False) == (mode == "raise")
    assert r["source"] == ("h5" if mode == "dir" else "memory")
    assert "spikeq: interrupted at" in stderr


def test_sigint_stops_within_a_second(tmp):
    child = python_child(CHILD.replace('print(json.dumps(report), flush=True)', '') +
                         'print("stopped", flush=True)\n', "memory", SMALL_EI, os.path.join(tmp, "run"))
    assert child.stdout.readline().strip() == "running"
    child.send_signal(signal.SIGINT)
    sent = time.monotonic()
    # The rerun and checks follow the stop; the stop itself is seen through the
    # stderr line printed as run() returns.
    first = child.stderr.readline()
    elapsed = time.monotonic() - sent
    finish(child, 60)
    assert first.startswith("spikeq: interrupted at"), first
    assert elapsed < 1.0, elapsed


def test_sigterm_finishes_the_directory_then_ends_the_process(tmp):
    out = os.path.join(tmp, "run")
    code, stdout, stderr, _ = interrupt("dir", out, signal.SIGTERM)
    assert code == -signal.SIGTERM, (code, stderr)
    res = spikeq.load_run(out)
    assert res.status == "interrupted" and res.runs[0].source == "h5"
    assert 100 < res.simulated_ms < 1e6
    for t, _ in res.spikes.values():
        assert t.size > 0 and t[-1] < res.simulated_ms


TRIALS = r"""
import json, sys
import spikeq
announced = False
def progress(s):
    global announced
    if not announced and s["simulated_ms"] > 100:
        announced = True
        print("running", flush=True)
res = spikeq.run(sys.argv[1], duration_ms=1e6, trials=3, threads=1, progress=progress)
print(json.dumps({"status": res.status, "trials": [r.status for r in res.trials],
                  "reached": res.trials[0].simulated_ms,
                  "rate": res.population_stats("exc")["rate_hz"]}), flush=True)
"""


def test_sigint_during_trials_keeps_the_started_ones():
    child = python_child(TRIALS, SMALL_EI)
    assert child.stdout.readline().strip() == "running"
    child.send_signal(signal.SIGINT)
    stdout, stderr = finish(child, 60)
    assert child.returncode == 0, stderr
    r = json.loads(stdout)
    assert r["status"] == "interrupted" and r["trials"] == ["interrupted", "not_started", "not_started"]
    assert r["reached"] > 100 and r["rate"] > 0  # the statistics of what was simulated
