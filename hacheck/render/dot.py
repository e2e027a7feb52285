"""Draw a Trace with graphviz: one node per state listing what changed, edges for actions.

Faults are drawn dashed and red (labelled FAULT), environment steps such as an operator's action or a
repair dashed and blue (labelled ENV, as in the text report), the violating (or witness) state is marked, and a lasso's
loop edge is drawn back to the state it returns to, with the fairness it satisfies beside it.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path
from typing import Any

import graphviz

from ..lang.errors import HacheckError
from ..trace import Trace

MAX_ROWS = 40


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, (list, tuple, set, frozenset)):
        return "{" + ", ".join(str(x) for x in v) + "}"
    return str(v)


def _node_label(trace: Trace, i: int, marked: bool) -> str:
    changed = trace.changed(i)
    title = f"state {i}" + (" (initial)" if i == 0 else "")
    if marked:
        title += {"counterexample": " VIOLATION", "witness": " WITNESS"}.get(trace.kind, " END")
    rows = [f'<TR><TD COLSPAN="2" BGCOLOR="{"#f4cccc" if marked else "#dddddd"}"><B>{html.escape(title)}</B></TD></TR>']
    items = list(changed.items())
    for k, v in items[:MAX_ROWS]:
        colour = "#fff2cc" if i > 0 else "#ffffff"
        rows.append(
            f'<TR><TD ALIGN="LEFT" BGCOLOR="{colour}">{html.escape(k)}</TD>'
            f'<TD ALIGN="LEFT" BGCOLOR="{colour}"><B>{html.escape(_fmt(v))}</B></TD></TR>'
        )
    if len(items) > MAX_ROWS:
        rows.append(f'<TR><TD COLSPAN="2">... {len(items) - MAX_ROWS} more</TD></TR>')
    if i > 0 and not items:
        rows.append('<TR><TD COLSPAN="2"><I>no change</I></TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"


def to_graph(trace: Trace) -> graphviz.Digraph:
    g = graphviz.Digraph(name="trace", graph_attr={"rankdir": "TB", "fontname": "Helvetica", "labelloc": "t"},
                         node_attr={"shape": "plaintext", "fontname": "Helvetica", "fontsize": "10"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    head = f"{trace.model}: {trace.kind}"
    if trace.property_name:
        head += f" for {trace.property_name}"
    head += f" ({trace.length} steps" + (f", loop back to state {trace.loop}" if trace.loop is not None else "") + ")"
    if trace.params:
        head += "\\n" + ", ".join(f"{k}={_fmt(v)}" for k, v in trace.params.items())
    g.attr(label=head)
    last = len(trace.states) - 1
    for i in range(len(trace.states)):
        marked = i == last and trace.kind in ("counterexample", "witness") and trace.loop is None
        attrs = {"color": "red", "penwidth": "2"} if marked else {}
        g.node(f"s{i}", label=_node_label(trace, i, marked), **attrs)
    for i, step in enumerate(trace.steps[: len(trace.states) - 1]):
        _edge(g, f"s{i}", f"s{i + 1}", step.label, step.kind)
    if trace.loop is not None:
        step = trace.steps[-1]
        _edge(g, f"s{last}", f"s{trace.loop}", step.label + " (loop)", step.kind, constraint="false")
        if trace.fairness:
            text = "The loop repeats forever.\\l" + "".join(f"{html.escape(f)}\\l" for f in trace.fairness)
            g.node("fairness", label=text, shape="note", fontsize="9")
            g.edge("fairness", f"s{trace.loop}", style="dotted", arrowhead="none")
    if trace.note:
        g.node("note", label=trace.note.replace("\n", "\\l") + "\\l", shape="note", fontsize="9")
    return g


def _edge(g: graphviz.Digraph, a: str, b: str, label: str, kind: str, **extra: str) -> None:
    """``kind`` is the step's: fault, env (operator, repair) or protocol; labelled as the text report does."""
    if kind == "fault":
        g.edge(a, b, label=f"FAULT {label}", color="red", fontcolor="red", style="dashed", penwidth="2", **extra)
    elif kind == "env":
        g.edge(a, b, label=f"ENV {label}", color="blue", fontcolor="blue", style="dashed", penwidth="2", **extra)
    else:
        g.edge(a, b, label=label, **extra)


def dot_available() -> bool:
    return shutil.which("dot") is not None


def write_trace_files(trace: Trace, out_dir: Path, stem: str, itf: bool = True,
                      itf_meta: dict[str, Any] | None = None) -> dict[str, str]:
    """Write ``stem.itf.json`` (unless ``itf`` is false; ``itf_meta`` goes into its ``#meta.hacheck``),
    ``stem.dot`` and, when graphviz's dot is installed, ``stem.svg``."""
    from ..trace import write_itf

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HacheckError(f"{out_dir}: cannot create the output folder: {e.strerror}") from None
    files: dict[str, str] = {}
    try:
        if itf:
            files["itf"] = str(write_itf(trace, out_dir / f"{stem}.itf.json", itf_meta))
        g = to_graph(trace)
        dot_path = out_dir / f"{stem}.dot"
        dot_path.write_text(g.source)
        files["dot"] = str(dot_path)
    except OSError as e:
        raise HacheckError(f"{out_dir}: cannot write trace files: {e.strerror}") from None
    if dot_available():
        svg_path = out_dir / f"{stem}.svg"
        try:
            svg = subprocess.run(["dot", "-Tsvg"], input=g.source.encode(), capture_output=True, check=True, timeout=120).stdout
            svg_path.write_bytes(svg)
            files["svg"] = str(svg_path)
        except (subprocess.SubprocessError, OSError) as e:
            raise HacheckError(f"graphviz 'dot' failed on {dot_path}: {e}") from None
    return files
