"""SARIF 2.1.0 for code-scanning UIs: one result per property that is not shown to hold.

For a deployment, a result points at the line of the deployment file whose setting is involved:
the settings that decide the steps of its counterexample (e.g. the fencing policy for a
``treat_policy_skip`` step), else the host whose failure breaks it, else the file. The trace is
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


def _loc(uri: str, line: int, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": max(1, line)}}}
    if message:
        out["message"] = {"text": message}
    return out


def _flow(trace: Any) -> list[dict[str, Any]]:
    if trace is None:
        return []
    steps = []
    for i, st in enumerate(trace.steps):
        label = ("FAULT " if st.kind == "fault" else "ENV " if st.kind == "env" else "") + st.label
        steps.append({"location": {"message": {"text": f"step {i + 1}: {label}"}}})
    if trace.loop is not None:
        steps.append({"location": {"message": {"text": f"back to state {trace.loop}: the loop repeats forever"}}})
    return [{"threadFlows": [{"locations": steps}]}] if steps else []


def _uri(path: Any) -> str:
    return Path(str(path)).as_posix()


def _deployment_results(res: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from ..deploy.parse import setting_default, setting_path

    d = res.plan.deployment
    uri = _uri(d.path)
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for r in res.rows:
        rid = f"{r.model}/{r.property}" if r.property != "-" else f"{r.model}/not-checked"
        rules.setdefault(rid, {"id": rid, "name": rid.replace("/", "."),
                               "shortDescription": {"text": f"{r.property} ({r.kind}) of {r.model}"
                                                    if r.property != "-" else f"{r.model} can be checked"}})
        if r.verdict not in LEVEL:
            continue
        changed, written, other = [], [], []
        for s in r.settings:  # settings changed from their default first, then those written in the file
            path = setting_path(d, s)
            loc = _loc(uri, d.line(path), f"setting {s} = {d.settings.get(s)!r}")
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


def _model_results(result: CheckResult, source: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    uri = _uri(source or f"models/{result.model}.py")
    rules, results = [], []
    for p in result.properties:
        rid = f"{result.model}/{p.name}"
        rules.append({"id": rid, "name": rid.replace("/", "."), "shortDescription": {"text": f"{p.name} ({p.kind})"}})
        if p.verdict not in LEVEL:
            continue
        r: dict[str, Any] = {"ruleId": rid, "level": LEVEL[p.verdict], "message": {"text": f"{p.name}: {p.line}"},
                             "locations": [_loc(uri, 1)], "properties": {"verdict": p.verdict, "trace_files": p.trace_files}}
        flows = _flow(p.trace)
        if flows:
            r["codeFlows"] = flows
        results.append(r)
    return rules, results


def to_sarif(result: Any, source: str | None = None) -> dict[str, Any]:
    if isinstance(result, CheckResult):
        rules, results = _model_results(result, source)
    else:
        rules, results = _deployment_results(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hacheck", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "results": results,
        }],
    }


def write_sarif(result: Any, path: str | Path, source: str | None = None) -> None:
    try:
        Path(path).write_text(json.dumps(to_sarif(result, source), indent=2) + "\n")
    except OSError as e:
        raise HacheckError(f"{path}: cannot write the SARIF report: {e.strerror}") from None
