"""``hacheck diff OLD.toml NEW.toml``: what a change to a deployment does to its verdicts.

The gate (exit 1) compares properties, not scenario labels: a property that held in every scenario
of the old file and is violated in any scenario of the new one is broken, whatever the scenarios are
called (renamed hosts, another number of replica sets, an added failure kind). Labels are used only
where both files have them, to say *where* a property that was already violated broke further.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..result import HOLDS, UNKNOWN, VIOLATED
from .parse import setting_path
from .run import NOT_CHECKED, DeploymentResult, Row

BROKEN, FIXED = "broken", "fixed"
VIOLATED_NOW = "violated now"  # violated, and not shown to hold before (unknown, not checked, or absent)
NO_LONGER_CHECKED = "no longer checked"  # held before, not checked (or not concluded) now
NOT_COMPARABLE = "recovery not comparable"  # one side in scaled ticks, the other in upstream seconds
WORST_MOVED = "worst case moved"
NOT_SHOWN_FIXED = "not shown fixed"  # violated before, holds now, but the scenarios that showed it are not checked now
FAILING = (BROKEN, VIOLATED_NOW)  # changes that make ``hacheck diff`` exit 1
NO_FAILURE = "no failure"  # the label of the scenario without a failure (failures.kinds = [])
UNDECIDED = (NO_LONGER_CHECKED, NOT_SHOWN_FIXED)  # changes that make it exit 3 (when none fails)


@attrs.define
class Change:
    model: str
    property: str
    what: str  # broken | violated now | fixed | no longer checked | recovery longer | recovery shorter | ...
    old: Row | None
    new: Row | None
    scenarios: list[str] = attrs.field(factory=list)  # the scenarios where it broke (or was fixed)
    trace: Any = None  # a counterexample of the new deployment in one of those scenarios
    trace_files: dict[str, str] = attrs.field(factory=dict)
    legend: tuple[tuple[str, str], ...] = ()
    shown: str = ""  # the scenario of ``trace``
    detail: str = ""  # extra words for the line (why not comparable, where the worst case moved)

    def line(self) -> str:
        o = _verdict(self.old)
        n = _verdict(self.new)
        head = f"{self.property} [{self.model}]"
        if self.what in ("recovery longer", "recovery shorter", NOT_COMPARABLE, WORST_MOVED):
            assert self.old and self.new
            return f"{head}: {self.what}: {self.old.recovery} -> {self.new.recovery}" + \
                (f" ({self.detail})" if self.detail else "")
        if self.scenarios and self.old and self.new and self.old.verdict == self.new.verdict:
            where = ", ".join(self.scenarios[:4]) + (f" (+{len(self.scenarios) - 4} more)" if len(self.scenarios) > 4 else "")
            return f"{head}: {self.what} in {len(self.scenarios)} more scenario(s): {where} (now: {n})"
        return f"{head}: {self.what}: {o} -> {n}" + (f" ({self.detail})" if self.detail else "")


def _verdict(r: Row | None) -> str:
    if r is None:
        return "(absent)"
    if r.verdict == NOT_CHECKED:
        return f"{NOT_CHECKED}" + (f": {r.explanation}" if r.explanation else "")
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
    dropped: list[str] = attrs.field(factory=list)  # scenarios of the old file the new one no longer checks

    @property
    def broken(self) -> bool:
        return any(c.what in FAILING for c in self.changes)

    @property
    def exit_code(self) -> int:
        """1: a property violated now that was not before; 3: a property that held is no longer shown
        to (not checked, or not concluded), a fix is not shown (its violating scenarios are gone), or
        scenarios are no longer checked; 0: none of these."""
        if self.broken:
            return 1
        if any(c.what in UNDECIDED for c in self.changes) or self.dropped:
            return 3
        return 0

    def to_json(self) -> dict[str, Any]:
        from .. import __version__

        od, nd = self.old.plan.deployment, self.new.plan.deployment
        return {
            "schema": 1, "kind": "deployment-diff", "hacheck_version": __version__,
            "old": str(od.path), "new": str(nd.path), "exit_code": self.exit_code,
            "changes": [{"model": c.model, "property": c.property, "change": c.what,
                         "old": _verdict(c.old), "new": _verdict(c.new), "scenarios": c.scenarios,
                         "old_recovery": c.old.recovery if c.old else None,
                         "new_recovery": c.new.recovery if c.new else None, "detail": c.detail or None,
                         "trace_files": dict(c.trace_files or (c.new.trace_files if c.new else {}))}
                        for c in self.changes],
            "settings": [{"setting": s, "old": _j(a), "new": _j(b), "old_line": la, "new_line": lb}
                         for s, a, b, la, lb in self.settings],
            "scenarios_no_longer_checked": list(self.dropped),
        }


def _j(v: Any) -> Any:
    return None if v is _ABSENT else v


_ABSENT = object()


def _run_key(o: Any) -> str:
    return o.planned.scenario.label + (f", {o.planned.part}" if o.planned.part else "")


def _by_run(r: Row) -> dict[str, tuple[Any, Any]]:
    return {_run_key(o): (o, p) for o, p in r.entries}


def _faults_key(o: Any) -> tuple[Any, ...] | None:
    """A run in the model's terms: the faults it allows (h1, h2, ...), not the deployment's host names."""
    spec = getattr(o.planned, "spec", None)
    if spec is None:
        return None
    return (spec.model, tuple(f.text for f in spec.faults), o.planned.part)


def _matched(o: Row, n: Row) -> dict[str, str]:
    """Run key of ``n`` -> the run key of ``o`` it is the same check as: the same label, else (hosts
    renamed) the one run of ``o`` with the same faults in the model's terms."""
    old, new = _by_run(o), _by_run(n)
    by_faults: dict[Any, list[str]] = {}
    for k, (oo, _) in old.items():
        fk = _faults_key(oo)
        if fk is not None:
            by_faults.setdefault(fk, []).append(k)
    out: dict[str, str] = {}
    for k, (nn, _) in new.items():
        if k in old:
            out[k] = k
            continue
        fk = _faults_key(nn)
        same = by_faults.get(fk, []) if fk is not None else []
        if len(same) == 1 and same[0] not in new:
            out[k] = same[0]
    return out


