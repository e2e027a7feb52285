"""Unbounded safety by an inferred invariant: Houdini over clauses guessed from sampled states.

Guess: every clause of one or two literals over the state fields (``x``, ``x == v``, ``x < v``)
that holds in every sampled reachable state, plus the property itself. Houdini then drops, round
after round, every candidate that some transition from a state satisfying all of them breaks (and
every one an initial state breaks). What survives is inductive: if the property survives, it is
proved, for every reachable state and not just the sampled ones. Samples only decide what is
worth trying; the proof is the solver's (CaDiCaL on the bit-blasted clauses), and the invariant is
re-checked by z3 on its own terms before it is believed.

Samples come from the explicit engine's breadth-first search, capped; on a model too large for it
the cap makes them a prefix of the state space, and the guesses weaker, never unsound.
"""

from __future__ import annotations

import time

import numpy as np
import z3

from ..explicit.compile import RangeViolation
from ..lang.errors import ModelError
from ..lang.props import Property
from ..lang.types import BoolT, IntT
from ..result import PropertyResult
from .believe import believed
from .cnf import Unrolling, assignment
from .common import Context, unknown
from .sat import SatSolver

MAX_SAMPLES = 50_000
WIDE = 16  # a field with more values than this is a number, not a mode: fewer literals


def sample_states(ctx: Context, max_states: int, deadline: float | None) -> tuple[np.ndarray, bool]:
    """Reachable states (fields as columns of codes: an Int as value - lo) from a capped BFS; True if
    it was exhaustive."""
    ex = ctx.explorer
    rows = ex.initial_rows()
    seen = set(ex.layout.keys(rows).tolist())
    found, frontier = [rows], rows
    total = len(rows)
    while len(frontier):
        if total >= max_states or (deadline is not None and time.monotonic() > deadline):
            break
        try:
            succ, _par, _act, n = ex.expand(frontier)  # type: ignore[misc]
        except RangeViolation as rv:
            inst, f = ctx.model.instances[rv.instance], ctx.model.fields[rv.field]
            raise ModelError(f"model error: action {inst.label} can set {f.name} to {rv.value}, outside its declared "
                             f"type {f.type} (found while sampling states; `hacheck check` prints the trace)",
                             location="") from None
        if n == 0:
            frontier = frontier[:0]
            break
        keys = ex.layout.keys(succ)
        _, first = np.unique(keys, return_index=True)
        new = [i for i in first if keys[i].item() not in seen][: max_states - total]  # one layer may be huge
        seen.update(keys[new].tolist())
        frontier = succ[new]
        found.append(frontier)
        total += len(frontier)
    rows = np.concatenate(found)
    cols = ex.compiled.unpack(rows)  # natural values
    lo = [f.type.lo if isinstance(f.type, IntT) else 0 for f in ctx.model.fields]
    codes = np.stack([np.asarray(c, dtype=np.int64) - o for c, o in zip(cols, lo)], axis=1)
    return codes, len(frontier) == 0


def literals(ctx: Context, states: np.ndarray) -> tuple[list[z3.BoolRef], list[int], np.ndarray]:
    """Candidate literals over the current state: their z3 terms, their field, and their truth in
    each sampled state (rows: literals)."""
    enc = ctx.enc
    terms: list[z3.BoolRef] = []
    fields: list[int] = []
    truth = []
    for f in ctx.model.fields:
        x, col, t = enc.cur[f.index], states[:, f.index], f.type
        if isinstance(t, BoolT):
            pairs = [(x, col == 1), (z3.Not(x), col == 0)]
        else:
            off = t.lo if isinstance(t, IntT) else 0
            seen = np.unique(col)
            # a wide field (a score, a clock) gets literals only at the values the samples show
            values = range(t.size()) if t.size() <= WIDE else seen.tolist() if len(seen) <= WIDE else []
            pairs = []
            for v in values:
                pairs += [(x == enc.num(v + off), col == v), (x != enc.num(v + off), col != v)]
            if isinstance(t, IntT):
                cuts = range(1, t.size()) if t.size() <= WIDE else \
                    [v for v in seen.tolist() + [int(seen[-1]) + 1] if 0 < v < t.size()] if len(seen) <= WIDE else \
                    [v for v in (int(seen[0]), int(seen[-1]) + 1) if 0 < v < t.size()]
                for v in cuts:
                    pairs += [(x < enc.num(v + off), col < v), (x >= enc.num(v + off), col >= v)]
        for term, row in pairs:
            terms.append(term)
            fields.append(f.index)
            truth.append(row)
    return terms, fields, np.array(truth, dtype=bool).reshape(len(terms), len(states))


def candidates(terms: list[z3.BoolRef], fields: list[int], truth: np.ndarray) -> list[tuple[int, ...]]:
    """Clauses (tuples of literal indices) true in every sample: units, and pairs over two fields
    (a pair within one field is implied by the units ``x != v``)."""
    always = truth.all(axis=1)
    out: list[tuple[int, ...]] = [(int(i),) for i in np.flatnonzero(always)]
    live = np.flatnonzero(~always & truth.any(axis=1))
    if len(live):
        false = (~truth[live]).astype(np.float32)
        both_false = false @ false.T
        fa = np.asarray(fields)[live]
        ii, jj = np.nonzero((both_false == 0) & (fa[:, None] != fa[None, :]))
        out += [(int(live[i]), int(live[j])) for i, j in zip(ii, jj) if i < j]
    return out


