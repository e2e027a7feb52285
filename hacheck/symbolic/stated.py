"""``prove --method lemmas``: the property plus the model's stated lemmas, proved inductive.

The mypyvy/Ivy way: the designer states the lemmas (``m.lemma(name, predicate, supports=[P])``,
the predicates written next to the property in ``properties/<model>.py``) and the tool checks
that P and the lemmas together are inductive: every initial state satisfies each of them, every
action instance from a state satisfying all of them (with the fields in range) leads to a state
satisfying all of them, and no such state enables an update that leaves its range. A lemma is
assumed only inside this very check, so a wrong or useless lemma can make the answer ``unknown``,
never ``holds``. When the conjunction is not inductive, the counterexample to induction names the
action instance and the lemmas (or the property) broken in the successor, and is written as a
two-state trace. Success goes through ``believe.py``'s re-check like every other unbounded method.
"""

from __future__ import annotations

import os
import time

import z3

from ..lang.expr import show
from ..lang.props import Property, StatedLemma
from ..result import PropertyResult
from .believe import believed
from .common import Context, reason, stats, unknown
from .induction import range_error

METHOD = "lemmas"
#: z3 resource units per query when neither the context nor the caller gives a budget: enough for the
#: hosted engine's proof, and the same on every machine
DEFAULT_RLIMIT = 400_000_000


def stated_invariant(ctx: Context, p: Property) -> tuple[list[StatedLemma], list[tuple[str, z3.BoolRef]]]:
    """The lemmas supporting ``p`` and the named conjuncts of the candidate: each lemma, then P."""
    lemmas = ctx.model.lemmas_for(p.name)
    enc = ctx.enc
    parts = [(lm.name, enc.expr(lm.expr, enc.cur)) for lm in lemmas]
    parts.append((p.name, enc.expr(p.expr, enc.cur)))
    return lemmas, parts


def sources(lemmas: list[StatedLemma]) -> str:
    """Where the lemmas were stated: their files (``properties/hosted_engine.py``)."""
    files = []
    for lm in lemmas:
        f = _in_checkout((lm.location or "").rsplit(":", 1)[0])
        if f and f not in files:
            files.append(f)
    return ", ".join(files) or "the model"


