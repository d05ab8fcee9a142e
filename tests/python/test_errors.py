"""Errors are exceptions carrying the CLI's one-line message: bad input raises
spikeq.NetdefError (a ValueError; the CLI exits 2), failures at run time raise
spikeq.RunError (a RuntimeError; the CLI exits 1). Each case runs the CLI on the
same input and compares the message with what `spikeq` prints after "spikeq: "."""

import math
import os
import subprocess

import pytest

import spikeq
from conftest import finish, SOURCE_DIR, cli_error, python_child

SMALL_EI = os.path.join(SOURCE_DIR, "tests", "python", "small_ei.pbtxt")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def raised(call, kind=spikeq.NetdefError):
    with pytest.raises(kind) as info:
        call()
    return str(info.value)


def test_exception_types():
    assert issubclass(spikeq.NetdefError, ValueError) and issubclass(spikeq.NetdefError, spikeq.SpikeqError)
    assert issubclass(spikeq.RunError, RuntimeError) and issubclass(spikeq.RunError, spikeq.SpikeqError)


def test_netdef_files(tmp):
    cases = {
        "syntax": 'name: "x"\nduration_ms: 100\npopulations { name: "a" size: 3 bogus: 1 }\n',
        "range": open(SMALL_EI).read().replace("weight_mv: 0.4", "weight_mv: 1e308", 1),
        "name": open(SMALL_EI).read().replace('target: "exc"', 'target: "nobody"', 1),
        "budget": open(SMALL_EI).read().replace("duration_ms: 300", "duration_ms: 1e9"),
    }
    for name, text in cases.items():
        path = write(os.path.join(tmp, name + ".pbtxt"), text)
        expected, code = cli_error("run", path, "-o", os.path.join(tmp, "out-" + name))
        assert code == 2
        assert raised(lambda: spikeq.load(path)) == expected, name
        assert raised(lambda: spikeq.parse(text, origin=path)) == expected, name
    missing = os.path.join(tmp, "missing.pbtxt")
    assert raised(lambda: spikeq.load(missing)) == cli_error("run", missing)[0]


def test_set_overrides(tmp):
    net = spikeq.load(SMALL_EI)
    for path, value in [("nosuch.lif.tau_m_ms", 1), ("exc.lif.tau_m_ms", -5), ("exc.lif.tau_m_ms", "abc"),
                        ("populations[7].size", 3), ("exc.poisson.rate_hz", 5), ("seed", -1)]:
        text = f"{path}={value}"
        assert raised(lambda: net.set(path, value)) == cli_error("run", SMALL_EI, "--set", text)[0], text
    assert net.overrides == []  # a refused override changes nothing
    assert raised(lambda: spikeq.load(SMALL_EI, overrides=["exc.size=0"])) == \
        cli_error("run", SMALL_EI, "--set", "exc.size=0")[0]


def test_run_flags(tmp):
    net = spikeq.load(SMALL_EI)
    out = os.path.join(tmp, "never")
    cases = [
        (dict(seed="abc"), ["--seed", "abc"]),
        (dict(duration_ms=math.nan), ["--duration", "nan"]),
        (dict(duration_ms=-1), ["--duration", "-1"]),
        (dict(trials=0), ["--trials", "0"]),
        (dict(threads=100000), ["--threads", "100000"]),
        (dict(mode="stepped", dt_ms=0.7), ["--mode", "stepped", "--dt", "0.7"]),  # 300 ms is no whole number of steps
        (dict(mode="stepped", dt_ms=2), ["--mode", "stepped", "--dt", "2"]),      # longer than the 1.5 ms delays
        (dict(memory_limit_mb=1), ["--memory-limit-mb", "1"]),
        (dict(sweep="nosuch.weight_mv=1,2"), ["--sweep", "nosuch.weight_mv=1,2"]),
        (dict(sweep="ee.weight_mv=1:2"), ["--sweep", "ee.weight_mv=1:2"]),
    ]
    for kw, flags in cases:
        expected, code = cli_error("run", SMALL_EI, *flags, "-o", out)
        assert code == 2
        assert raised(lambda: spikeq.run(net, progress=False, **kw)) == expected, flags
        assert raised(lambda: spikeq.run(net, out=out, progress=False, **kw)) == expected, flags
    assert not os.path.exists(out)  # nothing was written
    assert "not in {event, stepped}" in raised(lambda: spikeq.run(net, mode="grid"))


