"""Traces in the deployment's own names: ``ovirt1`` and ``Database`` instead of the model's ``h1`` and ``v1``.

A model names the elements of its sorts (``h1``, ``v2``, ``brick0``); the mapping records which
deployment host, VM or brick each one stands for (the legend of a planned run). The trace files and
the printed trace of a deployment check are rewritten with those names, so an operator reads the
counterexample in the terms of the file they wrote. The cache keeps the model's names: one cached
check serves every deployment that maps to the same parameters, whatever their hosts are called.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import attrs

from ..trace import Step, Trace

_ELEMENT = re.compile(r"^(h\d+|v\d+|brick\d+|part\d+)$")  # the sort elements the mapping gives a deployment name


def element_names(legend: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Model element -> deployment name, from a planned run's legend (other legend entries, such as
    ``engine = node0``, describe a role rather than an element and are left out)."""
    out = {}
    for model_name, deployment_name in legend:
        if _ELEMENT.match(model_name):
            out[model_name] = deployment_name.removesuffix(" (arbiter)")
    return out


def rename_trace(trace: Trace, legend: Iterable[tuple[str, str]]) -> Trace:
    """``trace`` with every model element name replaced by its deployment name: map keys, values,
    sets, action parameters, model parameters (``power_management = "h1,h2"``), the note and the
    fairness conditions. Variable names are left alone."""
    names = element_names(legend)
    if not names:
        return trace
    token = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
                       + r")(?![A-Za-z0-9_])")

    def text(s: str) -> str:
        if s in names:
            return names[s]
        return token.sub(lambda m: names[m.group(1)], s)

    def value(v: Any) -> Any:
        if isinstance(v, str):
            return text(v)
        if isinstance(v, dict):
            return {text(str(k)) if isinstance(k, str) else k: value(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(value(x) for x in v)
        if isinstance(v, (set, frozenset)):
            return type(v)(value(x) for x in v)
        return v

    states = tuple({var: value(x) for var, x in s.items()} for s in trace.states)
    steps = tuple(Step(st.action, tuple((k, text(v)) for k, v in st.params), st.kind, st.tick) for st in trace.steps)
    params = {k: value(v) for k, v in trace.params.items()}
    lanes = trace.lanes
    if lanes:  # the lanes of the drawings are elements too (hacheck/render/lanes.py)
        lanes = {**lanes, "order": [text(x) for x in lanes.get("order", [])],
                 "groups": {text(k): v for k, v in (lanes.get("groups") or {}).items()},
                 "elements": {text(k): text(v) for k, v in (lanes.get("elements") or {}).items()}}
    return attrs.evolve(trace, states=states, steps=steps, params=params, note=text(trace.note),
                        fairness=tuple(text(f) for f in trace.fairness), lanes=lanes,
                        why=tuple(text(w) for w in trace.why))
