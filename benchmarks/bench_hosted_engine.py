"""Time the hosted-engine model's verdicts (the tables in docs/models/hosted-engine.md): safety
verdicts, the liveness property ``engine_recovers`` with its worst-case recovery time, the standard
deployment (``models/standalone_engine.py``) for comparison, and the cost of the liveness check
against the safety check on the same model and parameters.

Run: ``.venv/bin/python benchmarks/bench_hosted_engine.py [--three]`` (``--three`` adds the 3-host
safety rows without symmetry and the 3-host upstream-timer rows).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.check import run_check  # noqa: E402
from hacheck.explicit.search import check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

SPEC = load_spec(ROOT / "models" / "hosted_engine.py")
STANDALONE = load_spec(ROOT / "models" / "standalone_engine.py")
UPSTREAM = {"host_alive_timeout": 6, "engine_starting_timeout": 60, "bad_health_timeout": 30,
            "unexpected_down_timeout": 56, "lease_host_dead": 14, "lease_kill_after": 8, "vm_boot_ticks": 18,
            "vm_boot_min_ticks": 18}
STEADY = {"start": "engine_up"}

CASES = [
    ("defaults", {}, "no_dual_writer"),
    ("defaults, paused copy", {}, "no_dual_engine"),
    ("unbounded delays", {"vm_boot_ticks": 0, "agent_restart_ticks": 0}, "no_dual_writer"),
    ("sanlock_lease=false", {"sanlock_lease": False}, "no_dual_engine"),
    ("ties, <= rule", {"max_faults": 0, "maintenance_steps": 0}, "engine_started"),
    ("ties, < rule", {"max_faults": 0, "maintenance_steps": 0, "start_rule": "lt"}, "engine_started"),
    ("fresh-agent race", {}, "fresh_start_race"),
    ("hosts=3", {"hosts": 3}, "no_dual_writer"),
]

# engine_recovers: (title, params, fault kinds or None for all)
LIVE = [
    ("2 hosts, cold start, any single fault (defaults)", {}, None),
    ("3 hosts, cold start, any single fault", {"hosts": 3}, None),
    ("2 hosts, steady state, any single fault", STEADY, None),
    ("3 hosts, steady state, any single fault", {**STEADY, "hosts": 3}, None),
    ("2 hosts, steady state, host crash (FAQ)", STEADY, ("host_crash",)),
    ("3 hosts, steady state, host crash (FAQ)", {**STEADY, "hosts": 3}, ("host_crash",)),
    ("2 hosts, upstream timers, cold start, any fault", {**UPSTREAM, "maintenance_steps": 0}, None),
    ("2 hosts, upstream timers, steady, any fault", {**UPSTREAM, **STEADY, "maintenance_steps": 0}, None),
    ("2 hosts, upstream timers, steady, host crash (FAQ)", {**UPSTREAM, **STEADY, "maintenance_steps": 0}, ("host_crash",)),
    ("3 hosts, upstream timers, steady, host crash (FAQ)",
     {**UPSTREAM, **STEADY, "maintenance_steps": 0, "hosts": 3}, ("host_crash",)),
    ("vm_boot_ticks=4 (boot > starting timeout)", {"vm_boot_ticks": 4}, None),
    ("agent_restart_ticks=0 (no restart bound)", {"agent_restart_ticks": 0}, None),
    ("start_rule=lt, no fault, no operator", {"start_rule": "lt", "max_faults": 0, "maintenance_steps": 0}, None),
]
LIVE_THREE = [
    ("3 hosts, upstream timers, steady, any fault", {**UPSTREAM, **STEADY, "maintenance_steps": 0, "hosts": 3}, None),
]

STANDALONE_CASES = [
    ("engine_recovers, any single fault", {}, None, "engine_recovers"),
    ("ha_vm_restarted, any single fault", {}, None, "ha_vm_restarted"),
    ("ha_vm_restarted, engine node + hypervisor (2 faults)", {"max_faults": 2}, None, "ha_vm_restarted"),
]

# liveness vs safety cost on the same model and parameters
RATIO = [
    ("2 hosts, defaults", {}),
    ("3 hosts, defaults", {"hosts": 3}),
    ("2 hosts, upstream timers, no operator", {**UPSTREAM, "maintenance_steps": 0}),
]


def lengths(p) -> str:
    return p.trace.shape if p.trace is not None else "-"


def model(spec, params, faults=None):
    m = build_model(spec, params)
    if faults:
        m.restrict_faults(faults)
    return m


def safety_table(cases) -> None:
    print("| case | property | verdict | states | symmetry | seconds | trace |")
    print("|---|---|---|---:|---|---:|---:|")
    for title, params, prop in cases:
        for sym in (True, False):
            m = model(SPEC, params)
            t0 = time.perf_counter()
            r = check(m, [m.properties[prop]], symmetry=sym)
            secs = time.perf_counter() - t0
            p = r.properties[0]
            print(f"| {title} | {prop} | {p.verdict} | {r.stats.states:,} | {'yes' if sym else 'no'} | {secs:.2f} | {lengths(p)} |")


def liveness_table(spec, cases, prop_of=lambda case: "engine_recovers") -> None:
    print("\n| case | property | verdict | states | seconds | worst-case recovery | trace |")
    print("|---|---|---|---:|---:|---|---|")
    for case in cases:
        title, params, faults = case[:3]
        prop = prop_of(case)
        m = model(spec, params, faults)
        t0 = time.perf_counter()
        r = run_check(m, [m.properties[prop]])
        secs = time.perf_counter() - t0
        p = r.properties[0]
        rec = str(p.extra.get("recovery", "-")).replace("worst-case recovery ", "")
        print(f"| {title} | {prop} | {p.verdict} | {r.stats.states:,} | {secs:.2f} | {rec} | {lengths(p)} |")


def best_of(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ratio_table() -> None:
    print("\n| liveness vs safety: case | states (full graph) | transitions | safety s (symmetry) "
          "| safety s (no symmetry) | liveness s | ratio to safety (symmetry) | ratio to safety (no symmetry) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for title, params in RATIO:
        repeat = 3 if params.get("hosts", 2) == 2 else 1
        m = model(SPEC, params)
        ts, _ = best_of(lambda: check(m, [m.properties["no_dual_writer"]]), repeat)
        tn, _ = best_of(lambda: check(m, [m.properties["no_dual_writer"]], symmetry=False), repeat)
        tl, rl = best_of(lambda: run_check(m, [m.properties["engine_recovers"]]), repeat)
        print(f"| {title} | {rl.stats.states:,} | {rl.stats.transitions:,} | {ts:.2f} | {tn:.2f} | {tl:.2f} "
              f"| {tl / ts:.2f}x | {tl / tn:.2f}x |")


def main() -> None:
    three = "--three" in sys.argv
    safety_table(CASES if three else [c for c in CASES if c[0] != "hosts=3"])
    liveness_table(SPEC, LIVE + (LIVE_THREE if three else []))
    print("\nstandard deployment (models/standalone_engine.py, 2 hypervisors, 2 HA VMs):")
    liveness_table(STANDALONE, STANDALONE_CASES, prop_of=lambda case: case[3])
    ratio_table()


if __name__ == "__main__":
    main()
