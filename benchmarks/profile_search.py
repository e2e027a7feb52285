"""Where the explicit search's time goes, on a row of benchmarks/bench_vs_spin.py.

The search runs once to warm up (kernels loaded, C code built or loaded), then once under
cProfile on one thread (cProfile sees only the thread it runs in), and the profile's own time is
summed by phase; then once more unprofiled with ``--workers`` threads for the wall and CPU seconds:

    .venv/bin/python benchmarks/profile_search.py --row 3                 # hosted_engine defaults
    .venv/bin/python benchmarks/profile_search.py --row 4 --native off    # the numpy successors

Phases: ``successors`` (the C function or the numpy actions), ``hash set`` (hashing and inserting
successors), ``level close`` (ordering a level, appending it to the store, rewriting its slots),
``table growth`` (rehash and build), ``properties`` (none on the bench rows) and ``other``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = [
    ("successors", ("native.py:", "<hacheck-compiled", "stride_tricks", "flatnonzero", "numeric.py")),
    ("hash set", ("insert_chunk", "hash_rows", "count_parts", "visited.py:") ),
    ("level close", ("finish_level", "argsort", "'take'", "store.py", "concatenate")),
    ("table growth", ("rehash", "(build)")),
]


def phase_of(key: tuple[str, int, str]) -> str:
    text = f"{key[0]}:{key[1]}({key[2]})"
    for name, needles in PHASES:
        if any(n in text for n in needles):
            return name
    return "other"


def main() -> None:
    from benchmarks.bench_vs_spin import ROWS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--row", type=int, required=True, help="row number (1-based) of bench_vs_spin.py")
    ap.add_argument("--native", default="first", choices=["first", "off"])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--top", type=int, default=8, help="functions listed")
    args = ap.parse_args()
    os.environ["HACHECK_NATIVE"] = args.native
    from hacheck.explicit.search import Explorer
    from hacheck.loader import build_model, load_spec

    def model(path: str, params: dict):
        return build_model(load_spec(str(ROOT / path)), params)

    row = ROWS[args.row - 1]
    scope: dict = {"model": model}
    exec(row.build, scope)
    m = scope["m"]
    one = Explorer(m, symmetry=row.symmetry, workers=1)
    r = one.run([])
    prof = cProfile.Profile()
    prof.enable()
    r = one.run([])
    prof.disable()
    stats = pstats.Stats(prof)
    by_phase: dict[str, float] = {}
    funcs = []
    for key, (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_phase[phase_of(key)] = by_phase.get(phase_of(key), 0.0) + tt
        funcs.append((tt, f"{Path(key[0]).name}:{key[1]}({key[2]})"))
    total = sum(by_phase.values())
    print(f"{row.name}: {r.stats.states:,} states, {r.stats.transitions:,} transitions, depth {r.stats.depth}, "
          f"{len(m.instances)} action instances, {one.layout.words} word(s) a state, successors by "
          f"{'C' if one.native_chunks else 'numpy'}")
    print(f"profile (1 thread, cProfile's own time {total:.3f} s):")
    for name in [p for p, _ in PHASES] + ["other"]:
        t = by_phase.get(name, 0.0)
        print(f"  {name:<13} {t:7.3f} s  {100 * t / max(total, 1e-9):5.1f}%")
    print("  top functions:")
    for tt, name in sorted(funcs, reverse=True)[:args.top]:
        print(f"    {tt:7.3f} s  {name}")
    ex = Explorer(m, symmetry=row.symmetry, workers=args.workers)
    ex.run([])
    c0, t0 = time.process_time(), time.monotonic()
    r = ex.run([])
    cpu, wall = time.process_time() - c0, time.monotonic() - t0
    print(f"unprofiled, {args.workers} thread(s): search {r.stats.seconds:.3f} s wall, {cpu:.3f} s CPU, "
          f"{r.stats.states / r.stats.seconds:,.0f} states/s")


if __name__ == "__main__":
    main()
