#!/usr/bin/python3
"""The seed's exercise from Python: the balanced-input LIF neuron
(netdefs/balanced_input.pbtxt: 1000 such neurons, each with 1000 excitatory and
250 inhibitory Poisson inputs plus a drive) simulated exactly — event-driven,
no time step — and on a time grid with Euler–Maruyama and with the exact OU
step at dt = 1 ms and 0.1 ms: the rate of each grid run, its error against the
exact run and the Siegert rate of theory, and a raster.

    PYTHONPATH=build/python /usr/bin/python3 tools/python/examples/balanced_neuron.py [--out DIR]

Writes DIR/balanced_neuron.png (default: the current directory). The notebook
balanced_neuron.ipynb next to this file walks through the same steps.
"""

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spikeq  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=".", help="directory for balanced_neuron.png")
    args = ap.parse_args()

    net = spikeq.load(spikeq.netdef_path("balanced_input"))
    theory = {p["name"]: p for p in spikeq.theory(net)["populations"]}["neurons"]
    print(f"theory: mu = {theory['mu_mv']:.3g} mV, sigma = {theory['sigma_mv']:.3g} mV, "
          f"Siegert rate {theory['rate_hz']:.2f} Hz")

    def rate(res):  # mean ± SEM over the 1000 neurons, after a 100 ms transient
        s = res.population_stats("neurons", from_ms=100)
        return s["rate_hz"], s["rate_sem_hz"]

    exact = spikeq.run(net)  # event-driven: exact
    ref, ref_sem = rate(exact)
    print(f"{'exact (event-driven)':>28}: {ref:6.2f} ± {ref_sem:.2f} Hz")
    rows = []
    for dt in (1.0, 0.1):
        for integrator in ("euler", "exact"):
            r, sem = rate(spikeq.run(net, mode="stepped", dt_ms=dt, integrator=integrator))
            rows.append((dt, integrator, r))
            print(f"{f'dt {dt:g} ms, {integrator} step':>28}: {r:6.2f} ± {sem:.2f} Hz, error vs exact run "
                  f"{100 * (r / ref - 1):+5.1f}%, vs Siegert {100 * (r / theory['rate_hz'] - 1):+5.1f}%")

    fig, axes = plt.subplot_mosaic([["raster", "raster"], ["rate", "error"]], figsize=(11, 7),
                                   height_ratios=[2, 1.2], layout="constrained")
    exact.plot.raster(ax=axes["raster"], rates=False, from_ms=800, title="balanced input, exact: last 200 ms")
    exact.plot.rate(ax=axes["rate"], from_ms=100)
    for integrator, marker in (("euler", "o"), ("exact", "s")):
        dts = [dt for dt, i, _ in rows if i == integrator]
        errors = [100 * abs(r / ref - 1) for _, i, r in rows if i == integrator]
        axes["error"].plot(dts, errors, marker + "-", label=f"{integrator} step")
    axes["error"].set(xscale="log", xlabel="dt (ms)", ylabel="|rate error| vs exact (%)",
                      title="time-grid rate error")
    axes["error"].legend()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "balanced_neuron.png")
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
