#!/usr/bin/env python3
"""Regenerate the tables of docs/availability.md from real runs of ``hacheck availability``.

Each table lives between ``<!-- BEGIN GENERATED TABLE name -->`` and ``<!-- END GENERATED TABLE name -->``.
Only solver figures are written (availability, downtime, outages, chain sizes), never seconds.

    .venv/bin/python scripts/gen_availability_table.py            # rewrite the tables
    .venv/bin/python scripts/gen_availability_table.py --check    # exit 1 if a committed table differs

tests/test_availability_table.py runs the ``--check`` comparison (slow).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hacheck.avail.chain import Rates  # noqa: E402
from hacheck.avail.defaults import DEFAULTS  # noqa: E402
from hacheck.avail.deployment import deployment_rows  # noqa: E402
from hacheck.result import fmt_int  # noqa: E402

PAGE = ROOT / "docs" / "availability.md"
DEPLOYMENTS = [
    ("STAR: self-hosted engine on 2 hosts + Gluster arbiter", "examples/star.toml"),
    ("standalone engine on a bare-metal node", "examples/star-standalone.toml"),
    ("2-host cluster, the Admin Portal's fencing policy", "examples/paper/star-ui-policy.toml"),
]
REPAIRS = {"examples/star.toml": ["host_restart", "host_repair", "brick_restart"],
           "examples/star-standalone.toml": ["engine_node_repair", "host_repair"]}
MAX_STATES = 1_000_000
CONCURRENT = 2  # at most two unrepaired failures at a time (hacheck availability's default for deployments)


def _pct(x: float) -> str:
    return f"{100 * x:.5f} %"


def _min(x: float) -> str:
    return f"{(1 - x) * 8766 * 60:.2f}"


def deployments_table() -> list[str]:
    out = ["| deployment | engine up (min .. max) | engine downtime, min/year | worst HA VM up (min) | "
           "its downtime, min/year | failure that costs most | chain states (engine; VMs) | "
           "engine volume writable: each replica set (exact) | whole volume (bounds), downtime min/year |",
           "|---|---|---|---|---|---|---|---|---|"]
    for label, path in DEPLOYMENTS:
        rows, _notes = deployment_rows(str(ROOT / path), Rates(), MAX_STATES, [], CONCURRENT)
        eng = next(r for r in rows if r.measure == "engine_up")
        vms = [r for r in rows if r.measure.startswith("vm_")]
        worst = min(vms, key=lambda r: r.low)
        costs = [(x.downtime_minutes, f"{x.action} ({r.measure}: {x.per_year:.2f}/year, "
                  f"{x.mttr_hours * 60:.1f} min each)") for r in [eng, worst] for x in r.recovery]
        top = max(costs)[1] if costs else "-"
        out.append(f"| {label} (`{path}`) | {_pct(eng.low)} .. {_pct(eng.high)} | {_min(eng.low)} | "
                   f"{_pct(worst.low)} ({worst.measure}) | {_min(worst.low)} | {top} | "
                   f"{fmt_int(eng.states)}; {fmt_int(worst.states)} | {_volume_cells(rows)} |")
    return out


def _volume_cells(rows: list) -> str:
    """The Gluster volume's columns: each replica set's exact figure (the distinct values), and the
    whole volume's bounds (hacheck/avail/volume.py: union bound below)."""
    sets = [r for r in rows if r.measure == "volume_writable" and " replica set " in r.part]
    whole = [r for r in rows if r.measure == "volume_writable" and " replica set " not in r.part]
    if not whole:
        return "- (no Gluster volume) | -"
    per = ", ".join(sorted({_pct(r.low) for r in sets})) if sets else _pct(whole[0].low)
    w = whole[0]
    if w.exact:
        return f"{per} | exact: {_min(w.low)}"
    return (f"{per} ({len(sets)} sets, {fmt_int(sets[0].states)} states each) | {_pct(w.low)} .. {_pct(w.high)}; "
            f"{_min(w.high)} .. {_min(w.low)}")


def sensitivity_table() -> list[str]:
    mttrs = [1.0, 4.0, 24.0]
    out = ["| downtime, min/year (worst scheduler) | " + " | ".join(f"host MTTR {m:g} h" for m in mttrs) + " |",
           "|---|" + "---|" * len(mttrs)]
    for label, path in DEPLOYMENTS[:2]:
        cells = []
        for mttr in mttrs:
            rates = Rates(by_action={a: 1.0 / mttr for a in REPAIRS[path]})
            rows, _ = deployment_rows(str(ROOT / path), rates, MAX_STATES, ["engine_up"], CONCURRENT)
            cells.append(_min(rows[0].low))
        out.append(f"| {label}: engine | " + " | ".join(cells) + " |")
    # the STAR engine volume: one replica set exactly, and the whole volume's worst bound (union)
    label, path = DEPLOYMENTS[0]
    one, whole = [], []
    for mttr in mttrs:
        rates = Rates(by_action={a: 1.0 / mttr for a in REPAIRS[path]})
        rows, _ = deployment_rows(str(ROOT / path), rates, MAX_STATES, ["volume_writable"], CONCURRENT)
        one.append(_min(next(r for r in rows if " replica set " in r.part).low))
        whole.append(_min(next(r for r in rows if " replica set " not in r.part).low))
    out.append(f"| {label}: Gluster volume, one replica set unwritable (exact) | " + " | ".join(one) + " |")
    out.append(f"| {label}: Gluster volume, some replica set unwritable (at most: union bound) | "
               + " | ".join(whole) + " |")
    return out


TABLES = {"availability-deployments": deployments_table, "availability-sensitivity": sensitivity_table}


def render(name: str) -> str:
    return "\n".join(TABLES[name]()) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--table", choices=sorted(TABLES))
    a = ap.parse_args()
    text = PAGE.read_text()
    stale = []
    for name in ([a.table] if a.table else list(TABLES)):
        pat = re.compile(rf"(<!-- BEGIN GENERATED TABLE {name} -->\n)(.*?)(<!-- END GENERATED TABLE {name} -->)", re.S)
        m = pat.search(text)
        if not m:
            print(f"{PAGE}: no table {name}", file=sys.stderr)
            return 2
        new = render(name)
        if m.group(2) != new:
            stale.append(name)
            text = text[: m.start(2)] + new + text[m.end(2):]
    if a.check:
        if stale:
            print(f"stale tables in {PAGE}: {', '.join(stale)}", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    print(f"{PAGE}: {len(stale)} table(s) rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
