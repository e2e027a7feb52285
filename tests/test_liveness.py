"""Liveness under weak and strong fairness, fair lassos, and worst-case recovery time."""

from __future__ import annotations

import pytest

from hacheck.check import run_check
from hacheck.lang import Bool, Int, Model
from hacheck.lang.interp import successors


def toggler(finish_fairness: str | None, toggle_fair: str | None = "weak") -> Model:
    """x flips forever; finish is enabled only when x = 1. WF(finish) allows flipping forever,
    SF(finish) does not: the textbook difference between the two."""
    m = Model("toggler")
    x = m.var("x", Int(0, 1), init=0)
    done = m.var("done", Bool, init=False)

    @m.action(fair=toggle_fair)
    def toggle():
        return ~done, {x: 1 - x}

    @m.action(fair=finish_fairness)
    def finish():
        return (x == 1) & ~done, {done: True}

    m.eventually("finishes", done)
    m.leads_to("x1_leads_to_done", x == 1, done)
    return m.freeze()


def _by_name(result):
    return {p.name: p for p in result.properties}


def test_weak_fairness_allows_a_cycle_that_disables_the_action():
    r = _by_name(run_check(toggler("weak")))
    p = r["finishes"]
    assert p.verdict == "violated"
    t = p.trace
    assert t.loop is not None
    assert len(t.steps) - t.loop == 2  # the loop toggles twice
    assert {s.action for s in t.steps[t.loop:]} == {"toggle"}
    assert any("WF(finish): disabled in the loop" in f for f in t.fairness)


def test_strong_fairness_forces_the_action():
    r = _by_name(run_check(toggler("strong")))
    assert r["finishes"].verdict == "holds"
    assert r["x1_leads_to_done"].verdict == "holds"


def test_no_fairness_means_stuttering_is_a_counterexample():
    r = _by_name(run_check(toggler(None, None)))
    p = r["finishes"]
    assert p.verdict == "violated"
    assert p.trace.steps[-1].action == "stutter"
    assert p.trace.loop == 0


def test_lasso_loop_is_made_of_real_transitions():
    m = toggler("weak")
    t = _by_name(run_check(m))["finishes"].trace

    def codes(state):
        return (state["x"], int(state["done"]))

    states = [codes(s) for s in t.states]
    for i, step in enumerate(t.steps):
        target = states[i + 1] if i + 1 < len(states) else states[t.loop]
        assert (step.label, target) in {(m.instances[a].label, s) for a, s in successors(m, states[i])}


def timed_service(timeout: int, idle_ticks: bool) -> Model:
    """A crash, then ticks until a timeout, then a weakly fair restart. With ``idle_ticks`` time
    may also pass at the timeout without the restart happening (no upper bound on delay)."""
    m = Model("timed", tick_seconds=10)
    up = m.var("up", Bool, init=True)
    t = m.var("t", Int(0, timeout), init=0)
    m.fault_budget(1)

    @m.action(fault=True)
    def crash():
        return up, {up: False, t: 0}

    @m.action(tick=True, fair="weak")
    def tick():
        return ~up & (t < timeout), {t: t + 1}

    if idle_ticks:
        @m.action(tick=True)
        def idle():
            return ~up & (t == timeout), {}

    @m.action(fair="weak")
    def restart():
        return ~up & (t == timeout), {up: True}

    m.leads_to("recovers", ~up, up)
    return m.freeze()


@pytest.mark.parametrize("timeout", [1, 3, 6])
def test_worst_case_recovery_counts_ticks(timeout):
    p = _by_name(run_check(timed_service(timeout, False)))["recovers"]
    assert p.verdict == "holds"
    assert p.extra["recovery_ticks"] == timeout
    assert p.extra["recovery_seconds"] == 10 * timeout
    assert p.trace.kind == "worst-case"
    assert [s.action for s in p.trace.steps] == ["crash"] + ["tick"] * timeout + ["restart"]


def test_recovery_unbounded_when_time_can_pass_forever():
    p = _by_name(run_check(timed_service(2, True)))["recovers"]
    assert p.verdict == "holds"  # fairness still forces the restart...
    assert p.extra["unbounded"] is True  # ...but not within any bound
    assert p.extra["recovery"] == "unbounded"


def test_liveness_on_a_bounded_search_is_unknown():
    from hacheck.explicit.search import Bounds

    r = _by_name(run_check(toggler("strong"), bounds=Bounds(max_states=2)))
    assert r["finishes"].verdict == "unknown"


def test_a_graph_that_does_not_fit_is_a_clear_error_not_a_crash(monkeypatch):
    from hacheck.explicit import liveness
    from hacheck.lang import HacheckError

    def no_memory(*_a, **_k):
        raise MemoryError

    monkeypatch.setattr(liveness.Liveness, "fair_cores", no_memory)
    with pytest.raises(HacheckError, match="out of memory in the liveness check of toggler: its state graph"):
        run_check(toggler("weak"))


def test_out_of_memory_during_the_search_is_a_clear_error(monkeypatch):
    from hacheck.explicit.search import Explorer
    from hacheck.lang import HacheckError

    def no_memory(*_a, **_k):
        raise MemoryError

    monkeypatch.setattr(Explorer, "expand", no_memory)
    with pytest.raises(HacheckError, match="out of memory after"):
        run_check(toggler("weak"))


def test_eventually_is_triggered_by_the_initial_states_only():
    """x counts 0, 1, 2 (weakly fair) and stays at 2. ``eventually x == 1`` holds: every run
    passes through 1. Triggering it in every state (as ``always eventually``) would be wrong:
    from 2 on, x == 1 never comes again."""
    m = Model("passes_once")
    x = m.var("x", Int(0, 2), init=0)

    @m.action(fair="weak")
    def step():
        return x < 2, {x: x + 1}

    m.eventually("sees_one", x == 1)
    m.always_eventually("sees_one_forever", x == 1)
    m = m.freeze()
    got = _by_name(run_check(m))
    assert got["sees_one"].verdict == "holds", got["sees_one"].line
    assert got["sees_one_forever"].verdict == "violated"
