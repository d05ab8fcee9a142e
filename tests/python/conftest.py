"""Shared helpers of the Python tests (run by CTest: tests/python/CMakeLists.txt
sets PYTHONPATH to the build's python/ and SPIKEQ_CLI to the spikeq binary)."""

import json
import os
import subprocess
import sys

import pytest

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("SPIKEQ_CLI", os.path.join(SOURCE_DIR, "build", "bin", "spikeq"))
PYTHON = sys.executable


def netdef(name):
    return os.path.join(SOURCE_DIR, "netdefs", name + ".pbtxt")


def cli(*args, check=True, timeout=120):
    """Runs the spikeq CLI; returns the CompletedProcess (text)."""
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"spikeq {' '.join(map(str, args))}: exit {result.returncode}: {result.stderr}")
    return result


def cli_error(*args):
    """The one line `spikeq` prints for a refusal, without "spikeq: ", and its exit code."""
    result = cli(*args, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("spikeq: "), result.stderr
    return lines[0][len("spikeq: "):], result.returncode


def cli_json(*args):
    return json.loads(cli(*args).stdout)


def python_child(code, *args, env=None, **kw):
    """Starts `python -c code` with this test's environment (the package importable)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.Popen([PYTHON, "-c", code, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, **kw)


def finish(child, timeout=60):
    """The child's (stdout, stderr); killed, and the test failed, if it outlives `timeout`."""
    try:
        return child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise AssertionError(f"the child did not end within {timeout} s") from None


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)
