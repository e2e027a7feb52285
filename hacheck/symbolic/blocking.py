"""Unbounded safety by clauses learned from counterexamples to induction, against the reachable set.

When the explicit search enumerated every reachable state (set R), every clause that holds in all
of R is a fact about the protocol. Start from all of Houdini's guessed clauses (each holds in R;
for a wide field such as a score, also one clause per gap between the values R shows) and the
property (which holds in R: checked first on the enumerated states, else BMC gives the trace), and
call their conjunction F. While F is not inductive, the solver returns a state s satisfying F
whose successor t breaks a clause of F. Since every clause of F holds in R and R is closed under
steps, s is not in R: s is *blocked* by a new clause, the negation of a sub-cube of s (its field
values, as state bits, so a field of any width) that no state of R matches, found by dropping
values one at a time while no state of R matches what is left. Each round removes at least s, so
the loop ends. When F is inductive, the unsat cores of its consecution queries give the part of F
the property needs (itself inductive), and z3 re-checks that part (initiation, consecution,
safety, range) before it is believed (``believe.py``).

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
from .believe import believed, goal_of
from .cnf import Unrolling, assignment
from .common import Context, unknown
from .houdini import MAX_SAMPLES, WIDE, candidates, literals, sample_states
from .sat import SatSolver

MAX_BLOCKS = 20_000


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


def field_bits(u: Unrolling, k: int, f: int, code: int) -> list[int]:
    """The literals over step k's bits that say field f has this code (any field, however wide)."""
    b = u.blaster
    t = b.fields[f].type
    n = int(code) if isinstance(t, BoolT) else int(code) + (t.lo if isinstance(t, IntT) else 0)
    size = b.sizes[f]
    n &= (1 << size) - 1
    first = u.state(k) + int(b.starts[f])
    return [(first + i) * (1 if (n >> i) & 1 else -1) for i in range(size)]


def field_is(ctx: Context, f: int, code: int) -> z3.BoolRef:
    """The z3 term: field f has this code."""
    t, x = ctx.model.fields[f].type, ctx.enc.cur[f]
    if isinstance(t, BoolT):
        return x if code else z3.Not(x)
    return x == ctx.enc.num(code + (t.lo if isinstance(t, IntT) else 0))


def witnessed(ctx: Context, p: Property, states: np.ndarray) -> bool:
    """Some enumerated state refutes the invariant (or witnesses the reachable property): then no
    invariant can prove it, and BMC gives the trace. Evaluated by the explicit engine's compiled
    predicate on the states' natural values."""
    cols = [states[:, f.index].astype(np.bool_) if isinstance(f.type, BoolT)  # as unpack gives them: `~` on
            else states[:, f.index] + (f.type.lo if isinstance(f.type, IntT) else 0)  # an int would be wrong
            for f in ctx.model.fields]
    mask = np.asarray(ctx.explorer.compiled.mask(p.name, cols, len(states)), dtype=bool)
    return bool((~mask).any() if p.kind == "invariant" else mask.any())


def gaps(ctx: Context, states: np.ndarray) -> list[z3.BoolRef]:
    """For a wide Int field (more than WIDE values), one clause per gap between two values the
    reachable states show: ``x <= a or x >= b``. Houdini's literals for such a field stand only at
    the values seen, so without these a counterexample to induction with a score inside a gap is
    blocked one value at a time."""
    out = []
    for f in ctx.model.fields:
        t = f.type
        if not isinstance(t, IntT) or t.size() <= WIDE:
            continue
        x, seen = ctx.enc.cur[f.index], np.unique(states[:, f.index]).tolist()
        for a, b in zip(seen, seen[1:]):
            if b > a + 1:
                out.append(z3.Or(x <= ctx.enc.num(a + t.lo), x >= ctx.enc.num(b + t.lo)))
    return out


def support(s: SatSolver, u: Unrolling, select: list[int], broken: list[int], target: int) -> list[int]:
    """Clauses of an inductive conjunction that ``target`` needs: from the unsat core of "all
    clauses before the step, one of the new ones broken after it", starting from the target and
    closing under what each core uses (one query per wave of new clauses). The result is itself
    inductive (every member's consecution needs only members) and contains the target; it is
    usually much smaller than the whole conjunction, so z3's re-check of it is faster."""
    index = {v: i for i, v in enumerate(select)}
    needed, wave = {target}, [target]
    while wave:
        q = u.fresh()
        s.add([[-q] + [broken[c] for c in wave]])
        r = s.solve(select + [q])
        core = s.core() if r is False else []
        s.add([[-q]])
        if r is not False:  # the budget ran out (an inductive conjunction is unsat here): keep everything
            return list(range(len(select)))
        wave = [index[lit] for lit in core if lit in index and index[lit] not in needed]
        needed.update(wave)
    return sorted(needed)


