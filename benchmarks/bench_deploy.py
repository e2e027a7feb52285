"""Wall time of `hacheck check` on examples/star.toml (the figures in docs/deployment.md): one
failure at a time and two at once (``failures.count = 2``, about 300 scenarios), with one worker
process, two, and through a local Dask cluster of two worker processes, each from an empty cache,
then the re-check from the cache.

Each run is a separate ``hacheck`` process (as a user runs it) with its own empty cache folder;
"CPU" is the user + system time of that process and its children (the workers). A Dask run's
workers belong to the cluster the benchmark starts: its CPU column gives the ``hacheck`` process
alone, then everything, the cluster's start and stop included.

Run: ``.venv/bin/python benchmarks/bench_deploy.py [--count 1,2] [--modes w1,w2,dask,cached] [--write-docs]``

``--write-docs`` puts the table it printed into docs/deployment.md, between the
``<!-- bench_deploy:begin -->`` and ``<!-- bench_deploy:end -->`` lines (no figure there is typed).
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
                        *extra], cwd=ROOT, env=env, capture_output=True, text=True)  # not -q: the log has each check's time
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1, 3):
        raise SystemExit(f"hacheck failed ({r.returncode}): {r.stderr[-2000:]}")
    doc = json.loads(report.read_text())
    states = sum(run_["states"] for row in doc["rows"] for run_ in row["runs"] if not run_["cached"]) or 0
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "checks": doc["model_checks"], "cached": doc["cached"], "scenarios": len(doc["failures"]["scenarios"]),
            "exit": r.returncode, "states": states, "checks_log": slowest(r.stderr), "blame_log": blame_line(r.stderr)}



def slowest(log: str, n: int = 6) -> list[tuple[float, int, str]]:
    """The model checks of a run from its log (one line per check finished: "[i/N] what: S states, T s",
    or with one worker "[i/N] what ..." then "S states, T s"), slowest first."""
    out: list[tuple[float, int, str]] = []
    last = ""
    for line in log.splitlines():
        m = re.match(r"^\s*\[\d+/\d+\] (.*): ([\d,]+) states, ([\d.]+) s", line)
        if m:
            out.append((float(m.group(3)), int(m.group(2).replace(",", "")), m.group(1)))
            continue
        m = re.match(r"^\s*\[\d+/\d+\] (.*) \.\.\.$", line)
        if m:
            last = m.group(1)
            continue
        m = re.match(r"^\s+([\d,]+) states, ([\d.]+) s", line)
        if m and last:
            out.append((float(m.group(2)), int(m.group(1).replace(",", "")), last))
            last = ""
    return sorted(out, reverse=True)[:n]


def blame_line(log: str) -> str:
    """The log's line on the re-runs that find the settings involved in each violation."""
    return next((line.strip() for line in log.splitlines() if line.startswith("settings involved:")), "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", default="1,2", help="failures.count values (default 1,2)")
    ap.add_argument("--modes", default="w1,w2,dask,cached", help="w1, w2, dask, cached (default: all)")
    ap.add_argument("--write-docs", action="store_true", help="put the table into docs/deployment.md")
    ap.add_argument("--from-output", metavar="FILE", help="with --write-docs: the table of an earlier run "
                    "(its saved standard output) instead of measuring now")
    args = ap.parse_args()
    if args.from_output:
        write_docs(Path(args.from_output).read_text().splitlines())
        return
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    measure(args, say)
    if args.write_docs:
        write_docs(lines)


def write_docs(lines: list[str]) -> None:
    doc = ROOT / "docs" / "deployment.md"
    text = doc.read_text()
    begin, end = "<!-- bench_deploy:begin -->", "<!-- bench_deploy:end -->"
    head, rest = text.split(begin + "\n", 1)
    _old, tail = rest.split(end, 1)
    rows = [line for line in lines if line.startswith("|")]
    prose = [line for line in lines if line.startswith(("Measured with", "load average"))]
    block = "\n".join(rows) + "\n\n" + " ".join(prose) + "\n"
    slow = [line for line in lines if line.startswith(("Slowest", "- "))]
    if slow:
        block += "".join(("\n" + line + "\n\n") if line.startswith("Slowest") else line + "\n" for line in slow)
    doc.write_text(head + begin + "\n" + block + end + tail)
    print(f"wrote the table into {doc}")


def measure(args: argparse.Namespace, say) -> None:  # type: ignore[no-untyped-def]
    modes = args.modes.split(",")
    if "dask" in modes:
        try:
            import distributed
        except ImportError:
            say("(dask: not installed, pip install 'hacheck[cluster]'; skipped)")
            modes.remove("dask")
    say(f"Measured with `benchmarks/bench_deploy.py --count {args.count} --modes {args.modes}` on "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the start;")
    say("| deployment | scenarios | model checks | run | wall time | CPU (process + workers) | load average (1 min) at the start of the run | exit |")
    say("|---|---|---|---|---|---|---|---|")
    profiles: list[tuple[int, str, dict]] = []  # the slowest checks of the first cold local run of each count
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        for count in [int(c) for c in args.count.split(",")]:
            f = star_with_count(count, tmp)
            last_cache = None
            for mode in modes:
                load_at_start = os.getloadavg()[0]
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
                res["load"] = load_at_start
                if mode in ("w1", "w2") and not any(c == count for c, _, _ in profiles):
                    profiles.append((count, mode, res))
                cpu = f"{res['cpu']:.1f} s" if mode != "dask" else \
                    f"{res['cpu']:.1f} s; with the cluster's workers {res['cluster_cpu']:.1f} s"
                say(f"| star.toml, count {count} | {res['scenarios']} | {res['checks']} ({res['cached']} cached) | "
                    f"{label} | {res['wall']:.1f} s | {cpu} | {res['load']:.1f} | {res['exit']} |")
    for count, mode, res in profiles:
        say(f"Slowest model checks of `count {count}`, `{mode}` (seconds each as its log gives them){':' if res['checks_log'] else ': none logged'}")
        for secs, states, what in res["checks_log"]:
            say(f"- {what}: {states:,} states, {secs:.1f} s")
        if res["blame_log"]:
            say(f"- {res['blame_log']}")
    say(f"load average {os.getloadavg()[0]:.1f} at the end (a load above the 2 cores means other jobs shared "
        "them: wall times are then inflated, the CPU column less so).")


if __name__ == "__main__":
    main()
