"""Unbounded safety by clauses learned from counterexamples to induction, against the reachable set.

When the explicit search enumerated every reachable state (set R), every clause that holds in all
of R is a fact about the protocol. Start from all of Houdini's guessed clauses (each holds in R)
and the property (which holds in R, or the search would have found a violation), and call their
conjunction F. While F is not inductive, the solver returns a state s satisfying F whose successor
t breaks a clause of F. Since every clause of F holds in R and R is closed under steps, s is not
in R: s is *blocked* by a new clause, the negation of a sub-cube of s (its field values) that no
state of R matches, found by dropping values one at a time while no state of R matches what is
left (the smaller the cube, the more unreachable states the clause excludes). Each round removes
at least s, so the loop ends; when F is inductive it is an invariant containing the property,
and z3 re-checks it (initiation, consecution, safety, range) before it is believed.

This is IC3's "block the counterexample to induction with a generalised clause", with the
generalisation checked against the known reachable set instead of by further solver queries.
It needs the whole reachable set (a cap on the samples makes it inapplicable, never unsound:
the z3 re-check decides).
"""

from __future__ import annotations

import time

import numpy as np
import z3

from ..lang.props import Property
from ..lang.types import BoolT, IntT
from ..result import PropertyResult
from .believe import believed
from .cnf import Unrolling, assignment
from .common import Context, unknown
from .houdini import MAX_SAMPLES, candidates, literals, sample_states
from .sat import SatSolver

MAX_BLOCKS = 20_000


def _neq_literals(ctx: Context, terms: list[z3.BoolRef], fields: list[int]) -> dict[tuple[int, int], int]:
    """(field, code) -> index of the literal that is true exactly when the field differs from it."""
    enc = ctx.enc
    out: dict[tuple[int, int], int] = {}
    for i, (t, f) in enumerate(zip(terms, fields)):
        ft = ctx.model.fields[f].type
        if isinstance(ft, BoolT):
            out[(f, 1 if z3.is_not(t) else 0)] = i  # the literals of a Bool field are x and ~x
            continue
        if z3.is_app_of(t, z3.Z3_OP_DISTINCT):
            value = next(a for a in t.children() if z3.is_bv_value(a) or z3.is_int_value(a))
            off = ft.lo if isinstance(ft, IntT) else 0
            n = value.as_signed_long() if z3.is_bv_value(value) else value.as_long()
            out[(f, n - off)] = i
    return out


def generalize(state: tuple[int, ...], reach: np.ndarray, usable: list[int]) -> list[int] | None:
    """Fields of a sub-cube of ``state`` that no row of ``reach`` matches (greedy: a field is
    dropped when every row still differs from the cube somewhere else), or None if even the whole
    cube over the usable fields matches some row."""
    if not usable:
        return None
    differs = reach[:, usable] != np.asarray([state[f] for f in usable], dtype=reach.dtype)  # rows x fields
    mismatches = differs.sum(axis=1, dtype=np.int16)
    if (mismatches == 0).any():
        return None
    keep = []
    for j, f in enumerate(usable):
        only_here = (mismatches == 1) & differs[:, j]  # rows that would match without field f
        if only_here.any():
            keep.append(f)
        else:
            mismatches -= differs[:, j]
    return keep


def block(ctx: Context, p: Property, timeout: float | None = None, max_samples: int = MAX_SAMPLES,
          max_blocks: int = MAX_BLOCKS) -> PropertyResult:
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    if ctx.enc.kind != "bv":
        ctx = ctx.with_encoding("bv")
    enc = ctx.enc
    states, exhaustive = sample_states(ctx, max_samples, deadline)
    if not exhaustive:
        return unknown(p, "blocking", f"needs every reachable state; the search stopped at {len(states):,}", t0)
    terms, fields, truth = literals(ctx, states)
    prop = enc.expr(p.expr, enc.cur)
    goal = prop if p.kind == "invariant" else z3.Not(prop)
    goal_lit = len(terms)
    terms.append(goal)
    neq = _neq_literals(ctx, terms[:-1], fields)
    narrow = states.astype(np.int16) if states.max(initial=0) < 2**15 else states  # faster comparisons
    usable = sorted({f for f, _ in neq})
    clauses = candidates(terms[:-1], fields, truth) + [(goal_lit,)]
    n_guessed = len(clauses) - 1

    names = [z3.Bool(f"!lit{i}") for i in range(len(terms))]
    blaster = ctx.templates(p).blaster
    define = blaster.template(z3.And(*(n == t for n, t in zip(names, terms))), names)
    u = Unrolling(blaster)
    s = SatSolver(deadline, ctx.conflicts)
    before, after = u.fresh(len(names)), u.fresh(len(names))
    s.add(u.clauses(define, 0, extra=before))
    s.add(u.clauses(define, 1, extra=after))
    s.add(u.clauses(blaster.template(enc.ranges_cur), 0))
    s.add(u.clauses(ctx.templates(p).trans, 0))
    broken: list[int] = []  # per clause: a variable that implies the clause is false after the step

    def add(c: tuple[int, ...]) -> None:
        s.add([[before + lit for lit in c]])  # F holds before the step (permanently)
        b = u.fresh()
        s.add([[-b, -(after + lit)] for lit in c])
        broken.append(b)

    for c in clauses:
        add(c)
    learned = 0
    while True:
        q = u.fresh()
        s.add([[-q] + broken])
        r = s.solve([q])
        values = assignment(s.model(), u.top) if r else None  # read before a new clause resets the solver
        s.add([[-q]])
        if r is None:
            why = "timeout" if deadline is not None and time.monotonic() > deadline else f"conflict limit {ctx.conflicts:,} reached"
            return unknown(p, "blocking", f"solver: {why} after {learned:,} blocked states", t0)
        if r is False:
            break
        if learned >= max_blocks:
            return unknown(p, "blocking", f"not inductive after blocking {learned:,} states", t0)
        cti = u.codes(values, 0)
        cube = generalize(cti, narrow, [f for f in usable if (f, cti[f]) in neq])
        if cube is None:
            if np.all(states == np.asarray(cti), axis=1).any():  # a reachable state steps out of F: a bug
                return unknown(p, "blocking", "a counterexample to induction is a reachable state; not believed", t0)
            wide = [ctx.model.fields[f].name for f in range(len(cti)) if (f, cti[f]) not in neq]
            return unknown(p, "blocking", f"after {learned:,} blocked states, a counterexample to induction differs from "
                           f"every reachable state only in fields without a literal at its value ({', '.join(wide[:3])})", t0)
        add(tuple(neq[(f, cti[f])] for f in cube))
        clauses.append(tuple(neq[(f, cti[f])] for f in cube))
        learned += 1
    inv = z3.And(*(z3.Or(*(terms[lit] for lit in c)) for c in clauses))
    return believed(ctx, p, "blocking", inv, t0, deadline,
                    f"inductive invariant of {n_guessed:,} guessed and {learned:,} learned clauses (counterexamples to "
                    f"induction blocked against all {len(states):,} reachable states)",
                    {"invariant_clauses": len(clauses), "learned": learned}, what="the learned invariant")