def test_output_directory_refusals(tmp):
    taken = os.path.join(tmp, "taken")
    os.makedirs(taken)
    write(os.path.join(taken, "notes.txt"), "mine\n")
    expected, _ = cli_error("run", SMALL_EI, "-o", taken)
    assert raised(lambda: spikeq.run(SMALL_EI, out=taken, progress=False)) == expected
    assert raised(lambda: spikeq.run(SMALL_EI, out=taken, force=True, progress=False)) == \
        cli_error("run", SMALL_EI, "-o", taken, "--force")[0]
    assert os.listdir(taken) == ["notes.txt"]


def test_analysis_refusals(tmp):
    sweep = os.path.join(tmp, "sweep")
    spikeq.run(SMALL_EI, sweep="ee.weight_mv=0.3,0.5", duration_ms=50, out=sweep, progress=False)
    single = os.path.join(tmp, "single")
    spikeq.run(SMALL_EI, duration_ms=50, out=single, progress=False)
    assert raised(lambda: spikeq.compare(sweep, single)) == cli_error("compare", sweep, single)[0]
    assert raised(lambda: spikeq.compare(single, single, alpha=0.7)) == \
        cli_error("compare", single, single, "--alpha", "0.7")[0]
    assert raised(lambda: spikeq.stats(single, from_ms=-1)) == cli_error("stats", single, "--from", "-1")[0]
    # A damaged file is refused by the CLI's own reader, naming the file and place.
    tsv = os.path.join(tmp, "tsv")
    spikeq.run(SMALL_EI, duration_ms=50, out=tsv, format="tsv", progress=False)
    lines = open(os.path.join(tsv, "spikes.tsv")).read().splitlines()
    lines[5], lines[6] = lines[6].replace("\t0.", "\t9."), lines[5]
    write(os.path.join(tsv, "spikes.tsv"), "\n".join(lines) + "\n")
    expected, code = cli_error("stats", tsv)
    assert code == 2 and "spikes.tsv" in expected
    assert raised(lambda: spikeq.stats(tsv)) == expected
    with pytest.raises(spikeq.SpikeqFileError):
        spikeq.load_run(tsv)


def test_builder_names_what_is_wrong():
    b = spikeq.Builder("b", duration_ms=100)
    b.population("in", 10, poisson={"rate_hz": 5})
    b.population("cell", 1, lif={"tau": 20})
    message = raised(b.build)
    assert message.startswith('<builder b>: population "cell":') and '"tau"' in message
    b = spikeq.Builder("b", duration_ms=100).population("cell", 1, lif={"tau_m_ms": -1})
    assert raised(b.build) == '<builder b>: populations[0] "cell": lif.tau_m_ms = -1: must be > 0'


FAULT = """
import sys, spikeq
try:
    spikeq.run(sys.argv[1], duration_ms=100, progress=False, out=sys.argv[2] if len(sys.argv) > 2 else None)
except spikeq.RunError as e:
    print("RunError", e)
"""


def test_run_time_failures_are_run_errors(tmp):
    env = {"SPIKEQ_FAULT_BAD_ALLOC": "run"}
    out = os.path.join(tmp, "py")
    expected = subprocess.run([os.environ.get("SPIKEQ_CLI"), "run", SMALL_EI, "--duration", "100", "-q", "-o",
                               os.path.join(tmp, "cli")], capture_output=True, text=True,
                              env=dict(os.environ, **env))
    assert expected.returncode == 1
    child = python_child(FAULT, SMALL_EI, out, env=env)
    stdout, stderr = finish(child, 60)
    assert child.returncode == 0, stderr
    assert stdout.strip() == "RunError " + expected.stderr.strip()[len("spikeq: "):]
    assert spikeq.load_run(out).runs[0].status == "failed"  # the manifest says why
    child = python_child(FAULT, SMALL_EI, env=env)
    stdout, stderr = finish(child, 60)
    assert child.returncode == 0, stderr
    assert stdout.startswith("RunError out of memory while simulating"), stdout