def block(ctx: Context, p: Property, timeout: float | None = None, max_samples: int = MAX_SAMPLES,
          max_blocks: int | None = None) -> PropertyResult:
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    if ctx.enc.kind != "bv":
        ctx = ctx.with_encoding("bv")
    enc = ctx.enc
    states, exhaustive = sample_states(ctx, max_samples, deadline)
    if not exhaustive:
        return unknown(p, "blocking", f"needs every reachable state; the search stopped at {len(states):,}", t0)
    if witnessed(ctx, p, states):
        return unknown(p, "blocking", f"a reachable state {'violates' if p.kind == 'invariant' else 'satisfies'} the "
                       f"property (all {len(states):,} reachable states enumerated); BMC or `hacheck check` gives the trace", t0)
    terms, fields, truth = literals(ctx, states)
    goal = goal_of(ctx, p)
    goal_lit = len(terms)
    terms.append(goal)
    narrow = states.astype(np.int16) if states.max(initial=0) < 2**15 else states  # faster comparisons
    guessed = candidates(terms[:-1], fields, truth)
    for term in gaps(ctx, states):  # a wide field (a score) skips values: one clause per gap
        guessed.append((len(terms),))
        terms.append(term)
    guessed.append((goal_lit,))
    n_guessed = len(guessed) - 1

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
    # per clause: a variable that, assumed, makes it hold before the step, and one that implies it
    # is false after the step
    select: list[int] = []
    broken: list[int] = []

    def add(holds_before: list[int], false_after: list[int]) -> None:
        v, b = u.fresh(), u.fresh()
        s.add([[-v] + holds_before])
        s.add([[-b, lit] for lit in false_after])
        select.append(v)
        broken.append(b)

    for c in guessed:
        add([before + lit for lit in c], [-(after + lit) for lit in c])
    cubes: list[list[tuple[int, int]]] = []  # learned clause i: not all these (field, code) at once
    all_fields = list(range(len(ctx.model.fields)))
    while True:
        q = u.fresh()
        s.add([[-q] + broken])
        r = s.solve([q] + select)
        values = assignment(s.model(), u.top) if r else None  # read before a new clause resets the solver
        s.add([[-q]])
        if r is None:
            why = "timeout" if deadline is not None and time.monotonic() > deadline else f"conflict limit {ctx.conflicts:,} reached"
            return unknown(p, "blocking", f"solver: {why} after {len(cubes):,} blocked states", t0)
        if r is False:
            break
        if len(cubes) >= (MAX_BLOCKS if max_blocks is None else max_blocks):
            return unknown(p, "blocking", f"not inductive after blocking {len(cubes):,} states", t0)
        cti = u.codes(values, 0)
        keep = generalize(cti, narrow, all_fields)
        if keep is None:  # a reachable state steps out of clauses that hold in every reachable state: a bug
            return unknown(p, "blocking", "a counterexample to induction is a reachable state; not believed", t0)
        cube = [(f, cti[f]) for f in keep]
        add([-lit for f, c in cube for lit in field_bits(u, 0, f, c)], [lit for f, c in cube for lit in field_bits(u, 1, f, c)])
        cubes.append(cube)
    learned = len(cubes)
    kept = support(s, u, select, broken, len(guessed) - 1)
    parts = []
    for i in kept:
        if i < len(guessed):
            parts.append(z3.Or(*(terms[lit] for lit in guessed[i])))
        else:
            parts.append(z3.Or(*(z3.Not(field_is(ctx, f, c)) for f, c in cubes[i - len(guessed)])))
    n_kept_learned = sum(1 for i in kept if i >= len(guessed))
    return believed(ctx, p, "blocking", z3.And(*parts), t0, deadline,
                    f"inductive invariant of {len(kept):,} clauses ({len(kept) - n_kept_learned:,} of {n_guessed + 1:,} "
                    f"guessed with the property, {n_kept_learned:,} of {learned:,} learned by blocking counterexamples "
                    f"to induction against all {len(states):,} reachable states)",
                    {"invariant_clauses": len(kept), "learned": learned}, what="the learned invariant")
