"""``hacheck fuzz PATH [--param ...] [--examples N] [--max-steps K] [--seed S] [--deadline S]``.

Registered by :mod:`hacheck.cli` (``add_parser`` builds the sub-command, ``cmd_fuzz`` runs it).
Exit codes as for ``check``: 0 every property checked holds (only reachable properties can, by a
witness), 1 a property is violated, 2 bad input, 3 nothing violated but nothing proved (the usual
outcome of fuzzing a correct model: fuzzing is not a proof).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DB = "hacheck-out/fuzz-db"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    from ..cli import _positive_float, _positive_int

    f = sub.add_parser("fuzz", help="run random failure sequences (Hypothesis) against a model's properties, "
                                    "shrink what fails")
    f.add_argument("path", help="a shipped model's name (hacheck models) or a model file (.py)")
    f.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    f.add_argument("--property", action="append", default=[], metavar="NAME", help="fuzz only this property (repeatable)")
    f.add_argument("--examples", type=_positive_int("--examples"), default=1000, metavar="N",
                   help="executions to generate (default 1000)")
    f.add_argument("--max-steps", type=_positive_int("--max-steps"), default=30, metavar="K",
                   help="steps per execution, and the response window for temporal properties (default 30)")
    f.add_argument("--seed", type=_seed, default=0, metavar="S", help="random seed: the same seed gives the same run (default 0)")
    f.add_argument("--deadline", type=_positive_float("--deadline"), metavar="S",
                   help="stop generating after S seconds (a failure found is still shrunk)")
    f.add_argument("--faults", metavar="KIND[,KIND]", help="allow only these fault actions")
    f.add_argument("--fault-rate", type=_rate("--fault-rate"), metavar="P",
                   help="probability that a step is a fault when one is enabled (default: drawn per example)")
    f.add_argument("--weight", action="append", default=[], metavar="ACTION=W",
                   help="relative weight of an action inside its category, e.g. crash=3 (repeatable; default 1)")
    f.add_argument("--out", default="hacheck-out", metavar="DIR", help="where trace files go (default hacheck-out/)")
    f.add_argument("--db", default=None, metavar="DIR",
                   help=f"Hypothesis example database: failures are saved there and replayed first next time "
                        f"(default {DEFAULT_DB} under the current folder)")
    f.add_argument("--no-db", action="store_true", help="use no example database")
    f.add_argument("--json", metavar="FILE", help="write the JSON report here")
    f.add_argument("-q", "--quiet", action="store_true", help="no progress line, no traces on stdout")
    return f


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed takes a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"--seed must be 0 or more, got {v}")
    return v


def _rate(name: str) -> Any:
    def conv(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} takes a probability between 0 and 1, got {text!r}") from None
        if not 0.0 <= v <= 1.0:
            raise argparse.ArgumentTypeError(f"{name} must be between 0 and 1, got {text}")
        return v
    return conv


def _weights(items: list[str]) -> dict[str, float]:
    from ..lang.errors import BadInput

    out: dict[str, float] = {}
    for item in items:
        if "=" not in item:
            raise BadInput(f"--weight {item}: expected ACTION=WEIGHT, e.g. crash=3")
        name, text = item.split("=", 1)
        try:
            w = float(text)
        except ValueError:
            raise BadInput(f"--weight {item}: {text!r} is not a number") from None
        if w < 0:
            raise BadInput(f"--weight {item}: a weight must be 0 or more")
        out[name.strip()] = w
    return out


class _Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = False

    def __call__(self, info: dict[str, float]) -> None:
        if not self.enabled or info["seconds"] < 2.0:
            return
        secs = max(info["seconds"], 1e-9)
        line = (f"  {int(info['examples']):,} examples, {int(info['steps']):,} steps, {int(info['states']):,} distinct states, "
                f"{info['examples'] / secs:,.0f} examples/s, {secs:.0f} s")
        sys.stderr.write("\r" + line.ljust(78)[:120])
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()


def cmd_fuzz(args: argparse.Namespace) -> int:
    from ..cli import _ensure_writable, _write_traces, prepare_run
    from ..render.dot import write_trace_files
    from ..report.json_report import to_json, write_json
    from ..report.text import summary
    from .runner import FuzzOptions, fuzz
    from .strategies import Weights

    model, props, out_dir = prepare_run(args)
    db = None
    if not args.no_db:
        db = Path(args.db) if args.db else Path(DEFAULT_DB)
        _ensure_writable(db)
    weights = Weights(fault_rate=args.fault_rate, actions=_weights(args.weight))
    opts = FuzzOptions(examples=args.examples, max_steps=args.max_steps, seed=args.seed, deadline=args.deadline,
                       database=db, weights=weights)
    progress = _Progress(not args.quiet)
    t0 = time.monotonic()
    try:
        fr = fuzz(model, props, opts, progress)
    finally:
        progress.done()
    wall = time.monotonic() - t0
    result = _write_traces(fr.result, out_dir, _stem_writer(write_trace_files))
    lines = summary(result)
    lines[1:2] = coverage_lines(fr, wall)
    print("\n".join(lines))
    if not args.quiet:
        for p in result.properties:
            f = fr.findings.get(p.name)
            if f is None or p.trace is None or p.verdict != "violated":
                continue
            print()
            print("\n".join(finding_lines(p.trace, f, fr.options.window)))
            print("  files: " + ", ".join(p.trace_files.values()))
    if args.json:
        doc = to_json(result, args.path)
        doc["fuzz"] = coverage_json(fr, wall)
        write_json([doc], args.json)
    return result.exit_code


def _stem_writer(writer: Any) -> Any:
    """Fuzz traces go beside check's, as ``<model>.<property>.fuzz.*``, so neither overwrites the other."""
    def write(trace: Any, out_dir: Path, stem: str) -> Any:
        return writer(trace, out_dir, stem + ".fuzz")
    return write


