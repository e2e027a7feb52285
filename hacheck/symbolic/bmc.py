"""Bounded model checking: unroll the transition relation step by step in one incremental solver.

Depths are tried in increasing order, so the first counterexample found is a shortest one. No
violation up to depth k proves nothing beyond k, and says so.

Two back ends run the same loop over the same encoding: z3's incremental finite-domain solver on
the z3 terms, or CaDiCaL on the clauses z3 bit-blasts them into once (``cnf.py``; the default
with the bv encoding: about four times faster on the Gluster model, docs/symbolic.md).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import z3

from ..lang.props import Property
from ..result import HOLDS, VIOLATED, PropertyResult
from ..trace import Trace
from .common import Context, SmtModelError, reason, stats, unknown
from .sat import SatSolver

COMPLETENESS_DEPTH = 8
SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"


class Unroller(Protocol):
    """What the BMC loop asks of a back end. Step k's state is x_k; ``extend(k)`` adds x_k -> x_k+1."""

    def range_error_at(self, k: int) -> str: ...
    def bad_at(self, k: int) -> str: ...
    def assume_good(self, k: int) -> None: ...
    def extend(self, k: int) -> None: ...
    def any_path(self) -> str: ...
    def trace(self, k: int, prop: str | None, kind: str) -> Trace: ...
    def codes(self, k: int) -> tuple[int, ...]: ...
    def why(self) -> str: ...


def bmc(ctx: Context, p: Property, depth: int, timeout: float | None = None) -> PropertyResult:
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    u: Unroller = SatUnroller(ctx, p, deadline) if ctx.sat == "cadical" else Z3Unroller(ctx, p, timeout)
    how = ctx.bmc_solver_name
    for k in range(depth + 1):
        if deadline is not None and time.monotonic() > deadline:
            return unknown(p, "bmc", f"solver: timeout at depth {k} ({how})", t0, k)
        r = u.range_error_at(k)
        if r == SAT:
            raise _range_error(ctx, u, k)
        if r == UNKNOWN:
            return unknown(p, "bmc", f"solver: {u.why()} at depth {k} ({how})", t0, k)
        r = u.bad_at(k)
        if r == SAT:
            kind = "counterexample" if p.kind == "invariant" else "witness"
            trace = u.trace(k, p.name, kind)
            t = time.monotonic() - t0
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, VIOLATED, "bmc", "smt", f"BMC ({how}), {k} steps, shortest", stats(t, k), trace)
            return PropertyResult(p.name, p.kind, HOLDS, "bmc", "smt", f"BMC ({how}) witness in {k} steps, shortest",
                                  stats(t, k), trace)
        if r == UNKNOWN:
            return unknown(p, "bmc", f"solver: {u.why()} at depth {k} ({how})", t0, k)
        u.assume_good(k)  # shown: no shorter path reaches it, so longer paths may assume it
        if k == depth:
            break
        u.extend(k)
        # Is there any execution this long? If not, the search was complete. Asked only at small
        # depths, where it is cheap: deeper it costs as much as the property query itself.
        if k < COMPLETENESS_DEPTH and u.any_path() == UNSAT:
            t = time.monotonic() - t0
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, HOLDS, "bmc", "smt",
                                      f"BMC ({how}) complete: no execution is longer than {k} steps", stats(t, k))
            return PropertyResult(p.name, p.kind, VIOLATED, "bmc", "smt",
                                  f"BMC ({how}) complete: no execution is longer than {k} steps and none reaches it",
                                  stats(t, k))
    what = "violation" if p.kind == "invariant" else "witness"
    return unknown(p, "bmc", f"bounded: no {what} up to depth {depth} (BMC, {how})", t0, depth)


