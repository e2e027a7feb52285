"""oVirt engine: non-responsive host treatment, fencing before restart, HA VM restart, VM leases.

When a hypervisor stops answering, the engine (``VdsManager`` / ``VdsNotRespondingTreatmentCommand``
/ ``RestartVdsCommand``) may restart the host's HA VMs elsewhere only once it is sure the old copies
are dead: a power-management STOP confirmed OFF, a manual "Confirm 'Host has been Rebooted'", the
host coming back and reporting its VMs, or (independently of fencing) a VM lease guarded by sanlock.
The property ``no_dual_running_vm`` asks whether some VM can ever have qemu alive on two hosts.

The liveness property ``ha_vm_restarted`` asks whether, after a failure, every HA VM is eventually
running again, and how long it takes in the worst case.

Time advances in 10-second ``tick`` steps. The engine's timers are counted: the grace period (60 s),
the lease path's delay (~20 s after the VMs turn Unknown), the storage-lease wait (90 s,
``skip_if_sd_active``), the STOP status poll (10 s), and sanlock's host-id expiry (80 s). Engine,
vdsm and sanlock steps are *urgent*: time does not pass while one is enabled (they take well under
a tick upstream), except the few marked lazy whose real delays are not counted (LAZY). See
docs/models/fencing.md for the mapping to upstream.
"""

from __future__ import annotations

import attrs

from hacheck.avail.defaults import fail_rate, repair_rate
from hacheck.lang import (
    BadInput, Bool, Elem, Enum, Int, Map, Model, Spec, count, exists, ite, or_, param,
)
from hacheck.lang.expr import lift
from hacheck.properties import capacity
from hacheck.properties.fencing import (
    ha_vm_restarted, no_dual_running_vm, no_dual_writing_vm, register_lemmas, vm_restarted_elsewhere, vm_stuck_unknown,
    vm_up_running,
)
from hacheck.properties.lease import (
    HOST_DEAD_TICKS, KILL_TICKS, holds_lease, kill_due, lease_acquirable, owner_after_release, owner_after_storage_back,
    owner_dead,
)

TICK = 10  # seconds per tick
GRACE = 6  # TimeoutToResetVdsInSeconds 60 s (+ 0.5 s per VM, under a tick; the SPM's +20 s is not modelled)
LEASE_DELAY = 2  # the lease path runs Unknown VMs ~20 s after they turned Unknown
LEASE_TRY = GRACE + LEASE_DELAY
HID_EXPIRE = KILL_TICKS  # sanlock's renewal fails 80 s after the last one: lease holders killed, host id no longer live
HOST_DEAD = HOST_DEAD_TICKS  # another host may take a lease of a host 140 s after its last renewal (80 + 60 s watchdog)
LEASE_WAIT = 9  # HostStorageLeaseAliveCheckingInterval: 90 s after lastUpdate (9 ticks)

STATUSES = ("Up", "Connecting", "NonResponsive", "Reboot", "Down", "Maintenance")
# treatment / RestartVds step of a host: started = VdsNotRespondingTreatment fired (it holds the host's
# power-management lock until done), stop = hard fence decided, waiting for the storage-lease wait
# (skip_if_sd_active), restart = in_fence_flow set and RestartVds running, STOP not yet sent,
# sending = StopVdsCommand.setup wrote status Reboot, STOP not yet delivered (the host still has
# power), stopping = STOP delivered, polled = the status poll is due, stopped = OFF confirmed,
# released = the host's VMs set Down, done = the flow is over (no retry)
STEPS = ("idle", "started", "stop", "restart", "sending", "stopping", "polled", "stopped", "released", "done")
HEALTH = ("ok", "hung", "crashed", "booting")
# fair steps whose real delay is long and not counted in ticks: they do not hold time back
LAZY = frozenset({"reboot_timeout", "startup_window_over", "vm_kill_paused", "boot_done"})


