"""Unbounded proofs by induction: a user-supplied inductive invariant, and k-induction.

An inductive invariant Inv proves P when (a) every initial state satisfies Inv, (b) every
transition from an Inv-state leads to an Inv-state, and (c) Inv implies P. When (b) fails the
counterexample to induction names the action and the conjunct of Inv that breaks.
k-induction strengthens the step case with k previous P-states on a simple path. Both ask, beside
P, that no enabled update leaves its declared range (the transition relation leaves such steps
out, so a proof of P alone would be blind to a range error deeper than the base case).
"""

from __future__ import annotations

import time
from itertools import combinations

import z3

from ..lang.expr import And as AndExpr, Expr, show
from ..lang.props import Property
from ..result import HOLDS, VIOLATED, PropertyResult
from .bmc import bmc
from .common import Context, reason, stats, unknown


def check_invariant(ctx: Context, p: Property, inv: Expr, timeout: float | None = None) -> PropertyResult:
    enc = ctx.enc
    t0 = time.monotonic()
    inv_cur = enc.expr(inv, enc.cur)
    inv_nxt = enc.at(inv_cur, enc.nxt)
    prop = enc.expr(p.expr, enc.cur)
    goal = prop if p.kind == "invariant" else z3.Not(prop)  # reachable: prove it never happens
    text = show(inv)
    if len(text) > 160:
        text = text[:157] + "..."

    def query(*fs: z3.BoolRef) -> tuple[z3.CheckSatResult, z3.Solver]:
        s = ctx.solver(timeout)
        s.add(*fs)
        return s.check(), s

    r, s = query(enc.init, z3.Not(inv_cur))
    if r != z3.unsat:
        return _failed(ctx, p, r, s, t0, "initiation: an initial state violates the invariant", [enc.cur], [])
    r, s = query(inv_cur, enc.ranges_cur, enc.trans, z3.Not(inv_nxt))
    if r == z3.sat:
        m = s.model()
        inst = ctx.model.instances[enc.act_value(m, enc.sel)]
        conjuncts = inv.args if isinstance(inv, AndExpr) else (inv,)
        broken = [c for c in conjuncts if z3.is_false(m.eval(enc.at(enc.expr(c, enc.cur), enc.nxt), model_completion=True))]
        cti = _cti_trace(ctx, m, p)
        why = (f"not inductive: action {inst.label} leads from a state satisfying the invariant to one violating "
               f"{show(broken[0]) if broken else 'it'}")
        return PropertyResult(p.name, p.kind, "unknown", "induction", "smt", why, stats(time.monotonic() - t0), cti,
                              extra={"action": inst.label, "conjunct": show(broken[0]) if broken else None})
    if r == z3.unknown:
        return unknown(p, "induction", f"solver: {reason(s)}", t0)
    r, s = query(inv_cur, enc.ranges_cur, z3.Not(goal))
    if r != z3.unsat:
        return _failed(ctx, p, r, s, t0, "the invariant does not imply the property", [enc.cur], [])
    if enc.range_errors:  # the transition relation excludes out-of-range steps: ask about them
        r, s = query(inv_cur, enc.ranges_cur, range_error(enc))
        if r != z3.unsat:
            return _failed(ctx, p, r, s, t0, "an update may leave its declared range in a state satisfying "
                           "the invariant (`hacheck check` reports a reachable one as a model error)", [enc.cur], [])
    verdict = HOLDS if p.kind == "invariant" else VIOLATED
    what = "" if p.kind == "invariant" else ": no reachable state satisfies it"
    return PropertyResult(p.name, p.kind, verdict, "induction", "smt",
                          f"inductive invariant{what}: {text}", stats(time.monotonic() - t0))


def _failed(ctx: Context, p: Property, r: z3.CheckSatResult, s: z3.Solver, t0: float, why: str,
            xs: list, acts: list) -> PropertyResult:
    if r == z3.unknown:
        return unknown(p, "induction", f"solver: {reason(s)}", t0)
    m = s.model()
    state = ctx.model.decode(tuple(ctx.enc.value(m, x, i) for i, x in enumerate(xs[0])))
    shown = ", ".join(f"{k}={v}" for k, v in list(state.items())[:12])
    return PropertyResult(p.name, p.kind, "unknown", "induction", "smt", f"{why} (state: {shown})",
                          stats(time.monotonic() - t0))


def _cti_trace(ctx: Context, m: z3.ModelRef, p: Property):  # type: ignore[no-untyped-def]
    """The two states of a counterexample to induction (the first need not be reachable)."""
    enc = ctx.enc
    codes = [tuple(enc.value(m, x, i) for i, x in enumerate(xs)) for xs in (enc.cur, enc.nxt)]
    inst = enc.act_value(m, enc.sel)
    states = tuple(ctx.model.decode(c) for c in codes)
    return ctx.explorer.make_trace(states, (ctx.explorer.step(inst),), p.name, "counterexample to induction",
                                   note="state 0 satisfies the invariant but need not be reachable")


def range_error(enc) -> z3.BoolRef:  # type: ignore[no-untyped-def]
    """Some enabled update of the current state would leave its field's declared range."""
    return z3.Or(*(c for _, _, c in enc.range_errors)) if enc.range_errors else z3.BoolVal(False)


def k_induction(ctx: Context, p: Property, max_k: int = 10, timeout: float | None = None) -> PropertyResult:
    enc = ctx.enc
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    for k in range(1, max_k + 1):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return unknown(p, "k-induction", f"solver: timeout at k={k}", t0, k)
        base = bmc(ctx, p, k - 1, left)
        if base.verdict != "unknown" or base.explanation.startswith("solver"):
            return base  # a counterexample, a witness, a complete search, or a solver give-up
        s = ctx.solver(None if deadline is None else max(0.001, deadline - time.monotonic()))
        ys = [enc.step_vars(10_000 + i) for i in range(k + 1)]
        prop = enc.expr(p.expr, enc.cur)
        # The obligation is the property AND "no enabled update leaves its range": the transition
        # relation excludes such steps, so k-induction on the property alone would not see a range
        # error deeper than the base case (the explicit engine reports it as a model error).
        safe = z3.And(z3.Not(prop) if p.kind == "reachable" else prop, z3.Not(range_error(enc)))
        good = [enc.at(safe, y) for y in ys]
        for i in range(k):
            s.add(enc.at(enc.ranges_cur, ys[i]), good[i], enc.at(enc.trans, ys[i], enc.sel_vars(f"@k{i}"), ys[i + 1]))
        s.add(z3.Not(good[k]))
        for i, j in combinations(range(k + 1), 2):
            s.add(z3.Or(*(a != b for a, b in zip(ys[i], ys[j]))))
        r = s.check()
        if r == z3.unsat:
            t = time.monotonic() - t0
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, HOLDS, "k-induction", "smt", f"k-induction, k={k}", stats(t, k))
            return PropertyResult(p.name, p.kind, VIOLATED, "k-induction", "smt",
                                  f"k-induction, k={k}: no reachable state satisfies it", stats(t, k))
        if r == z3.unknown:
            return unknown(p, "k-induction", f"solver: {reason(s)} at k={k}", t0, k)
    return unknown(p, "k-induction", f"not k-inductive for k <= {max_k}", t0, max_k)