def _still_checked(o: Row, n: Row) -> set[str]:
    """The run keys of ``o`` that ``n`` still checks: matched (:func:`_matched`), or the same failure
    scenario in another replica-set layout (the hosts that fail are what a scenario is)."""
    labels = {oo.planned.scenario.label for oo, _ in _by_run(n).values()}
    if labels:  # every check allows "at most N faults": the runs without a failure are in any scenario
        labels.add(NO_FAILURE)
    keep = set(_matched(n, o))
    return keep | {k for k, (oo, _) in _by_run(o).items() if oo.planned.scenario.label in labels}


def _newly(o: Row, n: Row, verdict: str) -> list[tuple[str, Any, Any]]:
    """Runs of ``n`` with ``verdict`` in a scenario that ``o`` also has (:func:`_matched`), with another
    verdict there. A scenario ``o`` does not have is not compared here (see :func:`_compare`)."""
    before = {k: p.verdict for k, (_, p) in _by_run(o).items()}
    m = _matched(o, n)
    return [(k, oo, p) for k, (oo, p) in _by_run(n).items() if p.verdict == verdict and k in m
            and before[m[k]] != verdict]


def _violations(n: Row) -> list[tuple[str, Any, Any]]:
    return [(k, oo, p) for k, (oo, p) in _by_run(n).items() if p.verdict == VIOLATED]


def _scale(r: Row) -> str:
    return r.timers