@attrs.frozen
class Params:
    hosts: int = param(3, low=2, high=8, doc="number of hypervisors h1..hN in the cluster (beyond 4, fuzz rather than check)")
    vms: int = param(3, low=1, high=10, doc="number of HA VMs v1..vM; VM vi starts on host h((i-1) mod hosts + 1)")
    fencing_enabled: bool = param(True, doc="cluster fencing policy: fencing enabled (upstream default true)")
    skip_if_sd_active: bool = param(
        False, doc="cluster fencing policy skip_fencing_if_sd_active: wait 90 s after the last poll, then let the "
        "proxy skip the STOP while the host's sanlock host id is live (engine/DB default false; the "
        "Admin Portal's new-cluster dialog proposes true)")
    skip_if_connectivity_broken: bool = param(
        False, doc="cluster fencing policy skip_fencing_if_connectivity_broken: skip when (Connecting + "
        "NonResponsive hosts) / hosts >= threshold, the failed host included (DB default false; UI true)")
    connectivity_threshold: int = param(50, low=0, high=100, doc="hosts_with_broken_connectivity_threshold, percent")
    power_management: str = param(
        "all", doc="hosts with a power-management agent: 'all' (or true), 'none' (or false), or a comma list of "
        "host names such as 'h1,h3' (upstream: PM is off per host until configured; the model defaults to all, "
        "since fencing is what it is about)")
    pm_reports: str = param("truthful", choices=("truthful", "faulty"),
                            doc="truthful: STOP powers the host off and reports OFF; faulty: the agent reports OFF "
                            "(and START success) without touching the host (wrong outlet, sequential PSU agents)")
    pm_faulty_hosts: str = param(
        "all", doc="with pm_reports=faulty: the hosts whose agent is faulty, 'all' or a comma list such as 'h2' (the "
        "others report truthfully). Upstream each host is fenced through its own agents "
        "(HostFenceActionExecutor.fence reads FenceAgentDao.getFenceAgentsForHost) and the engine believes their "
        "status reply (isHostPoweredOff), so a wrong agent deceives the engine about that host only")
    vm_leases: bool = param(False, doc="every HA VM has a VM lease (sanlock resource) on a storage domain (upstream default: no lease)")
    resume_behaviour: str = param("auto_resume", choices=("kill", "auto_resume", "leave_paused"),
                                  doc="what a VM paused on an I/O error does (upstream default AUTO_RESUME; "
                                  "HA VMs with a lease are forced to KILL)")
    manual_confirm_allowed: bool = param(True, doc="the operator may 'Confirm Host has been Rebooted' (always possible upstream)")
    operator_actions: bool = param(True, doc="the operator acts at all: Maintenance/Activate of hosts and (with "
                                   "manual_confirm_allowed) the manual confirm; liveness runs turn it off, since an "
                                   "operator may legitimately keep a VM down")
    host_maintenance: bool = param(True, doc="with operator_actions: the operator moves hosts to Maintenance and "
                                   "activates them (unbounded); false: the operator only uses the manual confirm (when "
                                   "allowed). For a hosted-engine host this is the same command as hosted-engine local "
                                   "maintenance (MaintenanceVdsCommand sets HaMaintenanceMode.LOCAL)")
    maintenance_budget: int = param(
        0, low=0, high=6, doc="with host_maintenance: at most this many Maintenance/Activate commands in a run, "
        "counted like the fault budget (state field ops); 0: no bound. An abstraction, not upstream's: it is how a "
        "deployment states its runbook (operations.maintenance_steps), so that liveness is judged once the "
        "operator has stopped")
    availability: bool = param(False, doc="add the host repair the availability chain needs (host_repair; hacheck "
                               "availability sets it; check leaves it off, so its states are unchanged)")
    reboot_heals: bool = param(False, doc="a host that was power-cycled (fault or fence START) always finishes booting "
                               "healthy (weakly fair boot_done); false: it may stay down for good (the failure was "
                               "not transient), so nothing may rely on it coming back")
    host_capacity: int = param(2, low=1, high=4, doc="VM slots per host")
    vm_size: int = param(1, low=1, high=4, doc="slots one VM needs")
    host_free: str = param(
        "", doc="exact capacity instead of slots: per host h1..hN, 'memory' or 'memory:cores' in whole units, "
        "comma separated ('6382:8,6382:8'); with vm_need. A VM starts on a host only if the memory of the VMs on it "
        "plus its own fits and its vCPUs do not exceed the cores (properties/capacity.py: upstream MemoryPolicyUnit "
        "and CPUPolicyUnit; the deployment mapping passes MiB with overhead and reserve)")
    vm_need: str = param("", doc="with host_free: per VM v1..vM, 'memory' or 'memory:vcpus' ('4232:6,2148:2')")
    grace_ticks: int = param(GRACE, low=1, high=12, doc="grace period in ticks before a silent host turns "
                             "NonResponsive (upstream 60 s + 0.5 s per VM + 20 s for the SPM; BZ 2071468 saw ~20 s)")
    urgent_steps: bool = param(True, doc="engine, vdsm and sanlock steps happen before time moves on (within the "
                               "10 s tick in which they become possible): the upper bounds recovery times need; false: "
                               "they may lag any number of ticks, a superset of the timings, to cross-check safety")
    max_faults: int = param(1, low=0, high=6, doc="faults allowed (the fault budget); a deployment failure of a hosted-engine host costs two (the host fault and the engine restart)")


def pm_hosts(p: Params) -> list[str]:
    names = [f"h{i + 1}" for i in range(p.hosts)]
    pm = p.power_management
    if isinstance(pm, bool):
        return names if pm else []
    text = str(pm).strip().lower()
    if text in ("true", "all", "yes"):
        return names
    if text in ("false", "none", "no", ""):
        return []
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in chosen if s not in names]
    if bad:
        raise BadInput(f"parameter power_management: unknown host(s) {', '.join(bad)}; hosts are {', '.join(names)}")
    return chosen


def faulty_pm_hosts(p: Params) -> set[str]:
    """Hosts whose PM agent reports OFF without powering off (pm_reports=faulty, narrowed by pm_faulty_hosts)."""
    if p.pm_reports != "faulty":
        return set()
    names = [f"h{i + 1}" for i in range(p.hosts)]
    text = str(p.pm_faulty_hosts).strip().lower()
    if text in ("all", ""):
        return set(names)
    chosen = {s.strip() for s in text.split(",") if s.strip()}
    bad = sorted(chosen - set(names))
    if bad:
        raise BadInput(f"parameter pm_faulty_hosts: unknown host(s) {', '.join(bad)}; hosts are {', '.join(names)}")
    return chosen


def exact_capacity(p: Params) -> tuple[capacity.Amounts, capacity.Amounts] | None:
    """(free per host, need per VM) when host_free/vm_need are given, else None (slots)."""
    return capacity.parse(p.host_free, p.vm_need, p.hosts, p.vms)


