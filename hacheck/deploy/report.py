"""Text and JSON reports of a deployment check."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..result import fmt_int
from .run import NOT_CHECKED, DeploymentResult, Row


def header(res: DeploymentResult) -> list[str]:
    d = res.plan.deployment
    f = d.tables["failures"]
    kinds = ", ".join(res.plan.kinds) or "none"
    n = len(res.plan.scenarios)
    scen = "; ".join(s.label for s in res.plan.scenarios[:4]) + (" ..." if n > 4 else "")
    out = [
        f"deployment {d.name} ({d.path}): {len(d.hosts)} hosts, {len(d.vms)} VMs, {len(d.volumes)} Gluster volume(s), "
        f"engine {d.engine['mode']} on {d.engine['host']}",
        (f"  failures: --fail {','.join(res.plan.fail)}: {n} scenario{'s' if n != 1 else ''} ({scen})" if res.plan.fail
         else f"  failures: {f['count']} at a time, kinds {kinds}: {n} scenario{'s' if n != 1 else ''} ({scen})"),
        f"  {res.runs_total} model checks ({res.runs_cached} cached), {res.seconds:.2f} s",
    ]
    note = no_kinds_note(res)
    if note:
        out.insert(2, f"  note: {note}")
    return out


def no_kinds_note(res: DeploymentResult) -> str:
    """``failures.kinds = []`` with a count: nothing fails, whatever the count says (said, not silent)."""
    f = res.plan.deployment.tables["failures"]
    if res.plan.kinds or res.plan.fail or not f["count"]:
        return ""
    return (f"failures.kinds is empty: no failure strikes, so only the scenario without a failure is checked "
            f"(failures.count = {f['count']} has no effect)")


def _traces(r: Row) -> str:
    if r.trace_error:
        return "not written (see below)"
    if not r.trace_files:
        return "-"
    main = r.trace_files.get("itf") or next(iter(r.trace_files.values()))
    return main + (" (+dot, svg)" if "svg" in r.trace_files else " (+dot)" if "dot" in r.trace_files else "")


def table(res: DeploymentResult, avail: dict[tuple[str, str], str] | None = None) -> list[str]:
    """``avail``: the long-run availability column (hacheck availability), shown when the file gives rates."""
    cols = ["property", "model", "verdict", "figures", "worst-case recovery", "trace files"]
    if avail is not None:
        cols.insert(5, "long-run up (min)")
    data = []
    for r in res.rows:
        verdict = r.verdict if r.verdict == NOT_CHECKED else f"{r.verdict} ({r.explanation})"
        if r.settings:  # found by re-running with each setting changed (hacheck/deploy/blame.py)
            verdict += "; involved: " + ", ".join(r.settings)
        if r.verdict == NOT_CHECKED:
            verdict = f"{NOT_CHECKED}: {r.explanation}"
        row = [r.property, r.model, verdict, r.figures, r.recovery or "-", _traces(r)]
        if avail is not None:
            row.insert(5, avail.get((r.model, r.property), "-"))
        data.append(row)
    widths = [max(len(c), *(len(row[i]) for row in data)) if data else len(c) for i, c in enumerate(cols)]
    widths[2] = min(widths[2], 90)
    out = ["  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
    out.append("  " + "  ".join("-" * w for w in widths))
    for row in data:
        out.append("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return out


def notes(res: DeploymentResult) -> list[str]:
    out = []
    for mp in res.plan.models:
        legend = ""
        if mp.runs and mp.runs[0].legend and not mp.model.startswith("gluster"):
            legend = "; ".join(f"{a} = {b}" for a, b in mp.runs[0].legend)
        items = list(mp.notes) + ([f"names: {legend}"] if legend else [])
        if items:
            out.append(f"  {mp.label}:")
            out += [f"    - {n}" for n in items]
    return out


def res_path(r: Row) -> str:
    return r.source_path or "the deployment file"


def trace_text(r: Row) -> list[str]:
    from ..report.text import trace_lines

    trace = r.named_trace
    if trace is None:
        return []
    what = "Counterexample" if trace.kind == "counterexample" else "Worst case" if trace.kind == "worst-case" else "Trace"
    out = [f"{what} for {r.property} in {r.model} ({r.scenario}):"]
    if r.legend:
        out.append("  names: " + "; ".join(f"{a} = {b}" for a, b in r.legend))
    out += trace_lines(trace)[1:]
    if r.settings:
        from .blame import fix_hint

        out.append("  settings involved (changing one alone changes the verdict): " + ", ".join(r.settings))
        out += fix_hint(r, res_path(r))
    elif r.verdict == "violated":
        out.append("  settings involved: none (no single setting changed to its other value or its default "
                   "changes the verdict)")
    if r.trace_files:
        out.append("  files: " + ", ".join(r.trace_files.values()))
    return out


def to_json(res: DeploymentResult) -> dict[str, Any]:
    d = res.plan.deployment
    return {
        "schema": 1,
        "kind": "deployment",
        "hacheck_version": __version__,
        "deployment": str(d.path),
        "name": d.name,
        "exit_code": res.exit_code,
        "seconds": round(res.seconds, 4),
        "model_checks": res.runs_total,
        "cached": res.runs_cached,
        "failures": {"count": d.tables["failures"]["count"], "kinds": list(res.plan.kinds),
                     "scenarios": [s.label for s in res.plan.scenarios], "note": no_kinds_note(res) or None},
        "models": [
            {"label": mp.label, "model": mp.model, "notes": list(mp.notes), "limitation": mp.limitation,
             "parameters": dict(mp.runs[0].spec.params) if mp.runs else {},
             "sources": mp.sources}
            for mp in res.plan.models
        ],
        "rows": [
            {"property": r.property, "model": r.model, "kind": r.kind, "verdict": r.verdict,
             "explanation": r.explanation, "states": r.states, "seconds": round(r.seconds, 4),
             "recovery": r.recovery or None, "recovery_ticks": r.recovery_ticks,
             "recovery_seconds": r.recovery_seconds, "scenario": r.scenario or None,
             "trace_length": r.trace_length, "trace_kind": r.trace_kind,
             "trace_files": dict(r.trace_files), "legend": dict(r.legend), "settings": r.settings,
             "involved": [{"setting": i.setting, "value": i.value, "changed_to": i.changed_to, "verdict": i.verdict,
                           "line": i.line, "breaks": list(i.breaks)} for i in r.involved],
             "runs": r.per_run}
            for r in res.rows
        ],
        "settings": {k: v for k, v in d.settings.items()},
    }


def summary_counts(res: DeploymentResult) -> str:
    counts: dict[str, int] = {}
    for r in res.rows:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return ", ".join(f"{fmt_int(n)} {v}" for v, n in sorted(counts.items()))
