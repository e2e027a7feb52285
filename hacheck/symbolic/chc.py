"""Unbounded safety by constrained Horn clauses, solved by z3's Spacer.

The clauses ask for an inductive invariant ``Inv`` over the state fields that implies the property
and excludes every state in which an update would leave its declared range. Spacer's answer is not
believed on its word (it has returned wrong answers): the invariant it finds is checked again with
a plain solver for initiation, consecution and safety, and printed in the model's vocabulary. A
violation is replayed by the explicit engine into a concrete, shortest trace.
"""

from __future__ import annotations

import time

import z3

from ..lang.props import Property
from ..result import HOLDS, VIOLATED, PropertyResult
from .believe import recheck
from .common import Context, reason, stats, unknown


def chc(ctx: Context, p: Property, timeout: float | None = None) -> PropertyResult:
    ctx = ctx.as_int()
    enc = ctx.enc
    t0 = time.monotonic()
    sorts = [x.sort() for x in enc.cur]
    inv = z3.Function("Inv", *sorts, z3.BoolSort())
    prop = enc.expr(p.expr, enc.cur)
    goal = prop if p.kind == "invariant" else z3.Not(prop)
    s = z3.SolverFor("HORN")
    ctx.limit(s, timeout)
    s.set("fp.xform.inline_eager", False)
    cur, nxt = list(enc.cur), list(enc.nxt)
    s.add(z3.ForAll(cur, z3.Implies(enc.init, inv(*cur))))
    s.add(z3.ForAll(cur + nxt + list(enc.sel), z3.Implies(z3.And(inv(*cur), enc.ranges_cur, enc.trans), inv(*nxt))))
    s.add(z3.ForAll(cur, z3.Implies(z3.And(inv(*cur), z3.Not(goal)), z3.BoolVal(False))))
    if enc.range_errors:  # and no reachable state enables an update that leaves its declared range
        # (the transition relation leaves such steps out, so without this clause the invariant
        # Spacer finds need not exclude them, and the re-check would reject it)
        leaves = z3.Or(*(c for _, _, c in enc.range_errors))
        s.add(z3.ForAll(cur, z3.Implies(z3.And(inv(*cur), enc.ranges_cur, leaves), z3.BoolVal(False))))
    r = s.check()
    if r == z3.sat:
        found = z3.simplify(_interpretation(s.model(), inv, cur))
        ok, why = recheck(ctx, found, goal, timeout)
        t = time.monotonic() - t0
        if not ok:
            return unknown(p, "chc", f"Spacer's invariant failed the re-check ({why}); not believed", t0)
        text = ctx.enc.pretty(found)
        if len(text) > 300:
            text = text[:297] + "..."
        verdict = HOLDS if p.kind == "invariant" else VIOLATED
        what = "" if p.kind == "invariant" else "; no reachable state satisfies it"
        return PropertyResult(p.name, p.kind, verdict, "chc", "smt", f"CHC invariant, re-checked{what}",
                              stats(t), extra={"invariant": text})
    if r == z3.unsat:
        return _replay_violation(ctx, p, t0)
    return unknown(p, "chc", f"solver: {reason(s)}", t0)


def _interpretation(m: z3.ModelRef, f: z3.FuncDeclRef, args: list[z3.ExprRef]) -> z3.BoolRef:
    """The formula a model assigns to ``f``, over ``args`` (``model.eval`` loses it for Spacer's
    lambda-style interpretations, so the bound variables are substituted directly)."""
    interp = m[f]
    if interp is None:
        return z3.BoolVal(True)
    if z3.is_expr(interp):
        return z3.substitute_vars(interp, *args)
    out = z3.substitute_vars(interp.else_value(), *args)
    for i in range(interp.num_entries()):
        e = interp.entry(i)
        cond = z3.And(*(a == e.arg_value(j) for j, a in enumerate(args)))
        out = z3.If(cond, e.value(), out)
    return out


def _replay_violation(ctx: Context, p: Property, t0: float) -> PropertyResult:
    """Spacer says the property fails: find the concrete shortest trace with the explicit engine."""
    from ..explicit.search import Explorer

    ex = Explorer(ctx.model, symmetry=False)
    result = ex.run([p])
    (r,) = result.properties
    t = time.monotonic() - t0
    expected = VIOLATED if p.kind == "invariant" else HOLDS
    if r.verdict != expected or r.trace is None:
        return unknown(p, "chc", f"Spacer reported a violation the explicit engine could not replay ({r.line})", t0)
    if p.kind == "invariant":
        return PropertyResult(p.name, p.kind, VIOLATED, "chc", "smt",
                              f"CHC refuted, replayed: {r.trace.length} steps, shortest", stats(t, r.trace.length), r.trace)
    return PropertyResult(p.name, p.kind, HOLDS, "chc", "smt",
                          f"CHC: reachable, replayed: witness in {r.trace.length} steps", stats(t, r.trace.length), r.trace)
