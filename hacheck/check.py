"""One entry point for checking a model with the explicit engine, safety and liveness together."""

from __future__ import annotations

from typing import Iterable

import attrs

from .explain import annotate
from .explicit.search import Bounds, Explorer, ProgressFn
from .lang.errors import HacheckError
from .lang.model import Model
from .lang.props import Property
from .failsafe import how, interrupted, phase
from .result import UNKNOWN, CheckResult, PropertyResult
from .timing import Clock
from .trace import Trace


def run_check(model: Model, properties: Iterable[Property] | None = None, bounds: Bounds | None = None,
              progress: ProgressFn | None = None, symmetry: bool = True, clock: Clock | None = None,
              workers: int | None = None) -> CheckResult:
    """Safety properties on a (symmetry-reduced) search; temporal ones on the full state graph.

    When temporal properties are asked for, one exploration without symmetry reduction serves
    both: the safety properties are checked on it while the graph is recorded. The result carries
    the seconds of each phase (compile, symmetry, search, properties; ``clock`` adds to the caller's). ``workers``: threads
    of the explicit search (None: HACHECK_WORKERS or the cores); the answers do not depend on it.
    """
    clock = clock if clock is not None else Clock()
    props = list(properties) if properties is not None else list(model.properties.values())
    lemmas = lemma_properties(model, props)
    safety = [p for p in props if p.is_safety] + lemmas
    temporal = [p for p in props if not p.is_safety]
    if not temporal:
        with phase(f"compiling {model.name}"), clock.phase("compile"):
            ex = Explorer(model, symmetry=symmetry, workers=workers)
        _prepare(ex, safety, clock)
        with phase(f"exploring the state space of {model.name}"), clock.phase("search"):
            result = ex.run(safety, bounds, progress)
        result = _judge_lemmas(model, result, lemmas)
        with clock.phase("properties"):
            result = annotate(model, props, result)
        return _timed(result, clock)
    with phase(f"compiling {model.name}"), clock.phase("compile"):
        ex = Explorer(model, symmetry=False, workers=workers)
    _prepare(ex, safety, clock)
    with phase(f"exploring the state space of {model.name}"), clock.phase("search"):
        result = ex.run(safety, bounds, progress, record_edges=True)
    with clock.phase("properties"):
        result = _liveness(model, ex, result, props, temporal)
    return _timed(result, clock)


class WrongLemma(HacheckError):
    """A stated lemma (``m.lemma``) is false in a reachable state: the model's designer stated a
    wrong fact, which is an error in the model (exit 2), not a violation of the property it supports."""

    def __init__(self, message: str, trace: Trace):
        super().__init__(message)
        self.trace = trace


def lemma_properties(model: Model, props: list[Property]) -> list[Property]:
    """The stated lemmas that support the invariants being checked, as invariants for the search
    (each is evaluated on every reachable state; its verdict is then taken out of the result)."""
    wanted = {p.name for p in props if p.kind == "invariant"}
    return [Property(lm.name, "invariant", lm.expr, lm.doc, None, lm.location)
            for lm in model.lemmas.values() if wanted & set(lm.supports)]


def _judge_lemmas(model: Model, result: CheckResult, lemmas: list[Property]) -> CheckResult:
    """A lemma false in a reachable state is a wrong lemma (raised with the trace to the state);
    the lemmas' own lines never appear among the properties' verdicts."""
    if not lemmas:
        return result
    names = {lm.name for lm in lemmas}
    violated = {r.name for r in result.properties if r.name not in names and r.verdict == "violated"}
    for r in result.properties:
        if r.name in names and r.verdict == "violated" and r.trace is not None:
            lm = model.lemmas[r.name]
            if violated & set(lm.supports):  # the property it supports is violated: that is the finding
                continue
            raise WrongLemma(
                f"model error: stated lemma {lm.name} ({lm.location or 'model'}; supports "
                f"{', '.join(lm.supports)}) is false in a reachable state, after {r.trace.length} steps: a wrong "
                "lemma, not a violation of the property it supports; correct or remove the lemma "
                "(trace below, and `hacheck prove --method lemmas` assumes it only where it proves it)",
                attrs.evolve(r.trace, kind="wrong lemma"))
    return attrs.evolve(result, properties=tuple(r for r in result.properties if r.name not in names))


def _prepare(ex: Explorer, safety: list[Property], clock: Clock) -> None:
    """Record the compile cache's status and check a declared symmetry before the search, so that
    the search's seconds are the search's alone."""
    clock.cache["compiled"] = getattr(ex.compiled, "cache", "") or "off"
    if ex.symmetry is not None and not getattr(ex, "_validated", True):
        with phase(f"checking the symmetry of {ex.model.name}"), clock.phase("symmetry"):
            clock.cache["symmetry_proof"] = ex.symmetry.validate(safety)
        ex._validated = True


def _timed(result: CheckResult, clock: Clock) -> CheckResult:
    return attrs.evolve(result, phases=clock.ordered(), cache=dict(clock.cache))


def _liveness(model: Model, ex: Explorer, result: CheckResult, props: list[Property],
              temporal: list[Property]) -> CheckResult:
    by_name = {p.name: p for p in result.properties}
    from .explicit.liveness import Liveness  # scipy is loaded only when a temporal property is checked

    try:
        with phase(f"the liveness check of {model.name}"):
            live = Liveness(ex, ex.graph, result.stats)
            for p in temporal:
                if interrupted():  # the search was interrupted: what is left stays unknown
                    by_name[p.name] = _interrupted(p, result, "before its liveness check")
                    continue
                try:
                    by_name[p.name] = live.check(p)
                except KeyboardInterrupt as e:
                    by_name[p.name] = _interrupted(p, result, f"during its liveness check ({how(e)})")
    except MemoryError:
        g = ex.graph
        raise HacheckError(
            f"out of memory in the liveness check of {model.name}: its state graph ({g.states:,} states, "
            f"{len(g.src):,} transitions) does not fit with the working arrays; lower the bounds (--param), "
            "or check the safety properties alone (--property)"
        ) from None
    ordered = tuple(by_name[p.name] for p in props)
    from .explicit.search import peak_rss_bytes

    return annotate(model, props, attrs.evolve(result, properties=ordered, stats=attrs.evolve(result.stats, peak_rss_bytes=peak_rss_bytes())))


def _interrupted(p: Property, result: CheckResult, when: str) -> PropertyResult:
    return PropertyResult(p.name, p.kind, UNKNOWN, "interrupted", "explicit",
                          f"interrupted {when}; nothing is shown", result.stats)
