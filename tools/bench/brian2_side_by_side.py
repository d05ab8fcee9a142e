#!/usr/bin/python3
"""spikeq (event-driven and stepped) against Brian2 C++ standalone on one netdef.

    tools/bench/brian2_side_by_side.py [--netdef netdefs/brunel2000_ai.pbtxt]
        [--duration 1000] [--repeats 3] [--set PATH=VALUE ...] [--dt 0.1]
        [--spikeq build/bin/spikeq] [--workdir DIR] [--keep] [--json] [--json-out FILE]
        [--rate-tolerance 0.05]

The Brian2 network is the netdef's model, built from its parameters (after
--set): one NeuronGroup per LIF population, tau_m dV/dt = E_l + mu - V
(integrated exactly, `unless refractory`), threshold V >= theta, reset to V_r,
refractory t_ref; delta synapses `v += w` (which Brian2 drops at a refractory
target, as spikeq and NEST do), one homogeneous delay per projection;
fixed in-degree connectivity drawn with numpy (no autapses or multapses unless
the netdef allows them) and passed to `connect(i=, j=)`, so every in-degree is
exact; independent Poisson trains into a target (a Poisson population with
independent_trains) as a PoissonInput of N = in-degree sources at the source's
rate with the projection's weight (the same law as spikeq's merged trains, on
the grid); initial V as the netdef's v_init. dt = --dt (0.1 ms), one thread, a
SpikeMonitor on each recorded population and nothing else. Brian2's schedule
adds a step's pulses after that step's threshold test, so a pulse can first
fire its target one step later than in spikeq's stepped engine (which sums a
step's input before the test); the delay is D all the same, as in Brian2's
own Brunel example.

The parameters come from `spikeq info NETDEF --json` when that prints the
resolved netdef (a "netdef_resolved" string), otherwise from the netdef text
with the --set overrides applied here; either way the model is checked against
the resolved netdef in the first spikeq run's manifest.json.

Brian2's project is compiled once (not timed). Then, per repeat and in this
order, three whole processes are timed: Brian2's compiled `main`, `spikeq run
NETDEF -o DIR -q --duration MS [--set ...]` (event-driven, exact) and the same
with `--mode stepped --dt DT`. Wall is the median over repeats, peak RSS the
largest (wall clock around the process, peak RSS from /usr/bin/time's %M).
The table also gives each engine's own simulation time (Brian2's
results/last_run_info.txt; spikeq's manifest wall_s - build_s), spikes and
rates per recorded population, the ratios spikeq / Brian2 and the load
averages before and after each measurement. Exit 0 also when Brian2 is not
importable (one line says so), 1 when the rates of Brian2 and spikeq's event
engine differ by more than --rate-tolerance (relative), 2 on errors.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

from child_usage import machine  # cores, CPU model, kernel, load (tools/bench/child_usage.py)

# ---------------------------------------------------------------------------
# Netdef text (protobuf text format, the subset the netdefs use)
# ---------------------------------------------------------------------------

TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[{}\[\]:,;<>]|[^\s{}\[\]:,;<>#"\']+')


def parse_scalar(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return bytes(text[1:-1], "utf-8").decode("unicode_escape")
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text  # an enum name


def parse_textproto(text):
    """A message is a dict: field name -> list of values (scalars or messages)."""
    tokens = [t for t in TOKEN.findall(text) if t.strip() and not t.startswith("#")]
    pos = 0

    def message(closer):
        nonlocal pos
        msg = {}
        while pos < len(tokens) and tokens[pos] != closer:
            name = tokens[pos]
            pos += 1
            if pos < len(tokens) and tokens[pos] == ":":
                pos += 1
            if pos >= len(tokens):
                raise ValueError(f"netdef: field {name} has no value")
            tok = tokens[pos]
            if tok in ("{", "<"):
                pos += 1
                value = [message("}" if tok == "{" else ">")]
                pos += 1
            elif tok == "[":
                pos += 1
                value = []
                while tokens[pos] != "]":
                    if tokens[pos] != ",":
                        value.append(parse_scalar(tokens[pos]))
                    pos += 1
                pos += 1
            else:
                value = [parse_scalar(tok)]
                pos += 1
            msg.setdefault(name, []).extend(value)
            while pos < len(tokens) and tokens[pos] in (",", ";"):
                pos += 1
        return msg

    msg = message(None)
    if pos != len(tokens):
        raise ValueError("netdef: unbalanced braces")
    return msg


def get(msg, field, default=None):
    values = msg.get(field)
    return values[-1] if values else default


def apply_set(net, path, value_text):
    """--set PATH=VALUE as spikeq reads it: populations[3].lif.sigma_mv,
    NAME.field... (a population or projection name) or a top-level field."""
    parts = path.split(".")
    names = {get(m, "name"): m for key in ("populations", "projections") for m in net.get(key, [])}
    msg = net
    if len(parts) > 1 and parts[0] in names:
        msg = names[parts[0]]
        parts = parts[1:]
    for part in parts[:-1]:
        m = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if m:
            msg = msg[m.group(1)][int(m.group(2))]
        else:
            msg = msg.setdefault(part, [{}])[-1]
    msg[parts[-1]] = [parse_scalar(value_text)]


# ---------------------------------------------------------------------------
# The model Brian2 builds (plain dicts, comparable)
# ---------------------------------------------------------------------------

LIF_DEFAULTS = {"tau_m_ms": 20.0, "e_l_mv": 0.0, "v_th_mv": 20.0, "v_reset_mv": 10.0,
                "t_ref_ms": 2.0, "mu_mv": 0.0, "sigma_mv": 0.0}


class Unsupported(Exception):
    pass


def model_of(net, duration_ms):
    pops = {}
    for p in net.get("populations", []):
        name = get(p, "name")
        size = int(get(p, "size", 0))
        if "lif" in p:
            lif = get(p, "lif")
            params = {k: float(get(lif, k, d)) for k, d in LIF_DEFAULTS.items()}
            if params["sigma_mv"] != 0:
                raise Unsupported(f"population {name}: sigma_mv > 0 (white-noise drive) is not built here")
            vi = get(lif, "v_init")
            if vi is None:
                v_init = ["fixed", params["e_l_mv"]]
            elif "uniform" in vi:
                u = get(vi, "uniform")
                v_init = ["uniform", float(get(u, "low_mv", 0.0)), float(get(u, "high_mv", 0.0))]
            else:
                v_init = ["fixed", float(get(vi, "fixed_mv", 0.0))]
            pops[name] = {"kind": "lif", "size": size, "params": params, "v_init": v_init}
        elif "poisson" in p:
            pops[name] = {"kind": "poisson", "size": size, "rate_hz": float(get(get(p, "poisson"), "rate_hz", 0.0))}
        else:
            raise Unsupported(f"population {name}: unknown model")
    inputs, projections = [], []
    for i, pr in enumerate(net.get("projections", [])):
        name = get(pr, "name") or f"projection{i}"
        src, tgt = get(pr, "source"), get(pr, "target")
        rule = next((r for r in ("fixed_indegree", "all_to_all", "one_to_one", "pairwise_bernoulli") if r in pr), None)
        rule_msg = get(pr, rule) if rule else {}
        w = float(get(pr, "weight_mv", 0.0))
        d = float(get(pr, "delay_ms", 0.0))
        if pops[src]["kind"] == "poisson":
            if not get(pr, "independent_trains", True):
                raise Unsupported(f"projection {name}: shared Poisson trains (independent_trains: false)")
            if rule == "all_to_all":
                n = pops[src]["size"]
            elif rule == "fixed_indegree":
                n = int(get(rule_msg, "indegree", 0))
            elif rule == "one_to_one":
                n = 1
            else:
                raise Unsupported(f"projection {name}: {rule} from a Poisson source (in-degree not fixed)")
            # A delay only shifts a Poisson train: same law, so it is not modelled.
            inputs.append({"name": name, "target": tgt, "n": n, "rate_hz": pops[src]["rate_hz"], "weight_mv": w})
        else:
            proj = {"name": name, "source": src, "target": tgt, "rule": rule, "weight_mv": w, "delay_ms": d}
            if rule == "fixed_indegree":
                proj["indegree"] = int(get(rule_msg, "indegree", 0))
                proj["allow_autapses"] = bool(get(rule_msg, "allow_autapses", False))
                proj["allow_multapses"] = bool(get(rule_msg, "allow_multapses", False))
            elif rule == "all_to_all":
                proj["allow_autapses"] = bool(get(rule_msg, "allow_autapses", False))
            elif rule == "pairwise_bernoulli":
                proj["p"] = float(get(rule_msg, "p", 0.0))
                proj["allow_autapses"] = bool(get(rule_msg, "allow_autapses", False))
            projections.append(proj)
    rec = get(net, "recording", {}) or {}
    recorded = [n for n in rec.get("spikes_from", []) if pops.get(n, {}).get("kind") == "lif"]
    return {"name": get(net, "name", "net"), "seed": int(get(net, "seed", 1)), "duration_ms": float(duration_ms),
            "populations": pops, "inputs": inputs, "projections": projections, "recorded": recorded}


def read_model(args):
    """(model, where the parameters came from)."""
    cmd = [args.spikeq, "info", args.netdef, "--json"] + [a for s in args.set for a in ("--set", s)]
    try:
        info = subprocess.run(cmd, capture_output=True, text=True)
        resolved = json.loads(info.stdout).get("netdef_resolved") if info.returncode == 0 else None
    except (OSError, ValueError, AttributeError):
        resolved = None
    if isinstance(resolved, str):
        return model_of(parse_textproto(resolved), args.duration), "spikeq info --json"
    with open(args.netdef) as f:
        net = parse_textproto(f.read())
    for s in args.set:
        path, sep, value = s.partition("=")
        if not sep:
            raise ValueError(f"--set {s}: expected PATH=VALUE")
        apply_set(net, path.strip(), value.strip())
    return model_of(net, args.duration), "netdef text + --set (spikeq info has no --json)"


# ---------------------------------------------------------------------------
# Timing one process
# ---------------------------------------------------------------------------

def timed(cmd, cwd=None):
    """Runs cmd; returns wall s, peak RSS MiB, user+sys s and the load averages before and after.

    Peak RSS is GNU time's %M (the process's own ru_maxrss): a child forked from
    this Python process would report Python's RSS at the fork when that is larger.
    """
    load0 = os.getloadavg()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        fields = tf.read().split()
    load1 = os.getloadavg()
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    maxrss_kib, user, system = (float(x) for x in fields[-3:])
    return {"wall_s": wall, "peak_rss_mib": maxrss_kib / 1024.0, "cpu_s": user + system,
            "load_before": list(load0), "load_after": list(load1)}


# ---------------------------------------------------------------------------
# Brian2
# ---------------------------------------------------------------------------

def draw_fixed_indegree(rng, n_src, n_tgt, k, same_population, autapses, multapses):
    import numpy as np
    skip_self = same_population and not autapses
    pool = n_src - 1 if skip_self else n_src
    if not multapses and k > pool:
        raise Unsupported(f"in-degree {k} exceeds the {pool} eligible sources")
    i = np.empty(n_tgt * k, dtype=np.int32)
    for t in range(n_tgt):
        src = rng.integers(0, pool, k) if multapses else rng.choice(pool, k, replace=False)
        if skip_self:
            src = src + (src >= t)
        i[t * k:(t + 1) * k] = src
    j = np.repeat(np.arange(n_tgt, dtype=np.int32), k)
    return i, j


def build_brian2(model, dt_ms, project_dir):
    """Builds and compiles the standalone project; returns (monitors by population, compile s)."""
    import numpy as np
    import brian2 as b2
    from brian2 import ms, mV, Hz

    b2.BrianLogger.log_level_warn()
    b2.set_device("cpp_standalone", directory=project_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
    b2.defaultclock.dt = dt_ms * ms
    b2.seed(model["seed"])
    rng = np.random.default_rng(model["seed"])

    groups, objects, monitors = {}, [], {}
    for name, p in model["populations"].items():
        if p["kind"] != "lif":
            continue
        q = p["params"]
        g = b2.NeuronGroup(
            p["size"], "dv/dt = (E_l + mu - v) / tau_m : volt (unless refractory)",
            threshold="v >= V_th", reset="v = V_r", refractory=q["t_ref_ms"] * ms, method="exact",
            namespace={"E_l": q["e_l_mv"] * mV, "mu": q["mu_mv"] * mV, "tau_m": q["tau_m_ms"] * ms,
                       "V_th": q["v_th_mv"] * mV, "V_r": q["v_reset_mv"] * mV},
            name=f"pop_{name}")
        kind, *vals = p["v_init"]
        g.v = (rng.uniform(vals[0], vals[1], p["size"]) if kind == "uniform" else vals[0]) * mV
        groups[name] = g
        objects.append(g)
    # Pulses reaching a refractory neuron are dropped, as in spikeq and NEST: Brian2 makes every
    # write to an `(unless refractory)` variable conditional on not_refractory (its
    # "conditional write", in the synapse and PoissonInput code alike).
    for inp in model["inputs"]:
        objects.append(b2.PoissonInput(groups[inp["target"]], "v", inp["n"], inp["rate_hz"] * Hz,
                                       weight=inp["weight_mv"] * mV))
    for pr in model["projections"]:
        src, tgt = groups[pr["source"]], groups[pr["target"]]
        s = b2.Synapses(src, tgt, on_pre="v_post += w",
                        delay=pr["delay_ms"] * ms, namespace={"w": pr["weight_mv"] * mV}, name=f"syn_{pr['name']}")
        same = pr["source"] == pr["target"]
        if pr["rule"] == "fixed_indegree":
            i, j = draw_fixed_indegree(rng, len(src), len(tgt), pr["indegree"], same,
                                       pr["allow_autapses"], pr["allow_multapses"])
            s.connect(i=i, j=j)
        elif pr["rule"] == "all_to_all":
            s.connect(condition="i != j" if same and not pr["allow_autapses"] else "True")
        elif pr["rule"] == "one_to_one":
            s.connect(j="i")
        elif pr["rule"] == "pairwise_bernoulli":
            s.connect(condition="i != j" if same and not pr["allow_autapses"] else "True", p=pr["p"])
        objects.append(s)
    for name in model["recorded"]:
        monitors[name] = b2.SpikeMonitor(groups[name], name=f"spikes_{name}")
        objects.append(monitors[name])
    net = b2.Network(*objects)
    net.run(model["duration_ms"] * ms)
    t0 = time.perf_counter()
    b2.get_device().build(directory=project_dir, compile=True, run=False, with_output=False)
    return monitors, time.perf_counter() - t0


def brian2_results(project_dir, monitors):
    import brian2 as b2
    b2.get_device().has_been_run = True
    spikes = {name: int(m.num_spikes) for name, m in monitors.items()}
    sim_s = None
    info = os.path.join(project_dir, "results", "last_run_info.txt")
    if os.path.isfile(info):
        with open(info) as f:
            sim_s = float(f.read().split()[0])
    return spikes, sim_s


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------



def summarize(runs, model, recorded):
    walls = [r["wall_s"] for r in runs]
    out = {"wall_s": statistics.median(walls), "walls_s": walls,
           "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
           "cpu_s": statistics.median([r["cpu_s"] for r in runs]),
           "sim_s": statistics.median([r["sim_s"] for r in runs]) if all(r["sim_s"] is not None for r in runs) else None,
           "loads": [[r["load_before"], r["load_after"]] for r in runs], "spikes": runs[0]["spikes"],
           "deterministic": all(r["spikes"] == runs[0]["spikes"] for r in runs)}
    out["rate_hz"] = {n: out["spikes"][n] / (model["populations"][n]["size"] * model["duration_ms"] / 1000.0)
                      for n in recorded}
    return out


def num(x):
    return str(int(x)) if float(x).is_integer() else repr(x)


def fmt_load(loads):
    return "; ".join(f"{a[0]:.2f}->{b[0]:.2f}" for a, b in loads)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netdef", default="netdefs/brunel2000_ai.pbtxt")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated ms (default 1000)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="PATH=VALUE",
                   help="passed to spikeq; applied to the Brian2 model too (e.g. exc.size=40000 inh.size=10000)")
    p.add_argument("--dt", type=float, default=0.1, help="ms, Brian2's clock and spikeq --mode stepped (default 0.1)")
    p.add_argument("--spikeq", default="build/bin/spikeq")
    p.add_argument("--workdir", help="Brian2 project and run outputs (default: a new temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--json-out", metavar="FILE", help="also write the JSON to FILE")
    p.add_argument("--rate-tolerance", type=float, default=0.05,
                   help="largest relative rate difference Brian2 vs spikeq event before exit 1 (default 0.05)")
    args = p.parse_args()
    if args.repeats < 1:
        p.error("--repeats must be >= 1")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import brian2
            brian2_version = brian2.__version__
    except Exception as e:  # ImportError, or a broken installation
        print(f"brian2_side_by_side: skipped, Brian2 is not importable ({type(e).__name__}: {e})")
        return 0

    if not os.access("/usr/bin/time", os.X_OK):
        print("brian2_side_by_side: /usr/bin/time (GNU time, for peak RSS) is missing", file=sys.stderr)
        return 2
    if not os.access(args.spikeq, os.X_OK):
        print(f"brian2_side_by_side: {args.spikeq} is not an executable (build first, or --spikeq)", file=sys.stderr)
        return 2
    set_args = [a for s in args.set for a in ("--set", s)]
    check = subprocess.run([args.spikeq, "validate", args.netdef] + set_args, capture_output=True, text=True)
    if check.returncode != 0:
        print(f"brian2_side_by_side: {(check.stderr or check.stdout).strip()}", file=sys.stderr)
        return 2
    try:
        model, source = read_model(args)
    except (Unsupported, ValueError, KeyError) as e:
        print(f"brian2_side_by_side: {e}", file=sys.stderr)
        return 2
    recorded = model["recorded"]

    workdir = args.workdir or tempfile.mkdtemp(prefix="spikeq-brian2-")
    os.makedirs(workdir, exist_ok=True)
    project = os.path.join(workdir, "brian2")
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    try:
        log(f"building Brian2 cpp_standalone project in {project} (not timed) ...")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            monitors, compile_s = build_brian2(model, args.dt, project)
        setup_s = time.perf_counter() - t0
        log(f"  generated + compiled in {setup_s:.1f} s (compile {compile_s:.1f} s)")

        spikeq_cmd = {
            # One thread, as Brian2 here (spikeq's default is every core).
            "spikeq_event": [args.spikeq, "run", args.netdef, "-q", "--threads", "1", "--duration",
                             num(args.duration)] + set_args,
            "spikeq_stepped": [args.spikeq, "run", args.netdef, "-q", "--threads", "1", "--duration",
                               num(args.duration)] + set_args
            + ["--mode", "stepped", "--dt", num(args.dt)],
        }
        runs = {"brian2": [], "spikeq_event": [], "spikeq_stepped": []}
        for rep in range(args.repeats):
            r = timed(["./main"], cwd=project)
            r["spikes"], r["sim_s"] = brian2_results(project, monitors)
            runs["brian2"].append(r)
            log(f"  repeat {rep + 1}/{args.repeats}: brian2 {r['wall_s']:.2f} s")
            for key, cmd in spikeq_cmd.items():
                out = os.path.join(workdir, f"{key}-{rep}")
                shutil.rmtree(out, ignore_errors=True)
                full = cmd[:3] + ["-o", out] + cmd[3:]
                r = timed(full)
                with open(os.path.join(out, "manifest.json")) as f:
                    manifest = json.load(f)
                shutil.rmtree(out, ignore_errors=True)
                r["spikes"] = {q["name"]: q["spikes"] for q in manifest["populations"] if q["name"] in recorded}
                r["sim_s"] = manifest["wall_s"] - manifest.get("build_s", 0.0)
                if rep == 0 and key == "spikeq_event":
                    ran = model_of(parse_textproto(manifest["netdef_resolved"]), manifest["duration_ms"])
                    if ran != model:
                        print("brian2_side_by_side: the Brian2 model differs from the netdef spikeq ran "
                              f"(check --set):\n  brian2: {json.dumps(model)}\n  spikeq: {json.dumps(ran)}",
                              file=sys.stderr)
                        return 2
                runs[key].append(r)
                log(f"  repeat {rep + 1}/{args.repeats}: {key} {r['wall_s']:.2f} s")
    except RuntimeError as e:
        print(f"brian2_side_by_side: {e}", file=sys.stderr)
        return 2
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    res = {k: summarize(v, model, recorded) for k, v in runs.items()}
    b = res["brian2"]
    ratios = {k: {"wall": res[k]["wall_s"] / b["wall_s"], "peak_rss": res[k]["peak_rss_mib"] / b["peak_rss_mib"],
                  "sim": (res[k]["sim_s"] / b["sim_s"]) if b["sim_s"] and res[k]["sim_s"] else None}
              for k in ("spikeq_event", "spikeq_stepped")}
    rate_diff = {k: {n: res[k]["rate_hz"][n] / b["rate_hz"][n] - 1 if b["rate_hz"][n] else None for n in recorded}
                 for k in ("spikeq_event", "spikeq_stepped")}
    worst = max((abs(v) for v in rate_diff["spikeq_event"].values() if v is not None), default=0.0)
    agree = worst <= args.rate_tolerance
    doc = {
        "netdef": args.netdef, "set": args.set, "duration_ms": args.duration, "dt_ms": args.dt,
        "repeats": args.repeats, "parameters_from": source, "machine": machine(),
        "brian2_version": brian2_version, "brian2_compile_s": compile_s,
        "model": model, "commands": {"brian2": "./main (in the compiled project)", **{
            k: " ".join(v[:3] + ["-o", "DIR"] + v[3:]) for k, v in spikeq_cmd.items()}},
        "results": res, "ratios_to_brian2": ratios, "rate_rel_diff_to_brian2": rate_diff,
        "rates_agree": agree, "rate_tolerance": args.rate_tolerance,
    }
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        m = doc["machine"]
        sizes = ", ".join(f"{n} {model['populations'][n]['size']}" for n in recorded)
        print(f"\n{model['name']} ({sizes}), {args.duration:g} ms, dt {args.dt:g} ms, median of {args.repeats}; "
              f"{m['cores']} cores, {m['cpu']}; Brian2 {brian2_version} cpp_standalone, 1 thread")
        head = ["engine", "wall s", "sim s", "cpu s", "peak RSS MiB"] + [f"{n} spikes" for n in recorded] + \
               [f"{n} Hz" for n in recorded]
        rows = []
        for k, label in (("brian2", "brian2 (grid)"), ("spikeq_event", "spikeq event"),
                         ("spikeq_stepped", "spikeq stepped")):
            r = res[k]
            rows.append([label, f"{r['wall_s']:.2f}", f"{r['sim_s']:.2f}" if r["sim_s"] is not None else "-",
                         f"{r['cpu_s']:.2f}", f"{r['peak_rss_mib']:.0f}"] +
                        [str(r["spikes"][n]) for n in recorded] + [f"{r['rate_hz'][n]:.3f}" for n in recorded])
        for k in ("spikeq_event", "spikeq_stepped"):
            q = ratios[k]
            rows.append([f"{k} / brian2", f"{q['wall']:.2f}", f"{q['sim']:.2f}" if q["sim"] else "-", "",
                         f"{q['peak_rss']:.2f}"] + [""] * len(recorded) +
                        [f"{rate_diff[k][n]:+.2%}" if rate_diff[k][n] is not None else "-" for n in recorded])
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
        for row in [head] + rows:
            print("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths))))
        for k in runs:
            print(f"load (1-min, before->after each repeat) {k}: {fmt_load(res[k]['loads'])}")
            if not res[k]["deterministic"]:
                print(f"note: {k} spike counts differ between repeats")
        print(f"parameters from: {source}; Brian2 compile {compile_s:.1f} s (not timed)")
        print(f"rates Brian2 vs spikeq event: largest difference {worst:.2%} "
              f"({'within' if agree else 'OUTSIDE'} {args.rate_tolerance:.0%})")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