def _compare(k: tuple[str, str], o: Row | None, n: Row | None, gone: dict[str, Row]) -> Change | None:
    """The change of one (model, property), or None."""
    model, prop = k
    if n is None:
        assert o is not None
        if prop == "-":  # the model could not be checked before and now can: its rows say the rest
            return None
        why = gone.get(model)
        what = NO_LONGER_CHECKED if o.verdict == HOLDS else "removed"
        return Change(model, prop, what, o, why, detail="" if why else "the property is not checked any more")
    if o is None:
        if prop == "-":  # the model cannot be checked any more: said on each of its properties
            return None
        if n.verdict == VIOLATED and n.kind != "reachable":
            return Change(model, prop, VIOLATED_NOW, None, n, [x[0] for x in _violations(n)])
        return Change(model, prop, "new", None, n)
    if n.kind == "reachable":
        return Change(model, prop, "verdict changed", o, n) if o.verdict != n.verdict else None
    if n.verdict == VIOLATED and o.verdict != VIOLATED:
        # held in every scenario before (or was not shown to hold): violated now, whatever the labels
        what = BROKEN if o.verdict == HOLDS else VIOLATED_NOW
        return Change(model, prop, what, o, n, [x[0] for x in _violations(n)])
    if n.verdict == VIOLATED:  # violated before and after: broken further where both have the scenario
        broke = _newly(o, n, VIOLATED)
        fixed = _newly(n, o, VIOLATED)
        if broke:
            return Change(model, prop, BROKEN, o, n, [x[0] for x in broke])
        vo, vn = _violations(o), _violations(n)
        m = _matched(o, n)
        unmatched = [x[0] for x in vn if x[0] not in m]
        if unmatched and len(vn) > len(vo):  # worse, where the old file cannot say: a possible break fails the gate
            return Change(model, prop, BROKEN, o, n, unmatched,
                          detail=f"violated in {len(vn)} runs, was {len(vo)}; {len(unmatched)} of them in scenarios "
                                 "that cannot be matched to the old file's")
        if fixed:
            return Change(model, prop, FIXED, o, n, [x[0] for x in fixed])
        return None
    if o.verdict == VIOLATED:
        if n.verdict != HOLDS:
            return Change(model, prop, "verdict changed", o, n)
        kept = _still_checked(o, n)
        gone = [x[0] for x in _violations(o) if x[0] not in kept]
        if gone:
            return Change(model, prop, NOT_SHOWN_FIXED, o, n, gone,
                          detail="its violating scenarios are no longer checked: " + ", ".join(gone[:4])
                                 + (f" (+{len(gone) - 4} more)" if len(gone) > 4 else ""))
        return Change(model, prop, FIXED, o, n)
    if o.verdict == HOLDS and n.verdict in (UNKNOWN, NOT_CHECKED):
        return Change(model, prop, NO_LONGER_CHECKED, o, n)
    if o.verdict != n.verdict:
        return Change(model, prop, "verdict changed", o, n)
    if _scale(o) != _scale(n) and (o.recovery or n.recovery):
        return Change(model, prop, NOT_COMPARABLE, o, n,
                      detail=f"{_scale(o) or 'upstream'} timers -> {_scale(n) or 'upstream'} timers: scaled ticks "
                      "are not seconds, so the times are not compared")
    to, tn = _ticks(o), _ticks(n)
    if to is not None and tn is not None and to != tn and o.scenario and _by_run(o) \
            and o.scenario not in _still_checked(o, n):
        return Change(model, prop, NOT_COMPARABLE, o, n,
                      detail=f"the old worst case ({o.scenario}) is no longer checked")
    if to is not None and tn is not None and to != tn:
        return Change(model, prop, "recovery longer" if tn > to else "recovery shorter", o, n)
    if o.recovery and o.scenario and n.scenario and o.scenario != n.scenario \
            and o.scenario in _by_run(n) and n.scenario in _by_run(o):  # both files have both scenarios
        return Change(model, prop, WORST_MOVED, o, n, detail=f"{o.scenario} -> {n.scenario}")
    return None


