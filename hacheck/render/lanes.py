"""Which component (lane of a space-time diagram) each piece of a trace's state belongs to.

A model says it with ``Model.lane`` (see docs/language.md); the default is the element of a Map
or Set variable's first index. The result is plain data stored with the trace (ITF ``#meta``),
so a saved trace can be drawn again without its model.
"""

from __future__ import annotations

import re
from typing import Any

from ..lang.sorts import Element

SHARED = "shared"

_KEY = re.compile(r"\[([^\[\]]*)\]")


def lanes_of_model(model: Any) -> dict[str, Any]:
    """``{"order": [...], "groups": {lane: sort}, "vars": {var: lane | key}, "elements": {elem: lane}}``."""
    elements: dict[str, str] = {}
    groups: dict[str, str] = {}
    for sort in model.sorts.values():
        for e in sort:
            lane = _owner_lane(model, e, depth=0)
            elements[e.name] = lane
    for sort in model.sorts.values():
        for e in sort:
            lane = elements[e.name]
            if lane == e.name:
                groups.setdefault(lane, sort.name)
    rules: dict[str, Any] = {}
    used: set[str] = set()
    for name, var in model.variables.items():
        rule = model.lane_rules.get(name, 0)
        rules[name] = rule
        first = model.fields[var.fields[0]]
        if isinstance(rule, str):
            used.add(rule)
        elif len(first.key_sorts) > rule:
            for fid in var.fields:
                used.add(elements.get(model.fields[fid].path[rule], SHARED))
        else:
            used.add(SHARED)
    order = [lane for lane in dict.fromkeys(elements.values()) if lane in used]
    order += sorted(lane for lane in used if lane not in order and lane != SHARED)
    if SHARED in used:
        order.append(SHARED)
    return {"order": order, "groups": {k: v for k, v in groups.items() if k in used}, "vars": rules,
            "elements": elements}


def _owner_lane(model: Any, e: Element, depth: int) -> str:
    owner = model.lane_owners.get(e.sort.name)
    if owner is None or depth > 8:
        return e.name
    got = owner(e)
    if isinstance(got, Element):
        return got.name if got.sort is e.sort else _owner_lane(model, got, depth + 1)
    return str(got)


def lane_of_key(key: str, lanes: dict[str, Any]) -> str:
    """The lane of a flattened state key such as ``up[b0]`` or ``reach[c0][b1]``."""
    var = key.split("[", 1)[0]
    rule = (lanes.get("vars") or {}).get(var, 0)
    if isinstance(rule, str):
        return rule
    path = _KEY.findall(key)
    if isinstance(rule, int) and len(path) > rule:
        return (lanes.get("elements") or {}).get(path[rule], SHARED)
    return SHARED


def lanes_of_step(step_params: dict[str, str] | tuple[tuple[str, str], ...], changed_keys: list[str],
                  lanes: dict[str, Any]) -> list[str]:
    """The lanes an action touches: those of the elements it is about, then those whose state it changed."""
    elements = lanes.get("elements") or {}
    params = dict(step_params)
    out = [elements[v] for v in params.values() if v in elements]
    out += [lane_of_key(k, lanes) for k in changed_keys]
    order = {lane: i for i, lane in enumerate(lanes.get("order") or [])}
    if order:  # an element with no state of its own (a value, a write id) has no lane to draw in
        out = [lane for lane in out if lane in order]
    return sorted(dict.fromkeys(out), key=lambda lane: order.get(lane, len(order)))
