"""The reachable state graph of a model as a ``networkx.DiGraph``, and ``hacheck graph`` which
writes it as GraphML, GEXF, DOT or node-link JSON, for users who analyse or draw state spaces
with their own tools (Gephi, yEd, networkx, graphviz).

The graph is the explicit engine's own exploration (no symmetry reduction: every state is a
node), so it is exactly the state space the verdicts of ``hacheck check`` are about. It is meant
for small instances: above ``max_states`` reachable states nothing is returned
(:class:`GraphTooLarge`), because a networkx graph costs hundreds of bytes per state and edge before any attribute
(docs/graph.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

import networkx as nx

from ..lang.errors import BadInput
from ..lang.model import Model
from ..trace import flatten

DEFAULT_MAX_STATES = 10_000
HARD_MAX_STATES = 200_000
FORMATS = ("graphml", "gexf", "dot", "json")


class GraphTooLarge(BadInput):
    """The model has more reachable states than the graph may hold."""


def _value(v: Any) -> Any:
    """GraphML and GEXF take scalars only: sets become text, None becomes 'none'."""
    if isinstance(v, (bool, int, str)):
        return v
    if v is None:
        return "none"
    if isinstance(v, (list, tuple, set, frozenset)):
        return "{" + ", ".join(sorted(str(_value(x)) for x in v)) + "}"
    return str(v)


def state_graph(model: Model, max_states: int = DEFAULT_MAX_STATES) -> nx.DiGraph:
    """Every reachable state of ``model`` as a node and every transition as an edge.

    Nodes are the engine's state ids (0.. in breadth-first order) with the attributes: one per
    state field (``data[r1]``, ``faults``; sets as ``{a, b}`` text), ``initial`` (bool),
    ``depth`` (shortest distance from an initial state) and ``violates`` (the invariants false
    there, comma-separated, '' when none). Edges carry ``action`` (``write(c=c1)``; several
    actions between the same two states are joined with ``; ``) and ``kind`` (protocol, fault or
    env, joined likewise). Graph attributes: ``model``, the parameters, ``states``,
    ``transitions``. Raises :class:`GraphTooLarge` above ``max_states`` reachable states."""
    from ..explicit.search import Bounds, Explorer, params_dict
    from ..lang.interp import eval_expr

    if max_states > HARD_MAX_STATES:
        raise BadInput(f"--max-states {max_states}: a state graph holds at most {HARD_MAX_STATES:,} states")
    ex = Explorer(model, symmetry=False)
    ex.run([], Bounds(max_states=max_states + 1), None, record_edges=True)
    g = ex.graph
    if not g.complete or g.states > max_states:
        raise GraphTooLarge(f"model {model.name}: more than {max_states:,} reachable states; the state graph is "
                            f"for small instances (lower the parameters with --param, or raise --max-states up to "
                            f"{HARD_MAX_STATES:,})")
    invariants = [p for p in model.properties.values() if p.kind == "invariant"]
    params = params_dict(model)
    shown = {k: (str(v).lower() if isinstance(v, bool) else _value(v)) for k, v in params.items()}
    out = nx.DiGraph(model=model.name, params=", ".join(f"{k}={v}" for k, v in shown.items()),
                     states=g.states, transitions=int(len(g.src)))
    store = g.store
    for lvl, rows in enumerate(store.levels):
        base = store.offsets[lvl]
        for off, row in enumerate(rows):
            codes = ex.codes(row)
            attrs = {k: _value(v) for k, v in flatten(model.decode(codes)).items()}
            bad = [p.name for p in invariants if not eval_expr(p.expr, codes)]
            out.add_node(base + off, **attrs, initial=lvl == 0, depth=lvl, violates=",".join(bad))
    for s, d, a in zip(g.src.tolist(), g.dst.tolist(), g.act.tolist()):
        inst = model.instances[a]
        label = inst.label
        if out.has_edge(s, d):
            e = out.edges[s, d]
            e["action"] += "; " + label
            if inst.kind not in e["kind"].split("; "):
                e["kind"] += "; " + inst.kind
        else:
            out.add_edge(s, d, action=label, kind=inst.kind)
    return out


def _dot_quote(v: Any) -> str:
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_dot(g: nx.DiGraph, out: TextIO) -> None:
    """Graphviz DOT without pydot: one box per state listing its fields, faults dashed red,
    states violating an invariant red, initial states bold."""
    out.write(f"digraph {_dot_quote(g.graph.get('model', 'states'))} {{\n  node [shape=box, fontname=monospace];\n")
    skip = {"initial", "depth", "violates"}
    for n, a in g.nodes(data=True):
        fields = "\n".join(f"{k} = {v}" for k, v in a.items() if k not in skip)
        style = []
        if a.get("initial"):
            style.append("style=bold")
        if a.get("violates"):
            style.append("color=red")
        extra = (", " + ", ".join(style)) if style else ""
        label = f"state {n}" + (f" (violates {a['violates']})" if a.get("violates") else "") + "\n" + fields
        out.write(f"  {n} [label={_dot_quote(label)}{extra}];\n")
    for s, d, a in g.edges(data=True):
        fault = "fault" in a["kind"] or "env" in a["kind"]
        out.write(f"  {s} -> {d} [label={_dot_quote(a['action'])}" + (", style=dashed, color=red" if fault else "") + "];\n")
    out.write("}\n")


def write_graph(g: nx.DiGraph, fmt: str, out: TextIO | None, path: Path | None = None) -> None:
    """Write ``g`` as ``fmt`` to ``path`` (or the text stream ``out``)."""
    import io

    if fmt == "json":
        text = json.dumps(nx.node_link_data(g, edges="edges"), indent=1, default=str) + "\n"
    elif fmt == "dot":
        buf = io.StringIO()
        write_dot(g, buf)
        text = buf.getvalue()
    elif fmt == "graphml":
        text = "\n".join(nx.generate_graphml(g)) + "\n"
    elif fmt == "gexf":
        text = "\n".join(nx.generate_gexf(g)) + "\n"
    else:
        raise BadInput(f"--format {fmt}: one of {', '.join(FORMATS)}")
    if path is not None:
        path.write_text(text, encoding="utf-8")
    elif out is not None:
        out.write(text)
