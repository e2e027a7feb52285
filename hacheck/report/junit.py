"""JUnit XML for CI: one test case per property (per model, for a deployment).

``holds`` passes; ``violated`` is a ``<failure>`` carrying the counterexample; ``unknown`` (a bound
was hit) and ``not checked`` (the model cannot represent the deployment) are ``<error>``s, so CI
never reads an inconclusive check as a pass.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ..lang.errors import HacheckError
from ..result import CheckResult


def _cases_of_model(result: CheckResult, source: str | None) -> tuple[str, list[dict[str, Any]]]:
    from .text import trace_lines

    cases = []
    for p in result.properties:
        body = "\n".join(trace_lines(p.trace)) if p.trace is not None else ""
        if p.trace_files:
            body += "\nfiles: " + ", ".join(p.trace_files.values())
        cases.append({"classname": f"hacheck.{result.model}", "name": p.name, "time": p.stats.seconds,
                      "verdict": p.verdict, "line": p.line, "recovery": p.extra.get("recovery", ""), "body": body})
    return f"{result.model}" + (f" ({source})" if source else ""), cases


def _cases_of_deployment(res: Any) -> tuple[str, list[dict[str, Any]]]:
    from ..deploy.report import trace_text

    d = res.plan.deployment
    cases = []
    for r in res.rows:
        line = r.explanation if r.verdict == "not checked" else f"{r.verdict} ({r.explanation})"
        cases.append({"classname": f"hacheck.{d.name}.{r.model}", "name": r.property if r.property != "-" else r.model,
                      "time": r.seconds, "verdict": r.verdict, "line": line, "recovery": r.recovery,
                      "body": "\n".join(trace_text(r))})
    return f"{d.name} ({d.path})", cases


def to_xml(result: Any, source: str | None = None) -> ET.Element:
    if isinstance(result, CheckResult):
        suite_name, cases = _cases_of_model(result, source)
    else:
        suite_name, cases = _cases_of_deployment(result)
    failures = sum(1 for c in cases if c["verdict"] == "violated")
    errors = sum(1 for c in cases if c["verdict"] in ("unknown", "not checked"))
    total_time = sum(c["time"] for c in cases)
    root = ET.Element("testsuites", name="hacheck", tests=str(len(cases)), failures=str(failures),
                      errors=str(errors), time=f"{total_time:.3f}")
    suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases)), failures=str(failures),
                          errors=str(errors), skipped="0", time=f"{total_time:.3f}",
                          timestamp=datetime.datetime.now().replace(microsecond=0).isoformat())
    for c in cases:
        tc = ET.SubElement(suite, "testcase", classname=c["classname"], name=c["name"], time=f"{c['time']:.3f}")
        if c["verdict"] == "violated":
            el = ET.SubElement(tc, "failure", message=c["line"], type="violated")
            el.text = c["body"] or c["line"]
        elif c["verdict"] in ("unknown", "not checked"):
            el = ET.SubElement(tc, "error", message=c["line"], type=c["verdict"].replace(" ", "-"))
            el.text = c["line"]
        out = c["line"] + (f"\nworst-case recovery: {c['recovery']}" if c["recovery"] else "")
        if c["verdict"] == "holds" and c["body"]:
            out += "\n" + c["body"]
        ET.SubElement(tc, "system-out").text = out
    return root


def write_junit(result: Any, path: str | Path, source: str | None = None) -> None:
    root = to_xml(result, source)
    ET.indent(root)
    try:
        Path(path).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
    except OSError as e:
        raise HacheckError(f"{path}: cannot write the JUnit report: {e.strerror}") from None