def check_params(p: Params) -> None:
    pm_hosts(p)
    faulty_pm_hosts(p)
    if p.vm_leases and p.resume_behaviour != "kill":
        raise BadInput("vm_leases requires resume_behaviour=kill: since oVirt 4.2 an HA VM with a lease can only "
                       "have the KILL resume behaviour (VmHandler.autoSelectResumeBehavior)")
    exact = exact_capacity(p)
    if exact is not None:
        capacity.check_initial_fit(*exact, p.hosts)
        return
    per_host = -(-p.vms // p.hosts)
    if per_host * p.vm_size > p.host_capacity:
        raise BadInput(f"initial placement does not fit: {per_host} VM(s) of size {p.vm_size} on a host with "
                       f"host_capacity {p.host_capacity}")


def build(p: Params) -> Model:
    m = Model("fencing", doc=__doc__, tick_seconds=TICK)
    # Hosts are not interchangeable: initial placement (and a per-host power_management list) tells them
    # apart; VMs are not either, each starts on its own host. Neither sort is marked symmetric.
    Host = m.sort("Host", [f"h{i + 1}" for i in range(p.hosts)])
    VM = m.sort("VM", [f"v{i + 1}" for i in range(p.vms)])
    pm = set(pm_hosts(p))
    truthful = {h: h.name not in faulty_pm_hosts(p) for h in Host}  # the agent really powers h off
    has_pm = {h: h.name in pm for h in Host}
    skip_sd = p.skip_if_sd_active
    leases = p.vm_leases
    need_hid = leases or skip_sd  # the host-id timer is read only by leases and the lease wait
    grace = p.grace_ticks
    since_max = max([grace] + ([grace + LEASE_DELAY] if leases else []) + ([LEASE_WAIT] if skip_sd else []))
    operator = p.operator_actions

    def home(vm):
        return Host[vm.index % p.hosts]

    # ---- hosts: reality --------------------------------------------------------------------------
    power = m.var("power", Map(Host, Bool), init=True, doc="host powered on")
    health = m.var("health", Map(Host, Enum(*HEALTH)), init="ok",
                   doc="ok; hung (OS/vdsm unresponsive, qemu and sanlock keep running); crashed (kernel dead, qemu "
                   "gone); booting (powered on again after a power cycle or a fence START, not up yet)")
    reach = m.var("reach", Map(Host, Bool), init=True, doc="engine <-> host network works")
    storage = m.var("storage", Map(Host, Bool), init=True, doc="host <-> storage works")
    pm_ok = m.var("pm_ok", Map(Host, Bool), init=True, doc="the host's PM agent is reachable from a proxy")
    hid_max = HOST_DEAD if leases else HID_EXPIRE
    hid = (m.var("hid_age", Map(Host, Int(0, hid_max)), init=0,
                 doc="ticks since the host's sanlock host id was last renewed (renewal failed at 8 = 80 s, "
                     "host dead for lease acquirers at 14 = 140 s)")
           if need_hid else None)
    # ---- hosts: the engine's view ----------------------------------------------------------------
    status = m.var("status", Map(Host, Enum(*STATUSES)), init="Up", doc="VDS status in the engine DB")
    tr = m.var("tr", Map(Host, Enum(*STEPS)), init="idle",
               doc="step of VdsNotRespondingTreatment/RestartVds for the host (the flow holds the per-host fence lock)")
    iff = m.var("in_fence_flow", Map(Host, Bool), init=False, doc="vds_dynamic.in_fence_flow (DB, survives engine restarts)")
    since = m.var("since", Map(Host, Int(0, since_max)), init=0,
                  doc=f"ticks since the engine last heard from the host (lastUpdate), counted while it is Connecting, "
                  f"NonResponsive or Reboot, capped at {since_max}")
    recent = m.var("engine_recent", Bool, init=False, doc="engine started less than DisableFenceAtStartupInSec (300 s) ago")
    pmrec = m.var("pm_recover", Map(Host, Bool), init=False,
                  doc="PmHealthCheckManager.recover() holds the host: a PM host left in Reboot at engine start "
                  "(started again after the startup window), or the RestartVds it then runs; that RestartVds "
                  "is not a treatment's, so nothing resets in_fence_flow when it ends")
    # ---- VMs --------------------------------------------------------------------------------------
    qemu = m.var("qemu", Map(VM, Map(Host, Enum("none", "running", "paused"))),
                 init={vm.name: {h.name: ("running" if h == home(vm) else "none") for h in Host} for vm in VM},
                 doc="the VM's qemu process on each host")
    holder = (m.var("lease_holder", Map(VM, Elem(Host, optional=True)), init={vm.name: home(vm) for vm in VM},
                    doc="host whose qemu holds the VM lease (sanlock resource), or none")
              if leases else None)
    vst = m.var("vst", Map(VM, Enum("up", "paused", "unknown", "down")), init="up",
                doc="engine's VM status; down = Down(exit=Error), i.e. in the HA restart queue")
    von = m.var("von", Map(VM, Elem(Host, optional=True)), init={vm.name: home(vm) for vm in VM},
                doc="engine's run_on_vds (none when Down)")
    dual = m.var("dual_run", Bool, init=False, doc="sticky: some VM was once started while a copy was alive elsewhere")
    m.fault_budget(p.max_faults)

    HOST_NONE = lift(None, von[VM[0]].type)
    VST = vst[VM[0]].type
    STEP = tr[Host[0]].type

    def answering(h):
        """The engine's polls of h succeed."""
        return power[h] & (health[h] == "ok") & reach[h]

    def os_up(h):
        """The host's OS runs (qemu, vdsm and sanlock can act), whether or not the engine hears it."""
        return power[h] & ((health[h] == "ok") | (health[h] == "hung"))

    def renewing(h):
        """sanlock on h renews its host id."""
        return os_up(h) & storage[h]

    def alive(vm, h):
        return qemu[vm][h] != "none"

    def hid_reset(h, renews):
        """Updates restarting the host-id timer when h renews again."""
        return {hid[h]: ite(renews, 0, hid[h])} if need_hid else {}

    def used(d):
        return count(VM, lambda vm: von[vm] == d) * p.vm_size

    exact = exact_capacity(p)

    def fits(vm, d):
        """vm fits on d: free slots, or (host_free/vm_need) memory summed and vCPUs per VM (properties/capacity.py)."""
        if exact is None:
            return used(d) + p.vm_size <= p.host_capacity
        return capacity.fits(vm, d, VM, lambda x: von[x], *exact)

    def dest_ok(vm, d):
        """RunVm's scheduler accepts d for vm: Up, answering, storage connected, enough free capacity."""
        return (status[d] == "Up") & answering(d) & storage[d] & fits(vm, d)

    def start_on(vm, d):
        """Updates of a successful launch of vm on d (with its lease acquired)."""
        upd = {qemu[vm][d]: "running", vst[vm]: "up", von[vm]: d,
               dual: dual | exists(Host, lambda h: alive(vm, h) if h != d else False)}
        if leases:
            upd[holder[vm]] = d
        return upd

    def lease_free(vm, d):
        """sanlock grants d vm's lease (paxos_lease_acquire): free on disk, d's, or its owner's host id dead."""
        if not leases:
            return lift(True)
        return lease_acquirable(holder[vm], d, {h: owner_dead(hid[h], HOST_DEAD) for h in Host if h != d})

    def kill_all_on(h):
        return {qemu[vm][h]: "none" for vm in VM}

    def release_leases_of(h):
        return {holder[vm]: ite(holder[vm] == h, HOST_NONE, holder[vm]) for vm in VM} if leases else {}

    def engine_view_from_host(vm, h, cond):
        """When cond: the engine takes vm's state from what h reports (Up, Paused, or gone -> Down)."""
        q = qemu[vm][h]
        new_st = ite(q == "running", lift("up", VST), ite(q == "paused", lift("paused", VST), lift("down", VST)))
        return {vst[vm]: ite(cond, new_st, vst[vm]),
                von[vm]: ite(cond, ite(q == "none", HOST_NONE, lift(h, von[vm].type)), von[vm])}

    def in_restart_vds(h):
        """RestartVds is running for h (it holds the host's PM lock)."""
        return ((tr[h] == "restart") | (tr[h] == "sending") | (tr[h] == "stopping") | (tr[h] == "polled")
                | (tr[h] == "stopped") | (tr[h] == "released"))

    def pm_lock_held(h):
        """HostLocking.getPowerManagementLock(h) is taken: VdsNotRespondingTreatmentCommand holds it for
        its whole run (Scope.Execution), and RestartVds (with its StopVds, FenceVdsManualy, StartVds
        children) for its own; an engine restart frees it (engine locks live in memory)."""
        return (tr[h] != "idle") & (tr[h] != "done")

    # ============================================================ faults (counted by the budget)
    @m.action(h=Host, fault=True, rate=fail_rate("host-crash"))
    def crash(h):
        """Kernel crash: power stays on, every qemu on h dies, sanlock stops renewing (leases stay held
        on disk until the host id expires). The host does not come back by itself."""
        return os_up(h), {health[h]: "crashed", **kill_all_on(h)}

    @m.action(h=Host, fault=True, rate=fail_rate("host-hang"))
    def hang(h):
        """The host hangs for the engine (no answer to polls or SSH); qemu and sanlock keep running."""
        return power[h] & (health[h] == "ok"), {health[h]: "hung"}

    @m.action(h=Host, fault=True, rate=fail_rate("network-loss"))
    def partition(h):
        """The engine <-> host network fails (the host and its VMs keep running)."""
        return reach[h], {reach[h]: False}

    @m.action(h=Host, fault=True, rate=fail_rate("storage-loss"))
    def storage_loss(h):
        """The host loses its storage: VMs will pause on I/O errors, sanlock stops renewing."""
        return storage[h], {storage[h]: False}

    @m.action(h=Host, fault=True)
    def pm_unreachable(h):
        """The host's power-management agent becomes unreachable."""
        if not has_pm[h]:
            return None
        return pm_ok[h], {pm_ok[h]: False}

    @m.action(h=Host, fault=True, rate=fail_rate("power-cycle"))
    def power_cycle(h):
        """Spurious power cycle (cord pulled for a few seconds, claim C7): every qemu dies and the host
        boots again (``booting`` until ``boot_done``). sanlock died with it: its leases stay held on
        disk until the host id expires or the host rejoins with a new generation."""
        return power[h], {health[h]: "booting", **kill_all_on(h)}

    @m.action(fault=True, rate=fail_rate("engine-restart"))
    def engine_restart():
        """ovirt-engine restarts: in-memory treatments and locks are lost (DB status and in_fence_flow
        survive); fencing is disabled for DisableFenceAtStartupInSec. A new VdsManager starts with
        lastUpdate = 0, i.e. "long ago": VdsManager.isHostInGracePeriod is false once
        VDSAttemptsToResetCount polls have failed (a few seconds, under a tick) and
        VdsNotRespondingTreatmentCommand.waitUntilSkipFencingIfSDActiveAllowed does not sleep, so a
        silent host's timers are all expired (since = its cap); an Up host's first poll sets
        lastUpdate. At start PmHealthCheckManager.recover() notes the PM hosts whose status is
        Reboot (startHostsWithPMInReboot)."""
        upd = {recent: True, tr: "idle"}
        for h in Host:
            silent = (status[h] == "Connecting") | (status[h] == "NonResponsive") | (status[h] == "Reboot")
            upd[since[h]] = ite(silent, since_max, 0)
        for h in Host:  # PmHealthCheckManager.recover(): the PM hosts in Reboot, read at engine start
            upd[pmrec[h]] = (status[h] == "Reboot") if has_pm[h] else lift(False)
        return ~recent, upd

    # ============================================================ environment: operator and repairs
    @m.action(h=Host, env=True)
    def manual_confirm(h):
        """Operator: "Confirm 'Host has been Rebooted'" (FenceVdsManualyCommand, clearVMs=true): the
        host's VMs go Down and the HA ones are queued. Nothing checks the power state. Two rules
        upstream: FenceVdsManualyCommand needs the host's power-management lock
        (getExclusiveLocks = HostLocking.getPowerManagementLock), held by a running
        VdsNotRespondingTreatment or RestartVds, so it is refused then; and although its
        isLegalStatus accepts Connecting, Down and Maintenance too, the ClearNonResponsiveVdsVmsCommand
        it runs refuses (validate: VDS_CANNOT_CLEAR_VMS_WRONG_STATUS) while any VM has run_on_vds on the
        host unless the host is NonResponsive, Reboot or Kdumping. The operator then sees success
        and nothing is cleared: no state change, so no step here."""
        if not (p.manual_confirm_allowed and operator):
            return None
        guard = ((status[h] == "NonResponsive") | (status[h] == "Reboot")) & ~pm_lock_held(h)
        guard = guard & exists(VM, lambda vm: von[vm] == h)
        upd = {}
        for vm in VM:
            upd[vst[vm]] = ite(von[vm] == h, lift("down", VST), vst[vm])
            upd[von[vm]] = ite(von[vm] == h, HOST_NONE, von[vm])
        return guard, upd

    @m.action(h=Host, env=True, rate=repair_rate("host-hang"), repairs="hang")
    def unhang(h):
        """The hang ends."""
        return health[h] == "hung", {health[h]: "ok"}

    @m.action(h=Host, env=True, rate=repair_rate("network-loss"), repairs="partition")
    def heal_network(h):
        """The engine <-> host network is repaired."""
        return ~reach[h], {reach[h]: True}

    @m.action(h=Host, env=True, rate=repair_rate("storage-loss"), repairs="storage_loss")
    def heal_storage(h):
        """The host's storage connection is repaired (sanlock renews again)."""
        upd = {storage[h]: True, **hid_reset(h, os_up(h))}
        if leases:  # resource_thread_release writes the releases h could not write (its VM paused or gone)
            for vm in VM:
                upd[holder[vm]] = ite(os_up(h), owner_after_storage_back(holder[vm], h, qemu[vm][h] == "running"),
                                      holder[vm])
        return ~storage[h], upd

    def boot_done(h):
        """The host finishes booting: the OS, vdsm and sanlock run again; sanlock rejoins the lockspace
        with a new generation, so the leases the host held before are free."""
        return (health[h] == "booting") & power[h], {health[h]: "ok", **release_leases_of(h), **hid_reset(h, storage[h])}

    if p.availability:
        @m.action(h=Host, env=True, rate=repair_rate("host-crash"), repairs="crash")
        def host_repair(h):
            """Availability only: an operator repairs a crashed host, or powers on a host left off (a
            fence STOP whose START never came), and it boots (``booting`` until ``boot_done``). Without
            it such a host stays down for good."""
            return (health[h] == "crashed") | ~power[h], {health[h]: "booting", power[h]: True}

    if p.reboot_heals:
        m.action("boot_done", h=Host, fair="weak", rate=repair_rate("power-cycle"))(boot_done)
    else:  # the end of a boot ends a power cycle's or (after a fence restart) a crash's failure
        m.action("boot_done", h=Host, env=True, rate=repair_rate("power-cycle"),
                 repairs=("power_cycle", "crash"))(boot_done)

    # the operator's Maintenance/Activate commands, at most maintenance_budget of them when it is set: a
    # counter that never decreases, like the fault budget (hosted_engine's ops counts its maintenance steps)
    ops = (m.var("ops", Int(0, p.maintenance_budget), init=0,
                 doc="Maintenance/Activate commands the operator has issued (at most maintenance_budget)")
           if operator and p.host_maintenance and p.maintenance_budget else None)

    def commanded(guard, upd):
        """An operator command: counted, and refused once the budget is spent, when maintenance_budget is set."""
        if ops is None:
            return guard, upd
        return (ops < p.maintenance_budget) & guard, {**upd, ops: ops + 1}

    @m.action(h=Host, env=True)
    def maintenance(h):
        """Operator moves an empty, answering Up host to Maintenance (network errors are then ignored)."""
        if not (operator and p.host_maintenance):
            return None
        return commanded((status[h] == "Up") & answering(h) & ~exists(VM, lambda vm: von[vm] == h) & (tr[h] == "idle"),
                         {status[h]: "Maintenance"})

    @m.action(h=Host, env=True)
    def activate(h):
        """Operator activates a Maintenance host that answers."""
        if not (operator and p.host_maintenance):
            return None
        return commanded((status[h] == "Maintenance") & answering(h), {status[h]: "Up"})

    # ============================================================ host monitoring (VdsManager)
    @m.action(h=Host, fair="weak")
    def poll_fail(h):
        """A poll of an Up host fails: status Connecting (grace period starts; lastUpdate stays)."""
        return (status[h] == "Up") & ~answering(h), {status[h]: "Connecting", since[h]: 0}

    @m.action(h=Host, fair="weak")
    def grace_over(h):
        """Grace over (grace_ticks, 60 s, after lastUpdate) while Connecting: NonResponsive, its Up/Paused VMs become
        Unknown, and VdsNotRespondingTreatment is fired once."""
        upd = {status[h]: "NonResponsive", tr[h]: "started"}
        for vm in VM:
            mine = (von[vm] == h) & ((vst[vm] == "up") | (vst[vm] == "paused"))
            upd[vst[vm]] = ite(mine, lift("unknown", VST), vst[vm])
        return (status[h] == "Connecting") & ~answering(h) & (since[h] >= grace), upd

    def reboot_watched(h):
        """The host is in Reboot and a VdsCommand.runSleepOnReboot thread watches it: StartVdsCommand
        started one in this engine's lifetime (the flow is done). Otherwise nothing polls a Reboot
        host (VDSStatus.isEligibleForHostMonitoring excludes Reboot): StopVdsCommand.setStatus in a
        RestartVds writes Reboot without that thread, and an engine restart kills it (tr idle)."""
        return (status[h] == "Reboot") & (tr[h] == "done")

    @m.action(h=Host, fair="weak")
    def poll_ok(h):
        """Polls of a Connecting/NonResponsive/Reboot/Down host succeed: Up, in_fence_flow cleared
        (VdsManager), a treatment still at its soft-fencing stage ends (SshSoftFencing finds the host
        back); the host reports its VMs (Unknown ones get their real state; a queued VM found running
        here is adopted). Once the treatment has decided to hard-fence it goes on whatever the host
        does (neither the storage-lease wait nor RestartVds re-checks the status): the host's answer
        is taken only after the flow ends, and a host that came back in between is fenced."""
        guard = (((status[h] == "Connecting") | (status[h] == "NonResponsive") | reboot_watched(h)
                  | (status[h] == "Down")) & answering(h) & ~in_restart_vds(h) & (tr[h] != "stop"))
        upd = {status[h]: "Up", iff[h]: False, tr[h]: "idle", since[h]: 0}
        for vm in VM:
            cond = ((von[vm] == h) & (vst[vm] != "down")) | ((vst[vm] == "down") & alive(vm, h))
            upd.update(engine_view_from_host(vm, h, cond))
        return guard, upd

    @m.action(h=Host, fair="weak", duration=600)  # ServerRebootTimeout; the duration is for availability only
    def reboot_timeout(h):
        """ServerRebootTimeout (600 s, not counted in ticks: lazy) passes in Reboot without the host
        answering (VdsCommand.sleepOnReboot): NonResponsive, set by SetVdsStatus, not by monitoring, so
        no vdsNotResponding and no treatment. Only for a watched host (reboot_watched): a host left in
        Reboot by an engine restart stays Reboot until PmHealthCheckManager.startHosts or the operator."""
        return reboot_watched(h) & ~answering(h), {status[h]: "NonResponsive"}

    @m.action(vm=VM, h=Host, fair="weak")
    def vm_report(vm, h):
        """VmAnalyzer on an Up host: the engine's view of vm follows qemu (paused, resumed, or gone ->
        Down(exit=Error) and queued); a queued VM reported running here is adopted."""
        q = qemu[vm][h]
        st = vst[vm]
        mine = von[vm] == h
        differs = ((q == "running") & (st != "up")) | ((q == "paused") & (st != "paused")) | (q == "none")
        cond = (mine & (st != "down") & differs) | ((st == "down") & alive(vm, h))
        return (status[h] == "Up") & answering(h) & cond, engine_view_from_host(vm, h, lift(True))

    # ============================================================ VdsNotRespondingTreatment
    n_broken = count(Host, lambda h: (status[h] == "Connecting") | (status[h] == "NonResponsive"))
    broken = (n_broken * 100 >= p.connectivity_threshold * p.hosts) if p.skip_if_connectivity_broken else lift(False)
    policy_skips = lift(not p.fencing_enabled) | broken

    def flow_end(h):
        return {tr[h]: "done"}

    @m.action(h=Host, fair="weak")
    def treat_in_fence_flow(h):
        """VdsNotRespondingTreatmentCommand.executeCommand returns at once: in_fence_flow is set (an
        engine restart interrupted a flow after it was set). Nothing resets it but the host turning
        Up (VdsManager), so every later treatment of a silent host does the same."""
        return (tr[h] == "started") & iff[h], flow_end(h)

    @m.action(h=Host, fair="weak")
    def treat_startup_skip(h):
        """The engine started less than DisableFenceAtStartupInSec ago (FenceValidator.isStartupTimeoutPassed
        false): the treatment alerts and returns, freeing the PM lock; PmHealthCheckManager.fenceHosts
        re-runs it after the window if the host is still NonResponsive."""
        return (tr[h] == "started") & ~iff[h] & recent, flow_end(h)

    @m.action(h=Host, fair="weak")
    def treat_policy_skip(h):
        """Cluster fencing policy: fencing disabled, or skip_if_connectivity_broken with
        (Connecting + NonResponsive) / hosts >= threshold (the failed host counts). No retry."""
        return (tr[h] == "started") & ~iff[h] & ~recent & policy_skips, flow_end(h)

    @m.action(h=Host, fair="weak")
    def treat_no_pm(h):
        """No power management on the host: alert and stop; its VMs stay Unknown."""
        if has_pm[h]:
            return None
        return (tr[h] == "started") & ~iff[h] & ~recent & ~policy_skips, flow_end(h)

    @m.action(h=Host, fair="weak")
    def treat_hard_fence(h):
        """Soft fencing failed (the host still does not answer), PM configured: with skip_if_sd_active
        wait until 90 s after lastUpdate (waitUntilSkipFencingIfSDActiveAllowed); then set
        in_fence_flow in the DB and run RestartVds (updateHostInFenceFlow(true) comes before
        RestartVds validates, finds a proxy and sends STOP)."""
        if not has_pm[h]:
            return None
        guard = (tr[h] == "started") & ~iff[h] & ~recent & ~policy_skips & (status[h] == "NonResponsive")
        if not skip_sd:
            return guard, {tr[h]: "restart", iff[h]: True}
        waits = since[h] < LEASE_WAIT
        return guard, {tr[h]: ite(waits, lift("stop", STEP), lift("restart", STEP)), iff[h]: ~waits}

    @m.action(h=Host, fair="weak")
    def treat_lease_wait_over(h):
        """skip_if_sd_active: the 90 s storage-lease wait is over; in_fence_flow is set and RestartVds runs."""
        if not has_pm[h] or not skip_sd:
            return None
        return (tr[h] == "stop") & (since[h] >= LEASE_WAIT), {tr[h]: "restart", iff[h]: True}

    # ---- RestartVds = StopVds (+ status poll), FenceVdsManualy(clearVMs), StartVds
    def proxy_ok(h):
        return exists(Host, lambda d: (status[d] == "Up") & answering(d) if d != h else False)

    def stop_ready(h):
        """RestartVds is running and STOP is not sent yet (its validate and StopVds's need the startup
        window passed or in_fence_flow set: the latter holds for both flows that get here)."""
        return tr[h] == "restart"

    def sd_live(h):
        """The proxy skips STOP: skip_if_sd_active and the host id is live. PmHealthCheckManager's
        RestartVds passes no fencing policy, so it is never skipped."""
        return (hid[h] < HID_EXPIRE) & ~pmrec[h] if skip_sd else lift(False)

    def end_flow(h):
        """The flow is over: VdsNotRespondingTreatment resets in_fence_flow after RestartVds returns;
        PmHealthCheckManager's RestartVds resets nothing (the host turning Up will)."""
        return {iff[h]: iff[h] & pmrec[h], pmrec[h]: False, **flow_end(h)}

    @m.action(h=Host, fair="weak")
    def fence_stop_failed(h):
        """RestartVds or StopVds fails: no proxy host Up, or the PM agent does not answer (before
        StopVds starts, after it wrote status Reboot but before STOP got through, or at the status
        poll). FenceVdsBaseCommand.executeCommand restores the status StopVds found (the treatment's:
        NonResponsive; PmHealthCheckManager's: Reboot, kept); VMs stay Unknown, in_fence_flow reset
        by the treatment. No retry: RestartVdsCommand.validate -> FenceValidator.isProxyHostAvailable ->
        FenceProxyLocator.isProxyHostAvailable calls findProxyHost(false), without retries. Abstraction: a
        STOP whose proxy left Up (e.g. to Maintenance) while in flight fails here at once; upstream
        FenceAgentExecutor.fence finds its proxy with findProxyHost(isRetryEnabled(STOP) = true)
        (FindFenceProxyRetries 3 x FindFenceProxyDelayBetweenRetriesInSec 30 s) and, when the action fails
        through one proxy, re-runs it through another."""
        if not has_pm[h]:
            return None
        return ((stop_ready(h) | (tr[h] == "sending") | (tr[h] == "polled")) & (~proxy_ok(h) | ~pm_ok[h]),
                {status[h]: ite(pmrec[h], status[h], lift("NonResponsive", status[h].type)), **end_flow(h)})

    @m.action(h=Host, fair="weak")
    def fence_stop_skipped(h):
        """skip_if_sd_active: the proxy's VDSM answers 'skipped' because the host's sanlock host id
        is live (renewed in the last 80 s). The host stays NonResponsive. No retry."""
        if not has_pm[h] or not skip_sd:
            return None
        return stop_ready(h) & proxy_ok(h) & pm_ok[h] & sd_live(h), {status[h]: "NonResponsive", **end_flow(h)}

    @m.action(h=Host, fair="weak")
    def fence_stop(h):
        """StopVds starts: StopVdsCommand.setup writes status Reboot first ("Set status immediately to
        prevent a race", BZ 636950/656224) while the host still has power; STOP itself is sent only
        afterwards (fence_stop_delivered). An engine restart in between leaves a powered host in
        Reboot with in_fence_flow set."""
        if not has_pm[h]:
            return None
        return stop_ready(h) & proxy_ok(h) & pm_ok[h] & ~sd_live(h), {status[h]: "Reboot", tr[h]: "sending"}

    @m.action(h=Host, fair="weak")
    def fence_stop_delivered(h):
        """FenceVdsBaseCommand.executeCommand -> HostFenceActionExecutor.fence(STOP): STATUS, then STOP
        through the proxy (truthful: the host goes off and every qemu on it dies; faulty: nothing
        happens). SingleAgentFenceActionExecutor.waitForStatus polls 5 s later: the model's poll is
        due one tick later."""
        if not has_pm[h]:
            return None
        upd = {tr[h]: "stopping"}
        if truthful[h]:
            upd.update({power[h]: False, health[h]: "ok", **kill_all_on(h)})
        return (tr[h] == "sending") & proxy_ok(h) & pm_ok[h], upd

    @m.action(h=Host, fair="weak")
    def fence_stop_ok(h):
        """The status poll through the proxy reports power OFF (truthful: it is off; faulty: the agent
        says so): STOP confirmed."""
        if not has_pm[h]:
            return None
        return (tr[h] == "polled") & proxy_ok(h) & pm_ok[h], {tr[h]: "stopped"}

    @m.action(h=Host, fair="weak")
    def fence_release(h):
        """After a confirmed STOP: FenceVdsManualy(clearVMs) sets every VM of the host Down
        (exit=Error); the HA ones enter the restart queue."""
        upd = {tr[h]: "released"}
        for vm in VM:
            upd[vst[vm]] = ite(von[vm] == h, lift("down", VST), vst[vm])
            upd[von[vm]] = ite(von[vm] == h, HOST_NONE, von[vm])
        return tr[h] == "stopped", upd

    @m.action(h=Host, fair="weak")
    def fence_start_ok(h):
        """StartVds succeeds (truthful: the host powers on and boots); status stays Reboot until the
        host answers; the treatment resets in_fence_flow."""
        upd = end_flow(h)
        if truthful[h]:
            upd.update({power[h]: True, health[h]: "booting"})
        return (tr[h] == "released") & pm_ok[h], upd

    @m.action(h=Host, fair="weak")
    def fence_start_failed(h):
        """StartVds fails (agent unreachable): RestartVds sets NonResponsive; the treatment resets in_fence_flow."""
        return (tr[h] == "released") & ~pm_ok[h], {status[h]: "NonResponsive", **end_flow(h)}

    @m.action(fair="weak", duration=300)  # DisableFenceAtStartupInSec; the duration is for availability only
    def startup_window_over():
        """DisableFenceAtStartupInSec (300 s, not counted in ticks: lazy) passed: treatments run again.
        PmHealthCheckManager.recover() then (startHosts) runs RestartVds -- stop, clear the VMs, start --
        for each PM host that was in Reboot at engine start and whose agent reports power OFF
        (HostFenceActionExecutor.isHostPoweredOff: the agent must answer; a faulty one says OFF), and
        (fenceHosts) re-runs VdsNotRespondingTreatment for every other PM host now NonResponsive."""
        upd = {recent: False}
        for h in Host:
            if not has_pm[h]:
                upd[pmrec[h]] = lift(False)
                continue
            off = pm_ok[h] & (~power[h] if truthful[h] else lift(True))
            restart = pmrec[h] & off & (tr[h] == "idle")
            treat = ~restart & (status[h] == "NonResponsive") & ((tr[h] == "idle") | (tr[h] == "done"))
            upd[tr[h]] = ite(restart, lift("restart", STEP), ite(treat, lift("started", STEP), tr[h]))
            upd[pmrec[h]] = restart
        return recent, upd

    # ============================================================ VMs: qemu, vdsm, HA restart, leases
    @m.action(vm=VM, h=Host, fair="weak")
    def vm_eio_pause(vm, h):
        """Storage lost: the running VM pauses on an I/O error; libvirt releases its lease
        (qemuProcessHandleIOError -> virDomainLockProcessPause), a release that cannot reach the disk:
        the lease stays h's on disk until h's host id is dead or h reaches the storage again."""
        upd = {qemu[vm][h]: "paused"}
        if leases:
            upd[holder[vm]] = owner_after_release(holder[vm], h, storage[h])
        return (qemu[vm][h] == "running") & ~storage[h], upd

    @m.action(vm=VM, h=Host, fair="weak")
    def vm_resume(vm, h):
        """AUTO_RESUME: storage is back, the paused VM resumes (reacquiring its lease if it has one)."""
        if p.resume_behaviour != "auto_resume":
            return None
        upd = {qemu[vm][h]: "running"}
        guard = (qemu[vm][h] == "paused") & storage[h] & os_up(h)
        if leases:
            guard = guard & lease_free(vm, h)
            upd[holder[vm]] = h
        return guard, upd

    @m.action(vm=VM, h=Host, fair="weak", duration=80)  # vdsm's 80 s; the duration is for availability only
    def vm_kill_paused(vm, h):
        """KILL: vdsm kills a VM paused on an I/O error (after 80 s; not counted in ticks: lazy)."""
        if p.resume_behaviour != "kill":
            return None
        return (qemu[vm][h] == "paused") & os_up(h), {qemu[vm][h]: "none"}

    @m.action(vm=VM, d=Host, fair="weak")
    def ha_restart(vm, d):
        """HaAutoStartVmsRunner: a Down(exit=Error) HA VM is run on a destination the scheduler
        accepts; with a lease the launch needs the lease free (else it fails and is retried)."""
        return (vst[vm] == "down") & dest_ok(vm, d) & lease_free(vm, d), start_on(vm, d)

    @m.action(vm=VM, d=Host, fair="weak")
    def lease_restart(vm, d):
        """VM-lease path (beside the fence flow): an Unknown VM with a lease is run elsewhere
        (RunVm runInUnknownStatus) from ~20 s after it turned Unknown; sanlock lets it start only
        when the lease is free."""
        if not leases:
            return None
        due = exists(Host, lambda h: (von[vm] == h) & (since[h] >= grace + LEASE_DELAY))
        return (vst[vm] == "unknown") & (von[vm] != d) & due & dest_ok(vm, d) & lease_free(vm, d), start_on(vm, d)

    # ============================================================ time
    def since_runs(h):
        return (((status[h] == "Connecting") | (status[h] == "NonResponsive") | (status[h] == "Reboot"))
                & (since[h] < since_max))

    def hid_runs(h):
        return ~renewing(h) & (hid[h] < hid_max)

    # every fair step that is not lazy is urgent: it happens before time moves on
    urgent = (or_(*[i.guard for i in m.instances if i.fair and i.action not in LAZY]) if p.urgent_steps
              else lift(False))

    @m.action(fair="weak", tick=True)
    def tick():
        """Ten seconds pass, once no urgent engine/vdsm/sanlock step is pending: the engine's
        lastUpdate ages, a STOP's status poll becomes due, host ids age. When a host id reaches 80 s
        without renewal, sanlock kills the processes on that host that still hold a lease (a paused
        VM released its own); its leases stay on disk until the host id is dead, 140 s after the last
        renewal (then ``lease_free`` lets another host take them)."""
        running = []
        upd = {}
        for h in Host:
            running.append(since_runs(h))
            upd[since[h]] = ite(since_runs(h), since[h] + 1, since[h])
            running.append(tr[h] == "stopping")
            upd[tr[h]] = ite(tr[h] == "stopping", lift("polled", STEP), tr[h])
            if need_hid:
                running.append(hid_runs(h))
                upd[hid[h]] = ite(hid_runs(h), hid[h] + 1, hid[h])
        if leases:
            for vm in VM:
                for h in Host:
                    killed = kill_due(holds_lease(holder[vm], h, qemu[vm][h] == "running"), hid[h] + 1, HID_EXPIRE)
                    upd[qemu[vm][h]] = ite(hid_runs(h) & killed, lift("none", qemu[vm][h].type), qemu[vm][h])
        return or_(*running) & ~urgent, upd

    # ============================================================ properties
    v = m.vars
    m.invariant("no_dual_running_vm", no_dual_running_vm(v, Host, VM),
                doc="for every VM at most one host where its qemu runs or is paused and not yet killed (sticky)")
    register_lemmas(m, p, v, Host, VM)  # why it holds without the manual confirm (stated where they apply)
    m.invariant("no_dual_writing_vm", no_dual_writing_vm(v, Host, VM),
                doc="for every VM at most one host where its qemu is running (paused copies do not write)")
    m.reachable("vm_stuck_unknown", vm_stuck_unknown(v, Host, VM, answering),
                doc="a VM is Unknown, its host's treatment is over without releasing it, and the host is silent")
    m.reachable("vm_restarted_elsewhere", vm_restarted_elsewhere(v, Host, VM, home),
                doc="some HA VM runs Up on a host other than its original one (a failover happened)")
    trigger, response = ha_vm_restarted(v, Host, VM)
    m.leads_to("ha_vm_restarted", trigger, response,
               doc="whenever some HA VM is not running (engine shows it Up where its qemu runs), eventually all "
               "are; check it after one crash: --faults crash, manual_confirm_allowed=false, operator_actions=false")
    # -- long-run availability (hacheck availability; check does not read these) --------------------
    for vm in VM:
        m.availability(f"vm_{vm.name}_running", vm_up_running(v, Host, vm),
                       doc=f"HA VM {vm.name} is Up where its qemu really runs")
    return m


SPEC = Spec("fencing", Params, build, doc=__doc__, check=check_params)
