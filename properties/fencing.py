"""Properties of the oVirt fencing model (`models/fencing.py`).

Each function takes the model's variable handles (``m.vars``) and sorts and returns an expression;
the model registers them in ``build()``. :func:`ha_vm_restarted` returns the (trigger, response)
pair of the liveness property of the same name.
"""

from __future__ import annotations

from hacheck.lang import count, exists, forall


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
