"""Liveness of the self-hosted engine and of the standard deployment (issue 6): ``engine_recovers``
under weak fairness of the agents with its worst-case recovery time, the settings under which it
fails, and the standalone engine's lasso (claim C6: the VMs run headless)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.replay import replay

from hacheck.check import run_check
from hacheck.lang import BadInput
from hacheck.loader import build_model, load_spec
from hacheck.result import HOLDS, VIOLATED
from hacheck.properties.hosted_engine import engine_recovered

ROOT = Path(__file__).resolve().parent.parent
HE = load_spec(ROOT / "models" / "hosted_engine.py")
SA = load_spec(ROOT / "models" / "standalone_engine.py")
UPSTREAM = {"host_alive_timeout": 6, "engine_starting_timeout": 60, "bad_health_timeout": 30,
            "unexpected_down_timeout": 56, "lease_host_dead": 14, "lease_kill_after": 8, "vm_boot_ticks": 18}
STEADY = {"start": "engine_up"}
QUIET = {"max_faults": 0, "maintenance_steps": 0}


def live(spec, params, prop, faults=None):
    m = build_model(spec, params)
    if faults:
        m.restrict_faults(faults)
    r = run_check(m, [m.properties[prop]])
    return r.properties[0], r.stats


def labels(steps):
    return [s.label for s in steps]


def at_tick(trace, label):
    """The number of ticks before the first step labelled ``label``."""
    ticks = 0
    for s in trace.steps:
        if s.label == label:
            return ticks
        ticks += s.action == "tick"
    raise AssertionError(f"{label} not in the trace")


def recovered(state):
    return any(state["state"][h] == "EngineUp" and state["vm"][h] == "up_good" and state["lease"] == h
               for h in state["state"])


def check_worst_case(p, ticks):
    assert p.verdict == HOLDS and p.method == "exhaustive+fairness"
    assert p.extra["recovery_ticks"] == ticks and p.extra["recovery_seconds"] == 10 * ticks
    t = p.trace
    assert t.kind == "worst-case" and t.loop is None
    assert sum(s.action == "tick" for s in t.steps) == ticks  # from the first (not recovered) state
    assert recovered(t.states[-1]) and not any(recovered(s) for s in t.states[:-1] if s["faults"] == 1)


# -- BZ 1393839: a paused copy is stopped ------------------------------------------------------

def test_bz1393839_stops_the_paused_copy():
    """BZ 1393839 (ovirt-hosted-engine-ha 6e5b596, in v2.5.x: EngineUp.consume -> EngineStop when the
    best engine runs on another host, EngineStop.consume -> EngineForceStop for a paused VM): a
    paused engine VM whose host reaches the storage again while the engine runs elsewhere is
    powered off within a cycle. The older agent (EngineUp -> EngineDown) leaves it paused forever:
    its resume fails (virDomainLockProcessResume, the lease is taken), a fair lasso."""
    p, _ = live(HE, {}, "paused_copy_stopped")
    assert p.verdict == HOLDS and p.extra["recovery_ticks"] == 1
    p, _ = live(HE, {"stop_paused_elsewhere": False}, "paused_copy_stopped")
    assert p.verdict == VIOLATED and p.trace.loop is not None
    assert all("paused" in s["vm"].values() for s in p.trace.states[p.trace.loop:])


# -- the self-hosted engine recovers ----------------------------------------------------------

def test_engine_recovers_two_hosts_from_cold_start():
    """Defaults: any single fault, one operator step (exempted by the property), scaled timers.
    The worst case: the host booting the engine loses its storage (its VM pauses and releases the
    lease, libvirt qemuProcessHandleIOError); the peer's starts are refused while the paused host's
    id is not yet dead (sanlock paxos_lease_acquire); the storage returns before that, the VM
    resumes with its lease (virDomainLockProcessResume), but its agent's EngineStarting timeout has
    fired: EngineStop, a shutdown that never completes, EngineStop's timeout, poweroff; then the
    peer starts it."""
    p, stats = live(HE, {}, "engine_recovers")
    check_worst_case(p, 16)
    assert stats.states == 39_242
    steps = labels(p.trace.steps)
    assert steps.count("lose_storage(h=h2)") == 1 and "engine_starting__timeout(h=h2)" in steps
    assert steps[-1] == "engine_starting__up_good(h=h1)"
    assert "regain_storage(h=h2)" in steps and "engine_stop__timeout(h=h2)" in steps
    assert len(p.trace.steps) == 53


def test_engine_recovers_after_a_host_crash_upstream_timers():
    """The ovirt-site FAQ scenario with upstream timers: the engine's host is killed at T; the peer
    first tries at T+70 s (host_alive_timeout 60 s, then its next cycle), sanlock refuses it until
    host_dead (140 s), it starts the VM at T+150 s and reaches EngineUp at T+340 s (boot bound 180 s)."""
    p, _ = live(HE, {**UPSTREAM, **STEADY, "maintenance_steps": 0}, "engine_recovers", ["host_crash"])
    check_worst_case(p, 34)
    t = p.trace
    assert labels(t.steps)[:3] == ["engine_down__engine_up_elsewhere(h=h2)", "engine_up__good(h=h1)",
                                   "host_crash(h=h1)"]
    assert at_tick(t, "engine_start__start_vm(h=h2)") == 7
    starts = [i for i, s in enumerate(t.steps) if s.label == "engine_start__start_vm(h=h2)"]
    ok = [i for i in starts if t.states[i + 1]["vm"]["h2"] == "starting"]
    assert len(starts) == 5 and len(ok) == 1  # refused at 70, 90, 110, 130 s; granted at 150 s
    assert sum(s.action == "tick" for s in t.steps[:ok[0]]) == 15
    assert at_tick(t, "vm_boot(h=h2)") == 33 and labels(t.steps)[-1] == "engine_starting__up_good(h=h2)"
    assert len(t.steps) == 104


def test_engine_recovers_from_steady_state_any_single_fault():
    """The worst single fault from the steady state: the engine's host loses its network, its agent
    stops the VM (EngineUp -> EngineStop), the guest never completes the shutdown and EngineStop's
    check_timeout (T + 1 ticks after a waiting entry: cycles of 10 s + d) forces the poweroff before
    the peer may start it."""
    p, _ = live(HE, STEADY, "engine_recovers")
    check_worst_case(p, 9)
    assert "lose_network(h=h1)" in labels(p.trace.steps)[:2] and "engine_stop__timeout(h=h1)" in labels(p.trace.steps)
    assert len(p.trace.steps) == 32


def test_engine_recovers_three_hosts_steady_state():
    p, stats = live(HE, {**STEADY, "hosts": 3}, "engine_recovers")
    check_worst_case(p, 9)
    assert stats.states == 443_611
    assert "lose_network(h=h1)" in labels(p.trace.steps)[:2]


@pytest.mark.slow
def test_engine_recovers_three_hosts_from_cold_start():
    """3 hosts, defaults: 1,940,473 states without symmetry (liveness needs the full graph), ~20 s;
    the same worst case as with 2 hosts (a paused VM that resumes with its lease)."""
    p, stats = live(HE, {"hosts": 3}, "engine_recovers")
    check_worst_case(p, 16)
    assert stats.states == 1_940_473


# -- when it does not ---------------------------------------------------------------------------

def test_boot_slower_than_the_starting_timeout_restarts_forever():
    """If the engine VM may need more than engine_starting_timeout ticks to boot, EngineStarting's
    check_timeout (agent/state_decorators.py: clock started one cycle after a waiting entry, fires
    on start + T < now; _monitoring_loop's cycles last 10 s + d, so T + 1 ticks after entry) can
    fire first every time: check_timeout looks at the clock before the state sees the booted VM.
    EngineStop, shut down, start again elsewhere, forever (a fair lasso, no fault needed). With the
    default engine_starting_timeout 3, a boot of up to 2 ticks recovers and 3 does not (the VM may
    come up after the agent's cycle in the third tick; the fourth cycle times out first)."""
    p, _ = live(HE, {**QUIET, "vm_boot_ticks": 2}, "engine_recovers")
    assert p.verdict == HOLDS
    p, _ = live(HE, {**QUIET, "vm_boot_ticks": 3}, "engine_recovers")
    assert p.verdict == VIOLATED and p.method == "fair-lasso"
    t = p.trace
    assert (t.loop, len(t.steps)) == (2, 43)
    replay(build_model(HE, {**QUIET, "vm_boot_ticks": 3}), t)  # a real lasso, loop included
    loop = labels(t.steps[t.loop:])
    assert "engine_starting__timeout(h=h1)" in loop and "engine_starting__timeout(h=h2)" in loop
    assert "vm_boot(h=h1)" in loop and not any(s.startswith("engine_starting__up_good") for s in loop)
    assert not any(s.is_fault for s in t.steps)


def test_old_strict_start_rule_nobody_ever_starts():
    """rhbz#1093638 as a liveness failure: equal scores and the strict '<' rule, nothing breaks
    the tie, time passes forever with the engine down."""
    p, _ = live(HE, {**QUIET, "start_rule": "lt"}, "engine_recovers")
    assert p.verdict == VIOLATED
    t = p.trace
    assert (t.loop, len(t.steps)) == (2, 5)
    assert set(labels(t.steps)) == {"engine_down__stay(h=h1)", "engine_down__stay(h=h2)", "tick"}
    assert "WF(tick): taken in the loop" in t.fairness


def test_unbounded_agent_restart_recovers_without_a_bound():
    """Weak fairness alone makes systemd restart the agent eventually: recovery is certain but
    its time is unbounded (time may pass any number of ticks before the restart)."""
    p, _ = live(HE, {"agent_restart_ticks": 0}, "engine_recovers")
    assert p.verdict == HOLDS
    assert p.extra["unbounded"] is True and p.extra["recovery"] == "unbounded"


def test_operators_are_exempted_and_would_block_recovery():
    """engine_recovers exempts runs where an operator acted (ops never decreases, so the escape
    'or ops > 0' is exactly 'if no operator ever acts'). Without it, global maintenance set once
    keeps the engine down forever: the lasso the exemption removes."""
    m = HE.build(HE.params())
    m.params = HE.params()
    v = m.vars
    rec = engine_recovered(v.state, v.vm, v.lease, m.sorts["Host"])
    m.leads_to("recovers_despite_operators", ~rec, rec)
    m.freeze()
    r = run_check(m, [m.properties["engine_recovers"], m.properties["recovers_despite_operators"]])
    ok, bad = r.properties
    assert ok.verdict == HOLDS and bad.verdict == VIOLATED
    steps = labels(bad.trace.steps)
    assert steps[:bad.trace.loop].count("set_global_maintenance(v=True)") == 1
    assert not any(s.startswith("set_") for s in steps[bad.trace.loop:])
    assert all(st["gm"] for st in bad.trace.states[bad.trace.loop:])
    assert steps[0] == "set_global_maintenance(v=True)" and set(steps[bad.trace.loop:]) == {
        "global_maintenance__stay(h=h1)", "global_maintenance__stay(h=h2)", "tick"}
    assert (bad.trace.loop, len(bad.trace.steps)) == (3, 6)


# -- the standard deployment (claim C6) --------------------------------------------------------

def test_standalone_engine_never_comes_back():
    p, stats = live(SA, {}, "engine_recovers")
    assert p.verdict == VIOLATED and p.method == "fair-lasso"
    t = p.trace
    assert labels(t.steps) == ["engine_node_crash", "tick"] and t.loop == 1
    assert t.fairness == ("WF(tick): taken in the loop",)
    looping = t.states[t.loop]
    assert not looping["engine"] and all(h is not None for h in looping["run"].values())  # headless, running
    assert stats.states == 27


def test_standalone_restarts_vms_while_the_engine_runs():
    p, _ = live(SA, {}, "ha_vm_restarted")
    assert p.verdict == HOLDS and p.extra["recovery_ticks"] == 7 and p.extra["recovery_seconds"] == 70
    assert labels(p.trace.steps) == ["crash(h=h1)"] + ["tick"] * 6 + [
        "notice(h=h1)", "fence_stop(h=h1)", "tick", "fence_confirmed(h=h1)", "ha_restart(vm=v1, d=h2)"]


def test_standalone_headless_vms_are_never_restarted():
    """Engine node and a hypervisor both fail: the dead hypervisor's HA VM never runs again."""
    p, _ = live(SA, {"max_faults": 2}, "ha_vm_restarted")
    assert p.verdict == VIOLATED
    t = p.trace
    assert labels(t.steps) == ["crash(h=h1)", "engine_node_crash", "tick"] and t.loop == 2
    assert t.states[t.loop]["run"]["v1"] is None and not t.states[t.loop]["engine"]


def test_self_hosted_survives_what_the_standalone_does_not():
    """The comparison the model exists for: the same single failure of the engine's machine."""
    he, _ = live(HE, {**STEADY, "maintenance_steps": 0}, "engine_recovers", ["host_crash"])
    sa, _ = live(SA, {}, "engine_recovers", ["engine_node_crash"])
    assert (he.verdict, sa.verdict) == (HOLDS, VIOLATED)


@pytest.mark.parametrize("params", [{"hosts": 1, "vms": 3, "host_capacity": 2}, {"grace_ticks": 0}, {"vms": 5}])
def test_standalone_bad_parameters(params):
    with pytest.raises(BadInput):
        build_model(SA, params)


# -- the command line ----------------------------------------------------------------------------

def hacheck(*args):
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_cli_prints_the_worst_case_and_the_lasso(tmp_path):
    r = hacheck("check", "models/hosted_engine.py", "--property", "engine_recovers", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "engine_recovers  leads_to  holds (exhaustive under fairness, 39,242 states)  " \
           "[worst-case recovery 16 ticks = 160 s, best case 1 ticks = 10 s]" in r.stdout
    assert "Worst case (53 steps):" in r.stdout and "FAULT lose_storage(h=h2)" in r.stdout
    assert (tmp_path / "hosted_engine.engine_recovers.worst-case.itf.json").exists()
    r = hacheck("check", "models/standalone_engine.py", "--property", "engine_recovers", "--out", str(tmp_path))
    assert r.returncode == 1, r.stderr
    assert "engine_recovers  leads_to  violated (fair lasso: 1 step then a loop of 1 step)" in r.stdout
    assert "FAULT engine_node_crash" in r.stdout and "back to state 1 by tick" in r.stdout


# -- the retry penalty (retry_penalty_bug) --------------------------------------------------------

@pytest.mark.parametrize("bug, ticks, states", [(True, 3, 453), (False, 4, 1585)])
def test_retry_penalty_bug_changes_the_worst_case_with_repeated_start_failures(bug, ticks, states):
    """ovirt-hosted-engine-ha v2.5.x StateMachine.refresh clears engine_vm_retry_count every cycle
    (util.has_elapsed compares the monotonic engine_vm_retry_time with time.time()), yet
    EngineStart.consume's failure branch sets it to 1 before EngineState.score runs, so the -50
    is published for that one cycle (as the model does with the bug). With failures that accumulate
    (the bug fixed) a host that failed keeps its -50 and waits a cycle behind its peer
    (engine_down__stay), so with up to 3 START_VM failures the worst case is one tick longer."""
    p, stats = live(HE, {"max_faults": 3, "maintenance_steps": 0, "retry_penalty_bug": bug}, "engine_recovers",
                    ["start_vm_fails"])
    check_worst_case(p, ticks)
    assert stats.states == states
    if bug:
        scores = [(s["md_score"]["h1"], s["md_score"]["h2"]) for s in p.trace.states]
        assert (3400, 3350) in scores  # the -50 is published in the cycle of the failure ...
        assert scores[-1] == (3400, 3400)  # ... and gone in the next
    else:
        assert "engine_down__stay(h=h1)" in labels(p.trace.steps)


# -- recovery as an interval [best, worst] ---------------------------------------------------------

def test_host_crash_recovery_interval_upstream_timers():
    """The FAQ scenario as an interval: host_crash from the steady state, upstream timers, the boot
    a measurement (ovirt-site FAQ: 3 min, vm_boot_min_ticks = vm_boot_ticks = 18). The peer's
    START_VM succeeds once the crashed host id is dead (sanlock paxos_lease_acquire after
    calc_host_dead_seconds = 140 s) and then the VM boots: best 32 ticks = 320 s (a start right
    at 140 s plus its cycle phase), worst 34 ticks = 340 s (the refused starts cost two cycles,
    EngineStart -> EngineStarting -> EngineForceStop -> EngineDown)."""
    p, _ = live(HE, {**UPSTREAM, **STEADY, "maintenance_steps": 0, "vm_boot_min_ticks": 18}, "engine_recovers",
                ["host_crash"])
    assert p.verdict == HOLDS
    assert p.extra["recovery_interval"] == [32, 34]
    assert p.extra["best_seconds"] == 320 and p.extra["recovery_seconds"] == 340
    assert "worst-case recovery 34 ticks = 340 s, best case 32 ticks = 320 s" == p.extra["recovery"]


def test_best_case_needs_no_repair():
    """The best case counts only the system's own (fair) steps and ticks: a repair (regain_network,
    an environment step) right after the failure does not make it 0."""
    p, _ = live(HE, {**UPSTREAM, **STEADY, "maintenance_steps": 0, "vm_boot_min_ticks": 18}, "engine_recovers",
                ["lose_network"])
    assert p.verdict == HOLDS and p.extra["recovery_interval"] == [19, 53]
