"""oVirt self-hosted engine: election by score (ovirt-ha-agent) and the sanlock lease.

Every hypervisor runs ovirt-ha-agent: each 10 s cycle it reads every host's metadata slot on the
shared storage, runs one step of its state machine, and publishes its own state, score and local
engine-VM status in its slot. The host with the best score starts the engine VM. The agents do not
exclude each other: only the sanlock lease on the engine VM disk keeps the VM from running twice.

Time is discrete (ticks of 10 s, ``tick_seconds=10``). Between two ``tick`` steps every live agent
that can reach the storage runs one cycle ending in a waiting transition (NOWAIT transitions loop
again at once), in any order; an agent that runs before a peer in a tick reads what that peer
published in the previous tick (the broker's bounded staleness). A peer is alive for an observer
iff the observer saw the peer's timestamp change within the last ``host_alive_timeout`` ticks of
the observer's own clock. Time does not pass while something is overdue (sanlock's kill, and the
bounded engine VM boot and agent restart), so ``engine_recovers`` has a finite worst-case recovery
time. See docs/models/hosted-engine.md.
"""

from __future__ import annotations

import attrs

from hacheck.avail.defaults import fail_rate, repair_rate
from hacheck.lang import (
    BadInput, Bool, Elem, Enum, Int, Map, Model, Set, Spec, and_, forall, ite, max_, min_, not_,
    or_, param, sum_, switch,
)
from hacheck.lang.expr import lift  # typed Enum constants
from hacheck.properties.rules import ha_should_stop, ha_start_allowed
from hacheck.properties.hosted_engine import (
    connected_host_renews, engine_recovered, engine_running, engine_up, fresh_start_race, no_dual_engine,
    no_dual_writer, paused_copy_beside_engine, start_refused_by_lease, vm_running, vm_writing, writer_holds_lease,
    writer_reaches_storage,
)
from hacheck.properties.lease import (
    holds_lease as lease_held, kill_due, lease_acquirable, owner_after_release, owner_after_storage_back, owner_dead,
)

# Agent states (agent/states.py, StartState in agent/state_machine.py). AgentStopped is "agent not
# alive"; EngineMaybeAway is left out (its entries, EngineUp with the local VM down or the best engine
# not up, are unreachable here; EngineStarting's "other down states" go straight to
# EngineUnexpectedlyDown, see the docs page); UnknownLocalVmState and the removed EngineMigratingAway
# are left out.
STATES = (
    "ReinitializeFSM", "EngineDown", "EngineStart", "EngineStarting", "EngineUp", "EngineUpBadHealth",
    "EngineStop", "EngineForceStop", "EngineUnexpectedlyDown", "GlobalMaintenance", "LocalMaintenance",
    "StartState",
)
# check_timeout (agent/state_decorators.py) starts a state's clock (state_data.time: int of the
# cycle's collect_finish) on its first consume that stays in the state, one cycle after a waiting
# entry, and fires on start + T < now. A cycle lasts LOOP_DELAY + d: _monitoring_loop's sleep only
# subtracts loop_start..loop_stop, and refresh + consume run before loop_start. With d > 0 (T*d >= 1 s:
# 34 ms for 300 s) the timer fires on the (T/10 + 1)-th cycle after a waiting entry; T/10 + 2 is the
# d -> 0 limit. After a NOWAIT entry (ReinitializeFSM/EngineDown -> EngineStarting with the VM up)
# the clock starts in the entry's own tick, one cycle earlier: not distinguished here (see the docs).
CHECK_TIMEOUT_LAG = 1
# Local engine VM as vdsm reports it. "down_unexpected" is vdsm's DOWN with an unexpected exit
# reason (crash, sanlock kill); the agent consumes it on its next cycle (it becomes "down").
VM_STATES = ("down", "down_unexpected", "starting", "up_good", "up_bad", "paused")
# Engine status ranks (lib/util.py engine_status_score): unknown 0, down 1, paused 2, up+bad 3, up+good 4
RANK = {"down": 1, "down_unexpected": 1, "starting": 3, "up_good": 4, "up_bad": 3, "paused": 2}
PENALTIES = ("network", "bridge", "cpu", "memory", "config")
ZERO_SCORE_STATES = ("StartState", "ReinitializeFSM", "LocalMaintenance", "EngineUnexpectedlyDown")
NO_MEMORY_PENALTY = ("EngineUp", "EngineUpBadHealth", "GlobalMaintenance")
RETRY_MAX_ATTEMPTS = 3  # ENGINE_RETRY_MAX_ATTEMPTS


# Upstream timer values in ticks of 10 s; the defaults below are scaled down (see the docs page).
UPSTREAM_TIMERS = dict(host_alive_timeout=6, engine_starting_timeout=60, bad_health_timeout=30,
                       unexpected_down_timeout=56, lease_host_dead=14, lease_kill_after=8)


