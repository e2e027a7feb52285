#!/usr/bin/env python3
"""Regenerate the verdict tables of docs/models/*.md from real runs, so they cannot drift.

Each table lives between ``<!-- BEGIN GENERATED TABLE name -->`` and ``<!-- END GENERATED TABLE name -->``
in its page; the rows below say what to run. Only exact figures are written (verdict, states,
shortest trace length, recovery interval); wall-clock seconds are not, they depend on the machine.

    .venv/bin/python scripts/gen_model_tables.py            # rewrite every table
    .venv/bin/python scripts/gen_model_tables.py --check    # exit 1 if a committed table differs
    .venv/bin/python scripts/gen_model_tables.py --table hosted-engine-liveness

tests/test_model_tables.py runs the ``--check`` comparison (slow).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hacheck.check import run_check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402
from hacheck.result import fmt_int  # noqa: E402

HE_PAGE = ROOT / "docs" / "models" / "hosted-engine.md"
HE_MODEL = ROOT / "models" / "hosted_engine.py"
UPSTREAM = {"host_alive_timeout": 6, "engine_starting_timeout": 60, "bad_health_timeout": 30,
            "unexpected_down_timeout": 56, "lease_host_dead": 14, "lease_kill_after": 8, "vm_boot_ticks": 18,
            "vm_boot_min_ticks": 18, "maintenance_steps": 0}
STEADY = {"start": "engine_up"}
QUIET = {"max_faults": 0, "maintenance_steps": 0}


@attrs.frozen
class Row:
    """One run: what the first columns say, and what to check."""

    label: str
    params: dict
    prop: str
    faults: tuple[str, ...] = ()
    symmetry: bool = True
    faults_text: str = "any single fault"


def _params_text(params: dict) -> str:
    return " ".join(f"`{k}={str(v).lower() if isinstance(v, bool) else v}`" for k, v in params.items()) or "defaults"


def _run(model: Path, row: Row):
    m = build_model(load_spec(model), row.params)
    if row.faults:
        m.restrict_faults(list(row.faults))
    r = run_check(m, [m.properties[row.prop]], symmetry=row.symmetry)
    return r.properties[0], r.stats


def _verdict(p) -> str:
    return p.verdict if p.verdict == "holds" else f"**{p.verdict}**"


def _how(p) -> str:
    if p.method.startswith("exhaustive") or p.method == "exhaustive":
        return "exhaustive"
    return p.method


def _trace(p) -> str:
    if p.trace is None:
        return "-"
    shape = p.trace.shape
    return f"lasso: {shape}" if p.trace.loop is not None else shape


def _recovery(p) -> str:
    e = p.extra or {}
    if e.get("unbounded"):
        return "unbounded"
    if "recovery_interval" not in e:
        return "-"
    b, w = e["recovery_interval"]
    tick = (e.get("recovery_seconds") or 0) // w if w else 10
    return f"[{b}, {w}] ticks = [{b * tick}, {w * tick}] s"


def safety_table(model: Path, rows: list[Row]) -> str:
    out = ["| parameters (others default) | property | verdict | how | states | symmetry | trace |",
           "|---|---|---|---|---|---|---|"]
    for row in rows:
        p, st = _run(model, row)
        out.append(f"| {row.label} | `{row.prop}` | {_verdict(p)} | {_how(p)} | {fmt_int(st.states)} | "
                   f"{'yes' if row.symmetry else 'no'} | {_trace(p)} |")
    return "\n".join(out)


def liveness_table(model: Path, rows: list[Row]) -> str:
    out = ["| parameters | faults (`--faults`) | property | verdict | states | recovery [best, worst] | trace |",
           "|---|---|---|---|---|---|---|"]
    for row in rows:
        p, st = _run(model, row)
        out.append(f"| {row.label} | {row.faults_text} | `{row.prop}` | {_verdict(p)} | {fmt_int(st.states)} | "
                   f"{_recovery(p)} | {_trace(p)} |")
    return "\n".join(out)


def _he_safety() -> str:
    rows = [
        Row("defaults (2 hosts, 1 fault, 1 operator step)", {}, "no_dual_writer"),
        Row("defaults", {}, "no_dual_writer", symmetry=False),
        Row("defaults", {}, "no_dual_engine"),
        Row("`stop_paused_elsewhere=false` (before BZ 1393839)", {"stop_paused_elsewhere": False}, "no_dual_engine"),
        Row("upstream timers, steady state, `--faults lose_storage`", {**UPSTREAM, **STEADY}, "no_dual_engine",
            faults=("lose_storage",)),
        Row("`vm_boot_ticks=0 agent_restart_ticks=0` (unbounded delays)", {"vm_boot_ticks": 0, "agent_restart_ticks": 0},
            "no_dual_writer"),
        Row("defaults", {}, "fresh_start_race"),
        Row("defaults", {}, "start_refused_by_lease"),
        Row("defaults", {}, "engine_up"),
        Row("`sanlock_lease=false`", {"sanlock_lease": False}, "no_dual_engine"),
        Row("`sanlock_lease=false`", {"sanlock_lease": False}, "no_dual_writer"),
        Row("`max_faults=0 maintenance_steps=0` (equal scores)", QUIET, "engine_started"),
        Row("`max_faults=0 maintenance_steps=0 start_rule=lt`", {**QUIET, "start_rule": "lt"}, "engine_started"),
        Row("`retry_penalty_bug=false`", {"retry_penalty_bug": False}, "no_dual_writer"),
        Row("`lease_kill_after=4` (one tick before host_dead)", {"lease_kill_after": 4}, "no_dual_writer"),
        Row("`hosts=3`", {"hosts": 3}, "no_dual_writer"),
        Row("`hosts=3 sanlock_lease=false`", {"hosts": 3, "sanlock_lease": False}, "no_dual_engine"),
    ]
    return safety_table(HE_MODEL, rows)


def _he_liveness() -> str:
    up = "upstream timers"
    rows = [
        Row("defaults: 2 hosts, cold start, scaled timers", {}, "engine_recovers"),
        Row("`start=engine_up`", STEADY, "engine_recovers"),
        Row("`start=engine_up hosts=3`", {**STEADY, "hosts": 3}, "engine_recovers"),
        Row(f"{up}, cold start", UPSTREAM, "engine_recovers"),
        Row(f"{up}, steady state", {**UPSTREAM, **STEADY}, "engine_recovers"),
        Row(f"{up}, steady state", {**UPSTREAM, **STEADY}, "engine_recovers", faults=("host_crash",),
            faults_text="`host_crash` (the FAQ scenario)"),
        Row(f"{up}, steady state", {**UPSTREAM, **STEADY}, "engine_recovers", faults=("lose_network",),
            faults_text="`lose_network`"),
        Row(f"{up}, steady state", {**UPSTREAM, **STEADY}, "engine_recovers", faults=("lose_storage",),
            faults_text="`lose_storage`"),
        Row(f"{up}, steady state", {**UPSTREAM, **STEADY}, "engine_recovers", faults=("agent_crash",),
            faults_text="`agent_crash`"),
        Row(f"{up}, steady state", {**UPSTREAM, **STEADY}, "engine_recovers", faults=("vm_crash",),
            faults_text="`vm_crash`"),
        Row("`max_faults=3 maintenance_steps=0`", {"max_faults": 3, "maintenance_steps": 0}, "engine_recovers",
            faults=("start_vm_fails",), faults_text="up to 3 `start_vm_fails`"),
        Row("`max_faults=3 maintenance_steps=0 retry_penalty_bug=false`",
            {"max_faults": 3, "maintenance_steps": 0, "retry_penalty_bug": False}, "engine_recovers",
            faults=("start_vm_fails",), faults_text="up to 3 `start_vm_fails`"),
        Row("`vm_boot_ticks=3` (boot may take the whole starting timeout)", {"vm_boot_ticks": 3}, "engine_recovers"),
        Row("`vm_boot_ticks=3 max_faults=0 maintenance_steps=0`", {**QUIET, "vm_boot_ticks": 3}, "engine_recovers",
            faults_text="none"),
        Row("`start_rule=lt max_faults=0 maintenance_steps=0`", {**QUIET, "start_rule": "lt"}, "engine_recovers",
            faults_text="none"),
        Row("`agent_restart_ticks=0` (no bound on systemd's restart)", {"agent_restart_ticks": 0}, "engine_recovers"),
        Row("defaults", {}, "paused_copy_stopped"),
        Row("`stop_paused_elsewhere=false`", {"stop_paused_elsewhere": False}, "paused_copy_stopped"),
    ]
    return liveness_table(HE_MODEL, rows)


TABLES = {
    "hosted-engine-safety": (HE_PAGE, _he_safety),
    "hosted-engine-liveness": (HE_PAGE, _he_liveness),
}


def block_re(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN GENERATED TABLE {re.escape(name)} -->\n)(.*?)(<!-- END GENERATED TABLE "
                      rf"{re.escape(name)} -->)", re.S)


def committed(name: str) -> str:
    """The table as committed in its page (without the markers)."""
    page, _ = TABLES[name]
    m = block_re(name).search(page.read_text())
    if m is None:
        raise SystemExit(f"{page.relative_to(ROOT)}: no markers for table {name!r}")
    return m.group(2).rstrip("\n")


def generate(name: str) -> str:
    return TABLES[name][1]()


def write(name: str, table: str) -> None:
    page, _ = TABLES[name]
    text = page.read_text()
    new, n = block_re(name).subn(lambda m: m.group(1) + table + "\n" + m.group(3), text)
    if n != 1:
        raise SystemExit(f"{page.relative_to(ROOT)}: expected one marked table {name!r}, found {n}")
    page.write_text(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed tables; exit 1 on a difference")
    ap.add_argument("--table", action="append", choices=sorted(TABLES), help="only this table (repeatable)")
    args = ap.parse_args(argv)
    bad = 0
    for name in args.table or sorted(TABLES):
        table = generate(name)
        if args.check:
            if committed(name) != table:
                print(f"table {name} differs from a fresh run:\n{table}")
                bad = 1
        else:
            write(name, table)
            print(f"wrote table {name}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
