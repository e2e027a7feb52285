"""Measure the fencing model's verdicts and state counts (the tables in docs/models/fencing.md):
safety verdicts, the liveness property ``ha_vm_restarted`` with its worst-case recovery time, and
the cost of the liveness check against the safety check on the same model and parameters.

Run: .venv/bin/python benchmarks/bench_fencing.py [--big]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.check import run_check  # noqa: E402
from hacheck.deploy.mapping import FaultPattern, restrict_instances  # noqa: E402
from hacheck.explicit.search import check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

SPEC = load_spec(ROOT / "models" / "fencing.py")
NO_MANUAL = {"manual_confirm_allowed": False}
NO_OPERATOR = {"manual_confirm_allowed": False, "operator_actions": False}
LEASES = {"vm_leases": True, "resume_behaviour": "kill"}
HOST_FAULTS = ("crash", "power_cycle", "hang", "partition")

CASES = [
    ("truthful PM, no manual confirm (defaults)", NO_MANUAL, "no_dual_running_vm"),
    ("  same, max_faults=2", {**NO_MANUAL, "max_faults": 2}, "no_dual_running_vm"),
    ("pm_reports=faulty", {**NO_MANUAL, "pm_reports": "faulty"}, "no_dual_running_vm"),
    ("  faulty + skip_if_sd_active", {**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True}, "no_dual_running_vm"),
    ("  faulty + skip_if_sd_active, max_faults=2",
     {**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True, "max_faults": 2}, "no_dual_running_vm"),
    ("manual confirm allowed, no lease (defaults)", {}, "no_dual_running_vm"),
    ("  same, max_faults=2", {"max_faults": 2}, "no_dual_running_vm"),
    ("  same, power_management=none", {"power_management": "none"}, "no_dual_running_vm"),
    ("  same, skip_if_sd_active", {"skip_if_sd_active": True}, "no_dual_running_vm"),
    ("manual confirm allowed, vm_leases", LEASES, "no_dual_running_vm"),
    ("  same, max_faults=2", {**LEASES, "max_faults": 2}, "no_dual_running_vm"),
    ("2 hosts, skip_if_connectivity_broken, 50 %",
     {**NO_MANUAL, "hosts": 2, "vms": 2, "skip_if_connectivity_broken": True}, "vm_stuck_unknown"),
    ("  same, no_dual_running_vm",
     {**NO_MANUAL, "hosts": 2, "vms": 2, "skip_if_connectivity_broken": True}, "no_dual_running_vm"),
    ("UI policy defaults (both skips on), 3 hosts",
     {**NO_MANUAL, "skip_if_sd_active": True, "skip_if_connectivity_broken": True}, "no_dual_running_vm"),
    ("scale: 3 hosts, 3 VMs, 1 fault, safety properties", {**NO_MANUAL, "hosts": 3, "vms": 3}, None),
    ("scale: 4 hosts, 4 VMs, 1 fault, leases + sd wait",
     {**NO_MANUAL, **LEASES, "hosts": 4, "vms": 4, "skip_if_sd_active": True}, None),
    ("scale: 3 hosts, 3 VMs, 2 faults, leases + sd wait",
     {**NO_MANUAL, **LEASES, "skip_if_sd_active": True, "max_faults": 2}, None),
]
BIG = [
    ("scale: 3 hosts, 3 VMs, 3 faults, leases", {**LEASES, "max_faults": 3}, None),
]

# (title, params on top of NO_OPERATOR, fault kinds)
LIVE = [
    ("one crash (3 hosts, 3 VMs)", {}, ("crash",)),
    ("one crash, grace_ticks=2 (BZ 2071468)", {"grace_ticks": 2}, ("crash",)),
    ("one crash, grace_ticks=8 (SPM)", {"grace_ticks": 8}, ("crash",)),
    ("one power cycle (C7)", {}, ("power_cycle",)),
    ("one crash / power cycle / hang / partition", {}, HOST_FAULTS),
    ("one crash, skip_if_sd_active", {"skip_if_sd_active": True}, ("crash",)),
    ("one crash, vm_leases", LEASES, ("crash",)),
    ("one hang, vm_leases", LEASES, ("hang",)),
    ("one crash, vm_leases, no PM", {**LEASES, "power_management": "none"}, ("crash",)),
    ("one crash, 2 hosts, skip_if_connectivity_broken 50 %",
     {"hosts": 2, "vms": 2, "skip_if_connectivity_broken": True}, ("crash",)),
    ("one crash, 2 hosts, no free capacity (C9)", {"hosts": 2, "vms": 2, "host_capacity": 1}, ("crash",)),
    ("  same, reboot_heals", {"hosts": 2, "vms": 2, "host_capacity": 1, "reboot_heals": True}, ("crash",)),
    ("one crash, no PM on h1", {"power_management": "h2,h3"}, ("crash",)),
    ("one hang, skip_if_sd_active", {"skip_if_sd_active": True}, ("hang",)),
    ("crash + PM unreachable (2 faults)", {"max_faults": 2}, ("crash", "pm_unreachable")),
    ("crash + engine restart (2 faults)", {"max_faults": 2}, ("crash", "engine_restart")),
    ("  same, restart only while h1 is in Reboot", {"max_faults": 2},
     [FaultPattern("crash", (("h", "h1"),)), FaultPattern("engine_restart", (), (("status[h1]", "==", "Reboot"),))]),
    ("  same, restart only after STOP got through (h1 off)", {"max_faults": 2},
     [FaultPattern("crash", (("h", "h1"),)), FaultPattern("engine_restart", (), (("power[h1]", "==", False),))]),
    ("  same, restart only between in_fence_flow and STOP", {"max_faults": 2},
     [FaultPattern("crash", (("h", "h1"),)), FaultPattern("engine_restart", (), (("tr[h1]", "==", "restart"),))]),
    ("4 hosts, 4 VMs, 2 host failures", {"hosts": 4, "vms": 4, "max_faults": 2}, HOST_FAULTS),
    ("4 hosts, 4 VMs, 2 host failures, vm_leases", {**LEASES, "hosts": 4, "vms": 4, "max_faults": 2}, HOST_FAULTS),
]

# liveness vs safety cost, same model and parameters: (title, params on top of NO_OPERATOR, fault kinds)
RATIO = [
    ("3 hosts, 3 VMs, 1 crash", {}, ("crash",)),
    ("4 hosts, 4 VMs, 2 host failures", {"hosts": 4, "vms": 4, "max_faults": 2}, HOST_FAULTS),
    ("4 hosts, 4 VMs, 2 host failures, vm_leases", {**LEASES, "hosts": 4, "vms": 4, "max_faults": 2}, HOST_FAULTS),
]
RATIO_BIG = [
    ("4 hosts, 4 VMs, 3 host failures", {"hosts": 4, "vms": 4, "max_faults": 3}, HOST_FAULTS),
]


def live_model(params, faults):
    """Fault kinds (names), or fault patterns (instances, optionally only at given states)."""
    m = build_model(SPEC, {**NO_OPERATOR, **params})
    if faults and isinstance(faults[0], FaultPattern):
        restrict_instances(m, faults)
    else:
        m.restrict_faults(faults)
    return m


def fault_names(faults) -> str:
    return ",".join(f.text if isinstance(f, FaultPattern) else f for f in faults)


def lengths(p) -> str:
    return p.trace.shape if p.trace is not None else "-"


def safety_table(cases) -> None:
    print("| case | property | verdict | states | seconds | trace |")
    print("|---|---|---|---:|---:|---:|")
    for title, params, prop in cases:
        m = build_model(SPEC, params)
        props = [m.properties[prop]] if prop else None
        t0 = time.perf_counter()
        r = check(m, props)
        secs = time.perf_counter() - t0
        for p in r.properties:
            print(f"| {title} | {p.name} | {p.verdict} | {r.stats.states:,} | {secs:.2f} | {lengths(p)} |")


def liveness_table() -> None:
    print("\n| ha_vm_restarted: case | faults | verdict | states | seconds | worst-case recovery | trace |")
    print("|---|---|---|---:|---:|---|---|")
    for title, params, faults in LIVE:
        m = live_model(params, faults)
        t0 = time.perf_counter()
        r = run_check(m, [m.properties["ha_vm_restarted"]])
        secs = time.perf_counter() - t0
        p = r.properties[0]
        rec = p.extra.get("recovery", "-").replace("worst-case recovery ", "")
        print(f"| {title} | {fault_names(faults)} | {p.verdict} | {r.stats.states:,} | {secs:.2f} | {rec} | {lengths(p)} |")


def timed(make, prop: str, repeat: int) -> tuple[float, object]:
    """Best CPU seconds of ``repeat`` runs (CPU time, not wall time: this machine is shared)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        m = make()
        t0 = time.process_time()
        result = run_check(m, [m.properties[prop]])
        best = min(best, time.process_time() - t0)
    return best, result


def ratio_table(cases) -> None:
    print("\n| liveness vs safety: case | states | transitions | safety CPU s | liveness CPU s | ratio | liveness verdict |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for title, params, faults in cases:
        def make():
            return live_model(params, faults)
        ts, rs = timed(make, "no_dual_running_vm", 1)
        repeat = 1 if rs.stats.states > 1_000_000 else 3
        if repeat > 1:
            ts = min(ts, timed(make, "no_dual_running_vm", repeat - 1)[0])
        tl, rl = timed(make, "ha_vm_restarted", repeat)
        p = rl.properties[0]
        print(f"| {title} | {rl.stats.states:,} | {rl.stats.transitions:,} | {ts:.2f} | {tl:.2f} | {tl / ts:.2f}x | {p.verdict} |")


def main() -> None:
    big = "--big" in sys.argv
    safety_table(CASES + (BIG if big else []))
    liveness_table()
    ratio_table(RATIO + (RATIO_BIG if big else []))


if __name__ == "__main__":
    main()
