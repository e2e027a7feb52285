"""``hacheck diff OLD.toml NEW.toml``: what a change to a deployment does to its verdicts."""

from __future__ import annotations

from typing import Any

import attrs

from .parse import setting_path
from .run import NOT_CHECKED, DeploymentResult, Row

BROKEN, FIXED = "broken", "fixed"


@attrs.define
class Change:
    model: str
    property: str
    what: str  # broken | fixed | recovery longer | recovery shorter | verdict changed | new | removed
    old: Row | None
    new: Row | None
    scenarios: list[str] = attrs.field(factory=list)  # the scenarios where it broke (or was fixed)
    trace: Any = None  # a counterexample of the new deployment in one of those scenarios
    trace_files: dict[str, str] = attrs.field(factory=dict)
    legend: tuple[tuple[str, str], ...] = ()
    shown: str = ""  # the scenario of ``trace``

    def line(self) -> str:
        o = _verdict(self.old)
        n = _verdict(self.new)
        head = f"{self.property} [{self.model}]"
        if self.what in ("recovery longer", "recovery shorter"):
            assert self.old and self.new
            return f"{head}: {self.what}: {self.old.recovery} -> {self.new.recovery}"
        if self.scenarios and self.old and self.new and self.old.verdict == self.new.verdict:
            where = ", ".join(self.scenarios[:4]) + (f" (+{len(self.scenarios) - 4} more)" if len(self.scenarios) > 4 else "")
            return f"{head}: {self.what} in {len(self.scenarios)} more scenario(s): {where} (now: {n})"
        return f"{head}: {self.what}: {o} -> {n}"


def _verdict(r: Row | None) -> str:
    if r is None:
        return "(absent)"
    if r.verdict == NOT_CHECKED:
        return NOT_CHECKED
    return f"{r.verdict} ({r.explanation})"


def _ticks(r: Row) -> float | None:
    if not r.recovery:
        return None
    if r.recovery == "unbounded":
        return float("inf")
    return float(r.recovery_ticks) if r.recovery_ticks is not None else None


