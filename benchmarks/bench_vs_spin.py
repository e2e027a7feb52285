"""hacheck against SPIN on the same model instances: states, states/s, bytes/state.

Each instance is exported with ``hacheck export --promela`` (one d_step per action instance), so
SPIN's "states stored" must equal hacheck's count: the script checks it on every row. hacheck and
SPIN run alternately, ``--reps`` times each (best and median kept); SPIN is built with
``-O2 -DSAFETY -DNOREDUCE -DNOCLAIM``, depth-first and breadth-first. Figures:

- search states/s: hacheck's search time as it reports it (``stats.seconds``); pan's elapsed time;
- end to end: hacheck's whole process (import, build, compile, search); SPIN's ``spin -a`` + gcc + pan;
- end to end: hacheck's whole process (import, build, compile, search) with its start-up cache
  off, so that it compiles as SPIN does (``HACHECK_NATIVE=first``: the actions' C code is built
  before the search, as pan is; hacheck/explicit/native.py); SPIN's ``spin -a`` + gcc + pan;
- B/state: peak resident memory of the process divided by the states.

Every figure is the best of ``--reps`` runs, the median beside it. The README's performance section
holds the table between the markers ``<!-- bench_vs_spin: begin -->`` and ``<!-- bench_vs_spin: end -->``:

    .venv/bin/python benchmarks/bench_vs_spin.py --write-readme   # run every row, rewrite that block (tens of minutes)
    .venv/bin/python benchmarks/bench_vs_spin.py --quick          # small rows only, print the table
    .venv/bin/python benchmarks/bench_vs_spin.py --check-readme   # the README block has this table's format (no run)

``--results FILE`` keeps each measured row (a JSON line) so that an interrupted run resumes where it
stopped; ``--max-minutes M`` starts no new row after M minutes, and the rows left are written as not
measured, saying so.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import re
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@attrs.frozen
class Row:
    name: str
    build: str  # Python that sets ``m`` to the model instance, in the child process
    symmetry: bool = False  # every row counts all states, as SPIN does
    quick: bool = True  # part of --quick
    bfs: bool = True  # also run SPIN's breadth-first build (skipped on the largest rows)


ROWS = [
    Row("lease4 (benchmarks)", "from benchmarks.models import lease_hosts; m = lease_hosts(4)"),
    Row("flips20 (benchmarks)", "from benchmarks.models import flips; m = flips(20)"),
    Row("hosted_engine defaults", "m = model('models/hosted_engine.py', {})"),
    Row("gluster replica 3, max_faults 3", "m = model('models/gluster_arbiter.py', {'max_faults': 3})", quick=False),
    Row("hosted_engine hosts=3 (no symmetry)", "m = model('models/hosted_engine.py', {'hosts': 3})", quick=False),
    Row("gluster max_faults 4", "m = model('models/gluster_arbiter.py', {'max_faults': 4})", quick=False),
    Row("lease4, timer 3", "from benchmarks.models import lease_hosts; m = lease_hosts(4, timer=3)", quick=False, bfs=False),
    Row("lease4, timer 4", "from benchmarks.models import lease_hosts; m = lease_hosts(4, timer=4)", quick=False, bfs=False),
]
HEADER = ("| instance | states | hacheck search states/s | SPIN DFS search states/s | SPIN BFS search states/s "
          "| ratio (search, vs DFS) | hacheck end to end states/s | SPIN DFS end to end states/s | ratio (end to end) "
          "| hacheck B/state (peak RSS) | SPIN B/state DFS / BFS |")
RULE = "|" + "---|" * HEADER.count(" | ") + "---|"
BEGIN, END = "<!-- bench_vs_spin: begin -->", "<!-- bench_vs_spin: end -->"
README = ROOT / "README.md"
COMMAND = ".venv/bin/python benchmarks/bench_vs_spin.py --write-readme"


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
    # compile as a first run does (SPIN compiles every time), the actions' C code before the search as
    # SPIN's gcc runs before pan (hacheck/explicit/native.py): search-only is then the search alone
    env = dict(os.environ, HACHECK_CACHE_DIR="off", HACHECK_NATIVE="first")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
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
    stored = int(float(re.search(r"([0-9.e+]+) states, stored", out).group(1)))
    m = re.search(r"pan: elapsed time ([0-9.e+]+) seconds", out)
    return {"states": stored, "search": float(m.group(1)) if m else wall, "compile": secs, "wall": wall,
            "maxrss_kb": usage.ru_maxrss}


def fmt(n: float) -> str:
    return f"{n / 1000:,.0f}k" if n >= 1000 else f"{n:,.0f}"


def best_median(values: list[float]) -> str:
    """The best of the repetitions, the median in parentheses."""
    return f"{fmt(max(values))} ({fmt(statistics.median(values))})"


def measure(row: Row, reps: int) -> str:
    """hacheck and SPIN alternately, ``reps`` times each; one table line."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        child(row.build, row.symmetry, export=str(work / "model.pml"))
        hs, ds, bs = [], [], []
        for _ in range(reps):
            hs.append(child(row.build, row.symmetry))
            states = hs[-1]["states"]
            ds.append(pan(work, True, states))
            if row.bfs:
                bs.append(pan(work, False, states))
        states = hs[0]["states"]
        for r in hs + ds + bs:
            if r["states"] != states:
                raise SystemExit(f"{row.name}: {r['states']:,} states in one run, {states:,} in another (SPIN must "
                                 "store exactly hacheck's states)")
    h_rate = [states / h["search"] for h in hs]
    d_rate = [states / d["search"] for d in ds]
    b_rate = [states / b["search"] for b in bs]
    h_e2e = [states / h["process_wall"] for h in hs]
    d_e2e = [states / (d["compile"] + d["wall"]) for d in ds]
    h_mem = min(h["maxrss_kb"] for h in hs) * 1024 / states
    d_mem = min(d["maxrss_kb"] for d in ds) * 1024 / states
    b_mem = f"{min(b['maxrss_kb'] for b in bs) * 1024 / states:.0f}" if bs else "-"
    return (f"| {row.name} | {states:,} | {best_median(h_rate)} | {best_median(d_rate)} | "
            f"{best_median(b_rate) if bs else '-'} | {max(h_rate) / max(d_rate):.2f} | {best_median(h_e2e)} | "
            f"{best_median(d_e2e)} | {max(h_e2e) / max(d_e2e):.2f} | {h_mem:.0f} | {d_mem:.0f} / {b_mem} |")


