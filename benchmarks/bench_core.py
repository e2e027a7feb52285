"""Explicit-engine throughput: distinct states/s and bytes per stored state.

    .venv/bin/python benchmarks/bench_core.py            # the three scalable models
    .venv/bin/python benchmarks/bench_core.py --only lease4

Figures, not pass/fail: the floor for the core issue is >= 100,000 distinct states/s on one core
and <= 200 bytes per stored state, for a model of about 20 variables and 10^6 states.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.models import flips, lease_hosts  # noqa: E402
from hacheck.explicit.search import check  # noqa: E402

MODELS = {
    "flips20": lambda: flips(20),
    "lease4": lambda: lease_hosts(4, timer=1, epochs=2),
    "lease3": lambda: lease_hosts(3, timer=3, epochs=3),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=sorted(MODELS), action="append")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"{'model':<10} {'fields':>6} {'states':>11} {'transitions':>12} {'depth':>5} {'seconds':>8} "
          f"{'states/s':>10} {'B/state':>8} {'peak RSS B/state':>16}  verdicts")
    for name in args.only or list(MODELS):
        m = MODELS[name]()
        t0 = time.monotonic()
        r = check(m, symmetry=False)  # raw throughput: every state, no orbit reduction
        wall = time.monotonic() - t0
        s = r.stats
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"{name:<10} {len(m.fields):>6} {s.states:>11,} {s.transitions:>12,} {s.depth:>5} {wall:>8.2f} "
              f"{s.states / wall:>10,.0f} {s.bytes_per_state:>8.0f} {rss / s.states:>16.0f}  "
              + "; ".join(f"{p.name}: {p.line}" for p in r.properties))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