def coverage_lines(fr: Any, wall: float) -> list[str]:
    c = fr.coverage
    o = fr.options
    secs = max(c.seconds, 1e-9)
    lines = [
        f"  fuzz: {c.examples:,} examples of up to {o.max_steps} steps, seed {o.seed}: {c.steps:,} actions taken "
        f"({c.faults:,} faults, {c.env_steps:,} environment steps), {c.distinct_states:,} distinct states",
        f"  {c.seconds:.2f} s generating ({c.examples / secs:,.0f} examples/s, {c.steps / secs:,.0f} states/s), "
        f"{wall:.2f} s in all" + (f"; {c.stop_reason}" if c.stop_reason else ""),
    ]
    m = fr.model
    taken = c.instances
    live = [a for a in m.actions if a.instances]
    never = [a.name for a in live if not any(i in taken for i in a.instances)]
    n_inst = len(m.instances)
    lines.append(f"  covered: {len(taken):,} of {n_inst:,} action instances, {len(live) - len(never)} of "
                 f"{len(live)} actions"
                 + (f"; never taken: {', '.join(never[:12])}" + (" ..." if len(never) > 12 else "") if never else ""))
    return lines


def finding_lines(trace: Any, f: Any, window: int) -> list[str]:
    from ..report.text import trace_lines

    from .runner import response_text

    lines = trace_lines(trace)
    if f.execution.failure is not None and f.execution.failure.kind in ("response", "stutter"):
        lines.append("  " + response_text(f.execution, window))
    if f.faults:
        lines.append("  minimal faults: each one removed in turn, the replay no longer fails:")
        for c in f.faults:
            kind = "FAULT" if c.action.kind == "fault" else "ENV"
            mark = "" if c.needed else "  (not needed)"
            lines.append(f"    step {c.step:>3}  {kind} {c.action.label}: without it, {c.replay}{mark}")
    elif trace.kind == "counterexample":
        lines.append("  minimal faults: none (no fault or environment step is needed)")
    return lines


def coverage_json(fr: Any, wall: float) -> dict[str, Any]:
    c = fr.coverage
    o = fr.options
    return {
        "examples": c.examples, "max_steps": o.max_steps, "seed": o.seed, "actions_taken": c.steps,
        "faults": c.faults, "env_steps": c.env_steps, "distinct_states": c.distinct_states,
        "seconds_generating": round(c.seconds, 4), "seconds": round(wall, 4),
        "examples_per_second": round(c.examples / max(c.seconds, 1e-9), 1),
        "states_per_second": round(c.steps / max(c.seconds, 1e-9), 1),
        "stop_reason": c.stop_reason or None,
        "actions": dict(sorted(c.actions.items())),
        "findings": {
            name: {"found_at_example": f.found_at_example, "first_length": f.first_length,
                   "shrunk_length": f.shrunk_length, "length": f.execution.length,
                   "minimal_faults": [{"step": x.step, "action": x.action.label, "kind": x.action.kind,
                                       "needed": x.needed, "without_it": x.replay} for x in f.faults]}
            for name, f in fr.findings.items()
        },
    }
