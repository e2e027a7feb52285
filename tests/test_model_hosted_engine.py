"""Golden verdicts of the oVirt self-hosted engine model (issue 5): verdict, shortest trace length,
and the actions that make each counterexample or witness."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacheck.explicit.search import check
from hacheck.lang import BadInput
from hacheck.loader import build_model, load_spec
from hacheck.result import HOLDS, VIOLATED

MODEL = Path(__file__).resolve().parent.parent / "models" / "hosted_engine.py"
SPEC = load_spec(MODEL)
QUIET = {"max_faults": 0, "maintenance_steps": 0}  # no fault, no operator: the tie alone
RUNNING = ("starting", "up_good", "up_bad", "paused")


def run(params, *names, symmetry=True):
    m = build_model(SPEC, params)
    props = [m.properties[n] for n in names] if names else None
    r = check(m, props, symmetry=symmetry)
    return {p.name: p for p in r.properties}, r.stats


def labels(res):
    return [s.label for s in res.trace.steps]


def running_hosts(state):
    return sorted(h for h, v in state["vm"].items() if v in RUNNING)


# -- the lease excludes -----------------------------------------------------------------------

def test_with_lease_no_dual_engine_holds_at_defaults():
    res, stats = run({}, "no_dual_engine")
    r = res["no_dual_engine"]
    assert r.verdict == HOLDS and r.method == "exhaustive"
    assert stats.complete
    assert stats.states > 15_000  # faults, maintenance and timers really are explored


def test_with_lease_no_dual_engine_holds_with_unbounded_delays():
    """Safety does not lean on the delay bounds that liveness needs: with the engine VM's boot
    and the agent's restart unbounded (a superset of behaviours), the lease still excludes."""
    res, stats = run({"vm_boot_ticks": 0, "agent_restart_ticks": 0}, "no_dual_engine")
    assert res["no_dual_engine"].verdict == HOLDS and stats.complete
    _, bounded = run({}, "no_dual_engine")
    assert stats.states > 3 * bounded.states  # the boot bound is what shrinks the default state space


def test_lease_boundary_kill_just_before_host_dead_holds():
    res, stats = run({"lease_kill_after": 4, "lease_host_dead": 5}, "no_dual_engine")
    assert res["no_dual_engine"].verdict == HOLDS and stats.complete


def test_without_lease_two_hosts_start_at_once():
    res, _ = run({"sanlock_lease": False}, "no_dual_engine")
    r = res["no_dual_engine"]
    assert r.verdict == VIOLATED
    assert r.trace.length == 4
    steps = labels(r)
    # equal scores, both agents decide in the same tick and, EngineDown -> EngineStart being NOWAIT,
    # both START_VM in that same tick: no fault, no tick needed
    assert steps.count("engine_down__best_score(h=h1)") == 1
    assert steps.count("engine_down__best_score(h=h2)") == 1
    assert "engine_start__start_vm(h=h1)" in steps and "engine_start__start_vm(h=h2)" in steps
    assert not any(s.is_fault for s in r.trace.steps)
    assert "tick" not in steps
    assert running_hosts(r.trace.states[-1]) == ["h1", "h2"]


def test_with_lease_the_second_start_is_refused():
    res, _ = run({}, "start_refused_by_lease")
    r = res["start_refused_by_lease"]
    assert r.verdict == HOLDS and r.trace.length == 4
    steps = labels(r)
    assert "engine_start__start_vm(h=h1)" in steps and "engine_start__start_vm(h=h2)" in steps
    last = r.trace.states[-1]
    assert len(running_hosts(last)) == 1
    assert last["lease"] == running_hosts(last)[0]


# -- rhbz#1093638: equal scores ------------------------------------------------------------------

def test_equal_scores_some_host_starts_with_le_rule():
    res, _ = run(QUIET, "engine_started", "no_dual_engine")
    r = res["engine_started"]
    assert r.verdict == HOLDS and r.trace.length == 2
    first = r.trace.states[0]
    assert first["md_score"]["h1"] == first["md_score"]["h2"] == 3400
    assert any(s.startswith("engine_down__best_score") for s in labels(r))
    assert labels(r)[-1].startswith("engine_start__start_vm")
    assert res["no_dual_engine"].verdict == HOLDS


def test_equal_scores_nobody_starts_with_strict_rule():
    res, stats = run({**QUIET, "start_rule": "lt"}, "engine_started")
    r = res["engine_started"]
    assert r.verdict == VIOLATED and r.method == "exhaustive"  # unreachable: nobody ever starts
    assert stats.complete


