"""Every engine's expression semantics against an independent reference (``reference_eval.py``).

The reference evaluates drawn expressions with Python integers and no range reasoning; the
engines evaluate the tree the modelling language built, with its constant folding and
range-decided comparisons. A wrong fold (say ``x >= y`` decided true whenever lo(x) >= lo(y)) or
a wrong operator (``%`` as C's fmod, which differs for negative operands) shows up here, whereas a
comparison between two engines that share the folded tree cannot see it.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hacheck.explicit.compile import compile_model
from hacheck.explicit.pycompile import compile_python
from hacheck.lang.expr import Const, cmp
from hacheck.lang.interp import eval_expr
from hacheck.lang.model import Model
from hacheck.lang.types import Int
from hacheck.symbolic.encode import Encoding

import reference_eval as R


def engines(predicate: tuple, states: list) -> list[dict[str, bool]]:
    """The invariant ``pred`` of the model, evaluated in each state by each engine."""
    m = R.model_with(predicate)
    p = m.properties["pred"]
    c = compile_model(m)
    py = compile_python(m).predicates["pred"]
    encs = [Encoding(m, kind) for kind in ("bv", "int")]
    terms = [enc.expr(p.expr, enc.cur) for enc in encs]
    all_codes = [R.codes(s) for s in states]
    rows = c.layout.pack_many(all_codes)
    masks = c.mask("pred", c.unpack(rows), len(rows))
    out = []
    for codes, mask in zip(all_codes, masks):
        got = {"numpy": bool(mask), "python": bool(py(codes)), "interpreter": bool(eval_expr(p.expr, codes))}
        for enc, term in zip(encs, terms):
            got[f"z3 {enc.kind}"] = enc.holds_at(term, codes)
        out.append(got)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(R.bool_exprs(3), st.lists(R.states(), min_size=1, max_size=8))
def test_boolean_expressions_agree_with_the_reference(e, states):
    for state, got in zip(states, engines(e, states)):
        want = bool(R.reference(e, *state))
        assert got == {k: want for k in got}, (e, state)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(R.int_exprs(3), R.states())
def test_integer_expressions_agree_with_the_reference(e, state):
    want = R.reference(e, *state)
    (got,) = engines(("cmp", "==", e, ("int", want)), [state])
    assert all(got.values()), (e, state, want, got)


@pytest.mark.parametrize("op", R.CMPS)
@pytest.mark.parametrize("i,j", [(i, j) for i in range(len(R.INTS)) for j in range(len(R.INTS))])
def test_comparisons_between_fields_with_overlapping_ranges(op, i, j):
    """Every comparison of two fields in every state: decided-by-range folding is exercised on
    overlapping ranges (a: -3..3, b: -2..4, c: 1..3), where it must not decide anything. All 54
    (op, i, j) cases run every time (a sample of them let a wrong fold such as ``x >= y`` decided
    by lo(x) >= lo(y) through in most runs: only 3 cases see it)."""

    e = ("cmp", op, ("var", i), ("var", j))
    states = [(ints, (False, False)) for ints in itertools.product(*(range(lo, hi + 1) for _, lo, hi in R.INTS))]
    for state, got in zip(states, engines(e, states)):
        want = bool(R.reference(e, *state))
        assert got == {k: want for k in got}, (e, state)


def test_modulo_and_floor_division_of_negative_operands():
    """Python's floor semantics (-3 % 2 == 1, -3 // 2 == -2), not C's truncation (fmod: -1)."""
    for a in range(-3, 4):
        for op, d in (("%", 2), ("%", 3), ("//", 2), ("//", -2)):
            e = ("arith", op, ("var", 0), ("int", d))
            state = ((a, 0, 1), (False, False))
            want = R.reference(e, *state)
            (got,) = engines(("cmp", "==", e, ("int", want)), [state])
            assert all(got.values()), (a, op, d, got)


# Pairs of ranges of width >= 2 in every relative position: disjoint either way, touching at one
# value either way, overlapping, nested, equal. (Width >= 2: then no comparison is always true
# for == or always false for != , so "decided by the ranges" is exactly "constant over them".)
_RANGES = [(0, 1), (0, 2), (1, 2), (2, 3), (2, 4), (3, 4), (-1, 3)]


@pytest.mark.parametrize("op", R.CMPS)
def test_a_comparison_is_folded_exactly_when_the_ranges_decide_it(op):
    """Building ``x op y`` for fields x: Int(lo_a, hi_a), y: Int(lo_b, hi_b) gives a constant iff
    the comparison has one value over every pair of values in the ranges, and then that value.
    Every folding rule of hacheck/lang/expr.py ``cmp`` is seen at its boundary (touching ranges):
    a rule that folds too eagerly gives a wrong constant, one that folds too little no constant."""
    m = Model("fold")
    fields = {r: m.var(f"v{k}", Int(*r), init=r[0]) for k, r in enumerate(_RANGES)}
    for (ra, x), (rb, y) in itertools.product(fields.items(), repeat=2):
        if ra == rb:
            continue
        values = {R.reference(("cmp", op, ("int", a), ("int", b)), [], [])
                  for a in range(ra[0], ra[1] + 1) for b in range(rb[0], rb[1] + 1)}
        got = cmp(op, x, y)
        if len(values) == 1:
            assert isinstance(got, Const) and bool(got.value) == values.pop(), (op, ra, rb, got)
        else:
            assert not isinstance(got, Const), (op, ra, rb, got)
