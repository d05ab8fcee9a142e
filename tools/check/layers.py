#!/usr/bin/python3
"""Checks that every #include between the engine's layers goes one way.

    tools/check/layers.py [REPO]     # exit 0: no wrong-way include; else lists them

The layers (README "Layout") and what each may include, besides itself:
    netdefs, models    nothing of engine/
    comm               nothing of engine/ (MPI wrapper; every layer may use it)
    core               netdefs, models, comm
    theory             core, comm
    event, stepped     core, comm
    io                 core, theory, comm
    analysis           core, theory, io, comm
    batch              everything below
Each layer is its own library (engine/CMakeLists.txt), so this is the rule the
build's link order assumes; the check makes a wrong-way include fail the tests
even when it happens to link.
"""
import os
import re
import sys

ALLOWED = {
    "netdefs": set(),
    "models": set(),
    "comm": set(),
    "core": {"comm"},
    "theory": {"core", "comm"},
    "event": {"core", "comm"},
    "stepped": {"core", "comm"},
    "io": {"core", "theory", "comm"},
    "analysis": {"core", "theory", "io", "comm"},
    "batch": {"comm", "core", "theory", "event", "stepped", "io", "analysis"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"engine/([a-z]+)/', re.M)


def layer_of(path):
    parts = path.split(os.sep)
    if parts[0] in ("netdefs", "models"):
        return parts[0]
    if parts[0] == "engine" and len(parts) > 2:
        return parts[1]
    return None


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    repo = os.path.abspath(repo)
    wrong = []
    checked = 0
    for top in ("engine", "netdefs", "models"):
        for root, _, files in os.walk(os.path.join(repo, top)):
            for name in files:
                if not name.endswith((".h", ".cpp")):
                    continue
                rel = os.path.relpath(os.path.join(root, name), repo)
                layer = layer_of(rel)
                if layer is None:
                    wrong.append(f"{rel}: engine sources belong in a layer folder")
                    continue
                checked += 1
                with open(os.path.join(repo, rel), encoding="utf-8") as f:
                    text = f.read()
                for used in INCLUDE.findall(text):
                    if used != layer and used not in ALLOWED[layer]:
                        wrong.append(f"{rel}: {layer} includes engine/{used}/ (allowed: "
                                     f"{', '.join(sorted(ALLOWED[layer])) or 'nothing of engine/'})")
    for line in wrong:
        print(line)
    print(f"layers: {checked} files checked, {len(wrong)} wrong-way includes")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
