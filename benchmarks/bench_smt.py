"""The z3 engine on the shipped models: unbounded proofs, BMC depth, and the two encodings.

    .venv/bin/python benchmarks/bench_smt.py            # everything (several minutes)
    .venv/bin/python benchmarks/bench_smt.py --quick    # smaller budgets
    .venv/bin/python benchmarks/bench_smt.py --proofs-only --proof models/fencing.py:no_dual_running_vm:manual_confirm_allowed=false
    .venv/bin/python benchmarks/bench_smt.py --parametric   # only the proofs for every N (hacheck prove --for-every)
    .venv/bin/python benchmarks/bench_smt.py --parametric gluster   # only those of models/gluster_arbiter.py
    .venv/bin/python benchmarks/bench_smt.py --lemmas       # only the proofs by stated lemmas (prove --method lemmas)

Figures, not pass/fail. Targets from the z3 issue: an unbounded proof (or a clear unknown with what
was tried) of no_split_brain, no_dual_running_vm and no_dual_engine at the default bounds within a
minute each, and BMC to depth 20 on the Gluster model within a minute; issue 20 asks for each
unbounded proof in under 10 s (`--proofs-only --budget 900` shows how long each one needs).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.loader import build_model, load_spec, parse_params  # noqa: E402
from hacheck.symbolic.bmc import bmc  # noqa: E402
from hacheck.symbolic.check import prove  # noqa: E402
from hacheck.symbolic.common import Context  # noqa: E402

PROOFS = [  # issue 20 item 6 (no_dual_engine is violated since the paused-copy fix: no_dual_writer holds)
    ("models/gluster_arbiter.py", {}, "no_split_brain"),
    ("models/gluster_arbiter.py", {"clients": 3, "writes": 4}, "no_split_brain"),  # the largest instance
    ("models/fencing.py", {"manual_confirm_allowed": False}, "no_dual_running_vm"),
    ("models/fencing.py", {}, "no_dual_running_vm"),
    ("models/hosted_engine.py", {}, "no_dual_writer"),
]


def model(path, params):
    return build_model(load_spec(ROOT / path), params)


def parse_target(text: str) -> tuple[str, dict[str, str], str]:
    """``PATH:PROPERTY[:NAME=VALUE,...]``: a proof target given on the command line (the models
    change; the property to prove is named, not built in)."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise SystemExit(f"--proof {text}: expected PATH:PROPERTY[:NAME=VALUE,...]")
    assignments = parts[2].split(",") if len(parts) == 3 and parts[2] else []
    return parts[0], parse_params(load_spec(ROOT / parts[0]), assignments), parts[1]


def arguments() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="Times hacheck's z3 engine on the shipped models (figures, not "
                                 "pass/fail). Default: the stated-lemma proofs, the unbounded proofs, BMC, then the "
                                 "proofs for every N.")
    ap.add_argument("--quick", action="store_true", help="smaller budgets and BMC depths")
    ap.add_argument("--lemmas", action="store_true", help="only the proofs by stated lemmas (prove --method lemmas)")
    ap.add_argument("--parametric", nargs="*", default=None, metavar="MODEL",
                    help="only the proofs for every N (prove --for-every); with MODEL words, only the rows whose model "
                         "file contains one (e.g. --parametric gluster)")
    ap.add_argument("--proof", action="append", default=[], metavar="PATH:PROPERTY[:NAME=VALUE,...]",
                    help="an unbounded proof to time (repeatable; default: the three shipped safety properties)")
    ap.add_argument("--method", default="auto", help="prove method for the proofs (default auto)")
    ap.add_argument("--proofs-only", action="store_true", help="only the unbounded proofs (no lemmas, BMC or every-N rows)")
    ap.add_argument("--budget", type=float, help="seconds per proof (default 60, 20 with --quick)")
    return ap


def main(args: argparse.Namespace) -> int:
    budget = 20.0 if args.quick else 60.0
    targets = [parse_target(t) for t in args.proof] or PROOFS
    if args.budget is not None:
        budget = args.budget
    print(f"unbounded proofs (method {args.method}; budget {budget:g} s each; wall-clock and this process's CPU "
          "time: on a loaded machine the wall clock is several times the CPU time)")
    for path, params, prop in targets:
        m = model(path, params)
        if prop not in m.properties:
            print(f"  {prop:<20} {Path(path).stem:<16} no such property (it has {', '.join(m.properties)})")
            continue
        t0, c0 = time.monotonic(), time.process_time()
        r = prove(Context(m), m.properties[prop], args.method, depth=10, timeout=budget)
        shown = ",".join(f"{k}={v}" for k, v in params.items())
        print(f"  {prop:<20} {Path(path).stem:<16} {shown:<28} {r.line}  [{time.monotonic() - t0:.1f} s wall, "
              f"{time.process_time() - c0:.1f} s CPU]", flush=True)
    if args.proofs_only:
        return 0
    print("BMC on the Gluster model (defaults: replica 3 arbiter 1, every rule on; no violation exists)")
    depth = 12 if args.quick else 20
    for encoding, sat, scale in (("bv", "cadical", 1), ("bv", "z3", 2), ("int", "z3", 1)):
        m = model("models/gluster_arbiter.py", {})
        t0 = time.monotonic()
        r = bmc(Context(m, encoding, sat), m.properties["no_split_brain"], depth, budget * scale)
        print(f"  {encoding:<3} {sat:<7} depth {depth}: {r.line}  [{time.monotonic() - t0:.1f} s]")
    print("BMC to a counterexample (shortest length must equal the explicit engine's)")
    for path, params, prop in [("models/gluster_arbiter.py", {"replica": 2, "arbiter": False, "quorum_type": "none"}, "no_split_brain"),
                               ("models/hosted_engine.py", {"sanlock_lease": False}, "no_dual_engine"),
                               ("models/fencing.py", {"pm_reports": "faulty", "manual_confirm_allowed": False}, "no_dual_running_vm")]:
        for encoding, sat in (("bv", "cadical"), ("bv", "z3"), ("int", "z3")):
            m = model(path, params)
            t0 = time.monotonic()
            r = bmc(Context(m, encoding, sat), m.properties[prop], 20, budget)
            print(f"  {Path(path).stem:<16} {encoding:<3} {sat:<7} {r.line}  [{time.monotonic() - t0:.2f} s]")
    return 0


