"""``hacheck availability MODEL|DEPLOYMENT``: long-run availability per measure, min and max over
schedulers, as a fraction and as downtime per year; ``--require`` turns it into a CI gate.

Exit codes: 0 every reported measure meets ``--require`` (or none was asked), 1 some does not
(judged on the minimum over schedulers: a guarantee), 2 bad input, 3 the chain does not fit the
bounds (``--max-states``, memory), or a measure given as bounds (a Gluster volume of several
replica sets) straddles ``--require`` and none is shown below it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import attrs

from ..lang.errors import BadInput
from ..result import fmt_int

# the chain and the solver (numpy, scipy) are imported when a command runs, not when the parser is
# built: every hacheck command builds this parser, and a safety check must not map scipy
HOURS_PER_YEAR = 8766.0
PRECISION = 1e-7  # hacheck/avail/solve.py PRECISION (a test keeps them equal)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
JSON_SCHEMA_ID = "hacheck-availability/1"


def add_parser(sub: Any) -> None:
    a = sub.add_parser("availability", help="long-run availability from failure and repair rates (min/max over schedulers)")
    a.add_argument("path", help="a shipped model's name, a model file (.py) or a deployment file (.toml)")
    a.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="report only this availability measure (repeatable; default: every one the model declares)")
    a.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    a.add_argument("--faults", metavar="KIND[,KIND]", help="let only these fault actions happen")
    a.add_argument("--rate", action="append", default=[], metavar="ACTION=PER_HOUR",
                   help="the rate of an action (events per hour), or ACTION=mean:HOURS; an instance: 'crash(h=h1)=0.001'")
    a.add_argument("--require", metavar="PERCENT", help="exit 1 unless every measure's minimum is at least this (99.9)")
    a.add_argument("--max-states", type=int, default=None, metavar="N",
                   help="give up (exit 3) above N states (default 1,000,000)")
    a.add_argument("--concurrent", type=int, default=2, metavar="N",
                   help="deployment files: at most N unrepaired failures at a time (default 2; for a model: "
                        "--param max_faults=N)")
    a.add_argument("--json", metavar="FILE", help="write the figures as JSON here ('-' for standard output)")


@attrs.frozen
class Row:
    part: str  # "" for a model file; the model's label for a deployment
    measure: str
    low: float
    high: float
    states: int
    nondeterministic: bool
    doc: str = ""
    recovery: tuple = ()  # solve.Recovery per timed action that starts outages
    exact: bool = True  # False: low/high are sound bounds, not the chain's min/max (a volume of several replica sets)

    def downtime_minutes(self, a: float) -> float:
        return (1.0 - a) * HOURS_PER_YEAR * 60.0


def parse_require(text: str | None) -> float | None:
    if text is None:
        return None
    t = text.strip().rstrip("%")
    try:
        v = float(t)
    except ValueError:
        raise BadInput(f"--require {text}: give a percentage such as 99.9") from None
    if not 0 < v <= 100:
        raise BadInput(f"--require {text}: a percentage above 0 and at most 100")
    return v / 100.0


def cmd_availability(args: argparse.Namespace) -> int:
    from .chain import ChainTooLarge, parse_rate_options

    require = parse_require(args.require)
    if args.max_states is not None and args.max_states < 1:
        raise BadInput(f"--max-states must be at least 1, got {args.max_states}")
    max_states = args.max_states or 1_000_000
    t0 = time.monotonic()
    try:
        if str(args.path).endswith(".toml"):
            from .deployment import deployment_rows

            if args.param or args.faults:
                raise BadInput("--param/--faults: for a deployment file the settings come from the file")
            if not 1 <= args.concurrent <= 3:
                raise BadInput(f"--concurrent must be 1, 2 or 3, got {args.concurrent}")
            rows, notes = deployment_rows(args.path, parse_rate_options(args.rate), max_states, args.property,
                                          args.concurrent)
            title = f"{args.path}"
        else:
            rows, notes = model_rows(args.path, args.param, args.faults, parse_rate_options(args.rate),
                                     max_states, args.property)
            title = args.path
    except ChainTooLarge as e:
        partial = getattr(e, "rows", None)
        if partial:
            print(render_text(str(args.path), partial, e.notes + [f"not computed: {u}" for u in e.unknown],  # type: ignore[attr-defined]
                              require, time.monotonic() - t0))
        sys.stderr.write(f"hacheck: availability not computed: {e}\n")
        if args.json:
            _write_json(args.json, {"schema": JSON_SCHEMA_ID, "path": str(args.path), "computed": False,
                                    "reason": str(e), "exit_code": EXIT_UNKNOWN})
        return EXIT_UNKNOWN
    seconds = time.monotonic() - t0
    judged = [meets(r, require) for r in rows]
    ok = all(j == "ok" for j in judged)
    code = EXIT_OK if ok else EXIT_FAILED if "below" in judged else EXIT_UNKNOWN
    print(render_text(title, rows, notes, require, seconds))
    if args.json:
        _write_json(args.json, to_json(str(args.path), rows, notes, require, ok, seconds, code))
    return code


def meets(r: Row, require: float | None) -> str:
    """``--require`` on one row, judged on its minimum (a guarantee): "ok", "below", or "undecided"
    when the row is a pair of bounds that straddles the requirement (exit 3: not decided within them)."""
    if require is None or min(r.low, r.high) + PRECISION >= require:
        return "ok"
    if not r.exact and max(r.low, r.high) + PRECISION >= require:
        return "undecided"
    return "below"


def model_rows(path: str, params: list[str], faults: str | None, rates: Any, max_states: int,
               measures: list[str]) -> tuple[list[Row], list[str]]:
    from ..loader import build_model, load_spec, parse_params

    spec = load_spec(path)
    overrides = parse_params(spec, params)
    if any(i.name == "availability" for i in spec.param_info()) and "availability" not in overrides:
        overrides["availability"] = True  # the model's repair steps for the long run
    model = build_model(spec, overrides)
    if faults:
        model.restrict_faults([k.strip() for k in faults.split(",") if k.strip()])
    return chain_rows(model, rates, max_states, measures or None, "")


def chain_rows(model: Any, rates: Any, max_states: int, measures: list[str] | None, part: str,
               rename: dict[str, str] | None = None, idle_note: bool = False) -> tuple[list[Row], list[str]]:
    """Rows of one chain. ``idle_note``: also name the rated faults no timed step of the chain takes
    (enabled only between immediate steps: probability 0 under maximal progress)."""
    from .chain import build_chain
    from .solve import long_run

    chain = build_chain(model, rates, max_states, measures)
    res = long_run(chain, measures)
    rows = []
    for a in res:
        lo, hi = sorted((a.low, a.high))
        name = (rename or {}).get(a.measure, a.measure)
        rows.append(Row(part, name, lo, hi, chain.n, chain.nondeterministic, model.measures[a.measure].doc,
                        a.recovery))
    left_out = sorted({i.action for i in model.instances if i.kind in ("fault", "env") and rates.of(i) is None})
    notes = []
    prefix = f"{part}: " if part else ""
    if left_out:
        notes.append(f"{prefix}no rate, never happen: {', '.join(left_out)}")
    present = {i.action for i in chain.instances if i.kind == "fault"}
    timed = sorted({f"{i.action} {rates.of(i):.3g}/h" for i in chain.instances
                    if i.kind in ("fault", "env") and rates.of(i) is not None
                    and (not i.repairs or any(x in present for x in i.repairs))})  # repairs of absent faults: idle
    if timed:
        notes.append(f"{prefix}rates: {', '.join(timed)}")
    if idle_note:
        fired = {chain.instances[a].action for a in set(chain.rate_act.tolist())}
        idle = sorted({i.action for i in chain.instances if i.kind == "fault" and rates.of(i) is not None} - fired)
        if idle:
            notes.append(f"{prefix}rated but never enabled while time passes (only between protocol steps, which take "
                         f"no time): {', '.join(idle)}")
    return rows, notes


def _pct(a: float) -> str:
    return f"{100 * a:.5f} %"


def render_text(title: str, rows: list[Row], notes: list[str], require: float | None, seconds: float) -> str:
    out = [f"{title}: long-run availability (min / max over schedulers; precision {PRECISION:g})"]
    w = max([len(_label(r)) for r in rows] + [7])
    out.append(f"  {'measure'.ljust(w)}  {'min':>12}  {'max':>12}  {'downtime/year (max..min)':>26}  states")
    for r in rows:
        dt = f"{r.downtime_minutes(r.high):.2f}..{r.downtime_minutes(r.low):.2f} min"
        mark = ""
        if require is not None:
            j = meets(r, require)
            mark = "  ok" if j == "ok" else f"  BELOW {100 * require:g} %" if j == "below" else \
                f"  UNDECIDED: the bounds straddle {100 * require:g} %"
        out.append(f"  {_label(r).ljust(w)}  {_pct(r.low):>12}  {_pct(r.high):>12}  {dt:>26}  {fmt_int(r.states)}{mark}")
    rec = [r for r in rows if r.recovery]
    if rec:
        out.append("  recovery by failure (scheduler of the minimum): outages/year, mean time to recovery, downtime/year")
        for r in rec:
            parts = [f"{x.action} {x.per_year:.3g}/y, MTTR {_dur(x.mttr_hours)}, {x.downtime_minutes:.2f} min"
                     for x in r.recovery]
            out.append(f"    {_label(r)}: " + "; ".join(parts))
    for n in notes:
        out.append(f"  {n}")
    out.append(f"  solved in {seconds:.1f} s")
    return "\n".join(out)


def _dur(hours: float) -> str:
    if hours != hours or hours == float("inf"):
        return "never"
    if hours < 1 / 60:
        return f"{hours * 3600:.0f} s"
    if hours < 2:
        return f"{hours * 60:.1f} min"
    return f"{hours:.2f} h"


def _label(r: Row) -> str:
    text = f"{r.part}: {r.measure}" if r.part else r.measure
    return text if r.exact else f"{text} (bounds)"


def to_json(path: str, rows: list[Row], notes: list[str], require: float | None, ok: bool,
            seconds: float, code: int | None = None) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA_ID, "path": path, "computed": True, "precision": PRECISION,
        "require": require, "met": ok, "exit_code": code if code is not None else EXIT_OK if ok else EXIT_FAILED,
        "seconds": round(seconds, 3),
        "measures": [{"part": r.part, "name": r.measure, "min": r.low, "max": r.high,
                      "downtime_minutes_per_year": {"min": r.downtime_minutes(r.high), "max": r.downtime_minutes(r.low)},
                      "states": r.states, "nondeterministic": r.nondeterministic, "exact": r.exact,
                      "recovery": [{"action": x.action, "outages_per_year": x.per_year, "mttr_hours": x.mttr_hours,
                                    "downtime_minutes_per_year": x.downtime_minutes} for x in r.recovery]}
                     for r in rows],
        "notes": notes,
    }


def _write_json(target: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2) + "\n"
    if target == "-":
        from ..report.json_report import STDOUT

        (STDOUT[-1] if STDOUT else sys.stdout).write(text)
        return
    p = Path(target)
    if not p.parent.exists():
        raise BadInput(f"--json {target}: folder {p.parent} does not exist")
    p.write_text(text)


def export_drn(args: argparse.Namespace) -> int:
    """``hacheck export MODEL --drn``: the chain ``hacheck availability`` solves, for Storm."""
    from ..loader import build_model, load_spec, parse_params
    from .chain import ChainTooLarge, build_chain, parse_rate_options
    from .drn import to_drn

    spec = load_spec(args.path)
    overrides = parse_params(spec, args.param)
    if any(i.name == "availability" for i in spec.param_info()) and "availability" not in overrides:
        overrides["availability"] = True
    model = build_model(spec, overrides)
    if args.faults:
        model.restrict_faults([k.strip() for k in args.faults.split(",") if k.strip()])
    try:
        chain = build_chain(model, parse_rate_options(args.rate), 1_000_000, args.property or None)
    except ChainTooLarge as e:
        sys.stderr.write(f"hacheck: chain not exported: {e}\n")
        return EXIT_UNKNOWN
    text = to_drn(chain)
    if not args.out or args.out == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.out)
    if not target.parent.exists():
        raise BadInput(f"--out {target}: folder {target.parent} does not exist")
    target.write_text(text)
    print(f"{target}: {fmt_int(chain.n)} states, labels {', '.join(chain.labels)}; in Storm: "
          f"LRAmin=? [\"{next(iter(chain.labels))}\"]")
    return EXIT_OK


__all__ = ["add_parser", "cmd_availability", "export_drn"]
