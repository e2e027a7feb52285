"""Human-readable output: one verdict line per property, and traces step by step."""

from __future__ import annotations

from typing import Any

from ..result import CheckResult, fmt_bytes, fmt_int
from ..trace import Trace


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(map(str, v)) + "}"
    return str(v)


def params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())


def summary(result: CheckResult) -> list[str]:
    s = result.stats
    lines = [f"model {result.model}" + (f" ({params_text(result.params)})" if result.params else "")]
    if result.engine == "smt":
        lines.append(f"  smt (z3): {s.seconds:.2f} s")
    else:
        lines.append(
            f"  {result.engine}: {fmt_int(s.states)} states, {fmt_int(s.transitions)} transitions, depth {s.depth}, "
            f"{s.seconds:.2f} s ({fmt_int(int(s.states_per_second))} states/s, {s.bytes_per_state:.0f} bytes/state stored"
            + (f", peak RSS {fmt_bytes(s.peak_rss_bytes)} = {fmt_bytes(s.peak_rss_per_state)}/state" if s.peak_rss_bytes else "")
            + ")"
            + (f"; {s.stop_reason}" if s.stop_reason else "")
        )
    if s.symmetry:
        lines.append(f"  symmetry reduction: {s.symmetry} (states counted are orbit representatives)")
    if not result.properties:
        lines.append("  no properties to check")
    width = max((len(p.name) for p in result.properties), default=0)
    kwidth = max((len(p.kind) for p in result.properties), default=0)
    for p in result.properties:
        extra = ""
        if "recovery" in p.extra:
            extra = f"  [{p.extra['recovery']}]"
        if "smt" in p.extra:
            extra += f"  [smt: {p.extra['smt']}]"
        lines.append(f"  {p.name.ljust(width)}  {p.kind.ljust(kwidth)}  {p.line}{extra}")
    return lines


def trace_lines(trace: Trace, max_fields: int = 30) -> list[str]:
    what = {"counterexample": "Counterexample", "witness": "Witness", "worst-case": "Worst case"}.get(trace.kind, "Trace")
    head = f"{what}" + (f" for {trace.property_name}" if trace.property_name else "") + f" ({trace.length} steps)"
    lines = [head + ":"]
    for i in range(len(trace.states)):
        changed = trace.changed(i)
        if i == 0:
            label = "initial state"
        else:
            step = trace.steps[i - 1]
            label = ("FAULT " if step.kind == "fault" else "ENV " if step.kind == "env" else "") + step.label
        items = list(changed.items())
        body = ", ".join(f"{k} = {_fmt(v)}" for k, v in items[:max_fields])
        if len(items) > max_fields:
            body += f", ... ({len(items) - max_fields} more)"
        if i > 0 and not items:
            body = "(no change)"
        lines.append(f"  {i:>3}  {label}")
        lines.append(f"       {body}")
    if trace.loop is not None:
        step = trace.steps[-1]
        lines.append(f"  back to state {trace.loop} by {step.label}: the loop repeats forever")
        for f in trace.fairness:
            lines.append(f"       {f}")
    if trace.why:
        lines.append("  Why: " + trace.why[0])
        lines += ["    " + w for w in trace.why[1:]]
    return lines
