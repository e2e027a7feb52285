"""The plain-Python compiler (one state at a time, used by the fuzzer) agrees with the interpreter."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.test_compiled_vs_interpreter as cvi
from hacheck.explicit.compile import RangeViolation
from hacheck.explicit.pycompile import compile_python
from hacheck.lang import Int, Model
from hacheck.lang.interp import eval_expr, successors
from hacheck.loader import build_model, load_spec, parse_params

ROOT = Path(__file__).resolve().parent.parent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cvi.action_strategy(), min_size=1, max_size=4), st.lists(cvi.random_states, min_size=1, max_size=8))
def test_python_successors_equal_interpreted(actions, states):
    m = cvi._model_from(actions)
    pc = compile_python(m)
    for s in states:
        assert pc.successors(s) == successors(m, s)
        assert pc.enabled(s) == [i for i, inst in enumerate(m.instances) if eval_expr(inst.guard, s)]
        for i, inst in enumerate(m.instances):
            assert pc.guards[i](s) == bool(eval_expr(inst.guard, s))


@settings(max_examples=100, deadline=None)
@given(cvi.bool_expr(3), cvi.random_states)
def test_python_predicate_equals_interpreted(pred_fn, state):
    m = cvi._model_from([])
    env = {"ints": [m.handles["a"], m.handles["b"][m.sorts["S"][0]], m.handles["b"][m.sorts["S"][1]]],
           "bools": [m.handles["p"], m.handles["q"][m.sorts["S"][0]], m.handles["q"][m.sorts["S"][1]]],
           "enum": m.handles["e"], "S": m.sorts["S"]}
    pred = cvi._lift(pred_fn(env))
    pc = compile_python(m, {"x": pred})
    assert pc.predicates["x"](state) is bool(eval_expr(pred, state))


def test_range_violation_is_raised_like_numpy():
    m = Model("overflow")
    x = m.var("x", Int(0, 2), init=0)

    @m.action()
    def inc():
        return True, {x: x + 1}

    m.freeze()
    pc = compile_python(m)
    assert pc.applies[0]((1,)) == (2,)
    with pytest.raises(RangeViolation) as e:
        pc.applies[0]((2,))
    assert (e.value.instance, e.value.field, e.value.value) == (0, 0, 3)


@pytest.mark.parametrize("path, params", [
    ("docs/tutorial/two_replicas.py", []),
    ("models/fencing.py", ["pm_reports=faulty"]),
    ("models/hosted_engine.py", ["sanlock_lease=false"]),
    ("models/gluster_arbiter.py", []),
])
def test_shipped_models_along_random_walks(path, params):
    """Every state of 1,500 random steps: same successors, same property values as the interpreter."""
    spec = load_spec(ROOT / path)
    m = build_model(spec, parse_params(spec, params))
    pc = compile_python(m)
    rnd = random.Random(7)
    init = m.init_states()
    s = init[0]
    seen_steps = 0
    for _ in range(1500):
        want = successors(m, s)
        assert pc.successors(s) == want
        for name, p in m.properties.items():
            assert pc.predicates[name](s) == bool(eval_expr(p.expr, s)), name
            if p.target is not None:
                assert pc.predicates[name + "#target"](s) == bool(eval_expr(p.target, s)), name
        if not want or rnd.random() < 0.03:
            s = rnd.choice(init)
            continue
        s = rnd.choice(want)[1]
        seen_steps += 1
    assert seen_steps > 1000
