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

UPSTREAM = {"host_alive_timeout": 6, "engine_starting_timeout": 60, "bad_health_timeout": 30,
            "unexpected_down_timeout": 56, "lease_host_dead": 14, "lease_kill_after": 8, "vm_boot_ticks": 18,
            "maintenance_steps": 0}


def test_with_lease_no_dual_writer_holds_at_defaults():
    """At most one engine VM that can write: sanlock's paxos_lease_acquire refuses the lease while
    its owner is alive, and a VM paused on an I/O error, which released its lease
    (libvirt qemuProcessHandleIOError -> virDomainLockProcessPause), resumes only by re-acquiring it
    (qemuProcessStartCPUs -> virDomainLockProcessResume)."""
    res, stats = run({}, "no_dual_writer")
    r = res["no_dual_writer"]
    assert r.verdict == HOLDS and r.method == "exhaustive"
    assert stats.complete
    assert stats.states > 15_000  # faults, maintenance and timers really are explored


def test_paused_engine_vm_released_its_lease_so_a_second_copy_starts():
    """libvirt qemuProcessHandleIOError -> virDomainLockProcessPause: the engine VM paused on an
    I/O error holds no lease, so sanlock never kills it; once its host id is dead
    (paxos_lease_acquire, host_dead_seconds) another host takes the lease and starts the engine
    while the paused copy still exists: no_dual_engine (which counts paused copies) is violated,
    shortest 20 steps at the defaults."""
    res, _ = run({}, "no_dual_engine", "no_dual_writer")
    r = res["no_dual_engine"]
    assert r.verdict == VIOLATED and r.trace.length == 20
    steps = labels(r)
    lost = [s for s in steps if s.startswith("lose_storage")]
    assert len(lost) == 1 and not any(s.startswith("sanlock_kill") for s in steps)
    victim = lost[0].split("=")[1].rstrip(")")
    last = r.trace.states[-1]
    assert last["vm"][victim] == "paused" and last["lease"] != victim
    assert steps[-1].startswith("engine_start__start_vm") and victim not in steps[-1]
    assert res["no_dual_writer"].verdict == HOLDS


def test_paused_copy_from_steady_state_upstream_timers():
    """From the steady state with upstream timers and only lose_storage: 39 steps, the second copy
    starts once host_dead_seconds (140 s) passed since the paused host's last renewal
    (sanlock calc_host_dead_seconds), and the paused copy is still there
    (libvirt qemuProcessHandleIOError -> virDomainLockProcessPause)."""
    m = build_model(SPEC, {**UPSTREAM, "start": "engine_up"})
    m.restrict_faults(["lose_storage"])
    r = {x.name: x for x in check(m, [m.properties["no_dual_engine"], m.properties["no_dual_writer"]]).properties}
    assert r["no_dual_engine"].verdict == VIOLATED and r["no_dual_engine"].trace.length == 39
    steps = labels(r["no_dual_engine"])
    lost = steps.index("lose_storage(h=h1)")
    assert steps[lost:].count("tick") >= 14  # not before host_dead (14 ticks)
    assert r["no_dual_writer"].verdict == HOLDS


@pytest.mark.parametrize("fix", [True, False])
def test_bz1393839_switch_does_not_change_no_dual_engine(fix):
    """ovirt-hosted-engine-ha EngineUp.consume / EngineStop.consume (BZ 1393839, since v2.3.0) act only
    once the paused host's agent runs again: the dual copy exists before, with or without the fix."""
    res, _ = run({"stop_paused_elsewhere": fix}, "no_dual_engine", "no_dual_writer")
    assert res["no_dual_engine"].verdict == VIOLATED and res["no_dual_engine"].trace.length == 20
    assert res["no_dual_writer"].verdict == HOLDS


def test_with_lease_no_dual_writer_holds_with_unbounded_delays():
    """Safety does not lean on the delay bounds that liveness needs: with the engine VM's boot
    and the agent's restart unbounded (a superset of behaviours), the lease still excludes writers."""
    res, stats = run({"vm_boot_ticks": 0, "agent_restart_ticks": 0}, "no_dual_writer")
    assert res["no_dual_writer"].verdict == HOLDS and stats.complete
    _, bounded = run({}, "no_dual_writer")
    assert stats.states > 3 * bounded.states  # the boot bound is what shrinks the default state space


def test_lease_boundary_kill_just_before_host_dead_holds():
    res, stats = run({"lease_kill_after": 4, "lease_host_dead": 5}, "no_dual_writer")
    assert res["no_dual_writer"].verdict == HOLDS and stats.complete


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
    res, _ = run(QUIET, "engine_started", "no_dual_engine")  # no fault: no paused copy
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
    res, stats = run({}, "fresh_start_race", "no_dual_writer")
    r = res["fresh_start_race"]
    assert r.verdict == HOLDS and r.trace.length == 11
    steps = labels(r)
    restarted = [s for s in steps if s.startswith(("host_restart", "agent_restart"))]
    assert restarted
    fresh = restarted[0].split("=")[1].rstrip(")")
    assert steps[-1] == f"engine_down__best_score(h={fresh})"  # its blind cycle
    assert running_hosts(r.trace.states[-1]) != [] and fresh not in running_hosts(r.trace.states[-1])
    assert res["no_dual_writer"].verdict == HOLDS and stats.complete


def test_engine_comes_up():
    res, _ = run({}, "engine_up")
    r = res["engine_up"]
    assert r.verdict == HOLDS and r.trace.length == 6
    assert labels(r)[-1].startswith("engine_starting__up_good")
    assert any(s.startswith("vm_boot") for s in labels(r))


def test_paused_copy_does_not_depend_on_the_kill_deadline():
    """Bypassing the parameter check (kill 6 > host_dead 5) changes nothing: the paused VM released
    its lease (libvirt qemuProcessHandleIOError -> virDomainLockProcessPause), so sanlock's kill
    (id_renewal_fail_seconds) never concerns it; writers still exclude each other and the paused
    copy appears in the same 20 steps as at the defaults."""
    p = SPEC.params(lease_kill_after=6, lease_host_dead=5)
    m = SPEC.build(p)
    m.params = p
    m.freeze()
    r = {x.name: x for x in check(m, [m.properties["no_dual_engine"], m.properties["no_dual_writer"]]).properties}
    assert r["no_dual_engine"].verdict == VIOLATED and r["no_dual_engine"].trace.length == 20
    assert r["no_dual_writer"].verdict == HOLDS


def test_retry_penalty_without_the_bug_still_safe():
    res, stats = run({"retry_penalty_bug": False}, "no_dual_writer")
    assert res["no_dual_writer"].verdict == HOLDS and stats.complete


def test_symmetry_reduction_agrees():
    res_s, st_s = run({}, "no_dual_writer", symmetry=True)
    res_n, st_n = run({}, "no_dual_writer", symmetry=False)
    assert res_s["no_dual_writer"].verdict == res_n["no_dual_writer"].verdict == HOLDS
    assert st_s.states < st_n.states


@pytest.mark.slow
def test_three_hosts_with_lease_holds():
    res, stats = run({"hosts": 3}, "no_dual_writer")
    assert res["no_dual_writer"].verdict == HOLDS and stats.complete


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
