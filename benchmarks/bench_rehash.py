"""Growing the hash set's table: ``rehash`` (old slots in table order, each row read at random)
against ``rebuild`` (rows read in store order), CPU seconds, on random 2-word rows:

    .venv/bin/python benchmarks/bench_rehash.py --states 4000000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from hacheck.explicit import _hashset_numba as k

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=4_000_000)
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    rows = np.unique(rng.integers(0, 2**62, size=(args.states, 2), dtype=np.uint64), axis=0)
    rows = rows[rng.permutation(len(rows))]
    n = len(rows)
    hm = np.uint64(0xFFFFFFFFFFFFFFFF)
    slots = 1 << (2 * n - 1).bit_length()  # at most half full, as the search keeps it
    old = np.zeros(slots, dtype=np.int32)
    k.build(old, hm, rows, 0, n, 0, 1)
    none = np.zeros((1, 2), dtype=np.uint64)
    for _ in range(args.reps):
        a = np.zeros(2 * slots, dtype=np.int32)
        c = time.process_time()
        k.rehash(old, a, hm, rows, none)
        t1 = time.process_time() - c
        b = np.zeros(2 * slots, dtype=np.int32)
        c = time.process_time()
        k.rebuild(b, hm, rows, n, none, 0, 0, 1)
        t2 = time.process_time() - c
        same = np.array_equal(np.sort(a), np.sort(b))
        print(f"{n:,} states, {slots:,} -> {2 * slots:,} slots: rehash {t1:.3f} s CPU, rebuild {t2:.3f} s CPU, "
              f"same entries: {same}")


if __name__ == "__main__":
    main()