def test_strict_rule_starts_once_scores_differ():
    res, _ = run({"start_rule": "lt", "maintenance_steps": 0}, "engine_started")
    r = res["engine_started"]
    assert r.verdict == HOLDS and r.trace.length == 4
    steps = labels(r)
    assert steps[0].startswith("lose_network")  # the network penalty breaks the tie
    loser = steps[0].split("=")[1].rstrip(")")
    assert any(s.startswith("engine_down__best_score") and loser not in s for s in steps)


# -- the fresh-agent start race ------------------------------------------------------------------

def test_fresh_agent_start_race_is_reachable_and_harmless_with_lease():
    res, stats = run({}, "fresh_start_race", "no_dual_engine")
    r = res["fresh_start_race"]
    assert r.verdict == HOLDS and r.trace.length == 11
    steps = labels(r)
    restarted = [s for s in steps if s.startswith(("host_restart", "agent_restart"))]
    assert restarted
    fresh = restarted[0].split("=")[1].rstrip(")")
    assert steps[-1] == f"engine_down__best_score(h={fresh})"  # its blind cycle
    assert running_hosts(r.trace.states[-1]) != [] and fresh not in running_hosts(r.trace.states[-1])
    assert res["no_dual_engine"].verdict == HOLDS and stats.complete


def test_engine_comes_up():
    res, _ = run({}, "engine_up")
    r = res["engine_up"]
    assert r.verdict == HOLDS and r.trace.length == 6
    assert labels(r)[-1].startswith("engine_starting__up_good")
    assert any(s.startswith("vm_boot") for s in labels(r))


def test_safety_rests_on_lease_timing():
    """Bypassing the parameter check: if sanlock let a host take the lease before the holder's VM
    is killed (kill 6 > host_dead 5), a host that lost its storage keeps a paused copy while
    another host starts the engine."""
    p = SPEC.params(lease_kill_after=6, lease_host_dead=5)
    m = SPEC.build(p)
    m.params = p
    m.freeze()
    r = check(m, [m.properties["no_dual_engine"]]).properties[0]
    assert r.verdict == VIOLATED and r.trace.length == 20
    steps = labels(r)
    lost = [s for s in steps if s.startswith("lose_storage")]
    assert len(lost) == 1
    victim = lost[0].split("=")[1].rstrip(")")
    assert steps[-1].startswith("engine_start__start_vm") and victim not in steps[-1]
    assert r.trace.states[-1]["vm"][victim] == "paused"


def test_retry_penalty_without_the_bug_still_safe():
    res, stats = run({"retry_penalty_bug": False}, "no_dual_engine")
    assert res["no_dual_engine"].verdict == HOLDS and stats.complete


def test_symmetry_reduction_agrees():
    res_s, st_s = run({}, "no_dual_engine", symmetry=True)
    res_n, st_n = run({}, "no_dual_engine", symmetry=False)
    assert res_s["no_dual_engine"].verdict == res_n["no_dual_engine"].verdict == HOLDS
    assert st_s.states < st_n.states


@pytest.mark.slow
def test_three_hosts_with_lease_holds():
    res, stats = run({"hosts": 3}, "no_dual_engine")
    assert res["no_dual_engine"].verdict == HOLDS and stats.complete


@pytest.mark.slow
def test_three_hosts_without_lease_counterexample():
    res, _ = run({"hosts": 3, "sanlock_lease": False}, "no_dual_engine")
    r = res["no_dual_engine"]
    assert r.verdict == VIOLATED and r.trace.length == 4  # two NOWAIT decisions, two START_VM, one tick
    assert sum(s.startswith("engine_start__start_vm") for s in labels(r)) == 2
    assert len(running_hosts(r.trace.states[-1])) == 2


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"lease_kill_after": 5, "lease_host_dead": 5},
    {"lease_kill_after": 9, "lease_host_dead": 5},
    {"start_rule": "gt"},
    {"hosts": 1},
    {"max_faults": -1},
    {"no_such_param": 1},
])
def test_bad_parameters(params):
    with pytest.raises(BadInput):
        build_model(SPEC, params)


def test_parameter_names_and_defaults():
    names = {i.name: i.default for i in SPEC.param_info()}
    for n in ("hosts", "base_score", "restart_threshold", "penalty_network", "penalty_bridge", "penalty_cpu",
              "penalty_memory", "penalty_config", "penalty_retry", "host_alive_timeout", "engine_starting_timeout",
              "bad_health_timeout", "lease_host_dead", "lease_kill_after", "sanlock_lease", "retry_penalty_bug",
              "max_faults", "start_rule"):
        assert n in names
    assert names["base_score"] == 3400 and names["restart_threshold"] == 800
    assert names["retry_penalty_bug"] is True and names["sanlock_lease"] is True and names["start_rule"] == "le"
    assert build_model(SPEC, {}).tick_seconds == 10
