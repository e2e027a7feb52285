"""The reachable set as an inductive invariant: proposed by the search, proved by z3."""

from __future__ import annotations

import numpy as np

from hacheck.symbolic import reachset as RS
from hacheck.symbolic.common import Context
from hacheck.symbolic.check import prove

from test_agreement import _model
from test_symbolic import counter_model, tutorial


def test_fencing_no_dual_running_vm_is_proved_by_its_reachable_set():
    m = _model("models/fencing.py", {"manual_confirm_allowed": False})
    r = RS.reach_invariant(Context(m), m.properties["no_dual_running_vm"], None)
    assert r.verdict == "holds", r.line
    from hacheck.check import run_check

    n = run_check(m, [], symmetry=False).stats.states  # the explicit engine's count
    assert r.explanation.startswith(f"inductive invariant: the {n:,} reachable states as a decision diagram of ")
    assert r.explanation.endswith("proved inductive by z3")


def test_decision_diagram_accepts_exactly_the_states():
    rng = np.random.default_rng(1)
    states = np.unique(rng.integers(0, 3, size=(60, 5)), axis=0)
    nodes, root = RS.decision_diagram(states)

    def accepts(row):
        nid = root
        for v in row:
            nid = next((c for c, vals in nodes[nid].items() if int(v) in vals), None)
            if nid is None:
                return False
        return nid == 0

    every = np.array(np.meshgrid(*[range(3)] * 5, indexing="ij")).reshape(5, -1).T
    inside = {tuple(r) for r in states.tolist()}
    assert all(accepts(r) == (tuple(r) in inside) for r in every.tolist())


def test_a_search_that_missed_a_state_is_not_believed(monkeypatch):
    """The set comes from the numpy BFS, the proof from z3: a BFS that dropped a reachable state
    proposes a set that is not inductive, and z3 refuses it (no wrong "holds")."""
    m = tutorial(quorum="majority")
    real = RS.sample_states

    def lossy(ctx, n, deadline):
        states, exhaustive = real(ctx, n, deadline)
        return states[:-1], exhaustive

    monkeypatch.setattr(RS, "sample_states", lossy)
    r = RS.reach_invariant(Context(m), m.properties["no_split_brain"], None)
    assert r.verdict == "unknown" and "failed z3's check (consecution" in r.explanation


def test_too_many_states_is_unknown_and_auto_goes_on():
    m = counter_model(limit=30, bad=99)
    r = RS.reach_invariant(Context(m), m.properties["below"], None, max_states=5)
    assert r.verdict == "unknown" and "not enumerated" in r.explanation


def test_a_violated_property_is_not_proved():
    m = tutorial()
    r = RS.reach_invariant(Context(m), m.properties["no_split_brain"], None)
    assert r.verdict == "unknown" and "a reachable state violates the property" in r.explanation


def test_auto_uses_the_reachable_set_before_houdini(monkeypatch):
    # the stated lemmas of properties/fencing.py prove it first in auto (tests/test_fencing_lemmas.py);
    # without them auto goes on to the methods this test is about
    import hacheck.properties.fencing as fencing_props
    monkeypatch.setattr(fencing_props, "lemmas_apply", lambda p: False)
    m = _model("models/fencing.py", {"manual_confirm_allowed": False})
    r = prove(Context(m), m.properties["no_dual_running_vm"], "auto", depth=4, timeout=None)
    assert (r.verdict, r.method) == ("holds", "reach"), r.line