@attrs.frozen
class Params:
    hosts: int = param(2, low=2, high=4, doc="number of hosted-engine hosts (hypervisors)")
    base_score: int = param(3400, low=1, high=10000, doc="score of a host with no penalty (base-score)")
    restart_threshold: int = param(
        800, low=0, high=10000,
        doc="EngineUp stops the local VM when the best remote score >= own score + this (MIGRATION/RESTART_THRESHOLD_SCORE)")
    penalty_network: int = param(
        1600, low=0, high=10000,
        doc="network (gateway) penalty of a host that lost its network: int((1-f)*1600) for f probes ok; 1600 = all 5 fail")
    penalty_bridge: int = param(600, low=0, high=10000, doc="management bridge down (mgmt-bridge-score-penalty)")
    penalty_cpu: int = param(1000, low=0, high=10000, doc="CPU load penalty at its maximum (cpu-load-score-penalty)")
    penalty_memory: int = param(400, low=0, high=10000, doc="free memory below the engine VM size (free-memory-score-penalty)")
    penalty_config: int = param(1000, low=0, high=10000, doc="configuration not up to date (not-uptodate-config-penalty)")
    penalty_retry: int = param(50, low=0, high=10000, doc="per failed START_VM attempt (engine-retry-score-penalty)")
    host_alive_timeout: int = param(2, low=1, high=60, doc="ticks without a host-ts change before a peer is dead (upstream 6 = 60 s; scaled default)")
    engine_starting_timeout: int = param(3, low=1, high=120, doc="ticks in EngineStarting before EngineStop (upstream 60 = 600 s; scaled default)")
    bad_health_timeout: int = param(3, low=1, high=120, doc="ticks in EngineUpBadHealth, and in EngineStop, before giving up (upstream 30 = 300 s; scaled default)")
    unexpected_down_timeout: int = param(3, low=1, high=120, doc="ticks at score 0 in EngineUnexpectedlyDown (upstream 56 = 560 s; scaled default)")
    lease_host_dead: int = param(5, low=1, high=60, doc="ticks after its last renewal before a host's lease can be taken (upstream 14 = 140 s; scaled default)")
    lease_kill_after: int = param(3, low=1, high=60, doc="ticks after the last renewal by which sanlock/watchdog kill the lease holder's VM (upstream 8 = 80 s; scaled default)")
    vm_boot_ticks: int = param(
        1, low=0, high=120,
        doc="ticks in EngineStarting by which the engine VM has booted (up; good health unless the host lost its "
            "network). Upstream ~18 = 3 min (ovirt-site FAQ); scaled default. Must stay < engine_starting_timeout "
            "for the engine to recover; 0: no bound")
    vm_boot_min_ticks: int = param(
        0, low=0, high=120,
        doc="ticks in EngineStarting before the engine VM can have booted: the lower end of the boot time, a "
            "measurement (ovirt-site FAQ: ~3 min = 18, the same as vm_boot_ticks); 0: it may boot at once. "
            "Only best-case recovery times depend on it")
    agent_restart_ticks: int = param(
        1, low=0, high=60,
        doc="ticks after ovirt-ha-agent dies by which systemd restarts it (upstream RestartSec=10s: 1); 0: no bound")
    sanlock_lease: bool = param(True, doc="the engine VM disk carries a sanlock lease (false: agents alone must exclude)")
    retry_penalty_bug: bool = param(
        True, doc="upstream (v2.5.x): every cycle's refresh clears the retry count (has_elapsed compares the "
        "monotonic retry time with the wall clock), so a failed START_VM's -penalty_retry is published for that "
        "one cycle and 'score 0 after more than 3 failures' never applies. false: the count adds up until it "
        "expires (ENGINE_RETRY_EXPIRATION_SECS, not timed: an environment step)")
    stop_paused_elsewhere: bool = param(
        True, doc="BZ 1393839 (agent since v2.3.0, upstream v2.5.x): EngineUp moves to EngineStop when the "
        "engine runs elsewhere, EngineStop force-stops a paused VM, and a paused VM ranks below an up one; "
        "false: the older agent (EngineUp -> EngineDown, EngineStop -> EngineDown, the paused VM left alone)")
    start_rule: str = param(
        "le", choices=("le", "lt"),
        doc="EngineDown starts the VM when best remote score <= own (le, fix of rhbz#1093638) or < own (lt, the old rule)")
    start: str = param(
        "cold", choices=("cold", "engine_up"),
        doc="initial state: cold (every agent in EngineDown, the engine VM down everywhere) or engine_up "
            "(h1 runs the engine in EngineUp with good health and holds the lease: the steady state a failure hits)")
    maintenance_steps: int = param(
        1, low=0, high=6, doc="operator steps allowed: each set or clear of global or local maintenance counts one")
    max_faults: int = param(1, low=0, high=3, doc="faults allowed (the fault budget)")


def _check(p: Params) -> None:
    if p.vm_boot_ticks and p.vm_boot_min_ticks > p.vm_boot_ticks:
        raise BadInput(f"vm_boot_min_ticks={p.vm_boot_min_ticks} must not exceed vm_boot_ticks={p.vm_boot_ticks}")
    if p.lease_kill_after >= p.lease_host_dead:
        raise BadInput(
            f"lease_kill_after={p.lease_kill_after} must be below lease_host_dead={p.lease_host_dead}: sanlock "
            "derives host_dead_seconds from the kill time plus the watchdog fire timeout (80 s + 60 s), "
            "so another host can never take a lease before its holder was killed")


