"""JUnit XML for CI: one test case per property (per model, for a deployment).

A test case's time is the time spent on it in this run: a search that decides several properties
(and a deployment's model check that decides several rows) shares its time among them, so the
cases add up to the checking time; a verdict replayed from the cache takes 0 s and carries a
``cached`` property. The suite's time is the run's wall time.

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
    sharing: dict[int, int] = {}  # properties decided by one search share its time
    for p in result.properties:
        sharing[id(p.stats)] = sharing.get(id(p.stats), 0) + 1
    for p in result.properties:
        body = "\n".join(trace_lines(p.trace)) if p.trace is not None else ""
        if p.trace_files:
            body += "\nfiles: " + ", ".join(p.trace_files.values())
        cases.append({"classname": f"hacheck.{result.model}", "name": p.name,
                      "time": p.stats.seconds / sharing[id(p.stats)], "cached": False,
                      "verdict": p.verdict, "line": p.line, "recovery": p.extra.get("recovery", ""), "body": body})
    return f"{result.model}" + (f" ({source})" if source else ""), cases


def _cases_of_deployment(res: Any) -> tuple[str, list[dict[str, Any]]]:
    from ..deploy.report import trace_text

    d = res.plan.deployment
    refs: dict[int, int] = {}  # one model check decides several rows (and scenarios): its time is shared
    for r in res.rows:
        for o, _p in r.entries:
            refs[id(o.result)] = refs.get(id(o.result), 0) + 1
    cases = []
    for r in res.rows:
        line = r.explanation if r.verdict == "not checked" else f"{r.verdict} ({r.explanation})"
        spent = sum(0.0 if o.cached or o.result is None else o.result.stats.seconds / refs[id(o.result)]
                    for o, _p in r.entries)
        cached = bool(r.entries) and all(o.cached for o, _p in r.entries)
        cases.append({"classname": f"hacheck.{d.name}.{r.model}", "name": r.property if r.property != "-" else r.model,
                      "time": spent, "cached": cached, "verdict": r.verdict, "line": line, "recovery": r.recovery,
                      "body": "\n".join(trace_text(r))})
    return f"{d.name} ({d.path})", cases


def to_xml(result: Any, source: str | None = None) -> ET.Element:
    if isinstance(result, CheckResult):
        suite_name, cases = _cases_of_model(result, source)
    else:
        suite_name, cases = _cases_of_deployment(result)
    failures = sum(1 for c in cases if c["verdict"] == "violated")
    errors = sum(1 for c in cases if c["verdict"] in ("unknown", "not checked"))
    total_time = result.stats.seconds if isinstance(result, CheckResult) else result.seconds  # wall time of the run
    root = ET.Element("testsuites", name="hacheck", tests=str(len(cases)), failures=str(failures),
                      errors=str(errors), time=f"{total_time:.3f}")
    suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases)), failures=str(failures),
                          errors=str(errors), skipped="0", time=f"{total_time:.3f}",
                          timestamp=datetime.datetime.now().replace(microsecond=0).isoformat())
    for c in cases:
        tc = ET.SubElement(suite, "testcase", classname=c["classname"], name=c["name"], time=f"{c['time']:.3f}")
        if c["cached"]:  # a cache hit replays the verdict, not the time it once took
            props = ET.SubElement(tc, "properties")
            ET.SubElement(props, "property", name="cached", value="true")
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