@attrs.define
class Diff:
    old: DeploymentResult
    new: DeploymentResult
    changes: list[Change]
    settings: list[tuple[str, Any, Any, int | None, int | None]]

    @property
    def broken(self) -> bool:
        return any(c.what == BROKEN for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        from .. import __version__

        od, nd = self.old.plan.deployment, self.new.plan.deployment
        return {
            "schema": 1, "kind": "deployment-diff", "hacheck_version": __version__,
            "old": str(od.path), "new": str(nd.path), "exit_code": 1 if self.broken else 0,
            "changes": [{"model": c.model, "property": c.property, "change": c.what,
                         "old": _verdict(c.old), "new": _verdict(c.new), "scenarios": c.scenarios,
                         "old_recovery": c.old.recovery if c.old else None,
                         "new_recovery": c.new.recovery if c.new else None,
                         "trace_files": dict(c.trace_files or (c.new.trace_files if c.new else {}))}
                        for c in self.changes],
            "settings": [{"setting": s, "old": _j(a), "new": _j(b), "old_line": la, "new_line": lb}
                         for s, a, b, la, lb in self.settings],
        }


def _j(v: Any) -> Any:
    return None if v is _ABSENT else v


_ABSENT = object()


def _by_run(r: Row) -> dict[str, tuple[Any, Any]]:
    return {o.planned.scenario.label + (f", {o.planned.part}" if o.planned.part else ""): (o, p) for o, p in r.entries}


def _newly(o: Row, n: Row, verdict: str) -> list[tuple[str, Any, Any]]:
    """Runs of ``n`` with ``verdict`` whose scenario had another verdict in ``o``."""
    before = {k: p.verdict for k, (_, p) in _by_run(o).items()}
    return [(k, oo, p) for k, (oo, p) in _by_run(n).items() if p.verdict == verdict and before.get(k, verdict) != verdict]


def diff(old: DeploymentResult, new: DeploymentResult, out_dir: Any = None) -> Diff:
    from pathlib import Path

    from .run import trace_rank, trace_stem, write_trace

    orows = {(r.model, r.property): r for r in old.rows}
    nrows = {(r.model, r.property): r for r in new.rows}
    changes: list[Change] = []
    for k in list(orows) + [k for k in nrows if k not in orows]:
        o, n = orows.get(k), nrows.get(k)
        if o is None:
            changes.append(Change(k[0], k[1], "new", None, n))
            continue
        if n is None:
            changes.append(Change(k[0], k[1], "removed", o, None))
            continue
        broke = _newly(o, n, "violated") if n.kind != "reachable" else []
        fixed = _newly(n, o, "violated") if n.kind != "reachable" else []
        if o.verdict != n.verdict or broke or fixed:
            what = BROKEN if broke else FIXED if fixed or (o.verdict, n.verdict) == ("violated", "holds") \
                else "verdict changed"
            ch = Change(k[0], k[1], what, o, n, [x[0] for x in (broke or fixed)])
            if broke:  # the new counterexample: the shortest among the scenarios that broke
                key, oo, p = min(broke, key=lambda x: trace_rank(x[2]))
                ch.shown = key
                from .cache import trace_of

                ch.trace = trace_of(p)
                if out_dir is not None and ch.trace is not None:
                    ch.trace_files = write_trace(p, Path(out_dir), trace_stem(n.stem_base, oo, ch.trace.kind))
                ch.legend = oo.planned.legend
            changes.append(ch)
            continue
        to, tn = _ticks(o), _ticks(n)
        if to is not None and tn is not None and to != tn:
            changes.append(Change(k[0], k[1], "recovery longer" if tn > to else "recovery shorter", o, n))
    od, nd = old.plan.deployment, new.plan.deployment
    settings = []
    for s in list(od.settings) + [s for s in nd.settings if s not in od.settings]:
        if s in ("name", "description"):
            continue
        a = od.settings.get(s, _ABSENT)
        b = nd.settings.get(s, _ABSENT)
        if a != b:
            la = od.line(setting_path(od, s)) if a is not _ABSENT else None
            lb = nd.line(setting_path(nd, s)) if b is not _ABSENT else None
            settings.append((s, a, b, la, lb))
    return Diff(old, new, changes, settings)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return str(v)


def render(d: Diff, quiet: bool = False) -> list[str]:

    od, nd = d.old.plan.deployment, d.new.plan.deployment
    out = [f"diff {od.path} -> {nd.path}"]
    out.append(f"  settings that differ ({len(d.settings)}):")
    for s, a, b, la, lb in d.settings:
        sa = "(absent)" if a is _ABSENT else toml_value(a)
        sb = "(absent)" if b is _ABSENT else toml_value(b)
        where = f"{od.path}:{la}" if la else ""
        where += (" -> " if where and lb else "") + (f"{nd.path}:{lb}" if lb else "")
        out.append(f"    {s}: {sa} -> {sb}  ({where})")
    if not d.settings:
        out.append("    none")
    out.append(f"  verdicts that changed ({len(d.changes)}):")
    for c in d.changes:
        out.append("    " + c.line())
    if not d.changes:
        out.append("    none: every property has the same verdict and recovery time")
    broken = [c for c in d.changes if c.what == BROKEN]
    out.append(f"  {'BROKEN' if broken else 'ok'}: {len(broken)} propert{'y' if len(broken) == 1 else 'ies'} that held "
               f"now violated" if broken else "  ok: no property that held is violated now")
    if not quiet:
        from ..report.text import trace_lines

        for c in broken:
            if c.trace is not None:
                out.append("")
                where = f" ({c.shown})" if c.shown else ""
                out.append(f"New counterexample for {c.property} in {c.model}{where}:")
                if c.legend:
                    out.append("  names: " + "; ".join(f"{a} = {b}" for a, b in c.legend))
                out += trace_lines(c.trace)[1:]
                if c.trace_files:
                    out.append("  files: " + ", ".join(c.trace_files.values()))
    return out