def build(p: Params) -> Model:
    m = Model("hosted_engine", doc=__doc__, tick_seconds=10)
    names = [f"h{i + 1}" for i in range(p.hosts)]
    Host = m.sort("Host", names, symmetric=p.start == "cold")  # engine_up singles out h1

    def at_h1(v1, rest):
        """A per-host initial value: v1 on h1 when the engine starts up there, ``rest`` elsewhere."""
        if p.start == "cold":
            return rest
        return {n: (v1 if n == "h1" else rest) for n in names}
    Penalty = m.sort("Penalty", list(PENALTIES))
    K = p.host_alive_timeout
    HIST = K + 2  # cycles since the agent started, saturated: < K waiting, == K blind, K+1 just after
    RMAX = max(p.lease_host_dead, p.lease_kill_after)
    TIMEOUT = {"EngineStarting": p.engine_starting_timeout, "EngineUpBadHealth": p.bad_health_timeout,
               "EngineStop": p.bad_health_timeout, "EngineUnexpectedlyDown": p.unexpected_down_timeout}
    TMAX = max(*(t + CHECK_TIMEOUT_LAG for t in TIMEOUT.values()), p.agent_restart_ticks)
    pen_value = {"network": p.penalty_network, "bridge": p.penalty_bridge, "cpu": p.penalty_cpu,
                 "memory": p.penalty_memory, "config": p.penalty_config}

    # -- per host -------------------------------------------------------------------------------
    up = m.var("up", Map(Host, Bool), init=True, doc="host powered and running")
    agent = m.var("agent", Map(Host, Bool), init=True, doc="ovirt-ha-agent (and broker) process alive")
    storage = m.var("storage", Map(Host, Bool), init=True, doc="host reaches the shared storage domain")
    state = m.var("state", Map(Host, Enum(*STATES)), init=at_h1("EngineUp", "EngineDown"), doc="agent state machine state")
    vm = m.var("vm", Map(Host, Enum(*VM_STATES)), init=at_h1("up_good", "down"), doc="local engine VM as vdsm reports it")
    tmr = m.var("tmr", Map(Host, Int(0, TMAX)), init=0,
                doc="ticks spent in the current state (its timeout clock); while the agent is dead: ticks since it died")
    hist = m.var("hist", Map(Host, Int(0, HIST)), init=HIST, doc="agent cycles since the agent started (saturated)")
    acted = m.var("acted", Map(Host, Bool), init=False,
                  doc="the agent ended its cycle in this tick (a transition that waits LOOP_DELAY)")
    pen = m.var("pen", Map(Host, Set(Penalty)), init=set(), doc="active score penalties")
    lm = m.var("lm", Map(Host, Bool), init=False, doc="local maintenance set on the host")
    renew = m.var("renew", Map(Host, Int(0, RMAX)), init=0,
                  doc="ticks since the host's sanlock lockspace was last renewed (saturated)")
    retry = None
    if p.penalty_retry:
        retry = m.var("retry", Map(Host, Int(0, 1 if p.retry_penalty_bug else RETRY_MAX_ATTEMPTS + 1)), init=0,
                      doc="failed START_VM attempts counted in the score (with the upstream bug: 1 only in the "
                          "slot written by the cycle whose START_VM failed)")

    def retry_now(h):
        """The retry count a cycle's consume() sees: StateMachine.refresh clears it first with the bug."""
        return 0 if p.retry_penalty_bug else retry[h]
    # -- shared storage -------------------------------------------------------------------------
    md_score = m.var("md_score", Map(Host, Int(0, p.base_score)), init=p.base_score, doc="score in the host's metadata slot")
    md_status = m.var("md_status", Map(Host, Int(0, 4)), init=at_h1(RANK["up_good"], RANK["down"]),
                      doc="engine status rank in the slot: 0 unknown, 1 down, 2 paused, 3 up+bad, 4 up+good")
    gm = m.var("gm", Bool, init=False, doc="global maintenance flag (slot 0)")
    lease = m.var("lease", Elem(Host, optional=True), init=None if p.start == "cold" else "h1", doc="sanlock lease on the engine VM disk: its owner")
    # -- observer-relative liveness (the host-ts field abstracted) -------------------------------
    dirty = m.var("dirty", Map(Host, Map(Host, Bool)), init=False,
                  doc="dirty[p][o]: p rewrote its slot (new host-ts) since o last read it")
    age = m.var("age", Map(Host, Map(Host, Int(0, K))), init=0,
                doc="age[o][p]: ticks of o's clock since o last saw p's host-ts change (saturated)")
    m.fault_budget(p.max_faults)

    VMT = vm[Host.elements[0]].type

    def V(name: str):
        """A constant of the VM-state Enum, for ite() with two constant branches."""
        return lift(name, VMT)

    def others(h):
        return [x for x in Host if x != h]

    def active(h):
        return up[h] & agent[h] & storage[h]

    def alive(h, q):
        """q is alive for observer h after h's read in this cycle."""
        return (hist[h] != K) & (dirty[q][h] | (age[h][q] < K))

    # engine_status_score (lib/util.py): since BZ 1393839 a paused VM ranks 2, below up+bad (3); before
    # it, a paused VM was just an up VM with bad health
    ranks = dict(RANK) if p.stop_paused_elsewhere else {**RANK, "paused": RANK["up_bad"]}

    def rank(vm_expr):
        return switch([(vm_expr == v, ranks[v]) for v in VM_STATES[:-1]], ranks[VM_STATES[-1]])

    def score(h, st: str, retries=None):
        """EngineState.score of state ``st`` (a build-time name) with h's current penalties and
        ``retries`` failed starts (by default the count consume() sees)."""
        if st in ZERO_SCORE_STATES:
            return 0
        raw = p.base_score - sum_(ite(pen[h].has(k), pen_value[k], 0) for k in PENALTIES
                                  if not (k == "memory" and st in NO_MEMORY_PENALTY) and pen_value[k])
        if retry is not None:
            n = retry_now(h) if retries is None else retries
            raw = ite(lift(n) > RETRY_MAX_ATTEMPTS, 0, raw - lift(n) * p.penalty_retry)
        return max_(0, raw)

    def best_remote(h):
        vals = [ite(alive(h, q), md_score[q], 0) for q in others(h)]
        out = vals[0]
        for v in vals[1:]:
            out = max_(out, v)
        return out

    def remote_rank(h, q):
        return ite(alive(h, q), md_status[q], 0)

    def local_rank(h):
        return rank(vm[h])

    def best_engine_elsewhere_up(h):
        """The best engine (local host winning ties) is on another host, and it is up (rank >= 2)."""
        return or_(*((remote_rank(h, q) > local_rank(h)) & (remote_rank(h, q) >= 2) for q in others(h)))

    def owns_lease(h):
        """The lease on disk names h (h's VM holds it, or h released it but could not write that)."""
        return (lease == h) if p.sanlock_lease else False

    def holds_lease(h):
        """sanlock's view: h's VM process holds the lease (a paused VM released it)."""
        return lease_held(lease, h, vm_writing(vm[h])) if p.sanlock_lease else False

    def local_up(h):
        return vm_running(vm[h])

    def release(h):
        """h's VM gives its lease up (shutdown, poweroff, exit): written to disk if h reaches the storage."""
        return {lease: owner_after_release(lease, h, storage[h])} if p.sanlock_lease else {}

    def cycle_updates(h, src: str, dst: str, vm_new=None, extra=None, nowait: bool = False):
        """What every agent cycle does: read all slots, move to dst, publish its own slot. A NOWAIT
        transition (fsm.NOWAIT upstream) does not end the cycle: the agent loops again at once, in
        the same tick, and its history (counted in 10 s cycles) does not grow."""
        u = {state[h]: dst}
        if not nowait:
            u[acted[h]] = True
            u[hist[h]] = min_(hist[h] + 1, HIST)
        if dst != src:
            u[tmr[h]] = 0
        for q in others(h):
            u[age[h][q]] = ite(dirty[q][h], 0, age[h][q])
            u[dirty[q][h]] = False
            u[dirty[h][q]] = up[q] & agent[q]  # a dead observer has no last read: kept False
        new_vm = vm_new if vm_new is not None else ite(vm[h] == "down_unexpected", "down", vm[h])
        u[vm[h]] = new_vm
        extra = extra or {}
        retries = None
        if retry is not None:
            retries = extra.get(retry[h], retry_now(h))
            u[retry[h]] = retries
        u[md_score[h]] = score(h, dst, retries)  # the new state's score, with the count it leaves
        u[md_status[h]] = rank(new_vm)
        u.update(extra or {})
        return u

    def agent_state(src: str, branches, doc: str):
        """One action per branch of ``src``'s consume(); branches are tried in code order. A branch
        is (label, condition, destination, extra updates, [NOWAIT])."""
        for i, (label, cond, dst, kw, *nw) in enumerate(branches):
            nowait = bool(nw and nw[0])

            def fn(h, i=i, cond=cond, dst=dst, kw=kw, nowait=nowait):
                earlier = [b[1](h) for b in branches[:i]]
                guard = and_(active(h), ~acted[h], state[h] == src, cond(h), *(not_(e) for e in earlier))
                extra = kw(h) if kw else {}
                return guard, cycle_updates(h, src, dst, nowait=nowait, **extra)
            fn.__doc__ = f"{src}: {doc} -> {dst} ({label}{', NOWAIT' if nowait else ''})"
            m.action(f"{_snake(src)}__{label}", h=Host, fair="weak")(fn)

    def T(h, st):
        """check_timeout fires: T ticks after the first consume in the state, strictly later, on
        cycles of 10 s + d (CHECK_TIMEOUT_LAG)."""
        return tmr[h] >= TIMEOUT[st] + CHECK_TIMEOUT_LAG

    NOWAIT = True
    GM = lambda h: gm  # noqa: E731
    LM = lambda h: lm[h]  # noqa: E731
    always = lambda h: True  # noqa: E731
    guards = [("global_maintenance", GM, "GlobalMaintenance", None), ("local_maintenance", LM, "LocalMaintenance", None)]

    agent_state("StartState", [("reinitialize", always, "ReinitializeFSM", None)],
                "StartState.consume (agent/state_machine.py): the agent's first cycle, then")

    agent_state("ReinitializeFSM", guards + [
        ("vm_up", local_up, "EngineStarting", None, NOWAIT),
        ("vm_down", always, "EngineDown", None),
    ], "pick the starting state from the local VM")

    # EngineDown
    def may_start(h):
        own, best = score(h, "EngineDown"), best_remote(h)
        return ha_start_allowed(own, best, p.start_rule)

    def best_engine_here_up(h):
        return and_(local_up(h), *(local_rank(h) >= remote_rank(h, q) for q in others(h)))

    agent_state("EngineDown", guards + [
        ("engine_up_here", best_engine_here_up, "EngineStarting", None, NOWAIT),
        ("engine_up_elsewhere", best_engine_elsewhere_up, "EngineDown", None),
        ("history_short", lambda h: hist[h] < K, "EngineDown", None),
        ("best_score", may_start, "EngineStart", None, NOWAIT),
        ("stay", always, "EngineDown", None),
    ], "wait while the engine runs elsewhere; start it when this host has the best score")

    # EngineStart: START_VM. With the lease, qemu starts only if sanlock grants the lease.
    def acquirable(h):
        if not p.sanlock_lease:
            return True
        return lease_acquirable(lease, h, {q: owner_dead(renew[q], p.lease_host_dead) for q in others(h)})

    def start_vm(h):
        ok = acquirable(h)
        extra = {}
        if p.sanlock_lease:
            extra[lease] = ite(ok, h, lease)
        if retry is not None:
            extra[retry[h]] = 0
        return {"vm_new": ite(ok, V("starting"), V("down")), "extra": extra}

    agent_state("EngineStart", guards + [
        ("start_vm", always, "EngineStarting", start_vm),
    ], "START_VM (sanlock refuses the lease if another live host holds it: the VM goes Down)")

    @m.action(h=Host, fault=True)
    def start_vm_fails(h):
        """EngineStart: START_VM fails in vdsm -> EngineDown, retry count + 1."""
        guard = and_(active(h), ~acted[h], state[h] == "EngineStart", ~gm, ~lm[h])
        extra = {}
        if retry is not None:
            extra[retry[h]] = min_(lift(retry_now(h)) + 1, 1 if p.retry_penalty_bug else RETRY_MAX_ATTEMPTS + 1)
        return guard, cycle_updates(h, "EngineStart", "EngineDown", extra=extra)

    # EngineStarting
    agent_state("EngineStarting", [("timeout", lambda h: T(h, "EngineStarting"), "EngineStop", None)] + guards + [
        ("up_good", lambda h: vm[h] == "up_good", "EngineUp", None),
        ("not_ready", local_up, "EngineStarting", None),
        ("vm_down", lambda h: vm[h] == "down", "EngineForceStop", None, NOWAIT),
        ("vm_died", always, "EngineUnexpectedlyDown", None),
    ], "wait for the VM to come up with good health")

    # EngineUp and EngineUpBadHealth (no local maintenance check)
    def up_branches(src):
        own = lambda h: score(h, src)  # noqa: E731
        # BZ 1393839: "engine VM unexpectedly running on host N" -> EngineStop (before: EngineDown)
        elsewhere = "EngineStop" if p.stop_paused_elsewhere else "EngineDown"
        br = [("global_maintenance", GM, "GlobalMaintenance", None),
              ("vm_down", lambda h: vm[h] == "down", "EngineDown", None),
              ("vm_died", lambda h: vm[h] == "down_unexpected", "EngineUnexpectedlyDown", None),
              ("better_engine_elsewhere", best_engine_elsewhere_up, elsewhere, None),
              ("better_score_elsewhere", lambda h: ha_should_stop(own(h), best_remote(h), p.restart_threshold), "EngineStop", None),
              ("bad_health", lambda h: vm[h] != "up_good", "EngineUpBadHealth", None),
              ("good", always, "EngineUp", None)]
        if src == "EngineUpBadHealth":
            br.insert(0, ("timeout", lambda h: T(h, "EngineUpBadHealth"), "EngineStop", None))
        return br

    agent_state("EngineUp", up_branches("EngineUp"), "monitor the local engine VM")
    agent_state("EngineUpBadHealth", up_branches("EngineUpBadHealth"), "monitor a VM with bad health")

    # EngineStop: vm-shutdown was issued on entry; the VM halts (vm_shutdown_done) or the timeout fires
    if p.stop_paused_elsewhere:  # EngineStop.consume since BZ 1393839
        stop_branches = [("vm_not_up", lambda h: ~local_up(h), "EngineDown", None),
                         ("paused", lambda h: vm[h] == "paused", "EngineForceStop", None, NOWAIT)]
    else:  # before: "engine vm not running on local host" when the best engine is not up here
        stop_branches = [("not_best_here", lambda h: ~local_up(h) | best_engine_elsewhere_up(h), "EngineDown", None)]
    agent_state("EngineStop", [("timeout", lambda h: T(h, "EngineStop"), "EngineForceStop", None)] + guards
                + stop_branches + [("wait", always, "EngineStop", None)], "wait for the VM shutdown")

    def poweroff(h):
        return {"vm_new": "down", "extra": release(h)}

    agent_state("EngineForceStop", guards + [
        ("poweroff", always, "EngineDown", poweroff),
    ], "vm-poweroff")

    agent_state("EngineUnexpectedlyDown", [("timeout", lambda h: T(h, "EngineUnexpectedlyDown"), "EngineDown", None)] + guards + [
        ("vm_up", best_engine_here_up, "EngineUp", None),
        ("wait", always, "EngineUnexpectedlyDown", None),
    ], "score 0 for a while after the VM died")

    agent_state("GlobalMaintenance", [
        ("stay", GM, "GlobalMaintenance", None),
        ("local_maintenance", LM, "LocalMaintenance", None),
        ("leave", always, "ReinitializeFSM", None),
    ], "idle while global maintenance is set")

    agent_state("LocalMaintenance", [
        ("stay", LM, "LocalMaintenance", None),
        ("leave", always, "ReinitializeFSM", None),
    ], "idle at score 0 while local maintenance is set")

    # -- time -----------------------------------------------------------------------------------
    def cap(h):
        by_state = switch([(state[h] == s, t + CHECK_TIMEOUT_LAG) for s, t in TIMEOUT.items()], 0)
        if not p.agent_restart_ticks:
            return by_state
        return ite(up[h] & ~agent[h], p.agent_restart_ticks, by_state)

    def overdue(h):
        """Something on h must happen before time may pass: sanlock's kill, and with bounded
        delays the end of the engine VM's boot and systemd's restart of the agent."""
        late = [up[h] & ~storage[h] & kill_due(holds_lease(h), renew[h], p.lease_kill_after)]
        if p.vm_boot_ticks:
            late.append(vm_boot_enabled(h) & (state[h] == "EngineStarting") & (tmr[h] >= p.vm_boot_ticks))
        if p.agent_restart_ticks:
            late.append(up[h] & ~agent[h] & (tmr[h] >= p.agent_restart_ticks))
        return or_(*late)

    def vm_boot_enabled(h):
        return (vm[h] == "starting") & up[h] & storage[h]

    @m.action(fair="weak", tick=True)
    def tick():
        """10 s pass: every live agent with storage has ended its cycle; nothing is overdue (sanlock's
        kill, and with bounded delays the engine VM's boot and the agent's restart)."""
        guard = forall(Host, lambda h: (~active(h) | acted[h]) & ~overdue(h))
        u = {}
        for h in Host:
            u[acted[h]] = False
            u[renew[h]] = ite(owns_lease(h) & ~(up[h] & storage[h]), min_(renew[h] + 1, RMAX), 0)
            u[tmr[h]] = min_(tmr[h] + 1, cap(h))
            for q in others(h):
                u[age[h][q]] = min_(age[h][q] + 1, K)
            # once no observer can count h as alive, its stale slot is never read: forget it
            unseen = and_(*(~dirty[h][q] & (age[q][h] + 1 >= K) for q in others(h)))
            u[md_score[h]] = ite(unseen, 0, md_score[h])
            u[md_status[h]] = ite(unseen, 0, md_status[h])
        return guard, u

    # -- the engine VM, vdsm and sanlock ----------------------------------------------------------

    @m.action(h=Host, fair="weak")
    def vm_boot(h):
        """The engine VM finishes booting (within vm_boot_ticks of its agent entering EngineStarting);
        its health is good unless the host lost its network."""
        guard = vm_boot_enabled(h)
        if p.vm_boot_min_ticks:
            guard = guard & (state[h] == "EngineStarting") & (tmr[h] >= p.vm_boot_min_ticks)
        return guard, {vm[h]: ite(pen[h].has("network"), V("up_bad"), V("up_good"))}

    @m.action(h=Host, fair="weak")
    def vm_shutdown_done(h):
        """The vm-shutdown issued on entering EngineStop completes: the VM is down, the lease released."""
        guard = up[h] & storage[h] & agent[h] & (state[h] == "EngineStop") & or_(
            vm[h] == "starting", vm[h] == "up_good", vm[h] == "up_bad")
        return guard, {vm[h]: "down", **release(h)}

    @m.action(h=Host, fair="weak")
    def sanlock_kill(h):
        """sanlock (or the watchdog) kills a VM that still holds the lease on a host whose renewals fail.
        A VM paused on an I/O error released it (qemuProcessHandleIOError): it is not killed. Since
        lose_storage pauses the VM at once, no fault here leaves a holder without storage: kept so the
        lease semantics stay whole (properties/lease.py)."""
        return up[h] & ~storage[h] & holds_lease(h), {vm[h]: "down_unexpected"}

    # -- faults ---------------------------------------------------------------------------------
    def agent_gone(h):
        u = {agent[h]: False, state[h]: "StartState", tmr[h]: 0, hist[h]: 0, acted[h]: False}
        for q in others(h):
            u[age[h][q]] = K
            u[dirty[q][h]] = False
        return u

    @m.action(h=Host, fault=True, rate=fail_rate("host-crash"))
    def host_crash(h):
        """The host dies: VM, agent and sanlock renewals stop (the lease stays until it is dead)."""
        u = agent_gone(h)
        u.update({up[h]: False, vm[h]: "down", storage[h]: True})
        return up[h], u

    @m.action(h=Host, env=True, rate=repair_rate("host-crash"), repairs="host_crash")
    def host_restart(h):
        """The host boots again; the agent starts fresh; the new lockspace generation frees its old lease."""
        return ~up[h], {up[h]: True, agent[h]: True, renew[h]: 0, **release(h)}

    @m.action(h=Host, fault=True, rate=fail_rate("agent-crash"))
    def agent_crash(h):
        """ovirt-ha-agent dies; the VM keeps running; the slot's host-ts freezes."""
        return up[h] & agent[h], agent_gone(h)

    @m.action(h=Host, fair="weak")
    def agent_restart(h):
        """systemd restarts ovirt-ha-agent (within agent_restart_ticks): StartState -> ReinitializeFSM
        with no history."""
        return up[h] & ~agent[h], {agent[h]: True, tmr[h]: 0}

    @m.action(h=Host, fault=True, rate=fail_rate("storage-loss"))
    def lose_storage(h):
        """The host loses the storage domain: no metadata I/O, no lease renewal; qemu pauses on EIO
        and libvirt releases its lease (qemuProcessHandleIOError -> virDomainLockProcessPause), a
        release that cannot reach the disk: the disk keeps naming h until h's host id is dead.
        Abstraction: the pause is immediate here; upstream it waits for a failing guest I/O, and a
        guest without one is killed by sanlock after 80 s (models/fencing.py keeps that race:
        vm_eio_pause). No verdict depends on the order (docs, "What is abstracted"). Also abstracted:
        the agent freezes here; upstream _monitoring_loop ends on StorageDisconnectedError, the agent
        exits and systemd restarts it (docs, "Storage loss")."""
        u = {storage[h]: False, vm[h]: ite(vm_running(vm[h]), "paused", vm[h])}
        if p.sanlock_lease:
            u[lease] = owner_after_release(lease, h, False)
        return up[h] & storage[h], u

    @m.action(h=Host, env=True, rate=repair_rate("storage-loss"), repairs="lose_storage")
    def regain_storage(h):
        """Storage comes back: renewals resume; the lease h's VM no longer holds counts as free
        (owner_after_storage_back: paxos_lease_acquire's generation check or "already local", not a
        delayed release write); a paused VM resumes only if libvirt re-acquires the lease
        (virDomainLockProcessResume): if another host took it meanwhile, the VM stays paused."""
        resumed = ite(pen[h].has("network"), V("up_bad"), V("up_good"))
        u = {storage[h]: True, renew[h]: 0}
        if p.sanlock_lease:
            free = owner_after_storage_back(lease, h, vm_writing(vm[h]))
            can_resume = (vm[h] == "paused") & (lease_acquirable(free, h, {}))
            u[vm[h]] = ite(can_resume, resumed, vm[h])
            u[lease] = ite(can_resume, h, free)
        else:
            u[vm[h]] = ite(vm[h] == "paused", resumed, vm[h])
        return up[h] & ~storage[h], u

    @m.action(h=Host, fault=True, rate=fail_rate("network-loss"))
    def lose_network(h):
        """The host loses its network: network penalty; the engine's health check fails."""
        return up[h] & ~pen[h].has("network"), {pen[h]: pen[h].with_("network"),
                                                vm[h]: ite(vm[h] == "up_good", "up_bad", vm[h])}

    @m.action(h=Host, env=True, rate=repair_rate("network-loss"), repairs="lose_network")
    def regain_network(h):
        """The network comes back: no penalty, the engine's health check passes again."""
        return up[h] & pen[h].has("network"), {pen[h]: pen[h].without("network"),
                                               vm[h]: ite(vm[h] == "up_bad", "up_good", vm[h])}

    # Penalties of equal size and rules behave identically: degrade only the first of each class
    # (e.g. config and cpu, both 1000 by default): a symmetry reduction, sound for every property here.
    seen_class: set[tuple[int, bool]] = set()
    degradable = []
    for e in Penalty:
        cls = (pen_value[e.name], e.name == "memory")
        if e.name != "network" and pen_value[e.name] and cls not in seen_class:
            seen_class.add(cls)
            degradable.append(e)

    @m.action(h=Host, k=[e for e in Penalty if e.name != "network"], fault=True, rate=fail_rate("score-penalty"))
    def degrade(h, k):
        """A score penalty starts: management bridge down, CPU load, low free memory, stale config."""
        if k not in degradable:
            return None
        return up[h] & ~pen[h].has(k), {pen[h]: pen[h].with_(k)}

    @m.action(h=Host, k=[e for e in Penalty if e.name != "network"], env=True, rate=repair_rate("score-penalty"),
              repairs="degrade")
    def recover(h, k):
        """The penalty condition ends."""
        if not pen_value[k.name]:
            return None
        return pen[h].has(k), {pen[h]: pen[h].without(k)}

    @m.action(h=Host, fault=True, rate=fail_rate("engine-vm-crash"))
    def vm_crash(h):
        """The engine VM's qemu dies (DOWN_UNEXPECTED); sanlock frees the lease if it can write."""
        return up[h] & vm_running(vm[h]), {vm[h]: "down_unexpected", **release(h)}

    if retry is not None and not p.retry_penalty_bug:
        @m.action(h=Host, env=True)
        def retry_expires(h):
            """ENGINE_RETRY_EXPIRATION_SECS passed: the retry count no longer counts."""
            return retry[h] > 0, {retry[h]: 0}

    # -- operator -------------------------------------------------------------------------------
    ops = None
    if p.maintenance_steps:
        ops = m.var("ops", Int(0, p.maintenance_steps), init=0, doc="operator steps taken (bounded)")
        more = ops < p.maintenance_steps
        step = {ops: ops + 1}

        @m.action(v=Bool, env=True)
        def set_global_maintenance(v):
            """hosted-engine --set-maintenance --mode=global (v=True) / --mode=none (v=False)."""
            return more & (gm != v), {gm: v, **step}

        @m.action(h=Host, env=True)
        def set_local_maintenance(h):
            """hosted-engine --set-maintenance --mode=local (refused while the engine VM runs here)."""
            return more & up[h] & ~lm[h] & ~vm_running(vm[h]), {lm[h]: True, **step}

        @m.action(h=Host, env=True)
        def clear_local_maintenance(h):
            """hosted-engine --set-maintenance --mode=none on this host."""
            return more & lm[h], {lm[h]: False, **step}

    # -- properties -----------------------------------------------------------------------------
    m.invariant("no_dual_engine", no_dual_engine(vm, Host),
                doc="at most one host where the engine VM is starting, up or paused")
    m.invariant("no_dual_writer", no_dual_writer(vm, Host),
                doc="at most one host where the engine VM can write (starting or up; a paused copy cannot)")
    if p.sanlock_lease:  # why no_dual_writer holds: the lease (docs/models/hosted-engine.md, "Proof")
        m.lemma("writer_holds_lease", writer_holds_lease(vm, lease, Host), supports=["no_dual_writer"],
                doc="a copy that can write runs on the host the lease names")
        m.lemma("writer_reaches_storage", writer_reaches_storage(vm, up, storage, Host), supports=["no_dual_writer"],
                doc="a copy that can write runs on a live host that reaches the storage")
        m.lemma("connected_host_renews", connected_host_renews(up, storage, renew, Host), supports=["no_dual_writer"],
                doc="a live host that reaches the storage has renewed its host id (its lease is not dead)")
    m.reachable("engine_up", engine_up(state, vm, Host), doc="some host is in EngineUp with good health")
    m.availability("engine_up", engine_up(state, vm, Host),
                   doc="some host is in EngineUp with good health (hacheck availability; check does not read it)")
    m.reachable("engine_started", engine_running(vm, Host), doc="some host started the engine VM")
    m.reachable("fresh_start_race", fresh_start_race(state, hist, vm, Host, K),
                doc="a freshly started agent tries to start the VM while it runs elsewhere")
    m.reachable("start_refused_by_lease", start_refused_by_lease(state, vm, Host),
                doc="sanlock refuses a second start")
    recovered = engine_recovered(state, vm, lease if p.sanlock_lease else None, Host)
    operator_acted = (ops > 0) if ops is not None else False
    m.leads_to("engine_recovers", ~recovered, recovered | operator_acted,
               doc="whenever the engine is not up, some host eventually runs it (EngineUp, up with good health, "
                   "holding the lease), unless an operator set or cleared maintenance (ops never decreases: "
                   "this is exactly 'no operator step ever' => '~up leads_to up')")
    stale = paused_copy_beside_engine(vm, storage, Host)
    m.leads_to("paused_copy_stopped", stale, ~stale | operator_acted,
               doc="a paused engine VM left on a host that reaches the storage again while the engine runs "
                   "elsewhere is eventually stopped (BZ 1393839, stop_paused_elsewhere), unless an operator acted")
    return m


def _snake(name: str) -> str:
    out = ""
    for i, c in enumerate(name):
        if c.isupper() and i:
            out += "_"
        out += c.lower()
    return out


SPEC = Spec("hosted_engine", Params, build, doc=__doc__, check=_check)
