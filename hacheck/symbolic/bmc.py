"""Bounded model checking: unroll the transition relation step by step in one solver.

Depths are tried in increasing order, so the first counterexample found is a shortest one. No
violation up to depth k proves nothing beyond k, and says so.
"""

from __future__ import annotations

import time

import z3

from ..lang.props import Property
from ..result import HOLDS, VIOLATED, PropertyResult
from .common import Context, SmtModelError, reason, stats, unknown


COMPLETENESS_DEPTH = 8


def bmc(ctx: Context, p: Property, depth: int, timeout: float | None = None) -> PropertyResult:
    enc = ctx.enc
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    s = ctx.solver(timeout)
    xs = [enc.step_vars(0)]
    acts: list[list[z3.BoolRef]] = []
    s.add(enc.at(enc.init, xs[0]))
    # The timeout is set once (the whole budget per query): changing solver parameters between
    # queries makes the incremental SAT solver start over, which cost a third of the time.
    for k in range(depth + 1):
        if deadline is not None and time.monotonic() > deadline:
            return unknown(p, "bmc", f"solver: timeout at depth {k}", t0, k)
        if enc.range_errors:
            s.push()
            s.add(z3.Or(*(enc.at(cond, xs[k]) for _, _, cond in enc.range_errors)))
            if s.check() == z3.sat:
                raise _range_error(ctx, s.model(), xs, acts, k)
            s.pop()
        s.push()
        s.add(ctx.bad(p, xs[k]))
        r = s.check()
        if r == z3.sat:
            kind = "counterexample" if p.kind == "invariant" else "witness"
            trace = ctx.trace_from(s.model(), xs, acts, p.name, kind)
            t = time.monotonic() - t0
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, VIOLATED, "bmc", "smt", f"BMC, {k} steps, shortest", stats(t, k), trace)
            return PropertyResult(p.name, p.kind, HOLDS, "bmc", "smt", f"BMC witness in {k} steps, shortest", stats(t, k), trace)
        if r == z3.unknown:
            return unknown(p, "bmc", f"solver: {reason(s)} at depth {k}", t0, k)
        s.pop()
        s.add(z3.Not(ctx.bad(p, xs[k])))  # shown: no shorter path reaches it, so later paths may assume it
        if k == depth:
            break
        nxt = enc.step_vars(k + 1)
        act = enc.sel_vars(f"@{k}")
        s.add(enc.at(enc.trans, xs[k], act, nxt))
        xs.append(nxt)
        acts.append(act)
        # Is there any execution this long? If not, the search was complete. Asked only at small
        # depths, where it is cheap: deeper it costs as much as the property query itself.
        if k < COMPLETENESS_DEPTH and s.check() == z3.unsat:
            t = time.monotonic() - t0
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, HOLDS, "bmc", "smt",
                                      f"BMC complete: no execution is longer than {k} steps", stats(t, k))
            return PropertyResult(p.name, p.kind, VIOLATED, "bmc", "smt",
                                  f"BMC complete: no execution is longer than {k} steps and none reaches it", stats(t, k))
    what = "violation" if p.kind == "invariant" else "witness"
    return unknown(p, "bmc", f"bounded: no {what} up to depth {depth} (BMC)", t0, depth)


def _range_error(ctx: Context, m: z3.ModelRef, xs: list, acts: list, k: int) -> SmtModelError:
    trace = ctx.trace_from(m, xs[: k + 1], acts[:k], None, "range error")
    codes = [ctx.enc.value(m, x, i) for i, x in enumerate(xs[k])]
    for inst, fid, cond in ctx.enc.range_errors:
        if z3.is_true(m.eval(ctx.enc.at(cond, xs[k]), model_completion=True)):
            label = ctx.model.instances[inst].label
            f = ctx.model.fields[fid]
            return SmtModelError(f"model error: action {label} can set {f.name} outside its declared type {f.type} "
                                 f"(reached after {k} steps)", trace)
    del codes
    return SmtModelError("model error: an update leaves its declared range", trace)
