"""Wall time of `hacheck check` on examples/star.toml (the figures in docs/deployment.md): one
failure at a time and two at once (``failures.count = 2``, about 300 scenarios), with one worker
process, two, and through a local Dask cluster of two worker processes, each from an empty cache,
then the re-check from the cache.

Each run is a separate ``hacheck`` process (as a user runs it) with its own empty cache folder;
"CPU" is the user + system time of that process and its children (the workers). A Dask run's
workers belong to the cluster the benchmark starts: its CPU column gives the ``hacheck`` process
alone, then everything, the cluster's start and stop included.

Run: ``.venv/bin/python benchmarks/bench_deploy.py [--count 1,2] [--modes w1,w2,dask,cached]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAR = ROOT / "examples" / "star.toml"
sys.path.insert(0, str(ROOT))  # the Dask workers started here import this hacheck (they inherit sys.path)


def star_with_count(count: int, folder: Path) -> Path:
    text = STAR.read_text()
    text, n = re.subn(r"(?m)^count = 1 ", f"count = {count} ", text)
    assert n == 1, "examples/star.toml has no 'count = 1' line"
    f = folder / f"star-count{count}.toml"
    f.write_text(text)
    return f


def run_once(f: Path, cache: Path, out: Path, extra: list[str]) -> dict:
    env = dict(os.environ, HACHECK_CACHE_DIR=str(cache))
    report = out.with_suffix(".json")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", str(f), "--out", str(out), "--json", str(report),
                        "-q", *extra], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1, 3):
        raise SystemExit(f"hacheck failed ({r.returncode}): {r.stderr[-2000:]}")
    doc = json.loads(report.read_text())
    states = sum(run_["states"] for row in doc["rows"] for run_ in row["runs"] if not run_["cached"]) or 0
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "checks": doc["model_checks"], "cached": doc["cached"], "scenarios": len(doc["failures"]["scenarios"]),
            "exit": r.returncode, "states": states}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", default="1,2", help="failures.count values (default 1,2)")
    ap.add_argument("--modes", default="w1,w2,dask,cached", help="w1, w2, dask, cached (default: all)")
    args = ap.parse_args()
    modes = args.modes.split(",")
    if "dask" in modes:
        try:
            import distributed
        except ImportError:
            print("(dask: not installed, pip install 'hacheck[cluster]'; skipped)")
            modes.remove("dask")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    print("| deployment | scenarios | model checks | run | wall time | CPU (process + workers) | exit |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        for count in [int(c) for c in args.count.split(",")]:
            f = star_with_count(count, tmp)
            last_cache = None
            for mode in modes:
                cache = tmp / f"cache-{count}-{mode}"
                out = tmp / f"out-{count}-{mode}"
                if mode == "w1":
                    res, label = run_once(f, cache, out, ["--workers", "1"]), "`--workers 1`, empty cache"
                elif mode == "w2":
                    res, label = run_once(f, cache, out, ["--workers", "2"]), "`--workers 2`, empty cache"
                elif mode == "dask":
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                  dashboard_address=None) as cluster:
                        res = run_once(f, cache, out, ["--cluster", cluster.scheduler_address])
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the cluster's processes, now ended
                    res["cluster_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                    label = "`--cluster` (local Dask cluster, 2 worker processes), empty cache"
                elif mode == "cached":
                    if last_cache is None:
                        continue
                    res, label = run_once(f, last_cache, out, []), "again, from the cache"
                    cache = last_cache
                else:
                    raise SystemExit(f"unknown mode {mode}")
                last_cache = cache
                cpu = f"{res['cpu']:.1f} s" if mode != "dask" else \
                    f"{res['cpu']:.1f} s; with the cluster's workers {res['cluster_cpu']:.1f} s"
                print(f"| star.toml, count {count} | {res['scenarios']} | {res['checks']} ({res['cached']} cached) | "
                      f"{label} | {res['wall']:.1f} s | {cpu} | {res['exit']} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other jobs on the machine inflate wall times)")


if __name__ == "__main__":
    main()