def diff(old: DeploymentResult, new: DeploymentResult, out_dir: Any = None) -> Diff:
    from pathlib import Path

    from .run import in_units, trace_rank, trace_stem, write_trace

    orows = {(r.model, r.property): r for r in old.rows}
    nrows = {(r.model, r.property): r for r in new.rows}
    gone = {r.model: r for r in new.rows if r.property == "-"}  # models the new file cannot check
    changes: list[Change] = []
    for k in list(orows) + [k for k in nrows if k not in orows]:
        ch = _compare(k, orows.get(k), nrows.get(k), gone)
        if ch is None:
            continue
        n = ch.new
        if ch.what in FAILING and n is not None and ch.scenarios:
            # the new counterexample: the shortest among the scenarios where it is violated now
            runs = {x[0]: x for x in (_violations(n))}
            key, oo, p = min((runs[s] for s in ch.scenarios if s in runs), key=lambda x: trace_rank(x[2]))
            ch.shown = key
            from .cache import trace_of

            ch.trace = in_units(trace_of(p), n.timers)
            ch.legend = oo.planned.legend
            if out_dir is not None and ch.trace is not None:
                ch.trace_files = write_trace(p, Path(out_dir), trace_stem(n.stem_base, oo, ch.trace.kind), ch.legend,
                                             n.timers)
            if ch.trace is not None:  # printed in the deployment's names, as the trace files are
                from .names import rename_trace

                ch.trace = rename_trace(ch.trace, ch.legend)
        changes.append(ch)
    kept: dict[str, bool] = {}  # old scenario label -> still checked by some property of the new file
    for k, o in orows.items():
        n = nrows.get(k)
        if n is None or not o.entries or not n.entries:
            continue
        still = _still_checked(o, n)
        for key, (oo, _) in _by_run(o).items():
            label = oo.planned.scenario.label
            kept[label] = kept.get(label, False) or key in still
    dropped = [s for s, k in kept.items() if not k]
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
    return Diff(old, new, changes, settings, dropped)


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
    if d.dropped:
        out.append(f"  scenarios no longer checked ({len(d.dropped)}): " + "; ".join(d.dropped[:6])
                   + (f" (+{len(d.dropped) - 6} more)" if len(d.dropped) > 6 else ""))
    broken = [c for c in d.changes if c.what in FAILING]
    unsure = [c for c in d.changes if c.what in UNDECIDED]
    if broken:
        out.append(f"  BROKEN: {len(broken)} propert{'y' if len(broken) == 1 else 'ies'} violated now that "
                   f"{'was' if len(broken) == 1 else 'were'} not before")
    elif unsure or d.dropped:
        why = []
        gone = [c for c in unsure if c.what == NO_LONGER_CHECKED]
        if gone:
            why.append(f"{len(gone)} propert{'y' if len(gone) == 1 else 'ies'} that held "
                       f"{'is' if len(gone) == 1 else 'are'} not shown to hold now")
        unfixed = [c for c in unsure if c.what == NOT_SHOWN_FIXED]
        if unfixed:
            why.append(f"{len(unfixed)} propert{'y' if len(unfixed) == 1 else 'ies'} not shown fixed (the scenarios "
                       "that violated it are no longer checked)")
        if d.dropped:
            why.append(f"{len(d.dropped)} scenario{'s' if len(d.dropped) != 1 else ''} no longer checked")
        out.append("  INCONCLUSIVE: " + "; ".join(why))
    else:
        out.append("  ok: no property that held is violated now")
    if not quiet:
        from ..report.text import trace_lines

        for c in broken:
            if c.trace is not None:
                out.append("")
                where = f" ({c.shown})" if c.shown else ""
                out.append(f"New counterexample for {c.property} in {c.model}{where}:")
                out += trace_lines(c.trace)[1:]
                if c.trace_files:
                    out.append("  files: " + ", ".join(c.trace_files.values()))
    return out