NOT_MEASURED = "not measured in this run (the time limit, --max-minutes, came first)"


def not_measured(row: Row) -> str:
    return f"| {row.name} | {NOT_MEASURED} |"


def caveat(reps: int, note: str) -> str:
    load = os.getloadavg()[0]
    return (f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores ({platform.machine()}, load "
            f"average {load:.1f} at the end{'; ' + note if note else ''}): best of {reps} runs, median in "
            f"parentheses; SPIN {spin_version()} built `-O2 -DSAFETY -DNOREDUCE -DNOCLAIM`. Regenerate with `{COMMAND}`.")


def spin_version() -> str:
    try:
        out = subprocess.run(["spin", "-V"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return "?"
    m = re.search(r"Spin Version ([0-9.]+)", out)
    return m.group(1) if m else "?"


def write_readme(lines: list[str], note: str, reps: int, readme: Path = README) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: no {BEGIN} ... {END} block to write the table into")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    block = "\n".join([BEGIN, HEADER, RULE, *lines, "", caveat(reps, note), END])
    readme.write_text(head + block + tail)


RATE = r"\d[\d,]*k? \(\d[\d,]*k?\)"  # best (median) states/s
CELLS = [r".+", r"\d{1,3}(,\d{3})*", RATE, RATE, rf"-|{RATE}", r"\d+\.\d\d", RATE, RATE, r"\d+\.\d\d", r"\d+",
         r"\d+ / (\d+|-)"]  # one pattern per column of HEADER


def parse_row(line: str) -> list[str] | None:
    """The cells of a table line written by :func:`measure`, or None if it is not in that format."""
    if not (line.startswith("| ") and line.endswith(" |")):
        return None
    cells = line[2:-2].split(" | ")
    if len(cells) != len(CELLS) or not all(re.fullmatch(p, c) for p, c in zip(CELLS, cells)):
        return None
    return cells


def check_readme(readme: Path = README) -> list[str]:
    """What is wrong with the README's block (empty: it has the table this script writes)."""
    text = readme.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        return [f"{readme.name}: expected one {BEGIN} and one {END}"]
    block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip().splitlines()
    problems = []
    if block[:2] != [HEADER, RULE]:
        problems.append("the table's header is not the one bench_vs_spin.py writes")
    rows = [x for x in block[2:] if x.startswith("|")]
    names = [r.name for r in ROWS]
    got = []
    for line in rows:
        cells = parse_row(line)
        if cells is None and line.endswith(f" | {NOT_MEASURED} |"):
            got.append(line[2:-len(f" | {NOT_MEASURED} |")])
        elif cells is None:
            problems.append(f"row not in the script's format: {line}")
        else:
            got.append(cells[0])
    if got != names:
        problems.append(f"the rows are not the script's rows in order: {', '.join(names)}")
    if not any(COMMAND in x for x in block):
        problems.append(f"no caveat line naming the command ({COMMAND})")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the rows marked quick (small instances)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rows", help="comma-separated row numbers (1-based) to run")
    ap.add_argument("--write-readme", action="store_true", help="run every row and rewrite the README's table")
    ap.add_argument("--note", default="", help="with --write-readme: a word on the machine (e.g. 'shared with 7 other jobs')")
    ap.add_argument("--check-readme", action="store_true", help="only check that the README's block has this table's format")
    ap.add_argument("--results", metavar="FILE", help="keep each measured row here and reuse it (resume an interrupted run)")
    ap.add_argument("--max-minutes", type=float, help="start no new row after this many minutes")
    args = ap.parse_args()
    if args.check_readme:
        problems = check_readme()
        for p in problems:
            print(f"README.md: {p}")
        raise SystemExit(1 if problems else 0)
    from hacheck.export.spin import spin_available

    if not spin_available():
        raise SystemExit("needs spin and gcc (scripts/setup.sh installs spin from Debian)")
    rows = [r for r in ROWS if (r.quick or not args.quick)]
    if args.rows:
        rows = [ROWS[int(k) - 1] for k in args.rows.split(",")]
    if args.write_readme and rows != ROWS:
        raise SystemExit("--write-readme runs every row (no --quick, no --rows)")
    kept = {}
    if args.results and Path(args.results).exists():
        for x in Path(args.results).read_text().splitlines():
            d = json.loads(x)
            if d["reps"] == args.reps and parse_row(d["line"]):
                kept[d["name"]] = d["line"]
    print(HEADER)
    print(RULE)
    lines = []
    t0 = time.monotonic()
    for row in rows:
        if row.name in kept:
            lines.append(kept[row.name])
        elif args.max_minutes is not None and time.monotonic() - t0 > 60 * args.max_minutes:
            lines.append(not_measured(row))
        else:
            lines.append(measure(row, args.reps))
            if args.results:
                with open(args.results, "a") as f:
                    f.write(json.dumps({"name": row.name, "reps": args.reps, "line": lines[-1]}) + "\n")
        print(lines[-1], flush=True)
    print()
    print(caveat(args.reps, args.note))
    if args.write_readme:
        write_readme(lines, args.note, args.reps)
        print(f"wrote the table into {README}")


if __name__ == "__main__":
    main()
