"""Unbounded safety by the strongest invariant the samples suggest: the reachable set itself.

When the explicit engine's breadth-first search enumerates every reachable state (within a cap),
the set R of those states is the strongest candidate invariant there is: Houdini's clauses, or
any template mined from the states, are weaker facts true of R. R is written as a reduced
multi-valued decision diagram over the state fields (one node per distinct set of suffixes, so
states sharing structure share nodes) and handed to z3 as a formula, which then checks, with no
reference to the search: every initial state is in R (initiation), every step from a state of R
stays in R (consecution), every state of R satisfies the property (safety), and no state of R
enables an update leaving its range. If all four hold, R is an inductive invariant and the
property holds in every reachable state: the search only proposed R, z3 proved it.

Two independent programs must agree (the numpy BFS that proposed R, the z3 encoding that checked
it), so an error in either shows up as a failed check ("not believed"), never as a wrong "holds".
The method is as general as the search, and as limited: it proves nothing when the reachable set is
larger than the cap (then Houdini and CHC remain). On the Gluster and hosted-engine models (34,469
and 39,666 states) the diagram has more nodes than there are states in either field order, and z3
needs minutes for it: there the cap keeps the attempt to a fraction of a second.
"""

from __future__ import annotations

import time

import numpy as np
import z3

from ..lang.props import Property
from ..lang.types import BoolT, IntT
from ..result import HOLDS, VIOLATED, PropertyResult
from .believe import recheck
from .common import Context, stats, unknown
from .houdini import sample_states

MAX_STATES = 5_000  # beyond this the diagram of the shipped models is as large as the set (measured)


def decision_diagram(states: np.ndarray) -> tuple[list[dict[int, list[int]]], list[int]]:
    """A reduced decision diagram of a set of rows (codes, one column per field). Node 0 is the
    accepting leaf; a node at level L maps each child to the values of field L leading to it.
    Returns the nodes (index = id) and the root's id."""
    n, width = states.shape
    nodes: list[dict[int, list[int]]] = [{}]  # 0: the leaf "accept"
    index: dict[tuple, int] = {}
    below = np.zeros(n, dtype=np.int64)  # the node each state's suffix (fields > L) leads to
    prefix_ids = [np.zeros(n, dtype=np.int64)]  # prefix_ids[L]: class of fields 0..L-1
    for level in range(width):
        keys = prefix_ids[-1] * (int(states[:, level].max()) + 1) + states[:, level]
        _, ids = np.unique(keys, return_inverse=True)
        prefix_ids.append(ids.astype(np.int64))
    for level in range(width - 1, -1, -1):
        group = prefix_ids[level]
        pairs = np.unique(np.stack([group, states[:, level], below], axis=1), axis=0)
        node_of_group: dict[int, int] = {}
        start = 0
        while start < len(pairs):
            g = pairs[start, 0]
            end = start
            while end < len(pairs) and pairs[end, 0] == g:
                end += 1
            edges = tuple((int(v), int(c)) for _, v, c in pairs[start:end])
            nid = index.get((level, edges))
            if nid is None:
                nid = len(nodes)
                children: dict[int, list[int]] = {}
                for v, c in edges:
                    children.setdefault(c, []).append(v)
                nodes.append(children)
                index[(level, edges)] = nid
            node_of_group[int(g)] = nid
            start = end
        below = np.array([node_of_group[int(g)] for g in group], dtype=np.int64)
    return nodes, int(below[0]) if n else 0


def as_formula(ctx: Context, nodes: list[dict[int, list[int]]], root: int) -> z3.BoolRef:
    """The diagram as a z3 formula over the current state (shared nodes are shared terms)."""
    enc, fields = ctx.enc, ctx.model.fields
    level_of: dict[int, int] = {}
    order = [root]
    level_of[root] = 0
    for nid in order:  # breadth first: every node's level from its parent
        for c in nodes[nid]:
            if c and c not in level_of:
                level_of[c] = level_of[nid] + 1
                order.append(c)
    memo: dict[int, z3.BoolRef] = {0: z3.BoolVal(True)}
    for nid in reversed(order):
        if nid == 0:
            continue
        f = fields[level_of[nid]]
        x = enc.cur[f.index]
        lo = f.type.lo if isinstance(f.type, IntT) else 0
        parts = []
        for c, values in nodes[nid].items():
            if isinstance(f.type, BoolT):
                test = x if values == [1] else z3.Not(x) if values == [0] else z3.BoolVal(True)
            elif len(values) == f.type.size():
                test = z3.BoolVal(True)
            else:
                test = z3.Or(*(x == enc.num(v + lo) for v in values))
            parts.append(z3.And(test, memo[c]))
        memo[nid] = z3.Or(*parts) if len(parts) > 1 else parts[0]
    return memo[root]


def reach_invariant(ctx: Context, p: Property, timeout: float | None = None,
                    max_states: int = MAX_STATES) -> PropertyResult:
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    if ctx.enc.kind != "bv":
        ctx = ctx.with_encoding("bv")
    enc = ctx.enc
    states, exhaustive = sample_states(ctx, max_states, deadline)
    if not exhaustive:
        return unknown(p, "reach", f"the reachable set was not enumerated ({len(states):,} states within the "
                       f"{'time' if deadline is not None and time.monotonic() > deadline else 'state'} budget)", t0)
    nodes, root = decision_diagram(states)
    inv = as_formula(ctx, nodes, root)
    prop = enc.expr(p.expr, enc.cur)
    goal = prop if p.kind == "invariant" else z3.Not(prop)
    left = None if deadline is None else max(1.0, deadline - time.monotonic())
    ok, why = recheck(ctx, inv, goal, left)
    n = f"{len(states):,} reachable states as a decision diagram of {len(nodes) - 1:,} nodes"
    if not ok:
        if why.startswith("safety: it admits"):  # the states are the reachable ones: one refutes it, BMC gives the trace
            return unknown(p, "reach", f"a reachable state violates the property ({n}); BMC or `hacheck check` "
                           "gives the trace", t0)
        return unknown(p, "reach", f"the reachable set failed z3's check ({why}); not believed", t0)
    verdict = HOLDS if p.kind == "invariant" else VIOLATED
    what = "" if p.kind == "invariant" else "; no reachable state satisfies it"
    return PropertyResult(p.name, p.kind, verdict, "reach", "smt",
                          f"inductive invariant: the {n}, proved inductive by z3{what}",
                          stats(time.monotonic() - t0), extra={"states": len(states), "nodes": len(nodes) - 1})
