"""The ``hacheck`` command line.

Exit codes (stable, for CI): 0 every checked property holds; 1 some property is violated;
2 bad input (usage, model, parameter or file error); 3 inconclusive (a bound was hit, nothing violated);
4 the explicit and z3 engines disagree (a bug in hacheck: please report it);
5 internal error in hacheck (an unexpected exception; the traceback is written to a file).
"""

from __future__ import annotations

import sys
import time


# the "import" phase of --stats starts here, before hacheck's own modules and attrs are imported
_START = {"at": time.perf_counter(), "used": False}

try:  # under a memory limit of ~16-24 MB (ulimit -v) hacheck's own modules may not load: exit 2, not 1
    import argparse
    import os
    import traceback
    from pathlib import Path
    from typing import Any, Sequence

    import attrs

    from . import __version__, failsafe
    from .lang.errors import BadInput, HacheckError
    from .lang.model import Model
    from .symbolic import SAT_SOLVERS
    from .result import CheckResult, fmt_int
except (MemoryError, ImportError) as _e:
    if not isinstance(_e, MemoryError) and "failed to map segment" not in str(_e):
        raise
    sys.stderr.write("hacheck: error: out of memory while importing hacheck's own modules; "
                     "raise the memory limit (ulimit -v)\n")
    raise SystemExit(2) from None

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_DISAGREE = 0, 1, 2, 3, 4
EXIT_INTERNAL = 5  # an unexpected exception: a bug in hacheck (the traceback goes to a file)


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
        if "level_done" in info:  # inside a large level
            line += f", level {100 * info['level_done']:.0f}%"
        if info.get("growth", 0) > 0:  # the next level, if it grows as the last one did
            line += f", next level ~{fmt_int(int(info['queue'] * info['growth']))}"
        if info.get("peak_rss"):
            line += f", peak RSS {info['peak_rss'] / 2**20:.0f} MB"
        sys.stderr.write("\r" + line.ljust(78)[:160])
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 160 + "\r")
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


