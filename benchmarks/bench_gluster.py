"""Measure the GlusterFS replicate/arbiter model (the tables in docs/models/gluster.md).

Run: .venv/bin/python benchmarks/bench_gluster.py [--big [--huge]] [--liveness-only]
Each safety row runs every safety property of the model (so the search is exhaustive unless a
bound stops it) and prints states, seconds and, per property, the verdict and the trace length.
The liveness rows check ``volume_writable`` and, on the same model and parameters, every safety
property, and print both times and their ratio (issue 6: liveness at most 3x safety).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.check import run_check  # noqa: E402
from hacheck.explicit.search import Bounds, check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

SPEC = load_spec(ROOT / "models" / "gluster_arbiter.py")
R2 = {"replica": 2, "arbiter": False}

CASES = [
    ("replica 2, quorum none", {**R2, "quorum_type": "none"}),
    ("replica 2, quorum auto", {**R2, "quorum_type": "auto"}),
    ("replica 2, quorum fixed 1", {**R2, "quorum_type": "fixed", "quorum_count": 1}),
    ("replica 3 arbiter 1, auto, all rules (defaults)", {}),
    ("  eager_lock off", {"eager_lock": False}),
    ("  ping_stall off", {"ping_stall": False}),
    ("  no window (eager_lock off, ping_stall off)", {"eager_lock": False, "ping_stall": False}),
    ("  heal_choice any", {"heal_choice": "any"}),
    ("  full_lock off", {"full_lock": False}),
    ("  arbiter_veto off", {"arbiter_veto": False}),
    ("  write_subvol_check off", {"write_subvol_check": False}),
    ("  in_flight_check off", {"in_flight_check": False}),
    ("  heal_accused_quorum off", {"heal_accused_quorum": False}),
    ("  quorum_loss erofs", {"quorum_loss": "erofs"}),
    ("  server_quorum server", {"server_quorum": "server"}),
    ("arbiter, max_faults=3", {"max_faults": 3}),
    ("replica 3, auto, all rules", {"arbiter": False}),
    ("replica 3, max_faults=3", {"arbiter": False, "max_faults": 3}),
    ("arbiter, writes=3", {"writes": 3}),
    ("arbiter, 1 client, writes=3 (eager-lock handover)", {"clients": 1, "writes": 3}),
]
BIG = [
    ("replica 3, max_faults=4", {"arbiter": False, "max_faults": 4}),
    ("arbiter, max_faults=4", {"max_faults": 4}),
    ("arbiter, writes=3, max_faults=3", {"writes": 3, "max_faults": 3}),
    ("replica 3, writes=3, max_faults=4", {"arbiter": False, "writes": 3, "max_faults": 4}),
]
BIGGEST = ("replica 3, writes=3, max_faults=4", )  # 75 million states before issue 14: --big skips it unless --huge

# (title, params, fault kinds or None for every kind)
NODE = ["brick_crash"]
LIVE = [
    ("arbiter, one node lost (any)", {"max_faults": 1}, NODE),
    ("replica 2 auto, brick0 lost", {**R2, "quorum_type": "auto", "max_faults": 1, "crash_brick": 0}, NODE),
    ("replica 2 auto, brick1 lost", {**R2, "quorum_type": "auto", "max_faults": 1, "crash_brick": 1}, NODE),
    ("arbiter, any single fault", {"max_faults": 1}, None),
    ("arbiter, two nodes lost", {"max_faults": 2}, NODE),
    ("arbiter, defaults (2 faults, any kind)", {}, None),
    ("arbiter, 4 writes, any single fault", {"writes": 4, "max_faults": 1}, None),
    ("arbiter, full_lock off, 3 writes, any single fault", {"full_lock": False, "writes": 3, "max_faults": 1}, None),
    ("arbiter, 3 faults", {"max_faults": 3}, None),
]
LIVE_BIG = [
    ("arbiter, full_lock off, 4 writes, any single fault", {"full_lock": False, "writes": 4, "max_faults": 1}, None),
]


def model_for(params, kinds):
    m = build_model(SPEC, params)
    if kinds is not None:
        m.restrict_faults(kinds)
    return m


def timed(params, kinds, names, repeat):
    """Best CPU time over ``repeat`` runs of run_check (building and compiling included, as the CLI).
    CPU time, not wall time: this machine's two cores are shared, and others' load is not ours."""
    best, result = None, None
    for _ in range(repeat):
        m = model_for(params, kinds)
        props = [p for p in m.properties.values() if p.name in names] if names else \
            [p for p in m.properties.values() if p.is_safety]
        t = time.process_time()
        result = run_check(m, props)
        dt = time.process_time() - t
        best = dt if best is None else min(best, dt)
    return best, result


def liveness(cases, repeat: int) -> None:
    print(f"volume_writable (liveness) vs every safety property, same model and parameters (best of {repeat}):")
    for title, params, kinds in cases:
        ts, rs = timed(params, kinds, None, repeat)
        tl, rl = timed(params, kinds, ["volume_writable"], repeat)
        p = rl.properties[0]
        if p.verdict == "violated":
            t = p.trace
            what = f"lasso stem {t.loop}, loop {len(t.steps) - t.loop}: " + ", ".join(s.label for s in t.steps)
        else:
            what = p.extra.get("recovery", "") if p.extra else ""
        faults = ",".join(kinds) if kinds else "any"
        print(f"{title} [faults {faults}]: {rl.stats.states:,} states, {rl.stats.transitions:,} transitions; "
              f"safety {ts:.2f} s (complete={rs.stats.complete}), liveness {tl:.2f} s (CPU), ratio {tl / ts:.2f}x")
        print(f"    volume_writable {p.verdict}: {what}")


def main() -> None:
    big = "--big" in sys.argv
    if "--liveness-only" not in sys.argv:
        big_cases = [c for c in BIG if c[0] not in BIGGEST or "--huge" in sys.argv]
        safety(CASES + (big_cases if big else []))
    liveness(LIVE, 3)
    if big:
        liveness(LIVE_BIG, 1)


def safety(cases) -> None:
    for title, params in cases:
        m = build_model(SPEC, params)
        t = time.monotonic()
        r = check(m, bounds=Bounds(max_seconds=1200))
        dt = time.monotonic() - t
        print(f"{title}: {r.stats.states:,} states, {dt:.2f} s, complete={r.stats.complete} {r.stats.stop_reason}")
        for p in r.properties:
            length = p.trace.length if p.trace else "-"
            print(f"    {p.name:20s} {p.verdict:9s} {length}")


if __name__ == "__main__":
    main()
