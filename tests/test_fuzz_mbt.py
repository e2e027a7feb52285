"""Model-based testing: a real store (examples/mbt_store) driven by its model's steps; the planted
off-by-one quorum bug is caught and shrunk to the three steps that show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from examples.mbt_store.adapter import StoreAdapter
from examples.mbt_store.store import BuggyStore, NoQuorum, Store
from hacheck.explicit.search import check
from hacheck.fuzz import Adapter, Disagreement, ModelStateMachine
from hacheck.loader import build_model, load_spec, parse_params

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=150, database=None, deadline=None, stateful_step_count=25, derandomize=True)


def store_model(*params: str):
    spec = load_spec(ROOT / "examples/mbt_store/model.py")
    return build_model(spec, parse_params(spec, list(params)))


class BuggyAdapter(StoreAdapter):
    store_class = BuggyStore


def test_the_model_itself_holds():
    r = check(store_model())
    verdicts = {p.name: p.verdict for p in r.properties}
    assert verdicts == {"acked_on_quorum": "holds", "all_acked": "holds"}


def test_correct_store_agrees_with_its_model():
    run_state_machine_as_test(ModelStateMachine(store_model(), StoreAdapter), settings=SETTINGS)


def test_planted_quorum_bug_is_caught_and_shrunk():
    with pytest.raises(Disagreement) as e:
        run_state_machine_as_test(ModelStateMachine(store_model(), BuggyAdapter), settings=SETTINGS)
    d = e.value
    actions = [d.model.instances[i] for i in d.steps]
    # two replicas made unreachable for one client, then that client's write: the model refuses it
    # (1 of 3 replicas is no majority), the buggy store (quorum 3 // 2 = 1) accepts it
    assert len(actions) == 3, d.labels
    assert [a.kind for a in actions] == ["fault", "fault", "protocol"]
    assert actions[2].action == "write_refused"
    assert "implementation and model mbt_store differ after step 3" in str(d)
    assert "acked[c" in str(d) and "implementation True, model False" in str(d)
    assert d.trace.length == 3


@pytest.mark.slow
def test_buggy_store_also_caught_with_five_replicas():
    with pytest.raises(Disagreement) as e:
        run_state_machine_as_test(ModelStateMachine(store_model("replicas=5", "max_faults=3"), BuggyAdapter),
                                  settings=SETTINGS)
    acts = [e.value.model.instances[i] for i in e.value.steps]
    assert [a.kind for a in acts] == ["fault"] * 3 + ["protocol"] and acts[-1].action == "write_refused"


def test_machine_without_adapter_checks_model_invariants():
    from hacheck.lang import Bool, Model

    m = Model("broken")
    x = m.var("x", Bool, init=False)

    @m.action(fault=True)
    def flip():
        return ~x, {x: True}

    m.fault_budget(1)
    m.invariant("never_x", ~x)
    m.freeze()
    with pytest.raises(Disagreement, match="model invariant never_x is violated after 1 steps"):
        run_state_machine_as_test(ModelStateMachine(m), settings=SETTINGS)


def test_adapter_reporting_an_unknown_field_is_an_error():
    class Wrong(StoreAdapter):
        def observe(self):
            return {"leader": "r1"}

    with pytest.raises(Disagreement, match="the adapter reports 'leader', which is no variable or field"):
        run_state_machine_as_test(ModelStateMachine(store_model(), Wrong), settings=SETTINGS)


def test_store_by_hand():
    s = Store(["r1", "r2", "r3"], ["c1"])
    s.crash("r1")
    s.cut("c1", "r2")
    with pytest.raises(NoQuorum):
        s.put("c1", "k", "v")
    b = BuggyStore(["r1", "r2", "r3"], ["c1"])
    b.crash("r1")
    b.cut("c1", "r2")
    b.put("c1", "k", "v")  # the bug: one replica of three is taken for a quorum
    assert b.replicas["r3"].items == {"k": "v"}


def test_adapter_base_class_needs_perform():
    class NoPerform(Adapter):
        def observe(self):
            return {}

    with pytest.raises(TypeError, match="perform"):
        NoPerform()  # type: ignore[abstract]
