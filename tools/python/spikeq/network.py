"""Networks from Python: netdef files and text (`load`, `parse`), networks built
field by field (`Builder`), and `--set` overrides (`Network.set`).

A Network is a netdef's text, the name it goes by in messages and manifests (the
file's path, or "<text>"), and the --set overrides applied to it, in order. Every
change is checked at once by spikeq's own loader, so a bad value raises
NetdefError with the line `spikeq` would print (without its "spikeq: ").
"""

import json
import numbers

from . import _spikeq
from ._spikeq import NetdefError

__all__ = ["Network", "Builder", "load", "parse", "netdef_path"]


def _override_value(value):
    """A Python value as --set text: numbers exactly (repr round-trips), booleans
    as true/false, anything else as given."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


class Network:
    """A validated network definition (the schema: netdefs/spikeq.proto).

    Read-only views of the resolved network: `name`, `duration_ms`, `seed`,
    `populations`, `projections`, `simulation`, `voltage_probes`, `sweeps`
    (dicts with the schema's fields and units). `set()` changes a field by the
    paths of `spikeq run --set`; `text()` gives the netdef back.
    """

    def __init__(self, text, origin="<text>", overrides=()):
        self._text = str(text)
        self._origin = str(origin)
        self._overrides = list(overrides)
        self._info = json.loads(_spikeq.resolve(self._text, self._origin, self._overrides))

    # --- changing it ------------------------------------------------------------

    def set(self, path, value=None):
        """Overrides one field, as `--set PATH=VALUE`: `net.set("exc.lif.tau_m_ms", 10)`,
        `net.set("populations[1].size", 200)`, `net.set("inh.weight_mv=-0.6")`.
        Checked at once (NetdefError, nothing changed); returns the network."""
        text = str(path) if value is None else f"{path}={_override_value(value)}"
        overrides = self._overrides + [text]
        info = json.loads(_spikeq.resolve(self._text, self._origin, overrides))
        self._overrides, self._info = overrides, info
        return self

    def copy(self):
        """An independent copy (set() on it leaves this one alone)."""
        return Network(self._text, self._origin, self._overrides)

    # --- what it is --------------------------------------------------------------

    def text(self):
        """The netdef after the overrides, as protobuf text: what a run's manifest
        records (`netdef_resolved`) and what `spikeq run` reruns."""
        return self._info["resolved_text"]

    @property
    def origin(self):
        """The file it was read from, or "<text>": named in messages and manifests."""
        return self._origin

    @property
    def overrides(self):
        """The --set overrides applied so far, in order."""
        return list(self._overrides)

    @property
    def source_text(self):
        """The netdef as read or written, before any override."""
        return self._text

    name = property(lambda self: self._info["name"], doc="The netdef's name.")
    duration_ms = property(lambda self: self._info["duration_ms"], doc="Simulated time, ms.")
    seed = property(lambda self: self._info["seed"], doc="The master seed.")
    populations = property(lambda self: list(self._info["populations"]),
                           doc="Populations: name, size, model, recorded and the model's parameters.")
    projections = property(lambda self: list(self._info["projections"]),
                           doc="Projections: name, source, target, rule, weight_mv, delay_ms, ...")
    simulation = property(lambda self: dict(self._info["simulation"]),
                          doc="mode, dt_ms, integrator, trials, ou_check_interval_ms, crossing_tolerance_ms.")
    voltage_probes = property(lambda self: list(self._info["voltage_probes"]), doc="The voltage probes.")
    sweeps = property(lambda self: list(self._info["sweeps"]), doc="The netdef's sweeps (name, paths, values).")
    total_nodes = property(lambda self: self._info["total_nodes"], doc="Nodes in all populations.")

    def theory(self, isi_density=False):
        """What theory predicts (`spikeq theory --json`); see spikeq.theory."""
        from .analysis import theory
        return theory(self, isi_density=isi_density)

    def __repr__(self):
        pops = ", ".join(f"{p['name']} ({p['size']} {p['model']})" for p in self._info["populations"])
        sets = f", {len(self._overrides)} overrides" if self._overrides else ""
        return f"<spikeq.Network {self.name!r} from {self._origin}: {pops}; {self.duration_ms:g} ms{sets}>"

    def _source(self):
        """(text, origin, overrides) for the extension module."""
        return self._text, self._origin, list(self._overrides)


def load(path, overrides=()):
    """Reads a netdef file (`spikeq.load("netdefs/brunel2000_ai.pbtxt")`); with
    `overrides` ("PATH=VALUE" strings) it is checked as `spikeq run PATH --set ...` would."""
    path = str(path)
    return Network(_spikeq.read_netdef(path, list(overrides)), path, overrides)


def parse(text, origin="<text>", overrides=()):
    """A netdef from its text; `origin` names it in messages and manifests."""
    return Network(text, origin, overrides)


def netdef_path(name):
    """The path of an example netdef of this build's source tree by name
    (`spikeq.netdef_path("balanced_input")`), so examples run from any directory."""
    import os
    from . import _build_info
    path = os.path.join(_build_info.SOURCE_DIR, "netdefs", name if name.endswith(".pbtxt") else name + ".pbtxt")
    if not os.path.exists(path):
        raise NetdefError(f"{path}: cannot read: No such file or directory")
    return path


# --- building networks in Python --------------------------------------------------

_ENUMS = {
    "mode": {"event": "EVENT", "stepped": "STEPPED"},
    "integrator": {"euler": "EULER_MARUYAMA", "euler_maruyama": "EULER_MARUYAMA", "exact": "EXACT"},
}


def _scalar(key, value):
    if key in _ENUMS and isinstance(value, str):
        return _ENUMS[key].get(value.lower(), value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a quoted string with C escapes
    return _override_value(value)


def _emit(fields, indent, context, lines):
    """Protobuf text of a dict of fields, one statement a line, each line noted
    with what it belongs to (for messages)."""
    for key, value in fields.items():
        if value is None:
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, dict):
                lines.append((f"{indent}{key} {{", context))
                _emit(item, indent + "  ", context, lines)
                lines.append((f"{indent}}}", context))
            else:
                lines.append((f"{indent}{key}: {_scalar(key, item)}", context))


class Builder:
    """A network made in Python, field by field, with the schema's names and units
    (netdefs/spikeq.proto); `build()` checks it with spikeq's loader.

        b = spikeq.Builder("one_neuron", duration_ms=1000, seed=1)
        b.population("exc_inputs", 1000, poisson={"rate_hz": 10})
        b.population("neuron", 1, lif={"tau_m_ms": 20, "v_th_mv": 20, "v_reset_mv": 10, "t_ref_ms": 2})
        b.projection("exc", "exc_inputs", "neuron", fixed_indegree={"indegree": 1000}, weight_mv=0.1)
        b.recording(spikes_from=["neuron"], voltage_probes=[{"population": "neuron", "interval_ms": 0.1}])
        net = b.build()

    Nested messages are dicts (`v_init={"uniform": {"low_mv": 0, "high_mv": 20}}`),
    repeated fields lists; enums take the CLI's words ("stepped", "exact") or the
    schema's (STEPPED, EXACT). A misspelt field is refused by build() naming the
    population or projection it was given for.
    """

    def __init__(self, name, duration_ms, seed=None):
        self._top = {"name": name, "duration_ms": duration_ms, "seed": seed}
        self._blocks = []  # (field, fields, context)
        self._simulation, self._recording = None, None

    def population(self, name, size, *, poisson=None, lif=None):
        """A population of `size` nodes: poisson={"rate_hz": ...} or lif={...}."""
        self._blocks.append(("populations", {"name": name, "size": size, "poisson": poisson, "lif": lif},
                             f"population {json.dumps(name)}"))
        return self

    def projection(self, name, source, target, *, weight_mv, delay_ms=None, fixed_indegree=None, one_to_one=None,
                   all_to_all=None, pairwise_bernoulli=None, independent_trains=None):
        """A projection with one rule: fixed_indegree={"indegree": K}, one_to_one={},
        all_to_all={}, pairwise_bernoulli={"p": p}."""
        fields = {"name": name, "source": source, "target": target, "fixed_indegree": fixed_indegree,
                  "one_to_one": one_to_one, "all_to_all": all_to_all, "pairwise_bernoulli": pairwise_bernoulli,
                  "weight_mv": weight_mv, "delay_ms": delay_ms, "independent_trains": independent_trains}
        self._blocks.append(("projections", fields, f"projection {json.dumps(name)}"))
        return self

    def simulation(self, **fields):
        """mode, dt_ms, integrator, trials, ou_check_interval_ms, crossing_tolerance_ms."""
        self._simulation = fields
        return self

    def recording(self, spikes_from=None, voltage_probes=None):
        """Populations whose spikes are recorded (default: all), and voltage probes
        [{"population", "node_ids", "interval_ms", "start_ms"}]."""
        self._recording = {"spikes_from": spikes_from, "voltage_probes": voltage_probes}
        return self

    def sweep(self, paths, values=None, *, range=None, name=None, scale=None):
        """A swept parameter: --set path(s) and values (or range={"from", "to", "count"})."""
        paths = [paths] if isinstance(paths, str) else list(paths)
        self._blocks.append(("sweep", {"path": paths, "name": name, "values": values, "range": range,
                                       "scale": scale}, f"sweep {json.dumps(paths[0] if paths else '')}"))
        return self

    def _lines(self):
        lines = []
        _emit(self._top, "", "network", lines)
        for field, fields, context in self._blocks:
            _emit({field: fields}, "", context, lines)
        if self._simulation is not None:
            _emit({"simulation": self._simulation}, "", "simulation", lines)
        if self._recording is not None:
            _emit({"recording": self._recording}, "", "recording", lines)
        return lines

    def text(self):
        """The netdef text built so far."""
        return "\n".join(line for line, _ in self._lines()) + "\n"

    def build(self, origin=None):
        """The Network (checked by spikeq's loader); NetdefError naming what is wrong."""
        origin = origin or f"<builder {self._top['name']}>"
        lines = self._lines()
        text = "\n".join(line for line, _ in lines) + "\n"
        try:
            return Network(text, origin)
        except NetdefError as e:
            # A syntax error names a line of the generated text: say what it was for.
            message = str(e)
            head = origin + ":"
            if message.startswith(head):
                place = message[len(head):].split(":", 2)
                if len(place) == 3 and place[0].isdigit() and 0 < int(place[0]) <= len(lines):
                    raise NetdefError(f"{origin}: {lines[int(place[0]) - 1][1]}:{place[2]}") from None
            raise
