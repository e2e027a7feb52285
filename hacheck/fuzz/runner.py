"""``hacheck fuzz``: Hypothesis drives executions of a model against its properties.

One run checks every chosen property at once. Each example is an execution drawn by
:func:`hacheck.fuzz.strategies.walk`, stopped at the first failure of a property still open. The
first property that fails is *locked*: Hypothesis shrinks that failure (only failures of that
property count while shrinking), :func:`hacheck.fuzz.shrink.minimize` deletes whatever steps the
shrunk execution still does not need, and :func:`hacheck.fuzz.shrink.minimal_faults` names the
faults it needs. The property is then closed and the search goes on for the others with the
examples left.

Reproducible: the seed fixes Hypothesis' random choices, and the test is a pure function of them,
so the same seed gives the same run. With an example database (a folder), each failure is saved
under a key made of the model, its parameters, the properties still open and the walk options,
and replayed first on the next run with the same key.

What fuzzing shows: a violation it prints is a real execution of the model (replayed step by step
before it is reported). Finding nothing is not a proof: verdicts say ``unknown`` with what was covered.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from ..explicit.search import params_dict
from ..lang.errors import BadInput
from ..lang.model import Model
from ..lang.props import Property
from ..replay import replay
from ..result import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult, Stats, fmt_int
from .shrink import FaultCheck, minimal_faults, minimize
from .stepper import Execution, Monitor, Stepper
from .strategies import Weights, WalkConfig, walk

FORMAT = "hacheck-fuzz-1"  # part of the database key: bump when the meaning of choices changes


@attrs.frozen
class FuzzOptions:
    examples: int = 1000  # examples to generate in total (database replays and shrinking come on top)
    max_steps: int = 30  # steps per execution; also the response window K for temporal properties
    seed: int = 0
    deadline: float | None = None  # seconds for the whole search (shrinking a found failure gets shrink_seconds more)
    database: str | Path | None = None  # folder of the example database; None: no database
    weights: Weights = Weights()
    response_steps: int | None = None  # the response window (default: max_steps)
    shrink_seconds: float = 120.0
    minimize: bool = True  # delete unneeded steps after Hypothesis' shrinking

    @property
    def window(self) -> int:
        return self.response_steps if self.response_steps is not None else self.max_steps


@attrs.frozen
class Finding:
    """A property that failed (or a reachable property whose witness was found)."""

    prop: str
    execution: Execution  # shrunk and minimized
    found_at_example: int  # the example (counting from 1 in this run) where it first failed
    first_length: int  # steps of the first failing execution seen
    shrunk_length: int  # steps after Hypothesis' shrinking
    faults: tuple[FaultCheck, ...]
    replays: int  # test-function calls spent shrinking


@attrs.define
class Coverage:
    """What the generated examples covered (shrinking replays are not counted)."""

    examples: int = 0
    steps: int = 0
    faults: int = 0
    env_steps: int = 0
    seconds: float = 0.0  # wall time generating examples (database replays included, shrinking not)
    distinct: set[int] = attrs.field(factory=set)  # hashes of the states seen
    actions: Counter = attrs.field(factory=Counter)  # action name -> steps taken
    instances: set[int] = attrs.field(factory=set)
    stop_reason: str = ""

    @property
    def distinct_states(self) -> int:
        return len(self.distinct)


@attrs.frozen(eq=False)
class FuzzResult:
    model: Model
    result: CheckResult  # verdict per property (engine "fuzz")
    findings: dict[str, Finding]
    coverage: Coverage
    options: FuzzOptions


class _Failed(Exception):
    def __init__(self, execution: Execution):
        super().__init__(execution.failure)
        self.execution = execution


class _OutOfTime(KeyboardInterrupt):
    """Ends a Hypothesis run early. Hypothesis lets a KeyboardInterrupt through at once, without
    recording the test case (any other exception would be a failure, or an inconsistency)."""


def _key(model: Model, open_props: list[Property], opts: FuzzOptions, response: int | None) -> bytes:
    w = opts.weights
    text = repr((FORMAT, model.name, sorted(params_dict(model).items()), sorted(p.name for p in open_props),
                 opts.max_steps, response, w.fault_rate, w.env_rate, sorted(w.actions.items()),
                 len(model.instances), len(model.fields)))
    return hashlib.sha256(text.encode()).digest()


def fuzz(model: Model, properties: Iterable[Property] | None = None, options: FuzzOptions | None = None,
         progress: Callable[[dict[str, float]], None] | None = None) -> FuzzResult:
    """Fuzz ``model`` against ``properties`` (default: all of them)."""
    opts = options or FuzzOptions()
    if opts.examples < 1:
        raise BadInput(f"examples must be at least 1, got {opts.examples}")
    if opts.max_steps < 1:
        raise BadInput(f"max_steps must be at least 1, got {opts.max_steps}")
    opts.weights.validate(model)
    props = list(properties) if properties is not None else list(model.properties.values())
    stepper = Stepper.of(model)
    cov = Coverage()
    findings: dict[str, Finding] = {}
    open_props = list(props)
    t0 = time.monotonic()
    deadline = t0 + opts.deadline if opts.deadline is not None else None
    db = DirectoryBasedExampleDatabase(str(opts.database)) if opts.database is not None else None
    left = opts.examples
    while open_props and left > 0 and not cov.stop_reason:
        run = _Run(stepper, open_props, opts, cov, deadline, db, progress, t0)
        finding = run.go(left)
        left -= run.generated
        if finding is None:
            break
        findings[finding.prop] = finding
        open_props = [p for p in open_props if p.name != finding.prop]
    if not cov.stop_reason and left <= 0 and open_props:
        cov.stop_reason = f"{fmt_int(opts.examples)} examples (--examples)"
    result = _verdicts(model, props, findings, cov, opts)
    return FuzzResult(model, result, findings, cov, opts)


class _Run:
    """One Hypothesis run over the open properties; ends at the first failure (shrunk) or when the
    examples or the time run out."""

    def __init__(self, stepper: Stepper, open_props: list[Property], opts: FuzzOptions, cov: Coverage,
                 deadline: float | None, db: Any, progress: Any, t0: float):
        self.st = stepper
        self.props = open_props
        self.opts = opts
        self.cov = cov
        self.deadline = deadline
        self.db = db
        self.progress = progress
        self.t0 = t0
        temporal = any(not p.is_safety for p in open_props)
        self.response = opts.window if temporal else None
        self.cfg = WalkConfig(opts.max_steps, self.response, opts.weights)
        self.generated = 0
        self.locked: str | None = None
        self.first: Execution | None = None
        self.found_at = 0
        self.best: Execution | None = None
        self.replays = 0
        self.shrink_deadline: float | None = None
        self.gen_end: float | None = None
        self.last_progress = time.monotonic()

    def _record(self, ex: Execution) -> None:
        cov, st = self.cov, self.st
        cov.examples += 1
        cov.steps += ex.length
        kinds = st.kind
        names = st.names
        name_of = st.name_of
        for a in ex.actions:
            k = kinds[a]
            if k == "fault":
                cov.faults += 1
            elif k == "env":
                cov.env_steps += 1
            cov.actions[names[name_of[a]]] += 1
        cov.instances.update(ex.actions)
        cov.distinct.update(map(hash, ex.states))

    def go(self, budget: int) -> Finding | None:
        st, cfg = self.st, self.cfg
        props = self.props

        def one(data: Any) -> None:
            now = time.monotonic()
            if self.locked is None and self.deadline is not None and now > self.deadline:
                self.cov.stop_reason = f"stopped after {self.opts.deadline:g} s (--deadline)"
                raise _OutOfTime()
            if self.locked is not None and self.shrink_deadline is not None and now > self.shrink_deadline:
                raise _OutOfTime()
            mon = Monitor(st, props, self.response)
            draw_int, spans = _drawing(data)
            ex = walk(st, draw_int, cfg, mon, spans)
            f = ex.failure
            if self.locked is None:
                self.generated += 1
                self._record(ex)
                if self.progress is not None and now - self.last_progress > 0.5:
                    self.last_progress = now
                    self.progress({"examples": self.cov.examples, "states": self.cov.distinct_states,
                                   "steps": self.cov.steps, "seconds": now - self.t0})
                if f is None:
                    return
                self.locked = f.prop
                self.first = ex
                self.found_at = self.cov.examples
                self.gen_end = time.monotonic()
                self.shrink_deadline = self.gen_end + self.opts.shrink_seconds
            else:
                self.replays += 1
            if f is None or f.prop != self.locked:
                return
            if self.best is None or _order(ex) < _order(self.best):
                self.best = ex
            raise _Failed(ex)

        from hypothesis import strategies as hs

        test = given(hs.data())(one)
        # seed() turns the database off in the settings it finds; settings applied after it turn it on
        test = seed(self.opts.seed)(test)
        test = settings(
            database=self.db, max_examples=budget, deadline=None, derandomize=False,
            suppress_health_check=list(HealthCheck), phases=(Phase.reuse, Phase.generate, Phase.shrink),
            report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet,
        )(test)
        test.hypothesis.inner_test._hypothesis_internal_add_digest = _key(st.model, props, self.opts, self.response)
        shrunk: Execution | None = None
        start = time.monotonic()
        try:
            with _no_local_constants():
                test()
        except _Failed as e:
            shrunk = e.execution
        except _OutOfTime:
            shrunk = self.best
        except KeyboardInterrupt:
            from ..failsafe import interrupted

            self.cov.stop_reason = f"interrupted ({interrupted() or 'Ctrl-C'})"
            shrunk = self.best
        self.cov.seconds += (self.gen_end if self.gen_end is not None else time.monotonic()) - start
        if shrunk is None or self.first is None:
            return None
        return self._finish(shrunk)

    def _finish(self, shrunk: Execution) -> Finding:
        st = self.st
        assert shrunk.failure is not None and self.first is not None
        ex = minimize(st, shrunk, self.response) if self.opts.minimize else shrunk
        faults = tuple(minimal_faults(st, ex, self.response)) if ex.failure and ex.failure.is_violation else ()
        # the trace printed is replayed through the reference interpreter before it is reported
        replay(st.model, ex.trace())
        return Finding(ex.failure.prop if ex.failure else shrunk.failure.prop, ex, self.found_at,
                       self.first.length, shrunk.length, faults, self.replays)


_STEP_LABEL = 0x6861636865636B  # labels the span of one step's choices


def _drawing(data: Any) -> tuple[Any, ...]:
    """How the runner draws: Hypothesis' choice-level ``draw_integer`` where it exists (several times
    faster than drawing through a strategy), one span per step; else ``st.integers`` strategies.
    (Internals: hacheck/fuzz/internals.py lists them; tests/test_hypothesis_internals.py pins them.)"""
    cd = getattr(data, "conjecture_data", None)
    if cd is not None and hasattr(cd, "draw_integer") and hasattr(cd, "start_span"):
        return (lambda lo, hi: cd.draw_integer(lo, hi)), (lambda: cd.start_span(_STEP_LABEL), cd.stop_span)
    from hypothesis import strategies as hs

    return (lambda lo, hi: data.draw(hs.integers(lo, hi))), None


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Recent Hypothesis versions sometimes draw a constant found in the source of the local modules
    loaded in the process, so the same seed could give another run in a process that happens to
    have loaded other modules. Empty that pool while fuzzing: a seed then means one run everywhere.
    (A no-op on Hypothesis versions without it.)"""
    try:
        from hypothesis.internal.conjecture import providers as hp

        original = hp._get_local_constants
        empty = hp.Constants()
        cache = hp.CONSTANTS_CACHE
    except (ImportError, AttributeError):
        yield
        return
    hp._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        hp._get_local_constants = original
        cache.cache.clear()