def cli_verdict(r) -> str:  # type: ignore[no-untyped-def]
    """What ``hacheck prove --for-every`` prints for the result (its first line, after "model: property: ")."""
    from hacheck.symbolic.param_cli import lines

    return lines("", r)[0].split(": ", 2)[2]


# -- proofs by the models' stated lemmas (m.lemma; hacheck prove --method lemmas) -------------------------
SHIPPED = ["models/hosted_engine.py", "models/fencing.py", "models/gluster_arbiter.py", "models/standalone_engine.py"]
# (model, parameters, --for-every sizes) where the defaults state no lemma or a wider --for-every applies
LEMMA_CASES = {"models/fencing.py": ({"manual_confirm_allowed": False}, ["hosts", "vms"]),
               "models/gluster_arbiter.py": ({}, ["clients", "writes"])}


def stated_lemmas(paths=SHIPPED) -> None:
    """Every invariant of a shipped model that has stated lemmas (default parameters, or those of
    LEMMA_CASES: fencing states its lemmas without the manual confirm): the proof by the lemmas alone,
    for a fixed size and for every N, with wall-clock and CPU times."""
    from hacheck.symbolic.param import Settings, prove_every
    from hacheck.symbolic.stated import prove_by_lemmas

    print("proofs by stated lemmas (prove --method lemmas, z3 rlimit 400M per query; --for-every (the sizes of "
          "LEMMA_CASES, else the model's first size parameter): 20M; wall-clock and this process's CPU time)")
    for path in paths:
        params, every = LEMMA_CASES.get(path, ({}, None))
        shown = ",".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        m = model(path, params)
        for name, p in m.properties.items():
            if p.kind != "invariant" or not m.lemmas_for(name):
                continue
            t0, c0 = time.monotonic(), time.process_time()
            r = prove_by_lemmas(Context(m), p)
            print(f"  {name:<20} {Path(path).stem:<16} {shown}  {r.line}  [{time.monotonic() - t0:.1f} s wall, "
                  f"{time.process_time() - c0:.1f} s CPU]", flush=True)
            sizes = every or [k for k in ("hosts", "clients", "vms") if hasattr(m.params, k)][:1]
            if not sizes:
                continue
            t0, c0 = time.monotonic(), time.process_time()
            r = prove_every(load_spec(ROOT / path), params, name, sizes, settings=Settings())
            print(f"  {name:<20} {Path(path).stem:<16} --for-every {','.join(sizes)}  {cli_verdict(r)}  "
                  f"[{time.monotonic() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU]", flush=True)


# -- proofs for every N (hacheck prove --for-every; issue 20 item 7) ------------------------------------
PARAMETRIC = [  # (model, fixed parameters, property, size parameters)
    ("examples/parametric/lease_token.py", {}, "no_dual_run", ["hosts"]),
    ("examples/parametric/lease_token.py", {"broken": True}, "no_dual_run", ["hosts"]),
    ("models/fencing.py", {"manual_confirm_allowed": False}, "no_dual_running_vm", ["hosts", "vms"]),
    ("models/fencing.py", {}, "no_dual_running_vm", ["hosts", "vms"]),
    ("models/hosted_engine.py", {}, "no_dual_engine", ["hosts"]),
    ("models/hosted_engine.py", {}, "no_dual_writer", ["hosts"]),
    ("models/gluster_arbiter.py", {}, "no_split_brain", ["clients", "writes"]),
    ("models/gluster_arbiter.py", {"clients": 1}, "no_split_brain", ["writes"]),  # one mount: the stated lemmas
]


def parametric(targets=PARAMETRIC, budget: float = 600.0) -> None:
    """Each property for every N: the verdict (with the invariant's size) and the wall-clock time."""
    from hacheck.symbolic.param import Settings, prove_every

    print(f"proofs for every N (hacheck prove --for-every; z3 budget 20M units per query, {budget:g} s each; "
          "wall-clock times, noisy on a loaded machine)")
    for path, params, prop, every in targets:
        t0 = time.monotonic()
        r = prove_every(load_spec(ROOT / path), params, prop, every, settings=Settings(timeout=budget))
        shown = ",".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        print(f"  {prop:<20} {Path(path).stem:<14} {shown:<30} {cli_verdict(r)}  [{time.monotonic() - t0:.1f} s]")


if __name__ == "__main__":
    options = arguments().parse_args()  # --help: the usage, before anything runs
    if options.parametric is not None:  # only the proofs for every N; --parametric gluster: only that model's
        parametric([t for t in PARAMETRIC if not options.parametric or any(o in t[0] for o in options.parametric)])
        raise SystemExit(0)
    if options.lemmas:  # only the proofs by stated lemmas
        stated_lemmas()
        raise SystemExit(0)
    if options.proofs_only:
        raise SystemExit(main(options))
    stated_lemmas()
    code = main(options)
    parametric()
    raise SystemExit(code)
