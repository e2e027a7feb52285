"""Golden verdicts of the oVirt fencing model (issue 4): verdict, shortest trace length, and the
actions that make each counterexample or witness."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacheck.explicit.search import check
from hacheck.lang import BadInput, exists
from hacheck.loader import build_model, load_spec
from hacheck.models.fencing import GRACE, HID_EXPIRE, LEASE_TRY, LEASE_WAIT

MODEL = Path(__file__).resolve().parent.parent / "models" / "fencing.py"
SPEC = load_spec(MODEL)
NO_MANUAL = {"manual_confirm_allowed": False}
LEASES = {"vm_leases": True, "resume_behaviour": "kill"}


def run(params, *names):
    m = build_model(SPEC, params)
    props = [m.properties[n] for n in names] if names else None
    r = check(m, props)
    return {p.name: p for p in r.properties}, r.stats


def run_extra(params, kind, make):
    """Check one extra predicate (built from the model's handles) on a fresh model."""
    p = SPEC.make_params(params)
    m = SPEC.build(p)
    prop = (m.invariant if kind == "invariant" else m.reachable)("extra", make(m.vars, m.sorts["Host"], m.sorts["VM"]))
    m.params = p
    m.freeze()
    r = check(m, [prop])
    return r.properties[0], r.stats


def labels(res):
    return [s.label for s in res.trace.steps]


def actions(res):
    return [s.action for s in res.trace.steps]


# ---------------------------------------------------------------- the verdicts the issue lists
def test_truthful_pm_no_manual_confirm_holds_at_default_bounds():
    res, stats = run(NO_MANUAL, "no_dual_running_vm", "no_dual_writing_vm")
    assert res["no_dual_running_vm"].verdict == "holds"
    assert res["no_dual_running_vm"].method == "exhaustive"
    assert res["no_dual_writing_vm"].verdict == "holds"
    assert stats.complete and stats.states > 100


def test_truthful_pm_no_manual_confirm_holds_with_two_faults():
    res, stats = run({**NO_MANUAL, "max_faults": 2}, "no_dual_running_vm")
    assert res["no_dual_running_vm"].verdict == "holds"
    assert stats.complete


def test_faulty_pm_gives_dual_run():
    res, _ = run({**NO_MANUAL, "pm_reports": "faulty"}, "no_dual_running_vm")
    r = res["no_dual_running_vm"]
    assert r.verdict == "violated"
    assert r.trace.length == 16
    assert labels(r) == ["hang(h=h1)", "poll_fail(h=h1)"] + ["tick"] * GRACE + [
        "grace_over(h=h1)", "treat_hard_fence(h=h1)", "fence_stop(h=h1)", "fence_stop_delivered(h=h1)", "tick",
        "fence_stop_ok(h=h1)",
        "fence_release(h=h1)", "ha_restart(vm=v1, d=h2)"]
    last = r.trace.states[-1]
    assert last["qemu"]["v1"] == {"h1": "running", "h2": "running", "h3": "none"}
    assert last["health"]["h1"] == "hung" and last["power"]["h1"]  # the faulty agent said OFF


def test_faulty_pm_with_skip_if_sd_active_needs_storage_loss_within_10s():
    res, _ = run({**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True}, "no_dual_running_vm")
    assert res["no_dual_running_vm"].verdict == "holds"  # the live host id makes the proxy skip
    res, _ = run({**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True, "max_faults": 2}, "no_dual_running_vm")
    r = res["no_dual_running_vm"]
    # 22: the step that ends the wait and sets in_fence_flow before RestartVds is its own
    # (VdsNotRespondingTreatmentCommand.executeCommand: waitUntilSkipFencingIfSDActiveAllowed, then
    # updateHostInFenceFlow(true), then RestartVds), and so is the delivery of STOP after
    # StopVdsCommand.setup wrote status Reboot (HostFenceActionExecutor.fence)
    assert r.verdict == "violated" and r.trace.length == 22
    acts = actions(r)
    # storage lost after exactly one tick (10 s) of silence: 8 ticks later the host id has expired
    # (80 s) just as the 90 s lease wait ends, so the dead-looking host is "fenced" by the faulty agent;
    # its VM, paused on the I/O error (AUTO_RESUME), is a second live copy beside the restarted one
    assert acts.index("storage_loss") == acts.index("tick") + 1
    assert acts[acts.index("storage_loss") + 1] == "vm_eio_pause"
    assert acts.count("tick") == LEASE_WAIT + 1  # the 90 s wait, then the 10 s STOP status poll
    assert acts[-7:] == ["treat_lease_wait_over", "fence_stop", "fence_stop_delivered", "tick", "fence_stop_ok",
                         "fence_release", "ha_restart"]
    assert r.trace.states[-1]["qemu"]["v1"] == {"h1": "paused", "h2": "running", "h3": "none"}


def test_manual_confirm_holds_at_one_fault():
    """Upstream's two rules make the manual confirm harmless after any single fault when PM is truthful:
    ``ClearNonResponsiveVdsVmsCommand.validate`` refuses while a VM runs on the host unless it is
    NonResponsive, Reboot or Kdumping (``FenceVdsManualyCommand.isLegalStatus`` alone would accept
    Connecting), and ``FenceVdsManualyCommand.getExclusiveLocks`` needs
    ``HostLocking.getPowerManagementLock``, held by ``VdsNotRespondingTreatmentCommand`` for its whole
    run. Without the first rule a hang gives a 4-step dual run (confirm in Connecting), without the
    second an 11-step one (confirm while the treatment runs): this test fails if either goes. With
    one fault the confirm is never even enabled: the state space is the one without it."""
    res, stats = run({}, "no_dual_running_vm", "no_dual_writing_vm")
    assert res["no_dual_running_vm"].verdict == "holds" and res["no_dual_running_vm"].method == "exhaustive"
    assert res["no_dual_writing_vm"].verdict == "holds"
    _, without = run(NO_MANUAL, "no_dual_running_vm")
    assert stats.complete and stats.states == without.states == 345


HUNG_AND_SILENT = ["hang(h=h1)", "poll_fail(h=h1)"] + ["tick"] * GRACE + ["grace_over(h=h1)"]


def test_manual_confirm_after_engine_restart_two_faults():
    """Two faults, 7 steps: a hang, the first failed poll (Connecting), then an engine restart. The
    new ``VdsManager`` starts with lastUpdate = 0 ("long ago"), so ``VdsManager.isHostInGracePeriod``
    is false once VDSAttemptsToResetCount polls have failed (seconds, no 60 s grace):
    ``handleNetworkException`` sets NonResponsive and fires the treatment, which returns at once in
    the startup window (``FenceValidator.isStartupTimeoutPassed`` false), freeing the
    power-management lock; ``ClearNonResponsiveVdsVmsCommand`` accepts the operator's confirm on the
    NonResponsive host and the HA VM is restarted while its qemu still runs on the hung host."""
    res, stats = run({"max_faults": 2}, "no_dual_running_vm")
    r = res["no_dual_running_vm"]
    assert r.verdict == "violated" and r.trace.length == 7
    assert labels(r) == ["hang(h=h1)", "poll_fail(h=h1)", "engine_restart", "grace_over(h=h1)",
                         "treat_startup_skip(h=h1)", "manual_confirm(h=h1)", "ha_restart(vm=v1, d=h2)"]
    assert r.trace.states[-1]["qemu"]["v1"] == {"h1": "running", "h2": "running", "h3": "none"}


def test_manual_confirm_after_engine_restart_drops_the_treatment():
    """Two faults, the restart after the grace: the engine restart drops the running
    ``VdsNotRespondingTreatmentCommand`` and with it the power-management lock (engine locks are in
    memory); the host is NonResponsive, so the confirm is accepted (12 steps)."""
    from hacheck.deploy.mapping import FaultPattern, restrict_instances

    m = build_model(SPEC, {"max_faults": 2})
    restrict_instances(m, [FaultPattern("hang", (("h", "h1"),)),
                           FaultPattern("engine_restart", (), (("status[h1]", "==", "NonResponsive"),))])
    r = check(m, [m.properties["no_dual_running_vm"]]).properties[0]
    assert r.verdict == "violated" and r.trace.length == 12
    assert labels(r) == HUNG_AND_SILENT + ["engine_restart", "manual_confirm(h=h1)", "ha_restart(vm=v1, d=h2)"]


def test_manual_confirm_without_power_management():
    """One fault, 12 steps: without PM ``VdsNotRespondingTreatmentCommand`` alerts and returns
    (freeing the lock), the host stays NonResponsive, and a confirm clears its VMs."""
    res, _ = run({"power_management": "none"}, "no_dual_running_vm")
    r = res["no_dual_running_vm"]
    assert r.verdict == "violated" and r.trace.length == 12
    assert labels(r) == HUNG_AND_SILENT + ["treat_no_pm(h=h1)", "manual_confirm(h=h1)", "ha_restart(vm=v1, d=h2)"]


def test_manual_confirm_after_a_skipped_fence():
    """One fault, 17 steps: with skip_if_sd_active the hung host's live sanlock host id makes the
    proxy skip STOP (``RestartVdsCommand``: skipped, the host left NonResponsive), the treatment
    ends, and a confirm clears the VMs of a host that is still running them. (17, not 16: the
    treatment sets in_fence_flow after the 90 s wait, ``waitUntilSkipFencingIfSDActiveAllowed``,
    as a step of its own before RestartVds.)"""
    res, _ = run({"skip_if_sd_active": True}, "no_dual_running_vm")
    r = res["no_dual_running_vm"]
    assert r.verdict == "violated" and r.trace.length == 17
    assert labels(r) == HUNG_AND_SILENT + ["treat_hard_fence(h=h1)"] + ["tick"] * (LEASE_WAIT - GRACE) + [
        "treat_lease_wait_over(h=h1)", "fence_stop_skipped(h=h1)", "manual_confirm(h=h1)", "ha_restart(vm=v1, d=h2)"]


def test_manual_confirm_with_leases_holds_with_one_fault():
    res, stats = run(LEASES, "no_dual_running_vm", "no_dual_writing_vm")
    assert res["no_dual_running_vm"].verdict == "holds"
    assert res["no_dual_writing_vm"].verdict == "holds"
    assert stats.complete


def test_manual_confirm_with_leases_holds_with_two_faults():
    """The paused-copy trace of the early confirm (storage loss, EIO pause, hang, confirm while
    Connecting) is gone: ``ClearNonResponsiveVdsVmsCommand`` refuses in Connecting, and once the
    host is NonResponsive the treatment holds the PM lock until STOP has killed the copy. After an
    engine restart the confirm is accepted, but the hung host's qemu still holds the VM lease
    (its sanlock keeps renewing), so the second launch fails. This rests on urgency (STOP right
    after the grace): when engine steps may lag, the lease path (``RunVm`` runInUnknownStatus)
    can run before STOP, beside a copy paused on EIO that released its lease -- never a second
    writer."""
    res, stats = run({**LEASES, "max_faults": 2}, "no_dual_running_vm")
    assert res["no_dual_running_vm"].verdict == "holds" and stats.complete
    res, _ = run({**LEASES, "max_faults": 2, "urgent_steps": False}, "no_dual_running_vm", "no_dual_writing_vm")
    r = res["no_dual_running_vm"]
    # the paused copy's release reaches the disk only when storage returns (sanlock
    # resource_thread_release retries it), so the lease path runs after heal_storage
    assert r.verdict == "violated" and r.trace.length == 15 and "manual_confirm" not in actions(r)
    assert actions(r)[-5:] == ["storage_loss", "vm_eio_pause", "grace_over", "heal_storage", "lease_restart"]
    assert res["no_dual_writing_vm"].verdict == "holds"


def test_two_hosts_connectivity_threshold_50_never_fences():
    params = {**NO_MANUAL, "hosts": 2, "vms": 2, "skip_if_connectivity_broken": True, "connectivity_threshold": 50}
    res, _ = run(params, "vm_stuck_unknown", "no_dual_running_vm")
    w = res["vm_stuck_unknown"]
    assert w.verdict == "holds" and w.trace.length == 10
    assert labels(w) == ["crash(h=h1)", "poll_fail(h=h1)"] + ["tick"] * GRACE + [
        "grace_over(h=h1)", "treat_policy_skip(h=h1)"]
    assert w.trace.states[-1]["vst"]["v1"] == "unknown"
    # fencing never happens: no reachable state has a hard-fence step under way or done
    never, stats = run_extra(params, "invariant", lambda v, H, V: ~exists(
        H, lambda h: (v.tr[h] == "stop") | (v.tr[h] == "restart") | (v.tr[h] == "sending") | (v.tr[h] == "stopping")
        | (v.tr[h] == "polled")
        | (v.tr[h] == "stopped") | (v.tr[h] == "released")))
    assert never.verdict == "holds" and stats.complete
    # while the same cluster without the skip policy does fence
    fenced, _ = run_extra({**params, "skip_if_connectivity_broken": False}, "reachable",
                          lambda v, H, V: v.tr[H[0]] == "released")
    assert fenced.verdict == "holds" and fenced.trace.length == 15


def test_no_power_management_leaves_vm_unknown():
    res, _ = run({**NO_MANUAL, "power_management": "h2,h3"}, "vm_stuck_unknown")
    w = res["vm_stuck_unknown"]
    assert w.verdict == "holds" and w.trace.length == 10
    assert actions(w)[-1] == "treat_no_pm"


def test_engine_restart_between_in_fence_flow_and_stop_leaves_vm_unknown():
    """The hole at ovirt-engine HEAD: ``VdsNotRespondingTreatmentCommand.executeCommand`` sets
    in_fence_flow (``updateHostInFenceFlow(true)``) before RestartVds sends STOP. An engine restart
    in between leaves the host NonResponsive (not Reboot, so ``PmHealthCheckManager.startHosts``
    skips it) with in_fence_flow set; ``PmHealthCheckManager.fenceHosts`` re-runs the treatment
    after the startup window and it returns at once, as every later one would: only the host
    turning Up (``VdsManager``) clears the flag. 13 steps, shortest."""
    params = {**NO_MANUAL, "max_faults": 2}
    w, _ = run_extra(params, "reachable", lambda v, H, V: (v.tr[H[0]] == "done") & v.in_fence_flow[H[0]]
                     & (v.status[H[0]] == "NonResponsive") & ~v.engine_recent & (v.vst[V[0]] == "unknown"))
    assert w.verdict == "holds" and w.trace.length == 13
    assert actions(w) == ["crash", "poll_fail"] + ["tick"] * GRACE + [
        "grace_over", "treat_hard_fence", "engine_restart", "startup_window_over", "treat_in_fence_flow"]
    assert w.trace.states[-1]["power"]["h1"]  # no STOP was ever sent


def test_engine_restart_between_reboot_status_and_stop_delivery_leaves_vm_unknown():
    """``StopVdsCommand.setup`` writes status Reboot before ``FenceVdsBaseCommand.executeCommand``
    sends STOP (``HostFenceActionExecutor.fence``). An engine restart in between leaves a powered
    host in Reboot with in_fence_flow set: after the startup window ``PmHealthCheckManager.startHosts``
    skips it (``isHostPoweredOff`` false), ``fenceHosts`` takes only NonResponsive hosts, and nothing
    polls a Reboot host (``VDSStatus.isEligibleForHostMonitoring``), so v1 stays Unknown. 13 steps."""
    params = {**NO_MANUAL, "max_faults": 2}
    w, _ = run_extra(params, "reachable", lambda v, H, V: (v.tr[H[0]] == "idle") & v.in_fence_flow[H[0]]
                     & (v.status[H[0]] == "Reboot") & v.power[H[0]] & ~v.engine_recent & (v.vst[V[0]] == "unknown"))
    assert w.verdict == "holds" and w.trace.length == 13
    assert actions(w) == ["crash", "poll_fail"] + ["tick"] * GRACE + [
        "grace_over", "treat_hard_fence", "fence_stop", "engine_restart", "startup_window_over"]
    assert not w.trace.states[-1]["pm_recover"]["h1"]  # startHosts is done with it


def test_treatment_goes_on_after_the_host_answers():
    """Once ``VdsNotRespondingTreatmentCommand.executeCommand`` has passed soft fencing it does not
    look at the host's status again: ``waitUntilSkipFencingIfSDActiveAllowed`` sleeps its 90 s and
    RestartVds (``RestartVdsCommand.executeCommand``) sends STOP to a host that came back meanwhile."""
    w, _ = run_extra({**NO_MANUAL, "skip_if_sd_active": True}, "reachable", lambda v, H, V: (
        v.tr[H[0]] == "restart") & v.power[H[0]] & (v.health[H[0]] == "ok") & v.reach[H[0]] & v.storage[H[0]])
    assert w.verdict == "holds" and w.trace.length == 15
    acts = actions(w)
    # the hang ends after the hard-fence decision; the answering host is not heard (no poll_ok), RestartVds runs
    assert acts.index("unhang") > acts.index("treat_hard_fence") and "poll_ok" not in acts
    assert "treat_lease_wait_over" in acts and acts.count("tick") == LEASE_WAIT


def test_lease_path_restarts_after_host_id_expiry_without_fencing():
    """sanlock paxos_lease_acquire: a lease whose owner's host id has a newer generation (the host
    rebooted and rejoined the lockspace) is free at once, while a crashed owner's is free only
    host_dead_seconds (140 s) after its last renewal: the shortest lease-path failover is a power
    cycle whose host boots again, 20 s after the VM turned Unknown (80 s after the failure)."""
    params = {**LEASES, "fencing_enabled": False, "manual_confirm_allowed": False}
    w, _ = run_extra(params, "reachable", lambda v, H, V: (v.vst[V[0]] == "up") & (v.von[V[0]] == H[1])
                     & (v.status[H[0]] == "NonResponsive"))
    assert w.verdict == "holds" and w.trace.length == 14
    acts = actions(w)
    assert acts[0] == "power_cycle" and acts.count("tick") == LEASE_TRY and acts[-2:] == ["boot_done", "lease_restart"]
    assert acts[acts.index("grace_over") + 1] == "treat_policy_skip"


def test_lease_holder_invariant():
    """Model sanity: with leases, a running qemu always holds its VM's lease."""
    from hacheck.lang import forall, implies

    inv, stats = run_extra({**LEASES, "max_faults": 2}, "invariant", lambda v, H, V: forall(
        V, lambda vm: forall(H, lambda h: implies(v.qemu[vm][h] == "running", v.lease_holder[vm] == h))))
    assert inv.verdict == "holds" and stats.complete


def test_crash_failover_witness():
    w, _ = run_extra(NO_MANUAL, "reachable", lambda v, H, V: (v.vst[V[0]] == "up") & (v.von[V[0]] == H[1])
                     & (v.status[H[0]] == "Reboot"))
    assert w.verdict == "holds"
    assert actions(w) == ["crash", "poll_fail"] + ["tick"] * GRACE + [
        "grace_over", "treat_hard_fence", "fence_stop", "fence_stop_delivered", "tick", "fence_stop_ok",
        "fence_release", "ha_restart"]


def test_no_capacity_no_failover():
    params = {**NO_MANUAL, "hosts": 2, "vms": 2, "host_capacity": 1}
    w, stats = run_extra(params, "reachable", lambda v, H, V: (v.vst[V[0]] == "up") & (v.von[V[0]] == H[1]))
    assert w.verdict == "violated" and stats.complete  # v1 can never run on h2: it is full


def test_scale_three_hosts_three_vms_one_fault():
    res, stats = run({**NO_MANUAL, "hosts": 3, "vms": 3, "max_faults": 1})
    assert stats.complete and stats.seconds < 60
    assert res["no_dual_running_vm"].verdict == "holds"


def test_every_fault_and_flow_step_fires():
    """Not over-constrained: with two faults every fault, repair and flow step of the hosts' side
    is taken somewhere in the state graph (lease path and engine restart mid-flow included)."""
    from hacheck.explicit.search import Explorer

    m = build_model(SPEC, {**LEASES, "skip_if_sd_active": True, "max_faults": 2, "hosts": 2, "vms": 1})
    ex = Explorer(m, symmetry=False)
    ex.run([], None, None, record_edges=True)
    fired = {m.instances[a].action for a in set(ex.graph.act.tolist())}
    declared = {a.name for a in m.actions if a.instances}  # those the parameters allow
    assert declared - fired == set()


@pytest.mark.parametrize("params", [
    {}, NO_MANUAL, {**NO_MANUAL, "max_faults": 2}, {**NO_MANUAL, "pm_reports": "faulty", "skip_if_sd_active": True},
    LEASES, {**NO_MANUAL, "skip_if_sd_active": True, "skip_if_connectivity_broken": True},
])
def test_safety_verdicts_do_not_rest_on_urgency(params):
    """The 'holds' rows also hold when engine steps may lag any number of ticks (a superset of the
    timings), so urgency only sharpens recovery times."""
    for urgent in (True, False):
        res, stats = run({**params, "urgent_steps": urgent}, "no_dual_running_vm")
        assert res["no_dual_running_vm"].verdict == "holds" and stats.complete


def test_sorts_are_not_symmetric():
    m = build_model(SPEC, {})
    assert not m.sorts["Host"].symmetric and not m.sorts["VM"].symmetric


# ---------------------------------------------------------------- bad parameters
@pytest.mark.parametrize("params", [
    {"vm_leases": True},  # default resume behaviour auto_resume: upstream forces KILL with a lease
    {"vm_leases": True, "resume_behaviour": "leave_paused"},
    {"power_management": "h1,h9"},
    {"hosts": 2, "vms": 4, "host_capacity": 1},
    {"vm_size": 3, "host_capacity": 2},
    {"pm_reports": "sometimes"},
    {"connectivity_threshold": 150},
    {"hosts": 1},
    {"hosts": 2, "host_free": "1:2:3,1:2:3", "vm_need": "1:1:1,1:1:1"},  # only memory or memory:cores
    {"hosts": 2, "vms": 2, "host_free": "4231:8,5000:8", "vm_need": "4232:6,1:2"},  # v1 starts on h1: 1 MiB short
    {"hosts": 2, "vms": 2, "host_free": "5000:4,5000:8", "vm_need": "4232:6,1:2"},  # 6 vCPUs do not start on 4 cores
])
def test_bad_parameters(params):
    with pytest.raises(BadInput):
        build_model(SPEC, params)


def test_initial_fit_is_memory_summed_and_vcpus_per_vm():
    """properties/capacity.py: memory is summed per host (upstream memCommited adds every running VM,
    HostMonitoring.refreshCommitedMemory), vCPUs are compared per VM (CPUPolicyUnit.filter), so two
    6-vCPU VMs start on one 8-core host when the memory fits exactly."""
    build_model(SPEC, {"hosts": 2, "vms": 4, "host_free": "8464:8,8464:8", "vm_need": "4232:6,4232:6,4232:6,4232:6"})
    with pytest.raises(BadInput, match="initial placement does not fit"):
        build_model(SPEC, {"hosts": 2, "vms": 4, "host_free": "8463:8,8464:8", "vm_need": "4232:6,4232:6,4232:6,4232:6"})


@pytest.mark.parametrize("pm, expected", [
    ("all", set()), (True, set()), ("none", {"h1", "h2", "h3"}), (False, {"h1", "h2", "h3"}),
    ("h1,h3", {"h2"}), (" H2 ", {"h1", "h3"}),
])
def test_power_management_forms(pm, expected):
    m = build_model(SPEC, {"power_management": pm})
    no_pm = {dict(i.params)["h"] for i in m.instances if i.action == "treat_no_pm"}
    assert no_pm == expected


def test_liveness_state_predicates():
    """vm_up_running / all_ha_vms_up (the liveness property's response): after a crash and a fence
    every VM is back Up, v1 on another host."""
    from hacheck.properties.fencing import all_ha_vms_up, vm_up_running

    w, _ = run_extra(NO_MANUAL, "reachable", lambda v, H, V: all_ha_vms_up(v, H, V) & vm_up_running(v, H, V[0])
                     & (v.von[V[0]] != H[0]) & ~v.power[H[0]])
    assert w.verdict == "holds" and w.trace.length == 16
    assert actions(w)[-3:] == ["fence_stop_ok", "fence_release", "ha_restart"]
    init, _ = run_extra(NO_MANUAL, "invariant", lambda v, H, V: ~all_ha_vms_up(v, H, V))
    assert init.verdict == "violated" and init.trace.length == 0  # true in the initial state