def _order(ex: Execution) -> tuple[int, int, tuple[int, ...]]:
    n_faults = sum(1 for a in ex.actions if ex.model.instances[a].kind != "protocol")
    return (ex.length, n_faults, ex.actions)


def _verdicts(model: Model, props: list[Property], findings: dict[str, Finding], cov: Coverage,
              opts: FuzzOptions) -> CheckResult:
    stats = Stats(states=cov.distinct_states, transitions=cov.steps, depth=opts.max_steps,
                  seconds=cov.seconds, initial_states=len(Stepper.of(model).init), complete=False,
                  stop_reason=cov.stop_reason)
    seen = f"{fmt_int(cov.examples)} examples, {fmt_int(cov.distinct_states)} distinct states"
    out = []
    for p in props:
        f = findings.get(p.name)
        if f is None:
            if p.kind == "invariant":
                why = f"no violation in {seen}; fuzzing, not a proof"
            elif p.kind == "reachable":
                why = f"no witness in {seen}; fuzzing, not a proof"
            else:
                why = (f"every trigger answered within {opts.window} fair steps in {seen}; "
                       "bounded response, not a proof")
            out.append(PropertyResult(p.name, p.kind, UNKNOWN, "fuzz", "fuzz", why, stats))
            continue
        ex = f.execution
        fail = ex.failure
        assert fail is not None
        trace = ex.trace(note=_note(f, opts))
        origin = f"found in example {f.found_at_example}, shrunk from {f.first_length} steps"
        extra: dict[str, Any] = {"found_at_example": f.found_at_example, "first_length": f.first_length,
                                 "shrunk_length": f.shrunk_length, "minimal_faults": [c.action.label for c in f.faults if c.needed]}
        if fail.kind == "reachable":
            out.append(PropertyResult(p.name, p.kind, HOLDS, "witness", "fuzz",
                                      f"witness in {ex.length} steps, fuzzing; {origin}", stats, trace, extra=extra))
        elif fail.kind == "invariant":
            out.append(PropertyResult(p.name, p.kind, VIOLATED, "fuzz", "fuzz",
                                      f"{ex.length} steps, fuzzing; {origin}", stats, trace, extra=extra))
        elif fail.kind == "stutter":
            out.append(PropertyResult(p.name, p.kind, VIOLATED, "fuzz", "fuzz",
                                      f"{ex.length} steps, then no fair action is enabled: it stays there for ever; {origin}",
                                      stats, trace, extra=extra))
        else:
            out.append(PropertyResult(
                p.name, p.kind, VIOLATED, "bounded-response", "fuzz",
                f"bounded response: pending since state {fail.trigger}, not answered within {opts.window} fair steps "
                f"({ex.length} steps); not a proof that the property fails under fairness, check it with 'hacheck check'",
                stats, trace, extra=extra))
    return CheckResult(model.name, params_dict(model), tuple(out), stats, engine="fuzz")


def response_text(ex: Execution, window: int) -> str:
    """One sentence on a temporal failure: where the response phase began, what is pending."""
    f = ex.failure
    assert f is not None
    phase = f"the response phase (fair actions only, no faults) starts at state {ex.response_from}"
    if f.kind == "stutter":
        return (f"{phase}; pending since state {f.trigger}, and state {f.at} enables no fair action: "
                f"it may stay there for ever")
    return f"{phase}; pending since state {f.trigger}, still not answered {window} fair steps into it (state {f.at})"


def _note(f: Finding, opts: FuzzOptions) -> str:
    needed = [c.action.label for c in f.faults if c.needed]
    lines = [f"found by hacheck fuzz (seed {opts.seed}) in example {f.found_at_example}; "
             f"shrunk from {f.first_length} to {f.execution.length} steps"]
    fail = f.execution.failure
    if fail is not None and fail.kind in ("response", "stutter"):
        lines.append(response_text(f.execution, opts.window))
    if f.faults:
        lines.append("minimal faults: " + (", ".join(needed) if needed else "none"))
    return "\n".join(lines)
