"""hacheck against SPIN on the same model instances: states, states/s, bytes/state.

Each instance is exported with ``hacheck export --promela`` (one d_step per action instance), so
SPIN's "states stored" must equal hacheck's count: the script checks it on every row. hacheck and
SPIN run alternately, ``--reps`` times each (best and median kept); SPIN is built with
``-O2 -DSAFETY -DNOREDUCE -DNOCLAIM``, depth-first and breadth-first. Figures:

- search states/s: hacheck's search time as it reports it (``stats.seconds``); pan's elapsed time;
- end to end: hacheck's whole process (import, build, compile, search); SPIN's ``spin -a`` + gcc + pan;
- B/state: peak resident memory of the process divided by the states.

    .venv/bin/python benchmarks/bench_vs_spin.py            # the README's rows (minutes)
    .venv/bin/python benchmarks/bench_vs_spin.py --quick    # small rows only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (row name, how to build the model in a child process, symmetry)
ROWS = [
    ("lease4 (benchmarks)", "from benchmarks.models import lease_hosts; m = lease_hosts(4)", False, True),
    ("flips20 (benchmarks)", "from benchmarks.models import flips; m = flips(20)", False, True),
    ("hosted_engine defaults", "m = model('models/hosted_engine.py', {})", False, True),
    ("gluster replica 3, max_faults 3", "m = model('models/gluster_arbiter.py', {'max_faults': 3})", False, False),
    ("hosted_engine hosts=3 (no symmetry)", "m = model('models/hosted_engine.py', {'hosts': 3})", False, False),
    ("gluster max_faults 4", "m = model('models/gluster_arbiter.py', {'max_faults': 4})", False, False),
    ("lease4, timer 3", "from benchmarks.models import lease_hosts; m = lease_hosts(4, timer=3)", False, False),
]

CHILD = r"""
import json, resource, sys, time
t0 = time.monotonic()
sys.path.insert(0, {root!r})
from hacheck.loader import build_model, load_spec
from hacheck.check import run_check
def model(path, params):
    return build_model(load_spec({root!r} + '/' + path), params)
{build}
if {export!r}:
    from hacheck.export.promela import to_promela
    open({export!r}, 'w').write(to_promela(m))
    print(json.dumps({{"exported": True}}))
else:
    t1 = time.monotonic()
    r = run_check(m, [], symmetry={symmetry!r})
    print(json.dumps({{"states": r.stats.states, "search": r.stats.seconds, "setup": t1 - t0,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "wall": time.monotonic() - t0}}))
"""


def child(build: str, symmetry: bool, export: str = "") -> dict:
    code = CHILD.format(root=str(ROOT), build=build, symmetry=symmetry, export=export)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"hacheck child failed:\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["process_wall"] = time.monotonic() - t0
    return out


def pan(workdir: Path, dfs: bool, states: int) -> dict:
    from hacheck.export.spin import build_pan

    secs = build_pan((workdir / "model.pml").read_text(), workdir, dfs=dfs, optimize="-O2", noclaim=True)
    w = max(16, min(32, (2 * states).bit_length()))
    args = ["./pan", "-E", f"-w{w}"] + ([f"-m{states + 10}"] if dfs else [])
    t0 = time.monotonic()
    p = subprocess.Popen(args, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read() if p.stdout else ""
    _pid, _status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    import re

    stored = int(float(re.search(r"([0-9.e+]+) states, stored", out).group(1)))
    m = re.search(r"pan: elapsed time ([0-9.e+]+) seconds", out)
    return {"states": stored, "search": float(m.group(1)) if m else wall, "compile": secs, "wall": wall,
            "maxrss_kb": usage.ru_maxrss}


def fmt(n: float) -> str:
    return f"{n / 1000:,.0f}k" if n >= 1000 else f"{n:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the rows marked quick (small instances)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rows", help="comma-separated row numbers (1-based) to run")
    args = ap.parse_args()
    from hacheck.export.spin import spin_available

    if not spin_available():
        raise SystemExit("needs spin and gcc (scripts/setup.sh installs spin from Debian)")
    rows = [r for r in ROWS if (r[3] or not args.quick)]
    if args.rows:
        rows = [ROWS[int(k) - 1] for k in args.rows.split(",")]
    print("| instance | states | hacheck states/s (search) | SPIN DFS states/s | SPIN BFS states/s | ratio (vs DFS) "
          "| hacheck end to end | SPIN end to end (DFS) | hacheck B/state (RSS) | SPIN B/state DFS / BFS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, build, symmetry, _quick in rows:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            child(build, symmetry, export=str(work / "model.pml"))
            hs, ds, bs = [], [], []
            for _ in range(args.reps):
                hs.append(child(build, symmetry))
                states = hs[-1]["states"]
                ds.append(pan(work, True, states))
                bs.append(pan(work, False, states))
            states = hs[0]["states"]
            for r in ds + bs:
                if r["states"] != states:
                    raise SystemExit(f"{name}: SPIN stored {r['states']:,} states, hacheck explored {states:,}")
            h_rate = max(states / h["search"] for h in hs)
            d_rate = max(states / d["search"] for d in ds)
            b_rate = max(states / b["search"] for b in bs)
            h_e2e = min(h["process_wall"] for h in hs)
            d_e2e = min(d["compile"] + d["wall"] for d in ds)
            h_mem = min(h["maxrss_kb"] for h in hs) * 1024 / states
            d_mem = min(d["maxrss_kb"] for d in ds) * 1024 / states
            b_mem = min(b["maxrss_kb"] for b in bs) * 1024 / states
            med = statistics.median(states / h["search"] for h in hs)
            print(f"| {name} | {states:,} | {fmt(h_rate)} (median {fmt(med)}) | {fmt(d_rate)} | {fmt(b_rate)} | "
                  f"{h_rate / d_rate:.2f} | {h_e2e:.1f} s | {d_e2e:.1f} s | {h_mem:.0f} | {d_mem:.0f} / {b_mem:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
