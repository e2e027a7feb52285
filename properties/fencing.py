"""Properties of the oVirt fencing model (`models/fencing.py`).

Each function takes the model's variable handles (``m.vars``) and sorts and returns an expression;
the model registers them in ``build()``. :func:`ha_vm_restarted` returns the (trigger, response)
pair of the liveness property of the same name.
"""

from __future__ import annotations

from hacheck.lang import count, exists, forall, implies, or_


def qemu_alive(v, vm, h):
    """The qemu process of VM ``vm`` exists on host ``h`` (running or paused, not yet killed)."""
    return v.qemu[vm][h] != "none"


def copies(v, Host, vm):
    """How many hosts hold a live (running or paused) qemu of ``vm``."""
    return count(Host, lambda h: qemu_alive(v, vm, h))


def no_dual_running_vm(v, Host, VM):
    """For every VM at most one host where its qemu runs or is paused and has not been killed.

    Absorbing: ``dual_run`` is a sticky flag set by the only actions that add a qemu (the HA
    restart and the lease restart) whenever they start a second copy, so a violation stays a
    violation even after one copy is later killed: the property asks whether two copies ever
    existed at the same moment. Upstream does sometimes clean up afterwards:
    ``VmAnalyzer.proceedVmReportedOnOtherHost`` destroys (``destroyVm``) a *paused* copy reported by a
    host other than the VM's run_on_vds when the VM is not Unknown and not migrating there, while a
    *running* copy reported elsewhere is adopted (``updateRuntimeData``: run_on_vds follows the
    report) and not destroyed. The model does not destroy stray paused copies; the sticky flag makes
    that irrelevant to this property."""
    return ~v.dual_run & forall(VM, lambda vm: copies(v, Host, vm) <= 1)


def no_dual_writing_vm(v, Host, VM):
    """Weaker: at most one host where the VM's qemu is *running* (a paused copy does not write)."""
    return forall(VM, lambda vm: count(Host, lambda h: v.qemu[vm][h] == "running") <= 1)


def vm_up_running(v, Host, vm):
    """The engine shows ``vm`` Up on a host where its qemu really runs (whether that is its original
    host or a restart destination)."""
    return (v.vst[vm] == "up") & exists(Host, lambda h: (v.von[vm] == h) & (v.qemu[vm][h] == "running"))


def all_ha_vms_up(v, Host, VM):
    """Every HA VM is Up and really running where the engine thinks it is."""
    return forall(VM, lambda vm: vm_up_running(v, Host, vm))


def ha_vm_restarted(v, Host, VM):
    """The liveness property ``ha_vm_restarted`` as a (trigger, response) pair for ``m.leads_to``:
    "some HA VM is not running" leads to "every HA VM is running" (``~all ~> all``, which is
    ``always eventually all_ha_vms_up``). The trigger holds from the very step that kills a VM
    (even before the engine notices), so the worst-case recovery time it yields is counted from
    the failure itself."""
    up = all_ha_vms_up(v, Host, VM)
    return ~up, up


def vm_stuck_unknown(v, Host, VM, answering):
    """Some VM is Unknown on a host whose non-responsive treatment is over without releasing it
    (treatment step ``done``: skipped by policy, no PM, STOP failed or skipped, or returned at once
    because in_fence_flow was left set by an engine restart) and the host does not answer: without
    an operator, a lease or the host coming back, the VM stays Unknown forever (no retry upstream).
    Not inside the engine's startup window: a treatment skipped there is re-run after it
    (PmHealthCheckManager.fenceHosts)."""
    return ~v.engine_recent & exists(VM, lambda vm: exists(Host, lambda h: (v.vst[vm] == "unknown")
                                                           & (v.von[vm] == h) & (v.tr[h] == "done") & ~answering(h)))


def vm_restarted_elsewhere(v, Host, VM, home):
    """Some VM is Up and running on a host other than the one it started on (a failover happened)."""
    return exists(VM, lambda vm: exists(Host, lambda h: (v.vst[vm] == "up") & (v.von[vm] == h)
                                        & (v.qemu[vm][h] == "running") if h != home(vm) else False))


