"""An invariant found by any method is believed only after z3 re-checks it, and the verdict says so.

Every unbounded method (the reachable set, Houdini, blocking, CHC) ends the same way: a candidate
inductive invariant over the current state, which z3 checks on its own terms for initiation,
consecution, safety and range safety. One function does that and words the verdict, so the
methods cannot drift apart in what they promise.
"""

from __future__ import annotations

import time
from typing import Any

import z3

from ..lang.props import Property
from ..result import HOLDS, VIOLATED, PropertyResult
from .common import Context, reason, stats, unknown


def recheck(ctx: Context, inv: z3.BoolRef, goal: z3.BoolRef, timeout: float | None) -> tuple[bool, str]:
    """Initiation, consecution, safety, and no enabled update that leaves its range (the transition
    relation excludes such steps, so an invariant alone would not see a reachable range error)."""
    enc = ctx.enc
    # (what was checked, what a satisfying state means): only initiation's is a real
    # counterexample; the others are states satisfying the invariant, which may be unreachable
    checks = [
        (("initiation", "an initial state violates it"), [enc.init, z3.Not(inv)]),
        (("consecution", "a step from a state satisfying it leaves it (that state may be unreachable)"),
         [inv, enc.ranges_cur, enc.trans, z3.Not(enc.at(inv, enc.nxt))]),
        (("safety", "it admits a state violating the property (that state may be unreachable)"),
         [inv, enc.ranges_cur, z3.Not(goal)]),
    ]
    if enc.range_errors:
        checks.append((("range safety", "it does not exclude a state from which an update leaves its declared range; "
                        "that state may be unreachable"),
                       [inv, enc.ranges_cur, z3.Or(*(c for _, _, c in enc.range_errors))]))
    deadline = time.monotonic() + timeout if timeout else None
    for (name, found), fs in checks:
        s = ctx.solver(None if deadline is None else max(0.1, deadline - time.monotonic()))
        s.add(*fs)
        r = s.check()
        if r != z3.unsat:
            return False, f"{name}: {found if r == z3.sat else reason(s)}"
    return True, ""


def goal_of(ctx: Context, p: Property) -> z3.BoolRef:
    """What an invariant must imply: the property, or for a ``reachable`` one its negation (an
    invariant excluding every witness proves that none is reachable)."""
    prop = ctx.enc.expr(p.expr, ctx.enc.cur)
    return prop if p.kind == "invariant" else z3.Not(prop)


def believed(ctx: Context, p: Property, method: str, inv: z3.BoolRef, t0: float, deadline: float | None,
             shown: str, extra: dict[str, Any] | None = None, what: str = "the inferred invariant") -> PropertyResult:
    """z3's re-check of ``inv`` and the verdict: ``holds (inductive invariant ..., re-checked by z3)``
    (``shown`` says what the method found), or ``unknown (... not believed)`` when the re-check fails."""
    left = None if deadline is None else max(1.0, deadline - time.monotonic())
    ok, why = recheck(ctx, inv, goal_of(ctx, p), left)
    if not ok:
        return unknown(p, method, f"{what} failed z3's re-check ({why}); not believed", t0)
    verdict = HOLDS if p.kind == "invariant" else VIOLATED
    tail = "" if p.kind == "invariant" else "; no reachable state satisfies it"
    return PropertyResult(p.name, p.kind, verdict, method, "smt", f"{shown}, re-checked by z3{tail}",
                          stats(time.monotonic() - t0), extra=extra or {})
