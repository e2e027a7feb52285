"""Where the time of a small ``hacheck check`` goes: import, load, build, compile, symmetry, search,
properties, traces (the JSON report's ``phases``), with the start-up cache cold (``--no-cache``) and
warm (a second run), and optionally a baseline checkout's whole-process time for comparison.

Each case runs ``--reps`` times per mode as a user runs it (``python -m hacheck.cli check ...``); the
run with the least wall time is shown, and beside it the least CPU time (user + system) of the
process over the runs, which a machine shared with other jobs disturbs far less than wall time.
``other`` is what no phase covers: the interpreter's start, writing the reports, exit.

    .venv/bin/python benchmarks/bench_startup.py                       # print the table
    .venv/bin/python benchmarks/bench_startup.py --baseline ../main    # and a checkout without the cache
    .venv/bin/python benchmarks/bench_startup.py --write-docs [--baseline DIR]  # rewrite docs/design.md's table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.timing import PHASES  # noqa: E402

CASES = [
    ("hosted_engine, no_dual_writer (safety, symmetry)", ["models/hosted_engine.py", "--property", "no_dual_writer"]),
    ("hosted_engine defaults (safety and liveness)", ["models/hosted_engine.py"]),
    ("fencing defaults", ["models/fencing.py"]),
]
DOC = ROOT / "docs" / "design.md"
BEGIN, END = "<!-- bench_startup: begin -->", "<!-- bench_startup: end -->"
COMMAND = ".venv/bin/python benchmarks/bench_startup.py --write-docs --baseline CHECKOUT-BEFORE"


def run(repo: Path, args: list[str], cache: str, work: Path) -> dict:
    """One ``hacheck check`` process: its wall time and, if it reports them, its phases."""
    report = work / "r.json"
    report.unlink(missing_ok=True)
    env = dict(os.environ, HACHECK_CACHE_DIR=cache)
    cmd = [sys.executable, "-m", "hacheck.cli", "check", *args, "-q", "--json", str(report), "--out", str(work / "out")]
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{err.read().decode()[-2000:]}")
    doc = json.loads(report.read_text())
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "phases": doc.get("phases", {}),
            "cache": doc.get("cache", {}), "states": doc["stats"]["states"]}


def best(repo: Path, args: list[str], mode: str, reps: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cache = "off" if mode == "cold" else str(work / "cache")
        if mode == "warm":
            run(repo, args, cache, work)  # fills the cache
        runs = [run(repo, args, cache, work) for _ in range(reps)]
    return dict(min(runs, key=lambda r: r["wall"]), cpu=min(r["cpu"] for r in runs))


def line(name: str, mode: str, r: dict) -> str:
    ph = r["phases"]
    cells = [f"{ph[p]:.2f}" if p in ph else "-" for p in PHASES]
    other = f"{r['wall'] - sum(ph.values()):.2f}" if ph else "-"
    return (f"| {name} | {mode} | {r['states']:,} | {r['cpu']:.2f} | {r['wall']:.2f} | " + " | ".join(cells)
            + f" | {other} |")


def header() -> list[str]:
    cols = ["case", "start-up cache", "states", "CPU s", "wall s", *[f"{p} s" for p in PHASES], "other s"]
    return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5, help="runs per case and mode (the fastest is shown; default 5)")
    ap.add_argument("--baseline", metavar="DIR", help="also time this checkout of hacheck (e.g. before the cache)")
    ap.add_argument("--note", default="", help="a word on the machine, for the caveat line")
    ap.add_argument("--write-docs", action="store_true", help="rewrite the table in docs/design.md")
    args = ap.parse_args()
    lines = header()
    print("\n".join(lines), flush=True)
    for name, cargs in CASES:
        rows = []
        if args.baseline:
            rows.append(line(name, "none (baseline)", best(Path(args.baseline).resolve(), cargs, "cold", args.reps)))
        rows.append(line(name, "cold", best(ROOT, cargs, "cold", args.reps)))
        rows.append(line(name, "warm", best(ROOT, cargs, "warm", args.reps)))
        for r in rows:
            print(r, flush=True)
        lines += rows
    load = os.getloadavg()[0]
    caveat = (f"Fastest of {args.reps} runs per row, {os.cpu_count()} cores, load average {load:.1f} at the end"
              f"{'; ' + args.note if args.note else ''}. Regenerate with `{COMMAND}`.")
    print()
    print(caveat)
    if args.write_docs:
        text = DOC.read_text()
        if BEGIN not in text or END not in text:
            raise SystemExit(f"{DOC}: no {BEGIN} ... {END} block")
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        DOC.write_text(head + "\n".join([BEGIN, *lines, "", caveat, END]) + tail)
        print(f"wrote the table into {DOC}")


if __name__ == "__main__":
    main()