# ---- stated lemmas for no_dual_running_vm (prove --method lemmas, --for-every hosts,vms) ------------
# Why no VM runs twice without the manual confirm (docs/models/fencing.md, "Why no VM runs twice"): the
# only step that adds a qemu elsewhere is the HA restart of a VM the engine shows Down(exit=Error), and the
# engine sets a VM Down only after seeing its host report it gone or after a confirmed STOP of its host.
# Together with no_dual_running_vm these three predicates are inductive at the instances `lemmas_apply`
# accepts, for every number of hosts and VMs (forall over Host and VM).
_FENCED = ("stopping", "polled", "stopped")  # RestartVds after the STOP was delivered, before the VMs are cleared


def engine_tracks_copy(v, Host, VM):
    """Every live qemu is where the engine thinks its VM runs (run_on_vds) and the engine does not
    show that VM Down. A VM becomes Down(exit=Error), and so a candidate for
    ``HaAutoStartVmsRunner``, only when its host reports it gone (``VmAnalyzer.proceedDisappearedVm``
    -> ``clearVm(VmExitStatus.Error)``) or when ``RestartVdsCommand`` clears the host's VMs
    (``FenceVdsManualyCommand(clearVMs)``) after its STOP was confirmed OFF
    (``HostFenceActionExecutor.isHostPoweredOff``), when the host's qemu are dead (lemma
    fenced_host_is_off); the grace period alone only makes the VMs Unknown (``VdsManager`` ->
    ``vdsNotResponding``), never Down. A restart (``RunVmCommand``) then sets run_on_vds to the
    destination. So a qemu lives only on run_on_vds, one host, and ``no_dual_running_vm`` follows."""
    return forall(VM, lambda vm: forall(Host, lambda h: implies(
        qemu_alive(v, vm, h), (v.von[vm] == h) & (v.vst[vm] != "down"))))


def fenced_host_is_off(v, Host, VM):
    """From the moment the STOP is delivered until RestartVds clears the host's VMs, the host is in
    Reboot and runs no qemu. ``StopVdsCommand.setup`` writes status Reboot before the STOP is sent
    ("Set status immediately to prevent a race", BZ 636950/656224), a truthful agent's STOP powers the
    host off (``HostFenceActionExecutor.fence``), the scheduler starts VMs only on Up hosts
    (``SchedulingManager.fetchHosts``: ``getAllForClusterWithStatus(clusterId, VDSStatus.Up)``), and
    nothing moves the host out of Reboot while RestartVds runs (``VDSStatus.isEligibleForHostMonitoring``
    excludes Reboot). So ``FenceVdsManualyCommand(clearVMs)`` sets Down only VMs whose qemu is dead."""
    return forall(Host, lambda h: implies(
        or_(*(v.tr[h] == s for s in _FENCED)),
        (v.status[h] == "Reboot") & forall(VM, lambda vm: ~qemu_alive(v, vm, h))))


def sent_stop_in_reboot(v, Host, VM):
    """While the STOP is being sent the host is already in Reboot (``StopVdsCommand.setup`` sets the
    status first), so no HA restart picks it as a destination and no poll moves it back to Up."""
    return forall(Host, lambda h: implies(v.tr[h] == "sending", v.status[h] == "Reboot"))


LEMMAS = (engine_tracks_copy, fenced_host_is_off, sent_stop_in_reboot)


def lemmas_apply(p) -> bool:
    """The instances the lemmas are stated for: the operator cannot confirm "Host has been Rebooted"
    (``manual_confirm_allowed=false`` or no operator actions), every power-management agent reports
    truthfully, and no VM leases; any number of hosts and VMs and any other option
    (tests/test_fencing_lemmas.py proves them with each other option flipped). Not stated elsewhere,
    where they are not inductive: ``FenceVdsManualyCommand`` checks no power state, so the manual
    confirm sets a VM Down while its qemu may live (``no_dual_running_vm`` is violated with 2 hosts and
    1 VM); a faulty agent reports OFF for a host that runs on (violated); and the lease path restarts
    a VM the engine shows Unknown, safe because sanlock kills the old copy first, which these lemmas
    do not describe. Stating them there would only turn ``prove`` into a counterexample to induction,
    or ``check`` into a wrong-lemma error wherever one is false in a reachable state."""
    no_confirm = not (p.manual_confirm_allowed and p.operator_actions)
    return no_confirm and p.pm_reports == "truthful" and not p.vm_leases


def register_lemmas(m, p, v, Host, VM) -> None:
    """State the lemmas for ``no_dual_running_vm`` where they apply (called by the model's ``build``)."""
    if lemmas_apply(p):
        for f in LEMMAS:
            m.lemma(f.__name__, f(v, Host, VM), supports=["no_dual_running_vm"], doc=f.__doc__)
