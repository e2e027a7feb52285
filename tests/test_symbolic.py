"""The z3 engine: its verdicts, its traces, and its agreement with the explicit engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hacheck.explicit.search import check
from hacheck.lang import Bool, Int, Map, Model, ModelError, forall
from hacheck.lang.expr import Expr
from hacheck.lang.interp import eval_expr, successors
from hacheck.loader import build_model, load_spec
from hacheck.replay import replay
from hacheck.symbolic.bmc import bmc
from hacheck.symbolic.chc import chc
from hacheck.symbolic.check import parse_invariant, prove
from hacheck.symbolic.common import Context
from hacheck.symbolic.induction import check_invariant, k_induction

from toys import overflow
from test_compiled_vs_interpreter import _model_from, action_strategy, bool_expr, random_states

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs/tutorial/two_replicas.py"


def tutorial(**params):
    return build_model(load_spec(TUTORIAL), params)


@pytest.mark.parametrize("encoding", ["bv", "int"])
def test_bmc_finds_the_shortest_counterexample_and_it_replays(encoding):
    m = tutorial(replicas=3)
    r = bmc(Context(m, encoding), m.properties["no_split_brain"], 10)
    assert (r.verdict, r.trace.length) == ("violated", 4)
    replay(m, r.trace)
    assert r.trace.length == check(m).properties[0].trace.length


def test_bmc_without_violation_is_never_a_proof():
    m = counter_model(limit=9, bad=9)
    r = bmc(Context(m), m.properties["below"], 3)
    assert r.verdict == "unknown"
    assert "no violation up to depth 3" in r.explanation


def counter_model(limit: int, bad: int, step: int = 1) -> Model:
    m = Model("counter")
    x = m.var("x", Int(0, 9), init=0)
    y = m.var("y", Int(0, 9), init=0)

    @m.action()
    def inc():
        return x + step <= limit, {x: x + step, y: x}

    m.invariant("below", x < bad)
    m.invariant("y_behind", y <= x)
    return m.freeze()


def test_k_induction_proves_what_plain_induction_cannot():
    # x goes 0, 2, 4, 6, 8 and stops; x != 7 is not 1-inductive (from x = 5 one step reaches 7)
    m = counter_model(limit=8, bad=99, step=2)
    m._frozen = False
    x = m.handles["x"]
    m.invariant("not7", x != 7)
    m._frozen = True
    r = k_induction(Context(m), m.properties["not7"], 6)
    assert r.verdict == "holds"


def test_user_invariant_counterexample_to_induction_names_action_and_conjunct():
    m = tutorial(quorum="majority")
    ctx = Context(m)
    p = m.properties["no_split_brain"]
    good = parse_invariant(m, "forall(Write, lambda w: data['r1'].has(w) == data['r2'].has(w))")
    assert check_invariant(ctx, p, good).verdict == "holds"
    weak = parse_invariant(m, "(faults <= 2) & (data['r1'].size() <= 1)")
    r = check_invariant(ctx, p, weak)
    assert r.verdict == "unknown"
    assert r.extra["action"].startswith("write(")
    assert "data[r1]" in r.extra["conjunct"]
    assert r.trace.kind == "counterexample to induction" and r.trace.length == 1


def test_chc_invariant_is_rechecked_and_printed_in_model_vocabulary():
    m = tutorial(quorum="majority")
    r = chc(Context(m), m.properties["no_split_brain"], None)
    assert r.verdict == "holds"
    assert "re-checked" in r.explanation
    assert "data[r" in r.extra["invariant"] and "Var(" not in r.extra["invariant"]


def test_chc_violation_is_replayed_into_a_shortest_trace():
    m = tutorial()
    r = chc(Context(m), m.properties["no_split_brain"], None)
    assert (r.verdict, r.trace.length) == ("violated", 4)
    replay(m, r.trace)


def test_unreachable_is_proved_by_the_smt_engine():
    m = counter_model(limit=4, bad=99)
    m._frozen = False
    m.reachable("five", m.handles["x"] == 5)
    m._frozen = True
    r = prove(Context(m), m.properties["five"], timeout=None)
    assert r.verdict == "violated"  # a reachable property that cannot happen
    assert r.method in ("reach", "bmc", "k-induction", "chc")


def test_range_error_is_a_model_error_in_both_engines():
    from hacheck.explicit.search import ModelRangeError
    from hacheck.symbolic.common import SmtModelError

    m = overflow(0, 3)
    with pytest.raises(ModelRangeError):
        check(m)
    with pytest.raises(SmtModelError, match="after 3 steps"):
        bmc(Context(m), m.properties["small"], 10)


# --- agreement on random models ---------------------------------------------------------------


def z3_successors(ctx: Context, state: tuple[int, ...]) -> set[tuple[int, tuple[int, ...]]]:
    enc = ctx.enc
    s = z3.Solver()
    for f, x, c in zip(ctx.model.fields, enc.cur, state):
        t = f.type
        nat = c + t.lo if isinstance(t, Int(0, 0).__class__) else c
        s.add(x == (z3.BoolVal(bool(nat)) if z3.is_bool(x) else enc.num(nat)))
    s.add(enc.trans)
    out = set()
    while s.check() == z3.sat:
        mod = s.model()
        i = enc.act_value(mod, enc.sel)
        succ = tuple(enc.value(mod, x, j) for j, x in enumerate(enc.nxt))
        out.add((i, succ))
        s.add(z3.Or(z3.Not(enc.sel[i]), z3.Or(*(x != mod.eval(x, model_completion=True) for x in enc.nxt))))
    return out


@pytest.mark.parametrize("encoding", ["bv", "int"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(actions=st.lists(action_strategy(), min_size=1, max_size=3), states=st.lists(random_states, min_size=1, max_size=3))
def test_z3_successors_equal_explicit_successors(encoding, actions, states):
    m = _model_from(actions)
    ctx = Context(m, encoding)
    for s in states:
        assert z3_successors(ctx, s) == set(successors(m, s))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bool_expr(3), random_states)
def test_z3_expression_semantics_equal_the_interpreter(pred_fn, state):
    m = _model_from([])
    H = m.sorts["S"]
    env = {"ints": [m.handles["a"], m.handles["b"][H[0]], m.handles["b"][H[1]]],
           "bools": [m.handles["p"], m.handles["q"][H[0]], m.handles["q"][H[1]]], "enum": m.handles["e"], "S": H}
    from hacheck.lang.expr import lift

    pred = lift(pred_fn(env))
    for encoding in ("bv", "int"):
        ctx = Context(m, encoding)
        enc = ctx.enc
        subs = []
        for f, x, c in zip(m.fields, enc.cur, state):
            nat = c + f.type.lo if hasattr(f.type, "lo") else c
            subs.append((x, z3.BoolVal(bool(nat)) if z3.is_bool(x) else enc.num(nat)))
        got = z3.is_true(z3.simplify(z3.substitute(enc.expr(pred, enc.cur), *subs)))
        assert got == bool(eval_expr(pred, state)), encoding


@pytest.mark.parametrize("op", ["//", "%"])
def test_floor_division_matches_python(op):
    from hacheck.lang.expr import arith

    m = Model("div")
    a = m.var("a", Int(-7, 7), init=0)
    b = m.var("b", Int(-3, -1), init=-1)
    c = m.var("c", Int(1, 3), init=1)
    m.freeze()
    for encoding in ("bv", "int"):
        enc = Context(m, encoding).enc
        for av in range(-7, 8):
            for bv_ in (-3, -2, -1):
                for den, dv in (((b, bv_),) if op == "//" else ()) + ((c, -bv_),):
                    e = arith(op, a, den)
                    term = z3.substitute(enc.expr(e, enc.cur), (enc.cur[0], enc.num(av)), (enc.cur[1], enc.num(bv_)),
                                         (enc.cur[2], enc.num(-bv_)))
                    v = z3.simplify(term)
                    got = v.as_long() if encoding == "int" else v.as_signed_long()
                    want = av // dv if op == "//" else av % dv
                    assert got == want, (encoding, av, dv, op)
    _ = Expr, forall, Bool, Map


# --- issue 20: no unsound path --------------------------------------------------------------------


def test_k_induction_does_not_prove_a_model_with_a_deep_range_error():
    """The update of n leaves Int(0, 25) only after 26 steps, deeper than the BMC base case; the
    property n <= 25 is true of every in-range state. Range safety is part of k-induction's
    obligation, so k-induction must not say "holds" (the explicit engine reports the model error)."""
    m = overflow(0, 25)
    r = k_induction(Context(m), m.properties["small"], 6, None)
    assert r.verdict == "unknown" and r.explanation == "not k-inductive for k <= 6"
    with pytest.raises(ModelError, match="can set x to 26"):  # auto: Houdini's sampling runs into it
        prove(Context(m), m.properties["small"], "auto", depth=20, timeout=None)


def test_a_user_invariant_does_not_hide_a_range_error():
    """An invariant that is inductive over in-range steps still has to rule out an enabled update
    leaving its range (the transition relation excludes such steps)."""
    m = overflow(0, 25)
    r = check_invariant(Context(m), m.properties["small"], m.properties["small"].expr)
    assert r.verdict == "unknown" and "an update may leave its declared range" in r.explanation


def test_k_induction_base_case_covers_every_depth_below_k():
    """Violated in 1 step, and 2-inductive: the step from x = 0 to x = 2 has no good predecessor.
    A base case one step too shallow would call it "holds (k-induction, k=2)"."""
    m = Model("one_step")
    x = m.var("x", Int(0, 2), init=0)

    @m.action()
    def jump():
        return x == 0, {x: 2}

    @m.action()
    def stay():
        return x == 1, {x: 1}

    m.invariant("not_two", x != 2)
    m = m.freeze()
    r = k_induction(Context(m), m.properties["not_two"], 6, None)
    assert (r.verdict, r.trace.length) == ("violated", 1)


def test_chc_invariant_with_quantifiers_is_printed_in_model_vocabulary():
    """Spacer's invariants may contain exists/forall (about one in ten CHC calls on random models):
    they are printed with their bound variables named apart from the fields, not a crash."""
    m = overflow(0, 3)
    enc = Context(m, "int").enc
    x = enc.cur[0]
    k, j = z3.Int("x!0"), z3.Int("x_1")  # names that clash with the field x once "!" is replaced
    t = z3.And(x >= 0, z3.Exists([k], z3.And(k >= 0, x == 2 * k, z3.ForAll([j], z3.Or(j < k, x >= j)))))
    assert enc.pretty(t) == "x >= 0 & exists([x_0], x_0 >= 0 & x == (2 * x_0) & forall([x_1], x_1 < x_0 | x >= x_1))"


def test_chc_on_a_model_where_spacer_answers_with_exists_prints_it():
    """A random model found by the differential campaign: Spacer's invariant contains Exists. The
    answer is the re-checked verdict with the invariant in the model's vocabulary (exit 0), not a
    crash with exit 1."""
    m = _model_from([(lambda env: True, lambda env, a, b, p, q, e, S: {e: "z"})])
    m._frozen = False
    m.invariant("a_small", m.handles["a"] <= 3)
    m._frozen = True
    r = chc(Context(m), m.properties["a_small"], None)
    assert r.line == "holds (CHC invariant, re-checked)"
    assert "exists([k_8], " in r.extra["invariant"] and "e == 'z'" in r.extra["invariant"]
