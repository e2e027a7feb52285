"""Measure the GlusterFS replicate/arbiter model (the tables in docs/models/gluster.md).

Run: .venv/bin/python benchmarks/bench_gluster.py [--big]
Each row runs every property of the model (so the search is exhaustive unless a bound stops it)
and prints states, seconds and, per property, the verdict and the trace length.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.explicit.search import Bounds, check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

SPEC = load_spec(ROOT / "models" / "gluster_arbiter.py")
R2 = {"replica": 2, "arbiter": False}

CASES = [
    ("replica 2, quorum none", {**R2, "quorum_type": "none"}),
    ("replica 2, quorum auto", {**R2, "quorum_type": "auto"}),
    ("replica 2, quorum fixed 1", {**R2, "quorum_type": "fixed", "quorum_count": 1}),
    ("replica 3 arbiter 1, auto, all rules (defaults)", {}),
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
]
BIG = [
    ("replica 3, max_faults=4", {"arbiter": False, "max_faults": 4}),
    ("arbiter, max_faults=4", {"max_faults": 4}),
    ("arbiter, writes=3, max_faults=3", {"writes": 3, "max_faults": 3}),
    ("replica 3, writes=3, max_faults=4", {"arbiter": False, "writes": 3, "max_faults": 4}),
]


def main() -> None:
    cases = CASES + (BIG if "--big" in sys.argv else [])
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
