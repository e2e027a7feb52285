"""BMC on CaDiCaL: the clauses z3 bit-blasts once must mean what the model means.

The CNF back end is checked against the model's own semantics (the interpreter's successor sets
on random models), against z3's incremental back end, and against the explicit engine's shortest
counterexamples (tests/test_agreement.py runs every shipped model through both back ends).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hacheck.explicit.search import check
from hacheck.lang import Bool, Int, Model
from hacheck.lang.errors import BadInput
from hacheck.lang.interp import successors
from hacheck.loader import build_model, load_spec
from hacheck.replay import replay
from hacheck.symbolic.bmc import bmc
from hacheck.symbolic.cnf import BitBlaster, Unrolling, assignment
from hacheck.symbolic.common import Context, SmtModelError
from hacheck.symbolic.sat import SatSolver

from toys import overflow
from test_compiled_vs_interpreter import _model_from, action_strategy, random_states
from test_symbolic import ROOT, counter_model, tutorial


def cnf_successors(ctx: Context, state: tuple[int, ...]) -> set[tuple[int, tuple[int, ...]]]:
    """Every (action instance, successor) the transition template allows from ``state``."""
    blaster = BitBlaster(ctx.enc)
    u = Unrolling(blaster)
    s = SatSolver()
    s.add(u.clauses(blaster.template(ctx.enc.trans), 0))
    s.add([lit] for lit in u.state_literals(state, 0))
    out = set()
    while s.solve([]):
        values = assignment(s.model(), u.top)
        act, succ = u.action(values, 0), u.codes(values, 1)
        out.add((act, succ))
        # block this (action, successor) pair: its action bit and every bit of step 1
        first, sel = u.state(1), u.sel(0)
        bits = range(first, first + blaster.nbits)
        s.add([[-(sel + act)] + [-v if values[v] else v for v in bits]])
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(action_strategy(), min_size=1, max_size=3), states=st.lists(random_states, min_size=1, max_size=3))
def test_cnf_successors_equal_the_interpreters(actions, states):
    m = _model_from(actions)
    ctx = Context(m)
    for state in states:
        assert cnf_successors(ctx, state) == set(successors(m, state))


@settings(max_examples=60, deadline=None)
@given(random_states)
def test_state_bits_round_trip(state):
    m = _model_from([])
    u = Unrolling(BitBlaster(Context(m).enc))
    lits = u.state_literals(state, 2)
    values = assignment(lits, u.top)
    assert u.codes(values, 2) == tuple(state)


@pytest.mark.parametrize("params,length", [({"replicas": 3}, 4), ({}, 4), ({"quorum": "majority"}, None)])
def test_both_back_ends_and_the_explicit_engine_agree(params, length):
    m = tutorial(**params)
    p = m.properties["no_split_brain"]
    explicit = check(m).properties[0]
    for sat in ("cadical", "z3"):
        r = bmc(Context(m, "bv", sat), p, 12)
        if length is None:
            assert explicit.verdict == "holds"
            assert r.verdict in ("holds", "unknown"), sat  # complete search or bounded: never violated
        else:
            assert (r.verdict, r.trace.length) == ("violated", length) == (explicit.verdict, explicit.trace.length), sat
            replay(m, r.trace)
        assert ("CaDiCaL" if sat == "cadical" else "z3 bv") in r.explanation


def test_a_complete_search_is_reported_as_complete():
    m = counter_model(limit=3, bad=9)  # x stops at 3: no execution is longer than 3 steps
    r = bmc(Context(m), m.properties["below"], 10)
    assert r.verdict == "holds" and "complete: no execution is longer than 3 steps" in r.explanation


@pytest.mark.parametrize("sat", ["cadical", "z3"])
def test_range_error_is_reported_with_the_action_and_field(sat):
    m = overflow(-2, 3)
    with pytest.raises(SmtModelError, match=r"action inc can set x outside its declared type .*after 5 steps") as e:
        bmc(Context(m, "bv", sat), m.properties["small"], 10)
    assert e.value.trace.length == 5


def test_a_deadline_gives_unknown_not_a_verdict():
    m = build_model(load_spec(ROOT / "models/gluster_arbiter.py"), {})
    r = bmc(Context(m), m.properties["no_split_brain"], 40, timeout=1.0)
    assert r.verdict == "unknown" and r.explanation.startswith("solver: timeout at depth")


def test_unknown_sat_solver_is_bad_input():
    with pytest.raises(BadInput, match="unknown SAT solver 'minisat'"):
        Context(tutorial(), "bv", "minisat")


def test_templates_are_built_once_per_property():
    m = tutorial()
    ctx = Context(m)
    p = m.properties["no_split_brain"]
    assert ctx.templates(p) is ctx.templates(p)
    t = ctx.templates(p).trans
    assert t.clauses > 0 and np.all(np.abs(t.literals) < len(t.role))


@pytest.mark.parametrize("name", ["flag", "sel0", "sel1", "s0", "c0.0"])
def test_field_names_never_clash_with_internal_variables(name):
    m = Model("names")
    b = m.var(name, Bool, init=False) if "." not in name else None
    x = m.var("x", Int(0, 3), init=0)

    @m.action()
    def inc():
        return x < 3, {x: x + 1}

    if b is not None:
        @m.action()
        def setb():
            return True, {b: True}

        m.invariant("p", ~b)
    m.invariant("q", x < 2)
    m.freeze()
    for p in m.properties.values():
        want = check(m, [p]).properties[0]
        for sat in ("cadical", "z3"):
            got = bmc(Context(m, "bv", sat), p, 10)
            assert (got.verdict, got.trace.length) == (want.verdict, want.trace.length), (name, p.name, sat)
