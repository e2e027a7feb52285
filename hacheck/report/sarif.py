"""SARIF 2.1.0 for code-scanning UIs: one result per property that is not shown to hold.

For a deployment, a result points at the line of the deployment file whose setting is involved:
a setting whose change alone changes the verdict (found by re-running, ``hacheck/deploy/blame.py``),
else the host whose failure breaks it, else the file. The trace is
attached as a code flow, one location per step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..lang.errors import HacheckError
from ..result import CheckResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"violated": "error", "unknown": "warning", "not checked": "warning"}


def source_root(path: Any = None) -> Path:
    """The repository root (the nearest folder with ``.git`` above ``path`` or the current folder),
    which ``%SRCROOT%`` names: GitHub code scanning maps results to files relative to it."""
    start = Path(str(path)).resolve().parent if path else Path.cwd().resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return Path.cwd().resolve()


def _art(path: Any, root: Path) -> dict[str, Any]:
    p = Path(str(path)).resolve()
    try:
        uri = p.relative_to(root).as_posix()
    except ValueError:
        return {"uri": p.as_uri()}
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


def _loc(art: dict[str, Any], line: int, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": dict(art), "region": {"startLine": max(1, line)}}}
    if message:
        out["message"] = {"text": message}
    return out


def _split(location: str | None) -> tuple[str, int] | None:
    if not location or ":" not in location:
        return None
    file, _, line = location.rpartition(":")
    return (file, int(line)) if line.isdigit() else None


def _flow(trace: Any, model: Any = None, root: Path | None = None) -> list[dict[str, Any]]:
    """The trace as a code flow: one location per step, at the action's function in the model file
    when the model is known (the step's message says which instance fired)."""
    if trace is None:
        return []
    where = {a.name: _split(getattr(a, "location", None)) for a in model.actions} if model is not None else {}
    steps = []
    for i, st in enumerate(trace.steps):
        label = ("FAULT " if st.kind == "fault" else "ENV " if st.kind == "env" else "") + st.label
        text = f"step {i + 1}: {label}"
        at = where.get(st.action)
        loc = _loc(_art(at[0], root or source_root(at[0])), at[1], text) if at else {"message": {"text": text}}
        steps.append({"location": loc})
    if trace.loop is not None:
        steps.append({"location": {"message": {"text": f"back to state {trace.loop}: the loop repeats forever"}}})
    return [{"threadFlows": [{"locations": steps}]}] if steps else []


HELP = {
    "invariant": "hacheck explored the model's reachable states and found one where this invariant is false; the "
                 "counterexample (the code flow, and the ITF/SVG trace files) is a shortest sequence of steps to it. "
                 "Read it step by step: a fault or a protocol step the design does not guard against is the fix point.",
    "reachable": "A state the model is expected to reach was not reached: the model may be over-constrained "
                 "(a guard too strict, a fault budget too small) or the scenario it describes cannot happen.",
    "leads_to": "After the trigger, some fair execution never reaches the response: the code flow is a lasso whose "
                "loop repeats forever. Recovery needs a step the loop never takes (a timer, a retry, a fence).",
}


def _deployment_results(res: Any, root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from ..deploy.diff import toml_value
    from ..deploy.parse import setting_default, setting_path

    d = res.plan.deployment
    uri = _art(d.path, root)
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for r in res.rows:
        rid = f"{r.model}/{r.property}" if r.property != "-" else f"{r.model}/not-checked"
        short = f"{r.property} ({r.kind}) of {r.model}" if r.property != "-" else f"{r.model} can be checked"
        full = (f"Property {r.property} ({r.kind}) of the {r.model} model, checked under every failure scenario of "
                f"the deployment" if r.property != "-" else f"whether the {r.model} model can represent this deployment")
        how = HELP.get(r.kind, "The model cannot represent this deployment: the message says which setting; "
                                "change it or check the part of the deployment the model covers.")
        rules.setdefault(rid, {"id": rid, "name": rid.replace("/", "."), "shortDescription": {"text": short},
                               "fullDescription": {"text": full}, "help": {"text": f"{full}.\n\n{how}"}})
        if r.verdict not in LEVEL:
            continue
        changed, written, other = [], [], []
        for s in r.settings:  # settings changed from their default first, then those written in the file
            path = setting_path(d, s)
            loc = _loc(uri, d.line(path), f"setting {s} = {toml_value(d.settings.get(s))}")  # as in the file
            if d.loc.has(path) and d.settings.get(s) != setting_default(s):
                changed.append(loc)
            elif d.loc.has(path):
                written.append(loc)
            else:
                other.append(loc)
        hosts = [_loc(uri, d.line(("hosts", h.index, "name")), f"failure of host {h.name}")
                 for h in d.hosts if h.name in r.targets]
        related = changed + written + hosts + other
        if related:
            primary = related[0]
        else:
            primary = _loc(uri, d.line(("failures", "kinds")) if d.loc.has(("failures", "kinds")) else 1)
        text = (f"{r.property} [{r.model}]: {r.verdict} ({r.explanation})" if r.property != "-"
                else f"{r.model}: not checked: {r.explanation}")
        if r.trace_files:
            text += "; trace: " + r.trace_files.get("itf", next(iter(r.trace_files.values())))
        result = {"ruleId": rid, "level": LEVEL[r.verdict], "message": {"text": text},
                  "locations": [primary], "properties": {"verdict": r.verdict, "scenario": r.scenario,
                                                         "trace_files": r.trace_files}}
        if len(related) > 1:
            result["relatedLocations"] = [dict(x, id=i) for i, x in enumerate(related[1:])]
        flows = _flow(r.named_trace)  # in the deployment's names (ovirt1, not h1)
        if flows:
            result["codeFlows"] = flows
        results.append(result)
    return list(rules.values()), results


def _model_results(result: CheckResult, source: str | None, model: Any, root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    src = source or f"models/{result.model}.py"
    declared = {p.name: p for p in model.properties.values()} if model is not None else {}
    rules, results = [], []
    for p in result.properties:
        rid = f"{result.model}/{p.name}"
        decl = declared.get(p.name)
        doc = (decl.doc if decl is not None else "") or f"{p.kind} {p.name} of model {result.model}"
        at = _split(decl.location) if decl is not None else None
        loc = _loc(_art(at[0], root), at[1]) if at else _loc(_art(src, root), 1)
        rules.append({"id": rid, "name": rid.replace("/", "."), "shortDescription": {"text": f"{p.name} ({p.kind})"},
                      "fullDescription": {"text": doc},
                      "help": {"text": f"{doc}\n\n{HELP.get(p.kind, HELP['leads_to'])}"},
                      "properties": {"kind": p.kind}})
        if p.verdict not in LEVEL:
            continue
        r: dict[str, Any] = {"ruleId": rid, "level": LEVEL[p.verdict], "message": {"text": f"{p.name}: {p.line}"},
                             "locations": [loc], "properties": {"verdict": p.verdict, "trace_files": p.trace_files}}
        flows = _flow(p.trace, model, root)
        if flows:
            r["codeFlows"] = flows
        results.append(r)
    return rules, results


def to_sarif(result: Any, source: str | None = None, model: Any = None) -> dict[str, Any]:
    if isinstance(result, CheckResult):
        root = source_root(source)
        rules, results = _model_results(result, source, model, root)
    else:
        root = source_root(result.plan.deployment.path)
        rules, results = _deployment_results(result, root)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hacheck", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/hacheck/hacheck", "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "results": results,
        }],
    }


def write_sarif(result: Any, path: str | Path, source: str | None = None, model: Any = None) -> None:
    try:
        Path(path).write_text(json.dumps(to_sarif(result, source, model), indent=2) + "\n")
    except OSError as e:
        raise HacheckError(f"{path}: cannot write the SARIF report: {e.strerror}") from None
