"""The compiled (numpy) successor function agrees with the plain interpreter on random models."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hacheck.explicit.compile import compile_model
from hacheck.explicit.search import check
from hacheck.lang import Bool, Enum, Int, Map, Model, ite, max_, min_
from hacheck.lang.expr import Expr
from hacheck.lang.interp import eval_expr, successors

INT_LO, INT_HI = -2, 3


def _model_from(draw_actions) -> Model:
    m = Model("random")
    S = m.sort("S", 2)
    a = m.var("a", Int(INT_LO, INT_HI), init=0)
    b = m.var("b", Map(S, Int(0, 3)), init=1)
    p = m.var("p", Bool, init=False)
    q = m.var("q", Map(S, Bool), init=True)
    e = m.var("e", Enum("x", "y", "z"), init="x")
    env = {"ints": [a, b[S[0]], b[S[1]]], "bools": [p, q[S[0]], q[S[1]]], "enum": e, "S": S}
    for i, (guard_fn, updates_fn) in enumerate(draw_actions):
        m._add_action(f"act{i}", lambda g=guard_fn, u=updates_fn: (g(env), u(env, a, b, p, q, e, S)), {}, "protocol", None, "", None)
    return m.freeze()


def int_expr(depth: int):
    leaf = st.one_of(
        st.integers(-3, 4).map(lambda k: lambda env: k),
        st.integers(0, 2).map(lambda i: lambda env: env["ints"][i]),
    )
    if depth == 0:
        return leaf
    sub = int_expr(depth - 1)
    bsub = bool_expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(["+", "-", "*", "min", "max"]), sub, sub).map(_arith),
        st.tuples(bsub, sub, sub).map(lambda t: lambda env: ite(t[0](env), t[1](env), t[2](env))),
    )


def _arith(t):
    op, x, y = t

    def f(env):
        a, b = x(env), y(env)
        if op == "min":
            return min_(a, b)
        if op == "max":
            return max_(a, b)
        if not isinstance(a, Expr) and not isinstance(b, Expr):
            return {"+": a + b, "-": a - b, "*": a * b}[op]
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b}[op]()

    return f


def bool_expr(depth: int):
    leaf = st.one_of(
        st.booleans().map(lambda v: lambda env: v),
        st.integers(0, 2).map(lambda i: lambda env: env["bools"][i]),
        st.sampled_from(["x", "y", "z"]).map(lambda v: lambda env: env["enum"] == v),
    )
    if depth == 0:
        return leaf
    sub = bool_expr(depth - 1)
    isub = int_expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, sub).map(lambda t: lambda env: _lift(t[0](env)) & t[1](env)),
        st.tuples(sub, sub).map(lambda t: lambda env: _lift(t[0](env)) | t[1](env)),
        sub.map(lambda f: lambda env: ~_lift(f(env))),
        st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), isub, isub).map(_cmp),
    )


def _lift(v):
    from hacheck.lang.expr import lift

    return lift(v)


def _cmp(t):
    op, x, y = t
    from hacheck.lang.expr import cmp

    return lambda env: cmp(op, x(env), y(env))


def action_strategy():
    def updates(t):
        int_updates, bool_updates, enum_val = t

        def make(env, a, b, p, q, e, S):
            out = {}
            targets_i = [a, b[S[0]], b[S[1]]]
            for idx, fn in int_updates.items():
                lo, hi = (INT_LO, INT_HI) if idx == 0 else (0, 3)
                # keep values in range with min/max so every successor is legal
                out[targets_i[idx]] = max_(lo, min_(hi, fn(env)))
            targets_b = [p, q[S[0]], q[S[1]]]
            for idx, fn in bool_updates.items():
                out[targets_b[idx]] = fn(env)
            if enum_val is not None:
                out[e] = enum_val
            return out

        return make

    return st.tuples(
        bool_expr(2),
        st.tuples(
            st.dictionaries(st.integers(0, 2), int_expr(2), max_size=2),
            st.dictionaries(st.integers(0, 2), bool_expr(2), max_size=2),
            st.one_of(st.none(), st.sampled_from(["x", "y", "z"])),
        ).map(updates),
    ).map(lambda t: (lambda env, g=t[0]: g(env), t[1]))


random_states = st.tuples(
    st.integers(0, INT_HI - INT_LO), st.integers(0, 3), st.integers(0, 3),
    st.integers(0, 1), st.integers(0, 1), st.integers(0, 1), st.integers(0, 2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action_strategy(), min_size=1, max_size=4), st.lists(random_states, min_size=1, max_size=8))
def test_compiled_successors_equal_interpreted(actions, states):
    m = _model_from(actions)
    c = compile_model(m)
    rows = c.layout.pack_many(states)
    cols = c.unpack(rows)
    got = set()
    for i, fn in enumerate(c.actions):
        r = fn(cols, rows, len(rows))
        if r is None:
            continue
        idx, out = r
        for j, row in zip(idx, out):
            got.add((int(j), i, c.layout.unpack([int(w) for w in row])))
    want = set()
    for j, s in enumerate(states):
        for inst, succ in successors(m, s):
            want.add((j, inst, succ))
    assert got == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action_strategy(), min_size=1, max_size=3))
def test_bfs_reaches_exactly_what_naive_search_reaches(actions):
    m = _model_from(actions)
    init = m.init_states()
    seen = set(init)
    frontier = list(init)
    while frontier:
        nxt = []
        for s in frontier:
            for _, t in successors(m, s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    r = check(m)
    assert r.stats.states == len(seen)


@settings(max_examples=100, deadline=None)
@given(bool_expr(3), random_states)
def test_compiled_predicate_equals_interpreted(pred_fn, state):
    m = _model_from([])
    env = {"ints": [m.handles["a"], m.handles["b"][m.sorts["S"][0]], m.handles["b"][m.sorts["S"][1]]],
           "bools": [m.handles["p"], m.handles["q"][m.sorts["S"][0]], m.handles["q"][m.sorts["S"][1]]],
           "enum": m.handles["e"], "S": m.sorts["S"]}
    pred = _lift(pred_fn(env))
    c = compile_model(m, {"x": pred})
    rows = c.layout.pack_many([state])
    got = bool(c.mask("x", c.unpack(rows), 1)[0])
    assert got == bool(eval_expr(pred, state))
    assert isinstance(np.bool_(got), np.bool_)
