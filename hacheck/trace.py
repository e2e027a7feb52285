"""Traces as data: states, and between them the action that fired, with its parameters.

Traces are written in the Informal Trace Format (ITF) of Apalache and Quint, so other tools
read ours. Action labels go in each state's ``#meta``; a lasso has a ``loop`` index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from .lang.errors import BadInput
from .lang.model import action_label

ITF_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


@attrs.frozen
class Step:
    """The action taken to reach a state."""

    action: str
    params: tuple[tuple[str, str], ...] = ()
    kind: str = "protocol"  # "protocol" | "fault" | "env"
    tick: bool = False  # the action advances time by one tick

    @property
    def label(self) -> str:
        return action_label(self.action, self.params)

    @property
    def is_fault(self) -> bool:
        return self.kind in ("fault", "env")


@attrs.frozen
class Trace:
    """``states[0]`` is initial; ``steps[i]`` leads from ``states[i]`` to ``states[i+1]``.

    ``loop``, when set, is the index of the state the last step returns to (a lasso).
    ``var_types`` maps each variable to its type as text (documentation for readers).
    """

    model: str
    vars: tuple[str, ...]
    states: tuple[dict[str, Any], ...]
    steps: tuple[Step, ...]
    loop: int | None = None
    property_name: str | None = None
    kind: str = "counterexample"  # "counterexample" | "witness" | "worst-case"
    params: dict[str, Any] = attrs.field(factory=dict)
    var_types: dict[str, str] = attrs.field(factory=dict)
    note: str = ""
    fairness: tuple[str, ...] = ()  # for lassos: the fairness conditions the loop satisfies
    lanes: dict[str, Any] = attrs.field(factory=dict)  # components for drawings: hacheck/render/lanes.py
    tick_seconds: float | None = None  # seconds per tick step, when the model has time
    scaled_ticks: bool = False  # the ticks count scaled timers (a deployment's timers = "scaled"): not seconds
    why: tuple[str, ...] = ()  # why the property fails on this trace: hacheck/explain.py

    def __attrs_post_init__(self) -> None:
        need = len(self.states) - 1 + (1 if self.loop is not None else 0)
        if len(self.steps) != need:
            raise ValueError(f"a trace of {len(self.states)} states (loop={self.loop}) needs {need} steps, got {len(self.steps)}")

    @property
    def length(self) -> int:
        """Number of steps."""
        return len(self.steps)

    @property
    def shape(self) -> str:
        """``4`` for a path, ``stem 10 + loop 1`` for a lasso (how tables report a trace's length)."""
        if self.loop is None:
            return str(self.length)
        return f"stem {self.loop} + loop {len(self.steps) - self.loop}"

    def ticks(self) -> list[int]:
        """Ticks elapsed at each state (0 at the initial state)."""
        out = [0]
        for st in self.steps[: len(self.states) - 1]:
            out.append(out[-1] + (1 if st.tick else 0))
        return out

    def changed(self, i: int) -> dict[str, Any]:
        """The fields (by dotted path) whose value changed from state i-1 to state i."""
        now = flatten(self.states[i])
        if i == 0:
            return now
        before = flatten(self.states[i - 1])
        return {k: v for k, v in now.items() if before.get(k) != v}


def fmt_value(v: Any) -> str:
    """A state value as the drawings and the HTML report show it: true/false, none, {a, b}."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, (list, tuple, set, frozenset)):
        return "{" + ", ".join(str(x) for x in v) + "}"
    return str(v)


def flatten(state: dict[str, Any]) -> dict[str, Any]:
    """``{"up": {"r1": True}}`` -> ``{"up[r1]": True}``; sets stay whole."""
    out: dict[str, Any] = {}

    def go(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                go(f"{prefix}[{k}]", sub)
        else:
            out[prefix] = v

    for name, v in state.items():
        go(name, v)
    return out


# ---------------------------------------------------------------------------------------------
# ITF


def _to_itf(v: Any, optional_at: int | None = None) -> Any:
    """A value in ITF. ``optional_at`` is the map depth at which the variable's type is an optional
    element: such a value is written as a set of at most one element (``{"#set": []}`` when absent,
    ``{"#set": ["h1"]}`` when present), the one encoding of optional values that both itf-py and
    Quint's ITF reader accept (itf-py cannot read Quint's ``{"tag": "None", ...}`` variant)."""
    if optional_at == 0:
        return {"#set": [] if v is None else [_to_itf(v)]}
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if v is None:  # an optional value whose type is not known: still a set of at most one
        return {"#set": []}
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if isinstance(v, dict):
        deeper = None if optional_at is None else optional_at - 1
        return {"#map": [[_to_itf(k), _to_itf(x, deeper)] for k, x in v.items()]}
    if isinstance(v, (list, tuple, set, frozenset)):
        return {"#set": [_to_itf(x) for x in sorted(v, key=str)]}
    raise TypeError(f"cannot write {v!r} to ITF")


def optional_depth(var_type: str) -> int | None:
    """How many maps deep a variable's type (as ``str(VarType)``) holds an optional element:
    ``Elem(Host, optional)`` -> 0, ``Map(Host -> Elem(Host, optional))`` -> 1, else None."""
    t, depth = var_type.strip(), 0
    while t.startswith("Map(") and "->" in t and t.endswith(")"):
        t, depth = t[t.index("->") + 2:-1].strip(), depth + 1
    return depth if t.startswith("Elem(") and t.endswith(", optional)") else None


def _from_optional(v: Any, depth: int, where: str) -> Any:
    if depth == 0:
        if isinstance(v, dict) and isinstance(v.get("#set"), list) and len(v["#set"]) <= 1:
            return _from_itf(v["#set"][0], where) if v["#set"] else None
        return _from_itf(v, where)  # a bare value or a Quint Option variant
    if isinstance(v, dict) and isinstance(v.get("#map"), list):
        pairs = v["#map"]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise BadInput(f"{where}: '#map' must be a list of [key, value] pairs")
        return {str(_from_itf(k, where)): _from_optional(x, depth - 1, where) for k, x in pairs}
    return _from_itf(v, where)


def _from_itf(v: Any, where: str) -> Any:
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, dict):
        if "#bigint" in v:
            try:
                return int(v["#bigint"])
            except (TypeError, ValueError):
                raise BadInput(f"{where}: '#bigint' holds {v['#bigint']!r}, not an integer") from None
        if "#map" in v:
            pairs = v["#map"]
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise BadInput(f"{where}: '#map' must be a list of [key, value] pairs")
            return {str(_from_itf(k, where)): _from_itf(x, where) for k, x in pairs}
        if "#set" in v:
            if not isinstance(v["#set"], list):
                raise BadInput(f"{where}: '#set' must be a list")
            return [_from_itf(x, where) for x in v["#set"]]
        if "#tup" in v:
            return tuple(_from_itf(x, where) for x in v["#tup"])
        if v.get("tag") == "None":  # Quint's Option
            return None
        if v.get("tag") == "Some" and set(v) == {"tag", "value"}:
            return _from_itf(v["value"], where)
        return {k: _from_itf(x, where) for k, x in v.items()}
    if isinstance(v, list):
        return [_from_itf(x, where) for x in v]
    raise BadInput(f"{where}: unexpected value {v!r}")


def to_itf(trace: Trace, extra_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "format": "ITF",
        "format-description": ITF_DESCRIPTION,
        "source": trace.model,
        "description": f"hacheck {trace.kind}" + (f" for {trace.property_name}" if trace.property_name else ""),
        "hacheck": {
            "model": trace.model,
            "property": trace.property_name,
            "kind": trace.kind,
            "params": trace.params,
            "note": trace.note,
            "fairness": list(trace.fairness),
        },
    }
    if trace.lanes:
        meta["hacheck"]["lanes"] = trace.lanes
    if trace.tick_seconds:
        meta["hacheck"]["tick_seconds"] = trace.tick_seconds
    if trace.scaled_ticks:
        meta["hacheck"]["ticks"] = "scaled"  # scaled timers: a tick is not a number of seconds
    if trace.why:
        meta["hacheck"]["why"] = list(trace.why)
    if trace.var_types:
        meta["varTypes"] = trace.var_types
    if extra_meta:
        meta["hacheck"].update(extra_meta)
    optional = {k: optional_depth(t) for k, t in trace.var_types.items()}
    states = []
    for i, s in enumerate(trace.states):
        smeta: dict[str, Any] = {"index": i}
        if i > 0:
            step = trace.steps[i - 1]
            smeta.update(action=step.action, params=dict(step.params), kind=step.kind)
            if step.tick:
                smeta["tick"] = True
        entry: dict[str, Any] = {"#meta": smeta}
        entry.update({k: _to_itf(v, optional.get(k)) for k, v in s.items()})
        entry.update(_mbt(trace.steps[i - 1] if i > 0 else None))
        states.append(entry)
    out: dict[str, Any] = {"#meta": meta, "vars": list(trace.vars) + list(MBT_VARS), "states": states}
    if trace.loop is not None:
        out["loop"] = trace.loop
        last = trace.steps[-1]
        meta["hacheck"]["loop_step"] = {"action": last.action, "params": dict(last.params), "kind": last.kind,
                                        **({"tick": True} if last.tick else {})}
    return out


MBT_VARS = ("mbt::actionTaken", "mbt::nondetPicks")


def _mbt(step: Step | None) -> dict[str, Any]:
    """Quint's model-based-testing fields: the action that led to this state (``init`` for the
    first) and its nondeterministic picks, each parameter as Quint's ``Some(value)``. Parameters of
    actions not taken are left out rather than written ``None`` (which itf-py cannot read)."""
    if step is None:
        return {"mbt::actionTaken": "init", "mbt::nondetPicks": {}}
    return {"mbt::actionTaken": step.action,
            "mbt::nondetPicks": {k: {"tag": "Some", "value": v} for k, v in step.params}}


def write_itf(trace: Trace, path: Path | str, extra_meta: dict[str, Any] | None = None) -> Path:
    p = Path(path)
    p.write_text(json.dumps(to_itf(trace, extra_meta), indent=1) + "\n")
    return p


def read_itf(path: Path | str) -> Trace:
    """Read an ITF file (ours or another tool's). Anything malformed is BadInput naming the spot."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise BadInput(f"{p}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise BadInput(f"{p}: not an ITF trace: byte {e.start} is not UTF-8 text (a binary file?)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{p}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{p}: an ITF trace is a JSON object, got {type(data).__name__}")
    for key in ("vars", "states"):
        if key not in data:
            raise BadInput(f"{p}: an ITF trace needs the field '{key}'")
    if not isinstance(data["vars"], list) or not all(isinstance(v, str) for v in data["vars"]):
        raise BadInput(f"{p}: 'vars' must be a list of variable names")
    if not isinstance(data["states"], list) or not data["states"]:
        raise BadInput(f"{p}: 'states' must be a non-empty list")
    meta = data.get("#meta", {}) if isinstance(data.get("#meta"), dict) else {}
    hmeta = meta.get("hacheck", {}) if isinstance(meta.get("hacheck"), dict) else {}
    vars_ = tuple(v for v in data["vars"] if not v.startswith("mbt::"))  # Quint's MBT fields are not state
    types = meta.get("varTypes") if isinstance(meta.get("varTypes"), dict) else {}
    optional = {k: optional_depth(str(t)) for k, t in types.items()}
    states, steps = [], []
    for i, s in enumerate(data["states"]):
        where = f"{p}: states[{i}]"
        if not isinstance(s, dict):
            raise BadInput(f"{where}: a state must be a JSON object")
        missing = [v for v in vars_ if v not in s]
        if missing:
            raise BadInput(f"{where}: missing variable(s) {', '.join(missing)}")
        states.append({v: _from_itf(s[v], f"{where}.{v}") if optional.get(v) is None
                       else _from_optional(s[v], optional[v], f"{where}.{v}") for v in vars_})
        if i > 0:
            smeta = s.get("#meta", {}) if isinstance(s.get("#meta"), dict) else {}
            params = smeta.get("params", {})
            if not isinstance(params, dict):
                raise BadInput(f"{where}: '#meta.params' must be an object")
            steps.append(Step(str(smeta.get("action", "step")), tuple((str(k), str(v)) for k, v in params.items()),
                              str(smeta.get("kind", "protocol")), smeta.get("tick") is True))
    loop = data.get("loop")
    if loop is not None:
        if not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop < len(states):
            raise BadInput(f"{p}: 'loop' must be a state index in 0..{len(states) - 1}, got {loop!r}")
        ls = hmeta.get("loop_step") or {}
        steps.append(Step(str(ls.get("action", "loop")), tuple((str(k), str(v)) for k, v in (ls.get("params") or {}).items()),
                          str(ls.get("kind", "protocol")), ls.get("tick") is True))
    return Trace(
        model=str(hmeta.get("model") or meta.get("source") or p.stem),
        vars=vars_, states=tuple(states), steps=tuple(steps), loop=loop,
        property_name=hmeta.get("property"), kind=str(hmeta.get("kind", "counterexample")),
        params=hmeta.get("params") or {}, var_types=meta.get("varTypes") or {},
        note=str(hmeta.get("note", "")), fairness=tuple(hmeta.get("fairness") or ()),
        lanes=_lanes_meta(p, hmeta.get("lanes")), tick_seconds=_tick_seconds(p, hmeta.get("tick_seconds")),
        scaled_ticks=hmeta.get("ticks") == "scaled",
        why=tuple(str(x) for x in hmeta.get("why") or ()),
    )


def _lanes_meta(p: Path, v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict) or not isinstance(v.get("order", []), list):
        raise BadInput(f"{p}: '#meta.hacheck.lanes' must be an object with a list 'order'")
    return v


def _tick_seconds(p: Path, v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        raise BadInput(f"{p}: '#meta.hacheck.tick_seconds' must be a positive number, got {v!r}")
    return float(v)
