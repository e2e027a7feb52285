"""The ``hacheck`` command line.

Exit codes (stable, for CI): 0 every checked property holds; 1 some property is violated;
2 bad input (usage, model, parameter or file error); 3 inconclusive (a bound was hit, nothing violated);
4 the explicit and z3 engines disagree (a bug in hacheck: please report it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .lang.errors import BadInput, HacheckError
from .lang.expr import show
from .lang.model import Model
from .symbolic import SAT_SOLVERS
from .result import CheckResult, fmt_int

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_DISAGREE = 0, 1, 2, 3, 4


class Progress:
    """A live status line on stderr for long runs; silent when quiet or stderr is not a terminal."""

    def __init__(self, enabled: bool, delay: float = 2.0):
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.delay = delay
        self.shown = False

    def __call__(self, info: dict[str, float]) -> None:
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        secs = max(info.get("seconds", 0.0), 1e-9)
        line = (f"  {fmt_int(int(info['states']))} states, {fmt_int(int(info['states'] / secs))} states/s, "
                f"depth {int(info['depth'])}, queue {fmt_int(int(info['queue']))}, {secs:.0f} s")
        sys.stderr.write("\r" + line.ljust(78)[:120])
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()
            self.shown = False


def _positive_int(name: str):
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} takes a whole number, got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {v}")
        return v
    return conv


def _positive_float(name: str):
    def conv(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} takes a number of seconds, got {text!r}") from None
        if not v > 0:
            raise argparse.ArgumentTypeError(f"{name} must be more than 0, got {text}")
        return v
    return conv


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"hacheck: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hacheck", description="Model checker for high-availability protocols.")
    p.add_argument("--version", action="version", version=f"hacheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="explore a model exhaustively and check its properties")
    c.add_argument("path", help="a model file (models/*.py)")
    c.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    c.add_argument("--property", action="append", default=[], metavar="NAME", help="check only this property (repeatable)")
    c.add_argument("--faults", metavar="KIND[,KIND]", help="allow only these fault actions (with --param max_faults=N: "
                   "'at most N faults of these kinds')")
    c.add_argument("--max-states", type=_positive_int("--max-states"), metavar="N", help="stop after N states (verdict unknown)")
    c.add_argument("--max-seconds", type=_positive_float("--max-seconds"), metavar="S", help="stop after S seconds (verdict unknown)")
    c.add_argument("--max-depth", type=_positive_int("--max-depth"), metavar="K", help="explore only K steps deep (verdict unknown)")
    c.add_argument("--out", default="hacheck-out", metavar="DIR", help="where trace files go (default hacheck-out/)")
    c.add_argument("--json", metavar="FILE", help="write the JSON report here")
    c.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here (one test case per property)")
    c.add_argument("--sarif", metavar="FILE", help="write a SARIF 2.1.0 report here (results at the deployment file's lines)")
    c.add_argument("--fail", metavar="HOST[:KIND],..", help="deployment files: check only the failure of these hosts (of this kind)")
    _add_executor_args(c)
    c.add_argument("--no-symmetry", action="store_true", help="explore every state, ignoring symmetric sorts")
    c.add_argument("--engine", choices=("explicit", "smt", "both"), default="explicit",
                   help="explicit-state search (default), the z3 engine, or both with their verdicts compared")
    c.add_argument("--depth", type=_positive_int("--depth"), default=20, metavar="K", help="BMC depth for the z3 engine (default 20)")
    c.add_argument("--timeout", type=_positive_float("--timeout"), default=60.0, metavar="S",
                   help="z3 time budget per property in seconds (default 60)")
    c.add_argument("--sat-solver", choices=SAT_SOLVERS, default="cadical",
                   help="BMC back end for the z3 engine: CaDiCaL on z3's bit-blasted clauses (default) or z3's own solver")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress line, no traces on stdout")

    ls = sub.add_parser("list", help="show a model's sorts, variables, actions, parameters and properties")
    ls.add_argument("path")
    ls.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")

    pv = sub.add_parser("prove", help="prove one safety property with the z3 engine")
    pv.add_argument("path", help="a model file")
    pv.add_argument("--property", required=True, metavar="NAME")
    pv.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    pv.add_argument("--method", choices=("auto", "induction", "kind", "houdini", "chc", "bmc"), default="auto",
                    help="auto (default): BMC, then k-induction, then Houdini, then CHC; or one method")
    pv.add_argument("--depth", type=_positive_int("--depth"), default=20, metavar="K", help="BMC depth / largest k (default 20 / 6)")
    pv.add_argument("--invariant", metavar="EXPR-OR-NAME", help="an inductive invariant: property names (comma-separated) or an expression")
    pv.add_argument("--timeout", type=_positive_float("--timeout"), default=60.0, metavar="S", help="time budget in seconds (default 60)")
    pv.add_argument("--encoding", choices=("bv", "int"), default="bv", help="z3 encoding for BMC and k-induction (default bv)")
    pv.add_argument("--sat-solver", choices=SAT_SOLVERS, default="cadical",
                    help="BMC back end with the bv encoding: CaDiCaL on z3's bit-blasted clauses (default) or z3's own solver")
    pv.add_argument("--out", default="hacheck-out", metavar="DIR")
    pv.add_argument("--json", metavar="FILE", help="write the JSON report here")
    pv.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here (for CI gating on the proof)")
    pv.add_argument("-q", "--quiet", action="store_true")

    lm = sub.add_parser("lemma", help="prove the parametric lemmas of properties/lemmas.py (for every N, every score)")
    lm.add_argument("names", nargs="*", metavar="NAME", help="lemmas to prove (default: all)")
    lm.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a constant of the lemma")
    lm.add_argument("--file", default=None, metavar="PATH", help="lemma file (default: properties/lemmas.py)")
    lm.add_argument("--timeout", type=_positive_float("--timeout"), default=60.0, metavar="S")
    lm.add_argument("--json", metavar="FILE")

    df = sub.add_parser("diff", help="check two deployment files and list what the change does to each property")
    df.add_argument("old", help="the deployment before the change (.toml)")
    df.add_argument("new", help="the deployment after the change (.toml)")
    df.add_argument("--property", action="append", default=[], metavar="NAME", help="compare only this property (repeatable)")
    df.add_argument("--fail", metavar="HOST[:KIND],..", help="check only the failure of these hosts (of this kind)")
    _add_executor_args(df)
    df.add_argument("--max-states", type=_positive_int("--max-states"), metavar="N", help="stop each check after N states")
    df.add_argument("--max-seconds", type=_positive_float("--max-seconds"), metavar="S", help="stop each check after S seconds")
    df.add_argument("--out", default="hacheck-out", metavar="DIR", help="where trace files go (default hacheck-out/)")
    df.add_argument("--json", metavar="FILE", help="write the diff as JSON here")
    df.add_argument("-q", "--quiet", action="store_true", help="no progress, no counterexamples")

    r = sub.add_parser("render", help="draw a saved ITF trace as DOT and SVG")
    r.add_argument("trace", help="a trace file (*.itf.json)")
    r.add_argument("--out", metavar="DIR", help="folder for the drawings (default: beside the trace)")

    from .fuzz.cli import add_parser as add_fuzz_parser  # hacheck fuzz: hacheck/fuzz/cli.py

    add_fuzz_parser(sub)
    return p


def _add_executor_args(p: argparse.ArgumentParser) -> None:
    """Where the model checks of a deployment file run (hacheck/deploy/executor.py)."""
    p.add_argument("--workers", type=_positive_int("--workers"), metavar="N",
                   help="deployment files: run N model checks at once in worker processes (default: the machine's cores)")
    p.add_argument("--executor", choices=("local", "dask"), default=None,
                   help="deployment files: local processes (default) or a Dask distributed cluster (pip install 'hacheck[cluster]')")
    p.add_argument("--cluster", metavar="ADDRESS", help="deployment files: the Dask scheduler to send the checks to "
                   "(tcp://HOST:8786; implies --executor dask)")


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.command == "check":
            if str(args.path).endswith(".toml"):  # a deployment file: hacheck/deploy
                from .deploy.cli import cmd_check as cmd_check_deployment

                return cmd_check_deployment(args)
            if args.fail:
                raise BadInput("--fail: only for deployment files (.toml); for a model use --faults and --param max_faults")
            for flag in ("workers", "executor", "cluster"):
                if getattr(args, flag, None) is not None:
                    raise BadInput(f"--{flag}: only for deployment files (.toml), whose model checks are independent")
            return cmd_check(args)
        if args.command == "diff":
            from .deploy.cli import cmd_diff

            return cmd_diff(args)
        if args.command == "fuzz":
            from .fuzz.cli import cmd_fuzz

            return cmd_fuzz(args)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "render":
            return cmd_render(args)
        if args.command == "prove":
            return cmd_prove(args)
        if args.command == "lemma":
            return cmd_lemma(args)
    except HacheckError as e:
        trace = getattr(e, "trace", None)
        sys.stderr.write(f"hacheck: error: {e}\n")
        if trace is not None:
            from .report.text import trace_lines

            sys.stderr.write("\n".join(trace_lines(trace)) + "\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("hacheck: interrupted\n")
        return EXIT_UNKNOWN
    return EXIT_BAD_INPUT


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".hacheck-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise BadInput(f"--out {folder}: cannot write there: {e.strerror or e}") from None


def load_model(path: str, params: list[str]) -> tuple[Model, Any]:
    from .loader import build_model, load_spec, parse_params

    spec = load_spec(path)
    overrides = parse_params(spec, params)
    return build_model(spec, overrides), spec


def select_properties(model: Model, names: list[str]) -> list[Any]:
    import difflib

    props = []
    for n in names:
        if n not in model.properties:
            close = difflib.get_close_matches(n, model.properties, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            have = ", ".join(model.properties) or "none"
            raise BadInput(f"--property {n}: model {model.name} has no property {n!r}{hint}; it has: {have}")
        props.append(model.properties[n])
    return props if names else list(model.properties.values())


def prepare_run(args: argparse.Namespace) -> tuple[Model, list[Any], Path]:
    """What check and fuzz share before they run: the model with its parameters and fault kinds,
    the properties asked for, and output places that are known to be writable."""
    model, _spec = load_model(args.path, args.param)
    if args.faults:
        model.restrict_faults([k.strip() for k in args.faults.split(",") if k.strip()])
    props = select_properties(model, args.property)
    out_dir = Path(args.out)
    _ensure_writable(out_dir)
    _ensure_report_folders(args)
    return model, props, out_dir


def _ensure_report_folders(args: argparse.Namespace) -> None:
    """Refuse before any work a report that could not be written at the end."""
    import tempfile

    for option in ("json", "junit", "sarif"):
        path = getattr(args, option, None)
        if not path:
            continue
        target, folder = Path(path), Path(path).parent
        if not folder.exists():
            raise BadInput(f"--{option} {path}: folder {folder} does not exist")
        if target.is_dir():
            raise BadInput(f"--{option} {path}: is a folder; give a file name")
        if target.exists() and not os.access(target, os.W_OK):
            raise BadInput(f"--{option} {path}: the file is not writable")
        try:  # the folder takes a new file (permissions, read-only file system)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".hacheck-write-test-"):
                pass
        except OSError as e:
            raise BadInput(f"--{option} {path}: cannot write in {folder}: {e.strerror or e}") from None


def cmd_check(args: argparse.Namespace) -> int:
    from .check import run_check
    from .explicit.search import Bounds
    from .render.dot import write_trace_files
    from .report.json_report import to_json, write_json
    from .report.text import summary, trace_lines

    model, props, out_dir = prepare_run(args)
    progress = Progress(not args.quiet)
    disagreements: list[str] = []
    try:
        if args.engine == "smt":
            from .symbolic.check import smt_check

            temporal = [p.name for p in props if not p.is_safety]
            if temporal and args.property:
                raise BadInput(f"--property {temporal[0]}: the z3 engine checks safety properties only; use --engine explicit")
            result = smt_check(model, props, args.depth, args.timeout, sat=args.sat_solver)
        else:
            result = run_check(model, props, Bounds(args.max_states, args.max_seconds, args.max_depth), progress,
                               symmetry=not args.no_symmetry)
            if args.engine == "both":
                from .symbolic.check import agreement, merge, smt_check

                smt = smt_check(model, props, args.depth, args.timeout, sat=args.sat_solver)
                disagreements = agreement(result, smt)
                result = merge(result, smt)
    finally:
        progress.done()
    result = _write_traces(result, out_dir, write_trace_files)
    lines = summary(result)
    for d in disagreements:
        lines.append(f"  ENGINES DISAGREE: {d} -- this is a bug in hacheck, please report it")
    print("\n".join(lines))
    if not args.quiet:
        for p in result.properties:
            if p.trace is not None and (p.verdict == "violated" or p.trace.kind == "worst-case"):
                print()
                print("\n".join(trace_lines(p.trace)))
                print("  files: " + ", ".join(p.trace_files.values()))
    if args.json:
        write_json([to_json(result, args.path)], args.json)
    if args.junit:  # CI reports: hacheck/report/junit.py, sarif.py
        from .report.junit import write_junit

        write_junit(result, args.junit, source=args.path)
    if args.sarif:
        from .report.sarif import write_sarif

        write_sarif(result, args.sarif, source=args.path)
    if disagreements:
        return EXIT_DISAGREE
    return result.exit_code


def cmd_prove(args: argparse.Namespace) -> int:
    from .render.dot import write_trace_files
    from .report.json_report import to_json, write_json
    from .report.text import summary, trace_lines
    from .result import CheckResult, Stats
    from .symbolic.check import parse_invariant, prove
    from .symbolic.common import Context

    model, _spec = load_model(args.path, args.param)
    (p,) = select_properties(model, [args.property])
    inv = parse_invariant(model, args.invariant) if args.invariant else None
    method = "induction" if args.method == "auto" and inv is not None else args.method
    out_dir = Path(args.out)
    _ensure_writable(out_dir)
    _ensure_report_folders(args)
    from .explicit.search import params_dict

    ctx = Context(model, args.encoding, args.sat_solver)
    depth = args.depth if method != "kind" else min(args.depth, 6) if args.depth == 20 else args.depth
    r = prove(ctx, p, method, depth, args.timeout, inv, max_k=depth if method == "kind" else 6)
    result = CheckResult(model.name, params_dict(model), (r,), Stats(seconds=r.stats.seconds, depth=r.stats.depth), engine="smt")
    result = _write_traces(result, out_dir, write_trace_files)
    print("\n".join(summary(result)))
    r = result.properties[0]
    if "invariant" in r.extra:
        print(f"  invariant found: {r.extra['invariant']}")
    if not args.quiet and r.trace is not None:
        print()
        print("\n".join(trace_lines(r.trace)))
        print("  files: " + ", ".join(r.trace_files.values()))
    if args.json:
        write_json([to_json(result, args.path)], args.json)
    if args.junit:
        from .report.junit import write_junit

        write_junit(result, args.junit, source=args.path)
    return result.exit_code


def cmd_lemma(args: argparse.Namespace) -> int:
    import importlib.util

    from .report.json_report import to_json, write_json
    from .result import CheckResult, Stats
    from .symbolic.lemmas import Lemma, run_lemma

    path = Path(args.file) if args.file else Path(__file__).resolve().parent.parent / "properties" / "lemmas.py"
    if not path.exists():
        path = Path("properties/lemmas.py")
    if not path.exists():
        raise BadInput(f"{path}: no lemma file (give --file PATH)")
    root = path.resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location("hacheck_lemmas", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except HacheckError:
        raise
    except Exception as e:  # noqa: BLE001 - a user file that does not import is bad input
        raise BadInput(f"{path}: does not import: {type(e).__name__}: {e}") from None
    lemmas = {lm.name: lm for lm in getattr(module, "LEMMAS", []) if isinstance(lm, Lemma)}
    unknown = [n for n in args.names if n not in lemmas]
    if unknown:
        raise BadInput(f"no lemma {unknown[0]!r} in {path}; lemmas: {', '.join(lemmas)}")
    overrides: dict[str, int] = {}
    for a in args.set:
        if "=" not in a:
            raise BadInput(f"--set {a}: expected NAME=VALUE")
        k, v = a.split("=", 1)
        try:
            overrides[k.strip()] = int(v)
        except ValueError:
            raise BadInput(f"--set {a}: lemma constants are integers") from None
    chosen = [lemmas[n] for n in (args.names or list(lemmas))]
    results = []
    for lm in chosen:
        mine = {k: v for k, v in overrides.items() if k in lm.settings}
        if args.names and len(chosen) == 1 and set(overrides) - set(mine):
            raise BadInput(f"lemma {lm.name} has no setting {sorted(set(overrides) - set(mine))[0]!r}; "
                           f"it has {', '.join(lm.settings) or 'none'}")
        r = run_lemma(lm, mine, args.timeout)
        results.append(r)
        print(f"{lm.name}: {r.line}")
        print(f"    {lm.doc}")
        if "listing" in r.extra:
            print(f"    cases: {r.extra['listing']}")
    if args.json:
        res = CheckResult("lemmas", {}, tuple(results), Stats(), engine="smt")
        write_json([to_json(res, str(path))], args.json)
    verdicts = {r.verdict for r in results}
    return EXIT_VIOLATED if "violated" in verdicts else EXIT_UNKNOWN if "unknown" in verdicts else EXIT_OK


def _write_traces(result: CheckResult, out_dir: Path, writer: Any) -> CheckResult:
    for p in result.properties:
        if p.trace is not None:
            stem = f"{result.model}.{p.name}" + ("" if p.trace.kind == "counterexample" else f".{p.trace.kind}")
            result = result.with_trace_files(p.name, writer(p.trace, out_dir, stem))
    return result


def cmd_list(args: argparse.Namespace) -> int:

    model, spec = load_model(args.path, args.param)
    out = [f"model {model.name}" + (f" (tick = {model.tick_seconds:g} s)" if model.tick_seconds else "")]
    if model.doc:
        out.append("  " + model.doc.strip().splitlines()[0])
    out.append("parameters:")
    for info in spec.param_info():
        value = getattr(model.params, info.name)
        accepted = ""
        if info.choices:
            accepted = " one of " + "|".join(map(str, info.choices))
        elif info.low is not None or info.high is not None:
            accepted = f" in {info.low if info.low is not None else ''}..{info.high if info.high is not None else ''}"
        tname = getattr(info.type, "__name__", str(info.type))
        out.append(f"  {info.name}: {tname} = {value!r} (default {info.default!r}{accepted})  {info.doc}")
    out.append("sorts:")
    for s in model.sorts.values():
        out.append(f"  {s.name} = {{{', '.join(e.name for e in s)}}}" + (" symmetric" if s.symmetric else ""))
    out.append(f"variables ({len(model.fields)} fields):")
    for v in model.variables.values():
        out.append(f"  {v.name}: {v.type}" + (f"  -- {v.doc}" if v.doc else ""))
    out.append(f"actions ({len(model.instances)} instances):")
    for a in model.actions:
        params = ", ".join(f"{n}: {d}" for n, d in a.params)
        tags = [a.kind] if a.kind != "protocol" else []
        if a.fair:
            tags.append(f"{a.fair} fair")
        out.append(f"  {a.name}({params})" + (f" [{', '.join(tags)}]" if tags else "") + f"  {len(a.instances)} instances"
                   + (f"  -- {a.doc.splitlines()[0]}" if a.doc else ""))
    out.append("properties:")
    for p in model.properties.values():
        text = p.describe()
        if len(text) > 100:
            text = text[:97] + "..."
        out.append(f"  {p.name} [{p.kind}]" + (f"  -- {p.doc}" if p.doc else ""))
        out.append(f"      {text}")
    if model.budget:
        counted = "all fault actions" if model.budget[2] is None else ", ".join(sorted(model.budget[2]))
        out.append(f"fault budget: at most {model.budget[1]} ({counted})")
    print("\n".join(out))
    _ = show
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from .render.dot import write_trace_files
    from .trace import read_itf

    src = Path(args.trace)
    trace = read_itf(src)
    out_dir = Path(args.out) if args.out else src.parent
    _ensure_writable(out_dir)
    stem = src.name[: -len(".itf.json")] if src.name.endswith(".itf.json") else src.stem
    files = write_trace_files(trace, out_dir, stem, itf=False)
    print(f"{src}: {trace.length} steps" + (f", loop to state {trace.loop}" if trace.loop is not None else ""))
    for kind, path in files.items():
        print(f"  {kind}: {path}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
