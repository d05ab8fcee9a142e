#!/usr/bin/python3
"""Brian2 runs of a white-noise LIF population, for tools/bench/time_to_accuracy.py.

The model is the netdef's (models/README.md §3):
    tau_m dV/dt = E_l + mu - V + sigma sqrt(tau_m) eta(t)
written for Brian2 as dv/dt = (E_l + mu - v)/tau_m + sigma xi / sqrt(tau_m)
(`xi` is Brian2's white noise, unit s^-1/2), integrated with method "euler"
(Euler–Maruyama: v += (m - v) dt/tau + sigma sqrt(dt/tau) N(0,1), the rule of
spikeq's `--integrator euler`, models/lif_stepped.h); threshold v >= theta,
reset to V_r, refractory t_ref with `(unless refractory)`: V is clamped and the
threshold not tested while refractory, as in spikeq's stepped engine (the steps
k+1..k+R after a spike at step k stay at V_r, R = t_ref/dt). Initial V as the
netdef's v_init (numpy, seeded). One thread, a SpikeMonitor and nothing else.

Two modes, each run in a child process whose CPU time is the cost:
  * runtime (Cython code generation; the default, the faster one here): this file
    run as `brian2_white_noise.py --child SPEC.json OUT.npz` builds the network,
    runs one step to generate and compile (or load from Brian2's cache) its code,
    restores the initial state, and measures its own CPU time (getrusage
    RUSAGE_SELF, user + sys) around net.run(duration): the simulation alone,
    not Python's start, imports and code generation.
  * standalone (cpp_standalone): the project is generated and compiled here (not
    timed) and its `main` run as the child; its whole CPU time is the cost
    (the simulation and writing the monitor's arrays).
On this model (N = 1000, dt 0.1 ms, 10 s, three alternating runs each, loaded
machine) runtime took 23.5-26.9 ns of CPU per neuron-step and standalone
27.7-28.1 ns; numpy runtime about 5x more.
"""
import json
import os
import resource
import sys
import warnings

MODES = ("runtime", "standalone")


def lif_parameters(pop):
    """(params dict, v_init) of a parsed netdef population (brian2_side_by_side's textproto dicts)."""
    from brian2_side_by_side import LIF_DEFAULTS, get
    lif = get(pop, "lif")
    params = {k: float(get(lif, k, d)) for k, d in LIF_DEFAULTS.items()}
    vi = get(lif, "v_init")
    if vi is None:
        v_init = ("fixed", params["e_l_mv"])
    elif "uniform" in vi:
        u = get(vi, "uniform")
        v_init = ("uniform", float(get(u, "low_mv", 0.0)), float(get(u, "high_mv", 0.0)))
    else:
        v_init = ("fixed", float(get(vi, "fixed_mv", 0.0)))
    return params, v_init


def make_network(b2, params, v_init, size, seed):
    """(Network, SpikeMonitor) of the white-noise LIF population, on the active device."""
    import numpy as np
    from brian2 import ms, mV
    q = params
    g = b2.NeuronGroup(
        size, "dv/dt = (E_l + mu - v) / tau_m + sigma * xi / sqrt(tau_m) : volt (unless refractory)",
        threshold="v >= V_th", reset="v = V_r", refractory=q["t_ref_ms"] * ms, method="euler",
        namespace={"E_l": q["e_l_mv"] * mV, "mu": q["mu_mv"] * mV, "sigma": q["sigma_mv"] * mV,
                   "tau_m": q["tau_m_ms"] * ms, "V_th": q["v_th_mv"] * mV, "V_r": q["v_reset_mv"] * mV},
        name="neurons")
    rng = np.random.default_rng(seed)
    kind, *vals = v_init
    g.v = (rng.uniform(vals[0], vals[1], size) if kind == "uniform" else np.full(size, vals[0])) * mV
    monitor = b2.SpikeMonitor(g, name="spikes")
    return b2.Network(g, monitor), monitor


