#!/usr/bin/python3
"""What tools/python/spikeq_run.py makes of a run directory, for
tests/cli/test_hostile_files.cpp: prints "ok SPIKES GAPS" (total spikes loaded,
then the gaps as from:to pairs) or "refused MESSAGE" (a SpikeqFileError).

  hostile_python.py DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
import spikeq_run  # noqa: E402

try:
    run = spikeq_run.load(sys.argv[1])
except spikeq_run.SpikeqFileError as e:
    print("refused", e)
    sys.exit(0)
total = sum(t.size for t, _ in run.spikes.values())
print("ok", total, " ".join(f"{a!r}:{b!r}" for a, b in run.gaps))
