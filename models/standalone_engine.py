"""oVirt standard deployment: the engine on a bare-metal node of its own, hypervisors running HA VMs.

The comparison point for the self-hosted engine (``models/hosted_engine.py``), claim C6 of the seed
paper: there are no hosted-engine agents and nothing restarts the engine; while it runs, the engine
notices a silent hypervisor after its grace period, fences it (power-management STOP, OFF confirmed
on the next status poll) and restarts its HA VMs on a hypervisor with free capacity. While the
engine is down the VMs run headless: nobody monitors, fences or restarts anything.

Kept small on purpose (the fencing model, ``models/fencing.py``, has the fencing policy, proxies,
leases, manual confirm and faulty PM): power management is present and truthful, a crashed
hypervisor stays down, one STOP poll confirms OFF. Time advances in 10 s ``tick`` steps; the
engine's steps are urgent (time does not pass while one of them is enabled), so every delay is the
grace period and the STOP poll. See docs/models/hosted-engine.md ("The standard deployment").
"""

from __future__ import annotations

import attrs

from hacheck.avail.defaults import fail_rate, repair_rate
from hacheck.lang import BadInput, Bool, Elem, Enum, Int, Map, Model, Spec, count, ite, min_, or_, param
from hacheck.properties import capacity
from hacheck.properties.standalone_engine import (
    all_ha_vms_running, engine_recovers, engine_serving, ha_vm_restarted, vm_failed_over,
)


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=4, doc="hypervisors h1..hN (the engine node is not one of them)")
    vms: int = param(2, low=1, high=4, doc="HA VMs v1..vM; vi starts on host h((i-1) mod hosts + 1)")
    host_capacity: int = param(2, low=1, high=4, doc="VM slots per hypervisor (an HA VM needs one)")
    host_free: str = param(
        "", doc="exact capacity instead of slots, as in the fencing model: per hypervisor h1..hN, 'memory' or "
        "'memory:cores' in whole units, comma separated ('6382:8,6382:8'); with vm_need. A VM restarts on a host "
        "only if the memory still fits and its vCPUs do not exceed the cores (properties/capacity.py)")
    vm_need: str = param("", doc="with host_free: per VM v1..vM, 'memory' or 'memory:vcpus' ('4232:6,2148:2')")
    grace_ticks: int = param(6, low=1, high=30, doc="ticks of silence before the engine declares a host NonResponsive "
                             "(TimeoutToResetVdsInSeconds 60 s = 6)")
    engine_repair: bool = param(True, doc="an operator may repair the engine node (an environment step: never "
                                "fair, so no property may rely on it)")
    max_faults: int = param(1, low=0, high=3, doc="faults allowed (the fault budget): engine_node_crash, crash(h)")
    availability: bool = param(False, doc="add the hypervisor repair the availability chain needs (host_repair; "
                               "hacheck availability sets it; check leaves it off, so its states are unchanged)")