def _timeout(name: str):
    """Seconds of wall clock, or ``0``/``none``: no clock (only the deterministic budgets, --rlimit,
    bound the solver: the same verdict on a loaded machine as on an idle one)."""
    seconds = _positive_float(name)

    def conv(text: str) -> float | None:
        if text.strip().lower() in ("0", "0.0", "none", "off"):
            return None
        return seconds(text)
    return conv


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Bad input is one line naming what and where, exit 2 (the usage is on --help, not here)."""
        text = " ".join(message.split())  # argparse's messages may wrap
        sys.stderr.write(f"hacheck: error: {text} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_BAD_INPUT)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hacheck", description="Model checker for high-availability protocols.")
    p.add_argument("--version", action="version", version=f"hacheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="explore a model exhaustively and check its properties")
    c.add_argument("path", help="a shipped model's name (hacheck models), a model file (.py) or a deployment file (.toml, see docs/deployment.md)")
    c.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    c.add_argument("--property", action="append", default=[], metavar="NAME", help="check only this property (repeatable)")
    c.add_argument("--faults", metavar="KIND[,KIND]", help="allow only these fault actions (with --param max_faults=N: "
                   "'at most N faults of these kinds')")
    c.add_argument("--max-states", type=_positive_int("--max-states"), metavar="N", help="stop after N states (verdict unknown)")
    c.add_argument("--max-seconds", type=_positive_float("--max-seconds"), metavar="S", help="stop after S seconds (verdict unknown)")
    c.add_argument("--max-depth", type=_positive_int("--max-depth"), metavar="K", help="explore only K steps deep (verdict unknown)")
    c.add_argument("--out", default="hacheck-out", metavar="DIR", help="where trace files go (default hacheck-out/)")
    c.add_argument("--json", metavar="FILE", help="write the JSON report here ('-' for standard output; the text then goes to stderr)")
    c.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here (one test case per property)")
    c.add_argument("--sarif", metavar="FILE", help="write a SARIF 2.1.0 report here (results at the deployment file's lines)")
    c.add_argument("--html", metavar="FILE", help="write a self-contained HTML report here (verdicts, traces as space-time "
                   "diagrams, why each property fails)")
    c.add_argument("--fail", metavar="HOST[:KIND],..", help="deployment files: check only the failure of these hosts (of this kind)")
    _add_executor_args(c)
    c.add_argument("--no-symmetry", action="store_true", help="explore every state, ignoring symmetric sorts")
    c.add_argument("--threads", type=_positive_int("--threads"), metavar="N",
                   help="threads of the explicit search of a model (default: HACHECK_WORKERS or the cores, at most 4); "
                   "the states, verdicts and traces are the same for any N (docs/design.md)")
    c.add_argument("--engine", choices=("explicit", "smt", "both"), default="explicit",
                   help="explicit-state search (default), the z3 engine, or both with their verdicts compared")
    c.add_argument("--depth", type=_positive_int("--depth"), default=20, metavar="K", help="BMC depth for the z3 engine (default 20)")
    c.add_argument("--timeout", type=_timeout("--timeout"), default=60.0, metavar="S",
                   help="z3 time budget per property in seconds (default 60; 0 or none: no wall clock)")
    c.add_argument("--sat-solver", choices=SAT_SOLVERS, default="cadical",
                   help="BMC back end for the z3 engine: CaDiCaL on z3's bit-blasted clauses (default) or z3's own solver")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress line, no traces on stdout")
    c.add_argument("--stats", action="store_true", help="also print where the time went: import, load, build, compile, "
                   "symmetry, search, properties, traces (always in the JSON report)")
    c.add_argument("--no-cache", action="store_true", help="read and write no cache in this run (as HACHECK_CACHE_DIR=off): "
                   "the start-up cache of compiled actions and symmetry proofs, and a deployment's verdicts")

    ls = sub.add_parser("list", help="show a model's sorts, variables, actions, parameters and properties")
    ls.add_argument("path", help="a shipped model's name or a model file")
    ls.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="set a model parameter (the listing shows the instance it builds)")

    pv = sub.add_parser("prove", help="prove one safety property with the z3 engine")
    pv.add_argument("path", help="a shipped model's name or a model file")
    pv.add_argument("--property", required=True, metavar="NAME", help="the safety property to prove (an invariant)")
    pv.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    pv.add_argument("--faults", metavar="KIND[,KIND]", help="allow only these fault actions, as for check")
    pv.add_argument("--method", choices=("auto", "induction", "kind", "reach", "houdini", "blocking", "chc", "bmc", "lemmas"),
                    default="auto", help="auto (default): the model's stated lemmas (if any), the reachable set, blocking, BMC, "
                    "k-induction, Houdini, then CHC; or one method (lemmas: the property and its stated lemmas, m.lemma)")
    pv.add_argument("--depth", type=_positive_int("--depth"), default=20, metavar="K", help="BMC depth / largest k (default 20 / 6)")
    pv.add_argument("--invariant", metavar="EXPR-OR-NAME", help="an inductive invariant: property names (comma-separated) or an expression")
    pv.add_argument("--timeout", type=_timeout("--timeout"), default=60.0, metavar="S",
                    help="time budget in seconds (default 60; 0 or none: no wall clock, the solver bounded by --rlimit only)")
    pv.add_argument("--encoding", choices=("bv", "int"), default="bv", help="z3 encoding for BMC and k-induction (default bv)")
    pv.add_argument("--sat-solver", choices=SAT_SOLVERS, default="cadical",
                    help="BMC back end with the bv encoding: CaDiCaL on z3's bit-blasted clauses (default) or z3's own solver")
    pv.add_argument("--out", default="hacheck-out", metavar="DIR", help="where a counterexample's trace files go (default hacheck-out/)")
    pv.add_argument("--json", metavar="FILE", help="write the JSON report here ('-' for standard output)")
    pv.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here (for CI gating on the proof)")
    pv.add_argument("-q", "--quiet", action="store_true", help="no counterexample on stdout (the files are still written)")
    from .symbolic.param_cli import add_arguments as add_for_every_arguments  # prove for every N: param_cli.py

    add_for_every_arguments(pv)

    sub.add_parser("models", help="list the shipped models, one line each (check one by name: hacheck check NAME)")

    gr = sub.add_parser("graph", help="write the reachable state graph (networkx) as GraphML, GEXF, DOT or JSON")
    gr.add_argument("path", help="a shipped model's name or a model file")
    gr.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    gr.add_argument("--faults", metavar="KIND[,KIND]", help="allow only these fault actions")
    gr.add_argument("--format", choices=("graphml", "gexf", "dot", "json"), default="graphml", help="default graphml")
    gr.add_argument("--max-states", type=_positive_int("--max-states"), default=10_000, metavar="N",
                    help="refuse (exit 2) a model with more reachable states (default 10,000; at most 200,000)")
    gr.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")

    lm = sub.add_parser("lemma", help="prove the parametric lemmas of properties/lemmas.py (for every N, every score)")
    lm.add_argument("names", nargs="*", metavar="NAME", help="lemmas to prove (default: all)")
    lm.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a constant of the lemma")
    lm.add_argument("--file", default=None, metavar="PATH", help="lemma file (default: the shipped properties/lemmas.py)")
    lm.add_argument("--timeout", type=_timeout("--timeout"), default=60.0, metavar="S",
                    help="z3 time budget per lemma in seconds (default 60; 0 or none: no wall clock)")
    lm.add_argument("--json", metavar="FILE", help="write the JSON report here ('-' for standard output)")

    df = sub.add_parser("diff", help="check two deployment files and list what the change does to each property")
    df.add_argument("old", help="the deployment before the change (.toml)")
    df.add_argument("new", help="the deployment after the change (.toml)")
    df.add_argument("--property", action="append", default=[], metavar="NAME", help="compare only this property (repeatable)")
    df.add_argument("--fail", metavar="HOST[:KIND],..", help="check only the failure of these hosts (of this kind)")
    _add_executor_args(df)
    df.add_argument("--max-states", type=_positive_int("--max-states"), metavar="N", help="stop each check after N states")
    df.add_argument("--max-seconds", type=_positive_float("--max-seconds"), metavar="S", help="stop each check after S seconds")
    df.add_argument("--out", default="hacheck-out", metavar="DIR", help="where trace files go (default hacheck-out/)")
    df.add_argument("--json", metavar="FILE", help="write the diff as JSON here ('-' for standard output)")
    df.add_argument("-q", "--quiet", action="store_true", help="no progress, no counterexamples")

    rp = sub.add_parser("report", help="turn a JSON report or an ITF trace into a self-contained HTML report")
    rp.add_argument("input", nargs="?", help="a JSON report (hacheck check --json) or a trace (*.itf.json)")
    rp.add_argument("--html", metavar="FILE", help="where to write it (default: the input's name with .html)")
    rp.add_argument("--index", metavar="DIR", help="instead: write DIR/index.html linking every HTML report in DIR "
                    "(with the exit code of the JSON report beside it)")

    ex = sub.add_parser("export", help="write a model instance for another checker (Promela for SPIN)")
    ex.add_argument("path", help="a shipped model's name or a model file")
    fmt = ex.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--promela", action="store_true", help="Promela, one d_step per action instance; invariants as a never claim")
    fmt.add_argument("--drn", action="store_true", help="the availability chain (Markov automaton) in Storm's explicit "
                     "DRN format, labelled with the availability measures (docs/availability.md)")
    ex.add_argument("--rate", action="append", default=[], metavar="ACTION=PER_HOUR",
                    help="--drn: the rate of an action (as for hacheck availability)")
    ex.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a model parameter")
    ex.add_argument("--faults", metavar="KIND[,KIND]", help="allow only these fault actions (as for check)")
    ex.add_argument("--property", action="append", default=[], metavar="NAME",
                    help="invariants to check (repeatable; default: every invariant of the model)")
    ex.add_argument("-o", "--out", metavar="FILE", help="write here (default: standard output)")

    r = sub.add_parser("render", help="draw a saved ITF trace as DOT and SVG")
    r.add_argument("trace", help="a trace file (*.itf.json)")
    r.add_argument("--out", metavar="DIR", help="folder for the drawings (default: beside the trace)")

    from .fuzz.cli import add_parser as add_fuzz_parser  # hacheck fuzz: hacheck/fuzz/cli.py

    add_fuzz_parser(sub)
    from .avail.cli import add_parser as add_availability_parser  # hacheck availability: hacheck/avail/cli.py

    add_availability_parser(sub)
    _add_common_options(p, sub)
    return p


EXIT_CODES_HELP = """exit codes:
  0  every checked property holds
  1  some property is violated (a counterexample is shown and saved)
  2  bad input: usage, model, parameter or file error, or out of memory (one line naming what and where)
  3  inconclusive: a bound was hit or the run was interrupted (Ctrl-C, SIGTERM), nothing violated
  4  the explicit and z3 engines disagree (a bug in hacheck: please report it)
  5  internal error in hacheck (the traceback is written to a file: please report it)"""


def _add_common_options(p: argparse.ArgumentParser, sub: Any) -> None:
    """--debug and the exit-code table on every command's --help."""
    p.epilog = EXIT_CODES_HELP
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    for sp in sub.choices.values():
        sp.add_argument("--debug", action="store_true", help="on an error, also print the Python traceback")
        sp.epilog = EXIT_CODES_HELP
        sp.formatter_class = argparse.RawDescriptionHelpFormatter