def _in_checkout(path: str) -> str:
    """A shipped file by its path in the repository (``properties/gluster.py``) whatever the current
    directory; any other file as given (relative to the current directory)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full = os.path.abspath(path) if path else ""
    return os.path.relpath(full, root) if full.startswith(root + os.sep) else path


def prove_by_lemmas(ctx: Context, p: Property, timeout: float | None = None,
                    rlimit: int | None = None) -> PropertyResult:
    t0 = time.monotonic()
    if p.kind != "invariant":
        return unknown(p, METHOD, "stated lemmas support invariants; this property is a reachability question", t0)
    lemmas, parts = stated_invariant(ctx, p)
    if not lemmas:
        return unknown(p, METHOD, f"no stated lemma supports {p.name} (m.lemma(..., supports=[{p.name!r}]))", t0)
    enc = ctx.enc
    deadline = None if timeout is None else t0 + timeout
    budget = rlimit if rlimit is not None else (ctx.rlimit if ctx.rlimit is not None else DEFAULT_RLIMIT)

    def solver() -> z3.Solver:
        s = ctx.solver(None if deadline is None else max(0.1, deadline - time.monotonic()))
        s.set(rlimit=budget)
        s.hacheck_rlimit = budget  # type: ignore[attr-defined] - read by reason()
        return s

    n = len(lemmas)
    what = f"{n} stated lemma{'s' if n != 1 else ''}"
    inv = z3.And(*(f for _, f in parts))
    queries = 0
    # initiation, conjunct by conjunct: the answer names the one an initial state breaks
    for name, f in parts:
        s = solver()
        s.add(enc.init, z3.Not(f))
        r = s.check()
        queries += 1
        if r == z3.sat:
            state = _state(ctx, s.model(), enc.cur)
            return _fail(p, t0, f"initiation: an initial state violates {_which(name, p)} (state: {state})",
                         {"broken": [name], "stage": "initiation"})
        if r != z3.unsat:
            return unknown(p, METHOD, f"solver: {reason(s)} (initiation of {name})", t0)
    # consecution: one query over the whole transition relation (every action instance); a model of
    # it is a counterexample to induction, read back as the action and the conjuncts it breaks
    s = solver()
    s.add(inv, enc.ranges_cur, enc.trans, z3.Not(enc.at(inv, enc.nxt)))
    r = s.check()
    queries += 1
    if r == z3.sat:
        return _cti(ctx, p, s.model(), parts, t0, what)
    if r != z3.unsat:
        return unknown(p, METHOD, f"solver: {reason(s)} (consecution of P and the {what})", t0)
    if enc.range_errors:  # the transition relation leaves out-of-range steps out: ask about them
        s = solver()
        s.add(inv, enc.ranges_cur, range_error(enc))
        r = s.check()
        queries += 1
        if r == z3.sat:
            state = _state(ctx, s.model(), enc.cur)
            return _fail(p, t0, f"a state satisfying {p.name} and the {what} enables an update that leaves its "
                         f"declared range (state: {state}); `hacheck check` reports a reachable one as a model error",
                         {"stage": "range"})
        if r != z3.unsat:
            return unknown(p, METHOD, f"solver: {reason(s)} (range safety)", t0)
    shown = f"inductive invariant: the property and {what} of {sources(lemmas)}"
    extra = {"lemmas": [lm.name for lm in lemmas], "queries": queries,
             "invariant": f"{p.name} and " + ", ".join(lm.name for lm in lemmas)}
    saved = ctx.rlimit  # the re-check runs under the same deterministic budget as the proof
    ctx.rlimit = budget
    try:
        return believed(ctx, p, METHOD, inv, t0, deadline, shown, extra, what=f"P and the {what}")
    finally:
        ctx.rlimit = saved


def _which(name: str, p: Property) -> str:
    return f"the property {name}" if name == p.name else f"lemma {name}"


def _state(ctx: Context, m: z3.ModelRef, xs) -> str:  # type: ignore[no-untyped-def]
    codes = tuple(ctx.enc.value(m, x, i) for i, x in enumerate(xs))
    return ", ".join(f"{k}={v}" for k, v in ctx.model.decode(codes).items())


def _fail(p: Property, t0: float, why: str, extra: dict) -> PropertyResult:
    return PropertyResult(p.name, p.kind, "unknown", METHOD, "smt", why, stats(time.monotonic() - t0), extra=extra)


def _cti(ctx: Context, p: Property, m: z3.ModelRef, parts: list[tuple[str, z3.BoolRef]], t0: float,
         what: str) -> PropertyResult:
    """The counterexample to induction: the state (it satisfies P and every lemma, and need not be
    reachable), the action instance, and what broke in the successor, as text and as a trace."""
    enc = ctx.enc
    inst = ctx.model.instances[enc.act_value(m, enc.sel)]
    broken = [name for name, f in parts
              if z3.is_false(m.eval(enc.at(f, enc.nxt), model_completion=True))]
    codes = [tuple(enc.value(m, x, i) for i, x in enumerate(xs)) for xs in (enc.cur, enc.nxt)]
    states = [ctx.model.decode(c) for c in codes]
    before, after = _flat(states[0]), _flat(states[1])
    changed = ", ".join(f"{k}: {before[k]} -> {v}" for k, v in after.items() if before[k] != v)
    trace = ctx.explorer.make_trace(tuple(states), (ctx.explorer.step(enc.act_value(m, enc.sel)),), p.name,
                                    "counterexample to induction",
                                    note=f"state 0 satisfies {p.name} and the {what} but need not be reachable")
    names = ", ".join(_which(b, p) for b in broken) or "the invariant"
    why = (f"not inductive: action {inst.label} leads from a state satisfying {p.name} and the {what} to one "
           f"violating {names} (changed: {changed or 'nothing'})")
    return PropertyResult(p.name, p.kind, "unknown", METHOD, "smt", why, stats(time.monotonic() - t0), trace,
                          extra={"action": inst.label, "broken": broken, "stage": "consecution",
                                 "cti_state": {k: _plain(v) for k, v in before.items()}})


def cti_lines(r: PropertyResult) -> list[str]:
    """The counterexample to induction for the console: the state, the step, what to do next."""
    state = ", ".join(f"{k}={v}" for k, v in r.extra.get("cti_state", {}).items())
    return [f"  counterexample to induction: from the state [{state}]",
            f"    {r.extra.get('action')} breaks {', '.join(r.extra.get('broken', [])) or 'the invariant'}; the state "
            f"satisfies {r.name} and its stated lemmas but need not be reachable: strengthen a lemma (or add one) "
            "to exclude it; if it is reachable a lemma is wrong (hacheck check names it)"]


def _flat(state: dict, prefix: str = "") -> dict[str, object]:
    """``{"vm": {"h1": "up"}}`` -> ``{"vm[h1]": "up"}``: a CTI names the fields that changed."""
    out: dict[str, object] = {}
    for k, v in state.items():
        name = f"{prefix}[{k}]" if prefix else str(k)
        if isinstance(v, dict):
            out.update(_flat(v, name))
        else:
            out[name] = v
    return out


def _plain(v: object) -> object:
    return v if isinstance(v, (bool, int, str, type(None))) else str(v)


def describe(lemmas: list[StatedLemma]) -> list[str]:
    """One line per lemma: its name, where it was stated, and the predicate (shortened)."""
    out = []
    for lm in lemmas:
        text = show(lm.expr)
        if len(text) > 150:
            text = text[:147] + "..."
        out.append(f"{lm.name} ({lm.location or 'model'}): {lm.doc or text}")
    return out
