"""Measure the fencing model's verdicts and state counts (the table in docs/models/fencing.md).

Run: .venv/bin/python benchmarks/bench_fencing.py [--big]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.explicit.search import check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

SPEC = load_spec(ROOT / "models" / "fencing.py")
NO_MANUAL = {"manual_confirm_allowed": False}
LEASES = {"vm_leases": True, "resume_behaviour": "kill"}

CASES = [
    ("truthful PM, no manual confirm (defaults)", NO_MANUAL, "no_dual_running_vm"),
    ("  same, max_faults=2", {**NO_MANUAL, "max_faults": 2}, "no_dual_running_vm"),
    ("pm_reports=faulty", {**NO_MANUAL, "pm_reports": "faulty"}, "no_dual_running_vm"),
    ("  faulty + skip_if_sd_active", {**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True}, "no_dual_running_vm"),
    ("  faulty + skip_if_sd_active, max_faults=2",
     {**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True, "max_faults": 2}, "no_dual_running_vm"),
    ("manual confirm, no lease (defaults)", {}, "no_dual_running_vm"),
    ("manual confirm, vm_leases", LEASES, "no_dual_running_vm"),
    ("  same, max_faults=2", {**LEASES, "max_faults": 2}, "no_dual_running_vm"),
    ("  same, max_faults=2 (writers only)", {**LEASES, "max_faults": 2}, "no_dual_writing_vm"),
    ("2 hosts, skip_if_connectivity_broken, 50 %",
     {**NO_MANUAL, "hosts": 2, "vms": 2, "skip_if_connectivity_broken": True}, "vm_stuck_unknown"),
    ("  same, no_dual_running_vm",
     {**NO_MANUAL, "hosts": 2, "vms": 2, "skip_if_connectivity_broken": True}, "no_dual_running_vm"),
    ("UI policy defaults (both skips on), 3 hosts",
     {**NO_MANUAL, "skip_if_sd_active": True, "skip_if_connectivity_broken": True}, "no_dual_running_vm"),
    ("scale: 3 hosts, 3 VMs, 1 fault, all properties", {**NO_MANUAL, "hosts": 3, "vms": 3}, None),
    ("scale: 4 hosts, 4 VMs, 1 fault, leases + sd wait",
     {**NO_MANUAL, **LEASES, "hosts": 4, "vms": 4, "skip_if_sd_active": True}, None),
    ("scale: 3 hosts, 3 VMs, 2 faults, leases + sd wait",
     {**NO_MANUAL, **LEASES, "skip_if_sd_active": True, "max_faults": 2}, None),
]
BIG = [
    ("scale: 3 hosts, 3 VMs, 3 faults, leases", {**LEASES, "max_faults": 3}, None),
]


def main() -> None:
    cases = CASES + (BIG if "--big" in sys.argv else [])
    print("| case | property | verdict | states | seconds | trace |")
    print("|---|---|---|---:|---:|---:|")
    for title, params, prop in cases:
        m = build_model(SPEC, params)
        props = [m.properties[prop]] if prop else None
        t0 = time.monotonic()
        r = check(m, props)
        secs = time.monotonic() - t0
        for p in r.properties:
            length = p.trace.length if p.trace else "-"
            print(f"| {title} | {p.name} | {p.verdict} | {r.stats.states:,} | {secs:.2f} | {length} |")


if __name__ == "__main__":
    main()