def _add_executor_args(p: argparse.ArgumentParser) -> None:
    """Where the model checks of a deployment file run (hacheck/deploy/executor.py)."""
    p.add_argument("--workers", type=_positive_int("--workers"), metavar="N",
                   help="deployment files: run N model checks at once in worker processes (default: the machine's cores)")
    p.add_argument("--executor", choices=("local", "dask"), default=None,
                   help="deployment files: local processes (default) or a Dask distributed cluster (pip install 'hacheck[cluster]')")
    p.add_argument("--cluster", metavar="ADDRESS", help="deployment files: the Dask scheduler to send the checks to "
                   "(tcp://HOST:8786; implies --executor dask)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every way out is an exit code of the README's table: a failure is never
    a traceback, and never reads as a verdict (hacheck/failsafe.py)."""
    failsafe.install()
    if _START["used"]:  # a second command in one process: its start-up is its own
        _START["at"] = time.perf_counter()
    _START["used"] = True
    argv = list(sys.argv[1:] if argv is None else argv)
    saved_stdout = sys.stdout
    sys.stdout = failsafe.ClosedStdoutIsQuiet(saved_stdout)  # type: ignore[assignment] - `| head`: not an error
    try:
        args = make_parser().parse_args(argv)
    except SystemExit:  # --help, --version, a usage error
        sys.stdout.flush()
        sys.stdout = saved_stdout
        raise
    debug = bool(getattr(args, "debug", False))
    saved_cache_env = os.environ.get("HACHECK_CACHE_DIR")
    if getattr(args, "no_cache", False):  # as HACHECK_CACHE_DIR=off, for this command and its worker processes
        os.environ["HACHECK_CACHE_DIR"] = "off"
    try:
        if getattr(args, "json", None) == "-":  # --json -: the report alone on stdout, the text on stderr
            import contextlib

            from .report.json_report import STDOUT

            STDOUT.append(sys.stdout)
            with contextlib.redirect_stdout(sys.stderr):
                return _dispatch(args)
        return _dispatch(args)
    except HacheckError as e:
        if debug:
            traceback.print_exception(e)
        trace = getattr(e, "trace", None)
        sys.stderr.write(f"hacheck: error: {e}\n")
        if trace is not None:
            from .report.text import trace_lines

            sys.stderr.write("\n".join(trace_lines(trace)) + "\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as e:
        sys.stderr.write(f"hacheck: interrupted ({failsafe.how(e)}) while {failsafe.current_phase()}: nothing decided\n")
        return EXIT_UNKNOWN
    except Exception as e:  # noqa: BLE001 - the last resort: out of memory (2) or a bug in hacheck (5)
        if debug:
            traceback.print_exception(e)
        if failsafe.is_out_of_memory(e):
            sys.stderr.write(failsafe.out_of_memory_line(e))
            return EXIT_BAD_INPUT
        where = failsafe.crash_file(e, argv)
        sys.stderr.write(f"hacheck: internal error in hacheck while {failsafe.current_phase()}: "
                         f"{type(e).__name__}: {str(e)[:200]}\n"
                         f"  the full traceback is in {where or '(could not be written)'}; please report it\n")
        return EXIT_INTERNAL
    finally:
        sys.stdout.flush()  # a reader that has gone is found here at the latest, not at exit
        sys.stdout = saved_stdout
        if saved_cache_env is None:
            os.environ.pop("HACHECK_CACHE_DIR", None)
        else:
            os.environ["HACHECK_CACHE_DIR"] = saved_cache_env


def _refuse_empty_paths(args: argparse.Namespace) -> None:
    """``--json ""`` (a shell variable left empty) must not silently write no report."""
    for flag in ("out", "json", "junit", "sarif", "html"):
        v = getattr(args, flag, None)
        if v is not None and not str(v).strip():
            what = "a folder" if flag == "out" else "a file name ('-' for standard output)" if flag == "json" else "a file name"
            raise BadInput(f"--{flag} {v!r}: empty; give {what}, or leave --{flag} out")


def _dispatch(args: argparse.Namespace) -> int:
    _refuse_empty_paths(args)
    if args.command == "check":
        if Path(str(args.path)).is_dir():
            raise BadInput(f"{args.path}: is a folder; give a model (a shipped model's name or a .py file) or a "
                           "deployment file (.toml)")
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
    if args.command == "models":
        return cmd_models(args)
    if args.command == "graph":
        return cmd_graph(args)
    if args.command == "report":
        return cmd_report(args)
    if args.command == "export":
        return cmd_export(args)
    if args.command == "availability":
        from .avail.cli import cmd_availability

        return cmd_availability(args)
    return EXIT_BAD_INPUT


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".hacheck-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise BadInput(f"--out {folder}: cannot write there: {e.strerror or e}") from None


def load_model(path: str, params: list[str], clock: Any = None) -> tuple[Model, Any]:
    """The model instance and its spec; ``clock`` (hacheck/timing.py) times loading and building."""
    import contextlib

    from .loader import build_model, load_spec, parse_params

    def timed(name: str) -> Any:
        return clock.phase(name) if clock is not None else contextlib.nullcontext()

    with timed("load"):
        spec = load_spec(path)
    with timed("build"):
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


def prepare_run(args: argparse.Namespace, clock: Any = None) -> tuple[Model, list[Any], Path]:
    """What check and fuzz share before they run: the model with its parameters and fault kinds,
    the properties asked for, and output places that are known to be writable."""
    model, _spec = load_model(args.path, args.param, clock)
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

    for option in ("json", "junit", "sarif", "html"):
        path = getattr(args, option, None)
        if not path or (option == "json" and path == "-"):
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
    from .timing import Clock, text as timing_text

    clock = Clock()
    clock.add("import", time.perf_counter() - float(_START["at"]))  # hacheck, numpy and the report modules
    failsafe.set_phase("loading the model")
    model, props, out_dir = prepare_run(args, clock)
    failsafe.set_phase("checking the model")
    progress = Progress(not args.quiet)
    disagreements: list[str] = []
    try:
        if args.engine == "smt":
            from .symbolic.check import smt_check

            temporal = [p.name for p in props if not p.is_safety]
            if temporal and args.property:
                raise BadInput(f"--property {temporal[0]}: the z3 engine checks safety properties only; use --engine explicit")
            with clock.phase("search"):
                result = smt_check(model, props, args.depth, args.timeout, sat=args.sat_solver)
        else:
            result = run_check(model, props, Bounds(args.max_states, args.max_seconds, args.max_depth), progress,
                               symmetry=not args.no_symmetry, clock=clock, workers=args.threads)
            if args.engine == "both":
                from .symbolic.check import agreement, merge, smt_check

                with clock.phase("search"):
                    smt = smt_check(model, props, args.depth, args.timeout, sat=args.sat_solver)
                disagreements = agreement(result, smt)
                result = merge(result, smt)
    finally:
        progress.done()
    failsafe.set_phase("writing the traces and reports")
    with clock.phase("traces"):
        result = _write_traces(result, out_dir, write_trace_files)
    result = attrs.evolve(result, phases=clock.ordered(), cache=dict(clock.cache))
    lines = summary(result)
    if args.stats:
        lines.append("  " + timing_text(result.phases, result.cache))
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

        write_sarif(result, args.sarif, source=args.path, model=model)
    if getattr(args, "html", None):
        from .report.html import write_html

        traces = {p.trace_files["itf"]: p.trace for p in result.properties if p.trace is not None and "itf" in p.trace_files}
        write_html(args.html, to_json(result, args.path), traces, title=f"hacheck: {result.model}")
    if disagreements:
        return EXIT_DISAGREE
    return result.exit_code


def cmd_prove(args: argparse.Namespace) -> int:
    failsafe.set_phase("loading the model")
    if args.for_every:  # for every number of hosts: hacheck/symbolic/param.py
        failsafe.set_phase(f"proving {args.property} for every {args.for_every}")
        from .symbolic.param_cli import cmd_prove_every

        return cmd_prove_every(args)
    from .render.dot import write_trace_files
    from .report.text import summary
    from .result import CheckResult, Stats
    from .symbolic.check import parse_invariant, prove
    from .symbolic.common import Context
    from .symbolic.param_cli import RLIMIT_DEFAULT

    model, _spec = load_model(args.path, args.param)
    if args.faults:
        model.restrict_faults([k.strip() for k in args.faults.split(",") if k.strip()])
    (p,) = select_properties(model, [args.property])
    inv = parse_invariant(model, args.invariant) if args.invariant else None
    method = "induction" if args.method == "auto" and inv is not None else args.method
    out_dir = Path(args.out)
    _ensure_writable(out_dir)
    _ensure_report_folders(args)
    from .explicit.search import params_dict

    # --rlimit given: every z3 query of the proof gets that many resource units (deterministic)
    ctx = Context(model, args.encoding, args.sat_solver, rlimit=args.rlimit if args.rlimit != RLIMIT_DEFAULT else None)
    depth = args.depth if method != "kind" else min(args.depth, 6) if args.depth == 20 else args.depth
    failsafe.set_phase(f"proving {p.name} ({method})")
    r = prove(ctx, p, method, depth, args.timeout, inv, max_k=depth if method == "kind" else 6,
              rlimit=args.rlimit if args.rlimit != RLIMIT_DEFAULT else None)
    result = CheckResult(model.name, params_dict(model), (r,), Stats(seconds=r.stats.seconds, depth=r.stats.depth), engine="smt")
    failsafe.set_phase("writing the traces and reports")
    result = _write_traces(result, out_dir, write_trace_files)
    print("\n".join(summary(result)))
    r = result.properties[0]
    if "invariant" in r.extra:
        print(f"  invariant found: {r.extra['invariant']}")
    if r.method == "lemmas" and r.trace is not None:  # the counterexample to induction (hacheck/symbolic/stated.py)
        from .symbolic.stated import cti_lines

        print("\n".join(cti_lines(r)))
    return finish_proof(result, args)


def finish_proof(result: CheckResult, args: argparse.Namespace) -> int:
    """The common end of ``prove`` and ``prove --for-every``: the trace, the JSON and JUnit files."""
    from .report.json_report import to_json, write_json
    from .report.text import trace_lines

    r = result.properties[0]
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

    from .shipped import is_shipped, lemma_file

    path = Path(args.file) if args.file else lemma_file()
    if not path.exists():
        raise BadInput(f"{path}: no lemma file (give --file PATH)")
    root = path.resolve().parent.parent
    if not is_shipped(path) and str(root) not in sys.path:  # a user's lemmas may import their own properties/
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


def cmd_models(args: argparse.Namespace) -> int:
    """One line per shipped model: its name (what ``hacheck check NAME`` takes) and what it models."""
    from .shipped import describe, shipped_models

    models = shipped_models()
    width = max((len(n) for n in models), default=0)
    for name, path in models.items():
        print(f"{name.ljust(width)}  {describe(path)}")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    """The reachable state graph of a small model instance (hacheck/render/graph.py)."""
    from .render.graph import state_graph, write_graph

    model, _spec = load_model(args.path, args.param)
    if args.faults:
        model.restrict_faults([k.strip() for k in args.faults.split(",") if k.strip()])
    out = Path(args.output) if args.output else None
    if out is not None and not out.parent.exists():
        raise BadInput(f"--output {out}: folder {out.parent} does not exist")
    g = state_graph(model, args.max_states)
    write_graph(g, args.format, sys.stdout, out)
    where = f" to {out}" if out is not None else ""
    sys.stderr.write(f"{model.name}: {fmt_int(g.number_of_nodes())} states, {fmt_int(g.graph['transitions'])} transitions "
                     f"({fmt_int(g.number_of_edges())} edges), {args.format}{where}\n")
    return EXIT_OK


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
        out.append(f"  {p.name} [{p.kind}]" + (f"  -- {p.doc}" if p.doc else ""))
        out.extend(_as_written(p))
    if model.lemmas:  # stated lemmas (m.lemma): proved with the property by prove --method lemmas
        out.append("stated lemmas:")
        for lm in model.lemmas.values():
            out.append(f"  {lm.name} [supports {', '.join(lm.supports)}]" + (f"  -- {lm.doc}" if lm.doc else "")
                       + (f"  ({lm.location})" if lm.location else ""))
    if model.budget:
        counted = "all fault actions" if model.budget[2] is None else ", ".join(sorted(model.budget[2]))
        out.append(f"fault budget: at most {model.budget[1]} ({counted})")
    print("\n".join(out))
    return EXIT_OK


def _as_written(p: Any) -> list[str]:
    """A property as its model file writes it: ``file:line`` and the whole statement (the expanded
    formula is unreadable for real models), or the expanded formula when the source is not found."""
    import ast
    import textwrap

    loc = p.location or ""
    file, _, line = loc.rpartition(":")
    try:
        source = Path(file).read_text()
        n = int(line)
        tree = ast.parse(source)
    except (OSError, ValueError, SyntaxError):
        return [f"      {loc + ': ' if loc else ''}{p.describe()}"]
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= n <= (node.end_lineno or node.lineno):
            if best is None or (node.end_lineno or 0) - node.lineno < (best.end_lineno or 0) - best.lineno:
                best = node
    text = ast.get_source_segment(source, best) if best is not None else None
    if not text:
        return [f"      {loc}: {p.describe()}"]
    body = textwrap.dedent(" " * best.col_offset + text).splitlines()  # type: ignore[union-attr]
    out = [f"      {loc}:"] + [f"        {b}" for b in body]
    defs = {d.name: d for d in ast.walk(tree) if isinstance(d, ast.FunctionDef)}
    called = [c.func.id for c in ast.walk(best) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)]  # type: ignore[arg-type]
    for name in dict.fromkeys(called):
        if name in defs and defs[name] is not best and not (defs[name].lineno <= n <= (defs[name].end_lineno or 0)):
            out.append(f"        (def {name} at {file}:{defs[name].lineno})")
    return out


def cmd_report(args: argparse.Namespace) -> int:
    from .report.html import load_report, write_html, write_index

    if args.index:
        if args.input or args.html:
            raise BadInput("--index DIR: give no input file and no --html with it")
        target = write_index(Path(args.index))
        print(f"{target}")
        return EXIT_OK
    if not args.input:
        raise BadInput("report: give a JSON report or an .itf.json trace (or --index DIR)")
    src = Path(args.input)
    doc, traces = load_report(src)
    name = src.name[: -len(".itf.json")] if src.name.endswith(".itf.json") else src.stem
    target = Path(args.html) if args.html else src.with_name(name + ".html")
    if not target.parent.exists():
        raise BadInput(f"--html {target}: folder {target.parent} does not exist")
    write_html(target, doc, traces, title=f"hacheck: {name}")
    print(f"{target}: {len(traces)} trace(s)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .export.promela import to_promela

    if args.drn:
        from .avail.cli import export_drn

        return export_drn(args)

    model, _spec = load_model(args.path, args.param)
    if args.faults:
        model.restrict_faults([k.strip() for k in args.faults.split(",") if k.strip()])
    chosen = select_properties(model, args.property)
    invariants = [p for p in chosen if p.kind == "invariant"] if not args.property else chosen
    text = to_promela(model, invariants)
    if not args.out or args.out == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.out)
    if not target.parent.exists():
        raise BadInput(f"--out {target}: folder {target.parent} does not exist")
    try:
        target.write_text(text)
    except OSError as e:
        raise BadInput(f"--out {target}: cannot write: {e.strerror}") from None
    print(f"{target}: {len(model.instances)} action instances, {len(model.fields)} variables, "
          f"never claim over {', '.join(p.name for p in invariants) or 'no invariant'}")
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