def _check(p: Params) -> None:
    exact = capacity.parse(p.host_free, p.vm_need, p.hosts, p.vms)
    if exact is not None:
        capacity.check_initial_fit(*exact, p.hosts)
        return
    per_host = -(-p.vms // p.hosts)
    if per_host > p.host_capacity:
        raise BadInput(f"initial placement does not fit: {per_host} HA VMs on a host with host_capacity {p.host_capacity}")


def build(p: Params) -> Model:
    m = Model("standalone_engine", doc=__doc__, tick_seconds=10)
    # VM vi starts on its own host: neither sort is interchangeable, none is marked symmetric
    Host = m.sort("Host", [f"h{i + 1}" for i in range(p.hosts)])
    VM = m.sort("VM", [f"v{i + 1}" for i in range(p.vms)])

    def home(vm):
        return Host[vm.index % p.hosts]

    engine = m.var("engine", Bool, init=True, doc="the engine node runs ovirt-engine")
    up = m.var("up", Map(Host, Bool), init=True, doc="hypervisor running")
    status = m.var("status", Map(Host, Enum("Up", "NonResponsive", "Down")), init="Up",
                   doc="the engine's view of the host (Down: fenced, power OFF confirmed)")
    since = m.var("since", Map(Host, Int(0, p.grace_ticks)), init=0,
                  doc="ticks the engine has not heard from a host it shows Up (saturated at the grace period)")
    fence = m.var("fence", Map(Host, Enum("idle", "sent", "due")), init="idle",
                  doc="power-management STOP: sent, then its status poll due one tick later")
    run = m.var("run", Map(VM, Elem(Host, optional=True)), init={vm.name: home(vm).name for vm in VM},
                doc="hypervisor where the VM's qemu runs (none: not running)")
    von = m.var("von", Map(VM, Elem(Host, optional=True)), init={vm.name: home(vm).name for vm in VM},
                doc="the engine's run_on_vds; none = Down(exit=Error), in the HA restart queue")
    m.fault_budget(p.max_faults)
    v = m.vars

    exact = capacity.parse(p.host_free, p.vm_need, p.hosts, p.vms)

    def fits(vm, d):
        """vm fits on d (the scheduler's memory and CPU filters): a free slot, or (host_free/vm_need)
        memory summed and vCPUs per VM, the fencing model's rule (properties/capacity.py)."""
        if exact is None:
            return count(VM, lambda x: von[x] == d) < p.host_capacity
        return capacity.fits(vm, d, VM, lambda x: von[x], *exact)

    # -- the engine (weakly fair, urgent) ---------------------------------------------------------
    def notice_guard(h):
        return engine & (status[h] == "Up") & ~up[h] & (since[h] >= p.grace_ticks)

    @m.action(h=Host, fair="weak")
    def notice(h):
        """Grace period over: the host is NonResponsive, its VMs Unknown (VdsManager)."""
        return notice_guard(h), {status[h]: "NonResponsive"}

    def stop_guard(h):
        return engine & (status[h] == "NonResponsive") & (fence[h] == "idle")

    @m.action(h=Host, fair="weak")
    def fence_stop(h):
        """VdsNotRespondingTreatment -> RestartVds: power-management STOP through a proxy."""
        return stop_guard(h), {fence[h]: "sent"}

    def confirm_guard(h):
        return engine & (fence[h] == "due")

    @m.action(h=Host, fair="weak")
    def fence_confirmed(h):
        """The status poll reports power OFF: the host is Down and its VMs Down(exit=Error), HA ones queued."""
        u = {status[h]: "Down", fence[h]: "idle"}
        for vm in VM:
            u[von[vm]] = ite(von[vm] == h, None, von[vm])
        return confirm_guard(h), u

    def restart_guard(vm, d):
        return engine & von[vm].is_none() & run[vm].is_none() & (status[d] == "Up") & up[d] & fits(vm, d)

    @m.action(vm=VM, d=Host, fair="weak")
    def ha_restart(vm, d):
        """HaAutoStartVmsRunner: RunVm of a Down HA VM on an Up host where it fits (the scheduler's
        MemoryPolicyUnit and CPUPolicyUnit filters)."""
        return restart_guard(vm, d), {run[vm]: d, von[vm]: d}

    # -- time ---------------------------------------------------------------------------------------
    def engine_busy():
        return or_(*[notice_guard(h) | stop_guard(h) | confirm_guard(h) for h in Host],
                   *[restart_guard(vm, d) for vm in VM for d in Host])

    @m.action(fair="weak", tick=True)
    def tick():
        """10 s pass (not while the engine has a step to take). With the engine down nothing waits
        for anything: time passes and the VMs run headless."""
        u = {}
        for h in Host:
            u[since[h]] = ite(engine & (status[h] == "Up") & ~up[h], min_(since[h] + 1, p.grace_ticks), 0)
            u[fence[h]] = ite(fence[h] == "sent", "due", fence[h])
        return ~engine_busy(), u

    # -- faults and repair -------------------------------------------------------------------------
    @m.action(fault=True, rate=fail_rate("host-crash"))
    def engine_node_crash():
        """The bare-metal engine node dies: no monitoring, fencing or HA restart; the VMs keep running."""
        return engine, {engine: False}

    if p.engine_repair:
        @m.action(env=True, rate=repair_rate("host-crash"), repairs="engine_node_crash")
        def engine_node_repair():
            """An operator brings the engine node back (never fair: nothing relies on it)."""
            return ~engine, {engine: True, **{since[h]: 0 for h in Host}}

    @m.action(h=Host, fault=True, rate=fail_rate("host-crash"))
    def crash(h):
        """A hypervisor dies with its VMs (and stays down: nothing relies on it coming back)."""
        u = {up[h]: False}
        for vm in VM:
            u[run[vm]] = ite(run[vm] == h, None, run[vm])
        return up[h], u

    if p.availability:
        @m.action(h=Host, env=True, rate=repair_rate("host-crash"), repairs="crash")
        def host_repair(h):
            """The hypervisor is repaired and boots (availability only). The engine learns it is back on
            its next poll: a Down host (fenced, OFF confirmed) is activated, a NonResponsive or Up one
            answers again (VdsManager: the status returns to Up) and reports none of the VMs that ran
            there, which go Down(exit=Error) into the HA restart queue."""
            u = {up[h]: True, status[h]: "Up", since[h]: 0}
            for vm in VM:  # the host reports no qemu of it: the VM is Down(exit=Error), queued for HA restart
                u[von[vm]] = ite(von[vm] == h, None, von[vm])
            return ~up[h] & (fence[h] == "idle"), u

    # -- properties ---------------------------------------------------------------------------------
    m.leads_to("engine_recovers", *engine_recovers(v),
               doc="whenever the engine is down it eventually runs again (nothing restarts it: fails)")
    m.leads_to("ha_vm_restarted", *ha_vm_restarted(v, VM),
               doc="whenever an HA VM is not running, eventually every HA VM runs again")
    m.reachable("vm_failed_over", vm_failed_over(v, VM, home),
                doc="the engine restarted an HA VM on another hypervisor")
    m.reachable("headless", ~engine_serving(v) & all_ha_vms_running(v, VM),
                doc="the engine is down while every HA VM still runs")
    # -- long-run availability (hacheck availability; check does not read these) --------------------
    m.availability("engine_up", engine_serving(v), doc="the engine node runs ovirt-engine")
    for vm in VM:
        m.availability(f"vm_{vm.name}_running", v.run[vm].is_some(), doc=f"HA VM {vm.name} runs on some hypervisor")
    return m


SPEC = Spec("standalone_engine", Params, build, doc=__doc__, check=_check)
