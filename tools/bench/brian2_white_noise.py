"""Brian2 (cpp_standalone) runs of a white-noise LIF population, for tools/bench/time_to_accuracy.py.

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

cpp_standalone: the network is compiled once per (dt, size, duration, seed)
(not timed) and its `main` run as a child process, whose CPU time is the cost:
nothing but the simulation and writing the monitor's arrays. Brian2's runtime
mode with Cython cost about the same per neuron-step on this model (N = 1000,
dt 0.1 ms, 10 s: 2.82 s of process CPU time inside net.run, against 3.04 s for
standalone's main, one measurement each on a loaded machine), numpy 5x more;
standalone is used because its child process is the simulation alone.
"""
import os
import warnings


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


class Brian2WhiteNoise:
    """One compiled project per build(); run() executes it and returns the spikes."""

    def __init__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import brian2
        self.b2 = brian2
        self.version = brian2.__version__
        self.first = True

    def build(self, project_dir, params, v_init, size, dt_ms, duration_ms, seed):
        """Generates and compiles the project; returns its compile wall time (s)."""
        import time
        import numpy as np
        b2 = self.b2
        from brian2 import ms, mV
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
        self.monitor = b2.SpikeMonitor(g, name="spikes")
        net = b2.Network(g, self.monitor)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net.run(duration_ms * ms)
            t0 = time.perf_counter()
            b2.get_device().build(directory=project_dir, compile=True, run=False, with_output=False)
        self.project_dir = project_dir
        return time.perf_counter() - t0

    def spikes(self):
        """(times_ms, node_ids) after the project's `main` has run."""
        import numpy as np
        from brian2 import ms
        self.b2.get_device().has_been_run = True
        return np.asarray(self.monitor.t / ms), np.asarray(self.monitor.i)

    def main(self):
        return os.path.join(self.project_dir, "main")