def cpu_self_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def runtime_child(spec_path, out_path):
    """The runtime-mode child: simulate SPEC.json, write spikes and own simulation CPU to OUT.npz."""
    with open(spec_path) as f:
        spec = json.load(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numpy as np
        import brian2 as b2
        from brian2 import ms
        b2.BrianLogger.log_level_warn()
        b2.prefs.codegen.target = "cython"
        b2.defaultclock.dt = spec["dt_ms"] * ms
        b2.seed(spec["seed"])
        net, monitor = make_network(b2, spec["params"], spec["v_init"], spec["size"], spec["seed"])
        net.store("start")
        net.run(spec["dt_ms"] * ms)  # code generation and the Cython build or its cache: not timed
        net.restore("start")         # t = 0, initial V, an empty monitor
        if monitor.num_spikes != 0 or float(net.t / ms) != 0.0:
            raise RuntimeError("Network.restore did not reset the monitor and time")
        c0 = cpu_self_s()
        net.run(spec["duration_ms"] * ms)
        cpu = cpu_self_s() - c0
        np.savez(out_path, t_ms=np.asarray(monitor.t / ms), i=np.asarray(monitor.i), cpu_s=cpu)


class Brian2WhiteNoise:
    """run() simulates one (dt, size, duration, seed) and returns spikes and CPU time."""

    def __init__(self, mode="runtime"):
        if mode not in MODES:
            raise ValueError(f"Brian2 mode {mode}: expected one of {', '.join(MODES)}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import brian2
        self.b2 = brian2
        self.version = brian2.__version__
        self.mode = mode
        self.first = True

    def run(self, workdir, params, v_init, size, dt_ms, duration_ms, seed, run_child):
        """(times_ms, node_ids, cpu_s, child usage, setup_s): setup (generation, compilation) not timed."""
        import time
        import numpy as np
        os.makedirs(workdir, exist_ok=True)
        if self.mode == "runtime":
            spec = {"params": params, "v_init": list(v_init), "size": size, "dt_ms": dt_ms,
                    "duration_ms": duration_ms, "seed": seed}
            spec_path, out_path = os.path.join(workdir, "spec.json"), os.path.join(workdir, "spikes.npz")
            with open(spec_path, "w") as f:
                json.dump(spec, f)
            usage = run_child([sys.executable, os.path.abspath(__file__), "--child", spec_path, out_path])
            with np.load(out_path) as z:
                return z["t_ms"], z["i"], float(z["cpu_s"]), usage, None
        t0 = time.perf_counter()
        monitor = self._build_standalone(workdir, params, v_init, size, dt_ms, duration_ms, seed)
        setup_s = time.perf_counter() - t0
        usage = run_child([os.path.join(workdir, "main")], cwd=workdir)
        self.b2.get_device().has_been_run = True
        from brian2 import ms
        return np.asarray(monitor.t / ms), np.asarray(monitor.i), usage.cpu_s, usage, setup_s

    def _build_standalone(self, project_dir, params, v_init, size, dt_ms, duration_ms, seed):
        b2 = self.b2
        from brian2 import ms
        b2.BrianLogger.log_level_warn()
        if self.first:
            b2.set_device("cpp_standalone", directory=project_dir, build_on_run=False)
            self.first = False
        else:  # a second standalone build in one process (Brian2's documented way)
            b2.device.reinit()
            b2.device.activate(directory=project_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        b2.defaultclock.dt = dt_ms * ms
        b2.seed(seed)
        net, monitor = make_network(b2, params, v_init, size, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net.run(duration_ms * ms)
            b2.get_device().build(directory=project_dir, compile=True, run=False, with_output=False)
        return monitor


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        runtime_child(sys.argv[2], sys.argv[3])
    else:
        print("usage: brian2_white_noise.py --child SPEC.json OUT.npz (run by time_to_accuracy.py)", file=sys.stderr)
        sys.exit(2)
