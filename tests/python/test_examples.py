"""The worked example runs: tools/python/examples/balanced_neuron.py, and the
notebook balanced_neuron.ipynb top to bottom (its code cells in order, as one
script; Jupyter itself is not needed for this)."""

import json
import os
import subprocess
import sys

from conftest import SOURCE_DIR

EXAMPLES = os.path.join(SOURCE_DIR, "tools", "python", "examples")


def test_example_script(tmp):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "balanced_neuron.py"), "--out", tmp],
                            capture_output=True, text=True, timeout=300, cwd=tmp)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("theory: mu = 20 mV, sigma = 4.12 mV, Siegert rate 24.93 Hz")
    assert sum("error vs exact run" in line for line in lines) == 4
    assert os.path.getsize(os.path.join(tmp, "balanced_neuron.png")) > 10000


def test_notebook_runs_top_to_bottom(tmp):
    with open(os.path.join(EXAMPLES, "balanced_neuron.ipynb"), encoding="utf-8") as f:
        notebook = json.load(f)
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 6 and all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
    script = "\n\n".join(cells) + "\nprint('notebook done')\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp)
    assert result.returncode == 0, result.stderr
    assert "rate error vs event" in result.stdout and result.stdout.rstrip().endswith("notebook done")