def houdini(ctx: Context, p: Property, timeout: float | None = None, max_samples: int = MAX_SAMPLES) -> PropertyResult:
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    if ctx.enc.kind != "bv":
        ctx = ctx.with_encoding("bv")
    enc = ctx.enc
    states, exhaustive = sample_states(ctx, max_samples, deadline)
    terms, fields, truth = literals(ctx, states)
    prop = enc.expr(p.expr, enc.cur)
    goal = prop if p.kind == "invariant" else z3.Not(prop)
    goal_lit = len(terms)
    terms.append(goal)
    clauses = candidates(terms[:-1], fields, truth) + [(goal_lit,)]
    # the second obligation: no state enables an update that leaves its declared range (the
    # transition relation leaves such steps out, so the invariant must exclude them itself)
    range_safe = None
    if enc.range_errors:
        terms.append(z3.Not(z3.Or(*(c for _, _, c in enc.range_errors))))
        clauses.append((len(terms) - 1,))
        range_safe = len(clauses) - 1
    sampled = f"{len(states):,} sampled states{' (all reachable)' if exhaustive else ''}"

    # the literals get names (extra variables) at step 0 (the state before) and 1 (after); the
    # initial states are asked in a solver of their own (a model with no enabled transition must
    # not make the initiation queries vacuous)
    names = [z3.Bool(f"!lit{i}") for i in range(len(terms))]  # "!" cannot start a field's name
    blaster = ctx.templates(p).blaster
    define = blaster.template(z3.And(*(n == t for n, t in zip(names, terms))), names)
    u = Unrolling(blaster)
    step, start = SatSolver(deadline, ctx.conflicts), SatSolver(deadline, ctx.conflicts)
    before, after, initial = u.fresh(len(names)), u.fresh(len(names)), u.fresh(len(names))
    step.add(u.clauses(define, 0, extra=before))
    step.add(u.clauses(define, 1, extra=after))
    step.add(u.clauses(blaster.template(enc.ranges_cur), 0))
    step.add(u.clauses(ctx.templates(p).trans, 0))
    start.add(u.clauses(define, 2, extra=initial))
    start.add(u.clauses(ctx.templates(p).init, 2))
    select = u.fresh(len(clauses))  # select+i: candidate i is assumed at step 0
    broken_next, broken_init = u.fresh(len(clauses)), u.fresh(len(clauses))  # -> candidate i false at 1 / 2
    for i, c in enumerate(clauses):
        step.add([[-(select + i)] + [before + lit for lit in c]])
        step.add([[-(broken_next + i), -(after + lit)] for lit in c])
        start.add([[-(broken_init + i), -(initial + lit)] for lit in c])
    alive = set(range(len(clauses)))
    the_property = clauses.index((goal_lit,))
    obligations = {the_property} | ({range_safe} if range_safe is not None else set())

    def falsified(base: int, values: np.ndarray) -> set[int]:
        return {i for i in alive if not any(values[base + lit] for lit in clauses[i])}

    rounds = 0
    for solver, broken, assume in ((start, broken_init, False), (step, broken_next, True)):
        while alive:
            rounds += 1
            query = u.fresh()
            solver.add([[-query] + [broken + i for i in alive]])
            r = solver.solve([query] + ([select + i for i in alive] if assume else []))
            if r is None:
                why = "timeout" if deadline is not None and time.monotonic() > deadline else \
                    f"conflict limit {ctx.conflicts:,} reached"
                return unknown(p, "houdini", f"solver: {why} after {rounds} Houdini rounds ({sampled})", t0)
            if r is False:
                solver.add([[-query]])
                break
            values = assignment(solver.model(), u.top)
            solver.add([[-query]])
            dead = falsified(after if assume else initial, values)
            if not dead:  # cannot happen: the model breaks some alive candidate
                raise AssertionError("Houdini made no progress")
            alive -= dead
            if not obligations <= alive:
                break
        if not obligations <= alive:
            break

    n = len(alive)
    guessed = len(clauses) - len(obligations)
    if the_property not in alive:
        return unknown(p, "houdini", f"Houdini: the property is not inductive relative to the {guessed:,} clauses "
                       f"guessed from {sampled} (dropped in round {rounds})", t0)
    if range_safe not in alive and range_safe is not None:
        return unknown(p, "houdini", f"Houdini: the {guessed:,} clauses guessed from {sampled} do not exclude every state "
                       f"from which an update leaves its declared range (dropped in round {rounds}); such a state may "
                       "be unreachable", t0)
    inv = z3.And(*(z3.Or(*(terms[lit] for lit in clauses[i])) for i in sorted(alive)))
    return believed(ctx, p, "houdini", inv, t0, deadline, f"inductive invariant of {n:,} clauses inferred (Houdini, {sampled})",
                    {"invariant_clauses": n, "samples": len(states)})