class Z3Unroller:
    """z3's incremental solver on the z3 terms, the bad state of each depth in a push/pop scope."""

    def __init__(self, ctx: Context, p: Property, timeout: float | None):
        self.ctx, self.p, self.enc = ctx, p, ctx.enc
        # The timeout is set once (the whole budget per query): changing solver parameters between
        # queries makes the incremental SAT solver start over, which cost a third of the time. The
        # deadline of the whole run is kept by interrupting z3 from a timer instead.
        self.s = ctx.solver(timeout)
        self.deadline = time.monotonic() + timeout if timeout else None
        self.xs = [self.enc.step_vars(0)]
        self.acts: list[list[z3.BoolRef]] = []
        self.s.add(self.enc.at(self.enc.init, self.xs[0]))
        self.model: z3.ModelRef | None = None

    def _check(self, *fs: z3.BoolRef) -> str:
        self.s.push()
        self.s.add(*fs)
        timer = None
        if self.deadline is not None:
            timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self.s.ctx.interrupt)
            timer.start()
        try:
            r = self.s.check()
        finally:
            if timer is not None:
                timer.cancel()
        if r == z3.sat:
            self.model = self.s.model()
        self.s.pop()
        return SAT if r == z3.sat else UNSAT if r == z3.unsat else UNKNOWN

    def range_error_at(self, k: int) -> str:
        errs = self.enc.range_errors
        return self._check(z3.Or(*(self.enc.at(c, self.xs[k]) for _, _, c in errs))) if errs else UNSAT

    def bad_at(self, k: int) -> str:
        return self._check(self.ctx.bad(self.p, self.xs[k]))

    def assume_good(self, k: int) -> None:
        self.s.add(z3.Not(self.ctx.bad(self.p, self.xs[k])))

    def extend(self, k: int) -> None:
        nxt = self.enc.step_vars(k + 1)
        act = self.enc.sel_vars(f"@{k}")
        self.s.add(self.enc.at(self.enc.trans, self.xs[k], act, nxt))
        self.xs.append(nxt)
        self.acts.append(act)

    def any_path(self) -> str:
        return self._check()

    def codes(self, k: int) -> tuple[int, ...]:
        assert self.model is not None
        return tuple(self.enc.value(self.model, x, i) for i, x in enumerate(self.xs[k]))

    def trace(self, k: int, prop: str | None, kind: str) -> Trace:
        assert self.model is not None
        return self.ctx.trace_from(self.model, self.xs[: k + 1], self.acts[:k], prop, kind)

    def why(self) -> str:
        return reason(self.s)


class SatUnroller:
    """CaDiCaL on CNF templates: the bad state of depth k is guarded by an activation literal that
    is assumed for the query and then switched off for good."""

    def __init__(self, ctx: Context, p: Property, deadline: float | None):
        from .cnf import Unrolling, assignment

        self.ctx = ctx
        self._assignment = assignment
        t = ctx.templates(p)
        self.t = t
        self.u = Unrolling(t.blaster)
        self.s = SatSolver(deadline, ctx.conflicts)
        self.s.add(self.u.clauses(t.init, 0))
        self.values = None

    def _solve(self, template, k: int) -> str:  # type: ignore[no-untyped-def]
        guard = self.u.fresh()
        self.s.add(self.u.clauses(template, k, guard))
        r = self.s.solve([guard])
        if r is True:
            self.values = self._assignment(self.s.model(), self.u.top)
        if r is not None:
            self.s.add([[-guard]])  # this copy never binds again
        return SAT if r is True else UNSAT if r is False else UNKNOWN

    def range_error_at(self, k: int) -> str:
        return self._solve(self.t.range_error, k) if self.t.range_error is not None else UNSAT

    def bad_at(self, k: int) -> str:
        return self._solve(self.t.bad, k)

    def assume_good(self, k: int) -> None:
        self.s.add(self.u.clauses(self.t.good, k))

    def extend(self, k: int) -> None:
        self.s.add(self.u.clauses(self.t.trans, k))

    def any_path(self) -> str:
        r = self.s.solve([])
        return SAT if r is True else UNSAT if r is False else UNKNOWN

    def codes(self, k: int) -> tuple[int, ...]:
        return self.u.codes(self.values, k)

    def trace(self, k: int, prop: str | None, kind: str) -> Trace:
        codes = [self.u.codes(self.values, i) for i in range(k + 1)]
        acts = [self.u.action(self.values, i) for i in range(k)]
        return self.ctx.trace_from_codes(codes, acts, prop, kind)

    def why(self) -> str:
        if self.s.conflicts is not None and (self.s.deadline is None or time.monotonic() <= self.s.deadline):
            return f"conflict limit {self.s.conflicts:,} reached"
        return "timeout"


def _range_error(ctx: Context, u: Unroller, k: int) -> SmtModelError:
    trace = u.trace(k, None, "range error")
    codes = u.codes(k)
    for inst, fid, cond in ctx.enc.range_errors:
        if ctx.enc.holds_at(cond, codes):
            label = ctx.model.instances[inst].label
            f = ctx.model.fields[fid]
            return SmtModelError(f"model error: action {label} can set {f.name} outside its declared type {f.type} "
                                 f"(reached after {k} steps)", trace)
    return SmtModelError("model error: an update leaves its declared range", trace)
