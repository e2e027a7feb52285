"""The z3 engine's entry points: ``check`` tries the methods in turn; ``prove`` runs one."""

from __future__ import annotations

import time
from typing import Iterable

import attrs

from ..lang import expr as E
from ..lang.errors import BadInput
from ..lang.expr import Expr, as_bool
from ..lang.model import Model
from ..lang.props import Property
from ..result import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult, Stats
from .bmc import bmc
from .chc import chc
from .common import Context
from .houdini import houdini
from .induction import check_invariant, k_induction
from .reachset import reach_invariant
from .blocking import block
from .stated import prove_by_lemmas

METHODS = ("auto", "bmc", "kind", "reach", "houdini", "blocking", "chc", "induction", "lemmas")


def prove(ctx: Context, p: Property, method: str = "auto", depth: int = 20, timeout: float | None = 60.0,
          invariant: Expr | None = None, max_k: int = 6, rlimit: int | None = None) -> PropertyResult:
    if not p.is_safety:
        raise BadInput(f"property {p.name} is temporal ({p.kind}); the z3 engine proves safety properties "
                       "(invariant, reachable): check it with the explicit engine")
    if method == "bmc":
        return bmc(ctx, p, depth, timeout)
    if method == "kind":
        return k_induction(ctx, p, max_k, timeout)
    if method == "reach":
        return reach_invariant(ctx, p, timeout)
    if method == "houdini":
        return houdini(ctx, p, timeout)
    if method == "blocking":
        return block(ctx, p, timeout)
    if method == "chc":
        return chc(ctx, p, timeout)
    if method == "lemmas":  # the property and the model's stated lemmas (m.lemma), proved inductive
        return prove_by_lemmas(ctx, p, timeout, rlimit)
    if method == "induction":
        if invariant is None:
            raise BadInput("--method induction needs --invariant EXPR-OR-NAME")
        return check_invariant(ctx, p, invariant, timeout)
    # auto: a counterexample or witness by BMC first, then unbounded proofs, each within the budget
    t0 = time.monotonic()
    tried = []
    if invariant is not None:
        r = check_invariant(ctx, p, invariant, timeout)
        if r.verdict != UNKNOWN:
            return r
        tried.append(f"invariant: {r.explanation}")
    if ctx.model.lemmas_for(p.name):  # the designer's lemmas first: a proof in seconds, or a CTI to read
        r = prove_by_lemmas(ctx, p, _left(t0, timeout, 0.3), rlimit)
        if r.verdict != UNKNOWN:
            return r
        tried.append(f"stated lemmas: {r.explanation}")
    # the reachable set first: when the model is small (at most 5,000 states) it is the strongest
    # invariant and proved in about a second; otherwise it gives up after enumerating 5,000 states
    r = reach_invariant(ctx, p, _left(t0, timeout, 0.2))
    if r.verdict != UNKNOWN:
        return r
    reach_tried = f"reachable set: {r.explanation}"
    # then blocking, when the explicit search enumerates every state (at most 50,000): the only
    # method that proves Gluster's no_split_brain; it stops at once when an enumerated state
    # refutes the property (BMC then gives the trace) or there are too many states
    r = block(ctx, p, _left(t0, timeout, 0.6))
    if r.verdict != UNKNOWN:
        return r
    blocking_tried = f"blocking: {r.explanation}"
    r = bmc(ctx, p, depth, _left(t0, timeout, 0.3))
    if r.verdict != UNKNOWN:
        return r
    tried += [r.explanation, reach_tried, blocking_tried]
    r = k_induction(ctx, p, max_k, _left(t0, timeout, 0.2))
    if r.verdict != UNKNOWN:
        return r
    tried.append(f"k-induction: {r.explanation}")
    r = houdini(ctx, p, _left(t0, timeout, 0.5))
    if r.verdict != UNKNOWN:
        return r
    tried.append(r.explanation if r.explanation.startswith("Houdini") else f"Houdini: {r.explanation}")
    r = chc(ctx, p, _left(t0, timeout, 1.0))
    if r.verdict != UNKNOWN:
        return r
    tried.append(f"CHC: {r.explanation}")
    return PropertyResult(p.name, p.kind, UNKNOWN, "auto", "smt", "; ".join(tried),
                          Stats(seconds=time.monotonic() - t0, depth=depth))


def _left(t0: float, total: float | None, share: float) -> float | None:
    if total is None:  # no wall clock: the context's deterministic budgets bound each query
        return None
    remaining = total - (time.monotonic() - t0)
    return max(1.0, min(remaining, total * share))


def smt_check(model: Model, properties: Iterable[Property], depth: int = 20, timeout: float | None = 60.0,
              encoding: str = "bv", sat: str = "cadical", rlimit: int | None = None,
              conflicts: int | None = None) -> CheckResult:
    ctx = Context(model, encoding, sat, rlimit, conflicts)
    t0 = time.monotonic()
    results = tuple(prove(ctx, p, "auto", depth, timeout) for p in properties if p.is_safety)
    from ..explicit.search import params_dict

    return CheckResult(model.name, params_dict(model), results, Stats(seconds=time.monotonic() - t0, depth=depth),
                       engine="smt")


def parse_invariant(model: Model, text: str) -> Expr:
    """``--invariant``: property names joined by commas, or an expression over the model's variables."""
    names = [t.strip() for t in text.split(",")]
    if all(n in model.properties for n in names):
        return E.and_(*(model.properties[n].expr for n in names))
    scope: dict[str, object] = {name: getattr(E, name) for name in (
        "forall", "exists", "count", "ite", "implies", "and_", "or_", "not_", "all_", "any_", "min_", "max_")}
    scope.update(model.handles)
    scope.update(model.sorts)
    try:
        scope["__builtins__"] = {}
        value = eval(compile(text, "--invariant", "eval"), scope)  # noqa: S307 - the user's own input
        return as_bool(value)
    except SyntaxError as e:
        raise BadInput(f"--invariant: syntax error at column {e.offset}: {e.msg}") from None
    except NameError as e:
        raise BadInput(f"--invariant: {e}; known names: {', '.join(sorted(model.handles))} "
                       f"and the properties {', '.join(model.properties)}") from None
    except Exception as e:  # noqa: BLE001 - any failure of the user's expression is bad input
        raise BadInput(f"--invariant: {e}") from None


def agreement(explicit: CheckResult, smt: CheckResult) -> list[str]:
    """Disagreements between the engines (each one is a bug in hacheck)."""
    problems = []
    by_name = {p.name: p for p in smt.properties}
    for a in explicit.properties:
        b = by_name.get(a.name)
        if b is None or UNKNOWN in (a.verdict, b.verdict):
            continue
        if a.verdict != b.verdict:
            problems.append(f"{a.name}: explicit says {a.line}, smt says {b.line}")
        elif a.trace is not None and b.trace is not None and a.trace.length != b.trace.length:
            problems.append(f"{a.name}: shortest trace has {a.trace.length} steps (explicit) but {b.trace.length} (smt)")
    return problems


def merge(explicit: CheckResult, smt: CheckResult) -> CheckResult:
    """Both engines' verdicts: the explicit ones, with the smt line attached to each."""
    by_name = {p.name: p for p in smt.properties}
    props = []
    for a in explicit.properties:
        b = by_name.get(a.name)
        extra = dict(a.extra)
        if b is not None:
            extra["smt"] = b.line
        props.append(attrs.evolve(a, extra=extra))
    return attrs.evolve(explicit, properties=tuple(props), engine="explicit+smt")


__all__ = ["METHODS", "prove", "smt_check", "parse_invariant", "agreement", "merge", "HOLDS", "VIOLATED"]
