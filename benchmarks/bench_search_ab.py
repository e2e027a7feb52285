"""hacheck's search alone on rows of benchmarks/bench_vs_spin.py: this checkout against another, alternating.

Each run is a fresh process with the start-up cache off and ``HACHECK_NATIVE=first`` (what
bench_vs_spin.py does), so the search's seconds are the search's alone; CPU seconds are the whole
process's threads during the search. Best of ``--reps``, median in parentheses:

    git worktree add /tmp/before BASE-COMMIT     # or: git archive BASE | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_search_ab.py --before /tmp/before --rows 3,4 --reps 3

SPIN is not run here (bench_vs_spin.py does that); a figure of SPIN's may be given with
``--spin ROW=STATES_PER_S`` to print the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, os, resource, sys, time
t0 = time.monotonic()
sys.path.insert(0, os.getcwd())
from hacheck.loader import build_model, load_spec
from hacheck.explicit.search import Explorer
def model(path, params):
    return build_model(load_spec(path), params)
{build}
ex = Explorer(m, symmetry={symmetry!r})
t1 = time.monotonic()
c0 = time.process_time()
r = ex.run([])
cpu = time.process_time() - c0
print(json.dumps(dict(states=r.stats.states, search=r.stats.seconds, cpu=cpu, startup=t1 - t0,
                      rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      native=getattr(ex, "native_chunks", 0))))
"""


def run(root: Path, build: str, symmetry: bool) -> dict:
    env = dict(os.environ, HACHECK_CACHE_DIR="off", HACHECK_NATIVE="first")
    p = subprocess.run([sys.executable, "-c", CHILD.format(build=build, symmetry=symmetry)], cwd=root, env=env,
                       capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"{root}: the child failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def line(name: str, rs: list[dict]) -> str:
    st = rs[0]["states"]
    best = min(rs, key=lambda r: r["search"])
    med = statistics.median(r["search"] for r in rs)
    return (f"  {name}: search {best['search']:.3f} s ({med:.3f}), CPU {best['cpu']:.3f} s "
            f"({statistics.median(r['cpu'] for r in rs):.3f}), {st / best['search']:,.0f} states/s, start-up "
            f"{best['startup']:.2f} s, peak RSS {best['rss'] / st:.0f} B/state, chunks on native code {best['native']}")


def main() -> None:
    from benchmarks.bench_vs_spin import ROWS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the other checkout (its hacheck is imported)")
    ap.add_argument("--rows", required=True, help="comma-separated row numbers (1-based) of bench_vs_spin.py")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--spin", action="append", default=[], metavar="ROW=RATE", help="SPIN DFS states/s of a row")
    args = ap.parse_args()
    spin = {int(k): float(v) for k, v in (x.split("=") for x in args.spin)}
    for k in (int(x) for x in args.rows.split(",")):
        row = ROWS[k - 1]
        got: dict[str, list[dict]] = {"before": [], "after": []}
        for _ in range(args.reps):
            got["before"].append(run(args.before.resolve(), row.build, row.symmetry))
            got["after"].append(run(ROOT, row.build, row.symmetry))
        states = {r["states"] for rs in got.values() for r in rs}
        if len(states) != 1:
            raise SystemExit(f"{row.name}: different state counts {sorted(states)}")
        st = states.pop()
        print(f"row {k} {row.name}: {st:,} states")
        for name, rs in got.items():
            print(line(name, rs))
        if k in spin:
            best = min(r["search"] for r in got["after"])
            print(f"  ratio against SPIN's {spin[k]:,.0f} states/s: {st / best / spin[k]:.2f}")


if __name__ == "__main__":
    main()
