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
from typing import TYPE_CHECKING, Any

from ..lang.errors import HacheckError
from ..trace import Trace, flatten, fmt_value
from .fold import folds

if TYPE_CHECKING:  # imported when a trace is drawn: a check that holds never loads it
    import graphviz

MAX_ROWS = 40  # changed fields shown per state
MAX_INIT_ROWS = 12  # fields of the initial state shown (the whole state is in the ITF file)
MAX_CELL = 48  # characters of a value or field name in a box
WRAP = 90  # characters per line of the legend and notes


_fmt = fmt_value


def _clip(text: str, n: int = MAX_CELL) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _wrap(items: list[str], width: int = WRAP) -> str:
    """Items joined with ', ' in left-aligned lines of at most ``width`` characters (graphviz \\l)."""
    lines, cur = [], ""
    for it in items:
        piece = it if not cur else ", " + it
        if cur and len(cur) + len(piece) > width:
            lines.append(cur + ",")
            cur = it
        else:
            cur += piece
    if cur:
        lines.append(cur)
    return "".join(_dot_escape(line) + "\\l" for line in lines)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\")  # an escString: the graphviz package quotes the rest


def _node_label(trace: Trace, i: int, since: int, marked: bool, why: tuple[str, ...] = ()) -> str:
    """A state box: what changed since state ``since`` (all of state 0, cut), the why lines if marked."""
    if i == 0:
        changed = trace.changed(0)
    else:
        now = flatten(trace.states[i])
        before = flatten(trace.states[since])
        changed = {k: v for k, v in now.items() if before.get(k) != v}
    title = f"state {i}" + (" (initial)" if i == 0 else "")
    if marked:
        title += {"counterexample": " VIOLATION", "witness": " WITNESS"}.get(trace.kind, " END")
    rows = [f'<TR><TD COLSPAN="2" BGCOLOR="{"#f4cccc" if marked else "#dddddd"}"><B>{html.escape(title)}</B></TD></TR>']
    items = list(changed.items())
    cap = MAX_INIT_ROWS if i == 0 else MAX_ROWS
    for k, v in items[:cap]:
        colour = "#fff2cc" if i > 0 else "#ffffff"
        rows.append(
            f'<TR><TD ALIGN="LEFT" BGCOLOR="{colour}">{html.escape(_clip(k))}</TD>'
            f'<TD ALIGN="LEFT" BGCOLOR="{colour}"><B>{html.escape(_clip(_fmt(v)))}</B></TD></TR>'
        )
    if len(items) > cap:
        more = f"... {len(items) - cap} more" + (" (the whole state is in the .itf.json file)" if i == 0 else "")
        rows.append(f'<TR><TD COLSPAN="2">{html.escape(more)}</TD></TR>')
    if i > 0 and not items:
        rows.append('<TR><TD COLSPAN="2"><I>no change</I></TD></TR>')
    if why:
        text = "<BR ALIGN=\"LEFT\"/>".join(html.escape(_clip(w, WRAP)) for w in why[:14])
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT" BGCOLOR="#fdeaea"><B>why</B><BR ALIGN="LEFT"/>{text}<BR ALIGN="LEFT"/></TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"


def to_graph(trace: Trace) -> graphviz.Digraph:
    import graphviz

    g = graphviz.Digraph(name="trace", graph_attr={"rankdir": "TB", "fontname": "Helvetica", "labelloc": "t",
                                                   "labeljust": "l"},
                         node_attr={"shape": "plaintext", "fontname": "Helvetica", "fontsize": "10"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    head = f"{trace.model}: {trace.kind}"
    if trace.property_name:
        head += f" for {trace.property_name}"
    head += f" ({trace.length} steps" + (f", loop back to state {trace.loop}" if trace.loop is not None else "") + ")"
    g.attr(label=_dot_escape(head))
    legend = ""
    if trace.note:
        legend += _wrap(trace.note.replace("\n", " ").split(", ")) + "\\l"
    if trace.params:
        legend += "parameters:\\l" + _wrap([f"{k}={_fmt(v)}" for k, v in trace.params.items()])
    if legend:
        with g.subgraph(name="legend_rank") as sg:  # below the trace, not beside it
            sg.attr(rank="sink")
            sg.node("legend", label=legend, shape="note", fontsize="9", color="#999999")
    last = len(trace.states) - 1
    fold_at = {f.first: f for f in folds(trace)}
    folded = {a: f.last for a, f in fold_at.items()}
    ticks = trace.ticks()
    shown: list[int] = []
    i = 0
    while True:
        shown.append(i)
        if i >= last:
            break
        i = folded[i] + 1 if i in folded else i + 1
    prev = {s: shown[k - 1] for k, s in enumerate(shown) if k}
    for i in shown:
        marked = i == last and trace.kind in ("counterexample", "witness") and trace.loop is None
        why = trace.why if (marked or (trace.loop is not None and i == trace.loop)) else ()
        attrs = {"color": "red", "penwidth": "2"} if marked else {}
        g.node(f"s{i}", label=_node_label(trace, i, prev.get(i, max(i - 1, 0)), marked, why), **attrs)
    for k in range(1, len(shown)):
        a, b = shown[k - 1], shown[k]
        if a in folded:
            dt = ticks[b] - ticks[a]
            secs = f" = {dt * trace.tick_seconds:g} s" if trace.tick_seconds else ""
            f = fold_at[a]
            block = _clip(", ".join(f.block), WRAP)
            unit = "scaled ticks" if trace.scaled_ticks else "ticks"
            g.edge(f"s{a}", f"s{b}", label=f"waiting {dt} {unit}{secs}: {f.repeats} x [{block}]", style="bold", color="#888888")
        else:
            step = trace.steps[a]
            _edge(g, f"s{a}", f"s{b}", step.label, step.kind)
    if trace.loop is not None:
        step = trace.steps[-1]
        _edge(g, f"s{last}", f"s{trace.loop}", step.label + " (loop)", step.kind, constraint="false")
        if trace.fairness:
            text = "The loop repeats forever.\\l" + "".join(_dot_escape(_clip(f, WRAP)) + "\\l" for f in trace.fairness)
            g.node("fairness", label=text, shape="note", fontsize="9")
            g.edge("fairness", f"s{trace.loop}", style="dotted", arrowhead="none")
    return g


def _edge(g: graphviz.Digraph, a: str, b: str, label: str, kind: str, **extra: str) -> None:
    label = _clip(label, WRAP)
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
            from ..nativeload import limit_text

            limit = limit_text()  # dot inherits the memory limit; under ulimit -v it dies of a signal
            killed = isinstance(e, subprocess.CalledProcessError) and e.returncode < 0
            if limit and killed:  # said like every other out-of-memory stop (hacheck/failsafe.py), one line
                raise HacheckError(f"out of memory while drawing the trace graph: graphviz 'dot' died with "
                                   f"{_signal_name(-e.returncode)} on {dot_path} under the memory limit ({limit}); "
                                   "raise the memory limit") from None
            hint = f" (out of memory? it ran under the memory limit, {limit})" if limit else ""
            raise HacheckError(f"graphviz 'dot' failed on {dot_path}: {e}{hint}") from None
    return files


def _signal_name(num: int) -> str:
    import signal

    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"
