"""An independent reference semantics for expressions, for property-based tests of the engines.

Expressions are drawn as plain tuples (``("cmp", ">=", ("var", 0), ("int", 2))``) and evaluated
here with Python integers, Python's floor ``//`` and ``%``, and no knowledge of ranges. The same
tuple is then built with the modelling language, which folds constants and decides comparisons
from ranges as it builds, and the folded tree is what the compiled engines (numpy, Python, z3)
run. ``hacheck.lang.interp`` cannot serve as the reference for that folding: it evaluates the
folded tree too, so a wrong fold is invisible to a comparison with it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from hacheck.lang import Bool, Int, Model, ite, max_, min_
from hacheck.lang.expr import arith, cmp, lift

# Int fields (name, lo, hi): signed ranges, and one strictly positive one to divide by
INTS = [("a", -3, 3), ("b", -2, 4), ("c", 1, 3)]
BOOLS = ["p", "q"]
CMPS = ["==", "!=", "<", "<=", ">", ">="]


def reference(e: tuple, ints: list[int], bools: list[bool]) -> Any:
    """The value of ``e`` with every Int field at its natural value (no ranges, no folding)."""
    tag = e[0]
    if tag == "int":
        return e[1]
    if tag == "bool":
        return e[1]
    if tag == "var":
        return ints[e[1]]
    if tag == "bvar":
        return bools[e[1]]
    if tag == "not":
        return not reference(e[1], ints, bools)
    if tag in ("and", "or"):
        x, y = reference(e[1], ints, bools), reference(e[2], ints, bools)
        return (x and y) if tag == "and" else (x or y)
    if tag == "ite":
        return reference(e[2], ints, bools) if reference(e[1], ints, bools) else reference(e[3], ints, bools)
    x, y = reference(e[2], ints, bools), reference(e[3], ints, bools)
    if tag == "cmp":
        return {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[e[1]]
    assert tag == "arith"
    return {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "min": lambda: min(x, y),
            "max": lambda: max(x, y), "//": lambda: x // y, "%": lambda: x % y}[e[1]]()


def build(e: tuple, ints: list[Any], bools: list[Any]) -> Any:
    """The same expression in the modelling language (folded as it is built)."""
    tag = e[0]
    if tag in ("int", "bool"):
        return lift(e[1])
    if tag == "var":
        return ints[e[1]]
    if tag == "bvar":
        return bools[e[1]]
    if tag == "not":
        return ~lift(build(e[1], ints, bools))
    if tag == "and":
        return lift(build(e[1], ints, bools)) & build(e[2], ints, bools)
    if tag == "or":
        return lift(build(e[1], ints, bools)) | build(e[2], ints, bools)
    if tag == "ite":
        return ite(build(e[1], ints, bools), build(e[2], ints, bools), build(e[3], ints, bools))
    x, y = build(e[2], ints, bools), build(e[3], ints, bools)
    if tag == "cmp":
        return cmp(e[1], x, y)
    if e[1] == "min":
        return min_(x, y)
    if e[1] == "max":
        return max_(x, y)
    return arith(e[1], x, y)


def int_exprs(depth: int) -> st.SearchStrategy:
    leaf = st.one_of(st.tuples(st.just("int"), st.integers(-4, 5)),
                     st.tuples(st.just("var"), st.integers(0, len(INTS) - 1)))
    if depth == 0:
        return leaf
    sub = int_exprs(depth - 1)
    # divisors: a non-zero constant, or the positive field c (so the language accepts the range)
    divisor = st.one_of(st.tuples(st.just("int"), st.sampled_from([-3, -2, -1, 1, 2, 3])), st.just(("var", 2)))
    positive = st.one_of(st.tuples(st.just("int"), st.integers(1, 4)), st.just(("var", 2)))
    return st.one_of(
        leaf,
        st.tuples(st.just("arith"), st.sampled_from(["+", "-", "*", "min", "max"]), sub, sub),
        st.tuples(st.just("arith"), st.just("//"), sub, divisor),
        st.tuples(st.just("arith"), st.just("%"), sub, positive),
        st.tuples(st.just("ite"), bool_exprs(depth - 1), sub, sub),
    )


def bool_exprs(depth: int) -> st.SearchStrategy:
    leaf = st.one_of(st.tuples(st.just("bool"), st.booleans()),
                     st.tuples(st.just("bvar"), st.integers(0, len(BOOLS) - 1)))
    if depth == 0:
        return leaf
    sub = bool_exprs(depth - 1)
    isub = int_exprs(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.just("cmp"), st.sampled_from(CMPS), isub, isub),
        st.tuples(st.just("not"), sub),
        st.tuples(st.sampled_from(["and", "or"]), sub, sub),
    )


def states() -> st.SearchStrategy:
    return st.tuples(st.tuples(*(st.integers(lo, hi) for _, lo, hi in INTS)),
                     st.tuples(*(st.booleans() for _ in BOOLS)))


def model_with(predicate: tuple) -> Model:
    """A model with the fields the expressions range over and one invariant ``pred``: the given
    Bool expression built in the language (the states to evaluate it in are given directly)."""
    m = Model("reference")
    ints = [m.var(name, Int(lo, hi), init=lo) for name, lo, hi in INTS]
    bools = [m.var(name, Bool, init=False) for name in BOOLS]
    m.invariant("pred", build(predicate, ints, bools))
    return m.freeze()


def codes(state: tuple[tuple[int, ...], tuple[bool, ...]]) -> tuple[int, ...]:
    """Field codes as the engines store them (an Int as value - lo)."""
    ints, bools = state
    return tuple(v - lo for v, (_, lo, _) in zip(ints, INTS)) + tuple(int(b) for b in bools)
