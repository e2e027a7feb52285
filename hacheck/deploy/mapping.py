"""From a deployment to model runs: parameters, failure scenarios, and the faults each one allows.

Each model is checked on its own. A *failure scenario* is ``failures.count`` failures on distinct
targets (hosts, or the services ovirt-engine and the Gluster clients), each of one kind; for every
model the scenario becomes the fault instances that stand for those failures there, and a fault
budget (how many of them one such failure causes):

* a host crash of ``ovirt1`` is ``brick_crash`` of the brick ``ovirt1`` holds in each Gluster
  replica set, ``host_crash(h)`` of its hosted-engine host ``h``, and ``crash(h)`` of its
  hypervisor ``h`` in the fencing model (plus ``engine_restart`` there when it can run the
  self-hosted engine VM: the engine comes back on another host);
* a model in which the scenario strikes nothing is checked with no fault at all.

The instances are kept with :func:`restrict_instances` (the same operation as
``Model.restrict_faults``, at the level of action instances: "crash of h2 only").
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterable

import attrs

from ..lang.errors import BadInput, ModelError
from ..lang.expr import and_, cmp, lift, or_
from ..lang.model import Model
from .capacity import host_vm_mib, vm_required_mib
from .parse import Deployment, Volume

# upstream timer values in 10 s ticks (docs/models/hosted-engine.md, "Timer scaling")
UPSTREAM_TIMERS = {"host_alive_timeout": 6, "engine_starting_timeout": 60, "bad_health_timeout": 30,
                   "unexpected_down_timeout": 56, "lease_host_dead": 14, "lease_kill_after": 8,
                   "vm_boot_ticks": 18}  # the FAQ: EngineUp about 180 s after the VM starts
SCORE_PARAMS = {"base-score": "base_score", "gateway-score-penalty": "penalty_network",
                "not-uptodate-config-penalty": "penalty_config", "mgmt-bridge-score-penalty": "penalty_bridge",
                "free-memory-score-penalty": "penalty_memory", "cpu-load-score-penalty": "penalty_cpu",
                "engine-retry-score-penalty": "penalty_retry"}

GLUSTER_FAULTS: dict[str, list[tuple[str, str]]] = {  # kinds that strike the bricks of the failing host
    # brick_crash_stalled: the host's brick had answered while AFR waits on a slow brick. A brick whose
    # disk hangs still answers pings (rpcsvc.c rpcsvc_ping, served by the RPC layer, not its io threads),
    # so network.ping-timeout never fires and the wait lasts until network.frame-timeout (1800 s,
    # call_bail in rpc-clnt.c): long enough for a host to reboot and its brick to be back
    "host-crash": [("brick_crash", "b"), ("brick_crash_stalled", "b")],
    "power-cycle": [("brick_crash", "b"), ("brick_crash_stalled", "b")],
    "brick-io-error": [("op_error", "b")],
    "changelog-loss": [("post_op_lost", "b")],
}
# storage-loss of a hypervisor is one steady partition of the host (storage_loss_group, the model's
# storage_cut): its mount (client0, client1 for a second such host) and its bricks are cut from the other nodes at once and for good, each
# side notices at its own time; budget 1 per host. The model's per-link link_loss (a link lost and
# repaired on its own: a flapping cable, a partial network fault) is not a storage-loss and stays for
# direct checks. client-crash (the service target gluster-clients): client_crash, budget 1.
HE_FAULTS: dict[str, list[str]] = {
    "host-crash": ["host_crash"], "power-cycle": ["host_crash"], "host-hang": ["agent_crash"],
    "network-loss": ["lose_network"], "storage-loss": ["lose_storage"], "agent-crash": ["agent_crash"],
    "engine-vm-crash": ["vm_crash"], "engine-start-failure": ["start_vm_fails"], "score-penalty": ["degrade"],
}
FENCING_FAULTS: dict[str, list[str]] = {
    "host-crash": ["crash"], "power-cycle": ["power_cycle"], "host-hang": ["hang"], "network-loss": ["partition"],
    "storage-loss": ["storage_loss"], "pm-unreachable": ["pm_unreachable"],
}
# failures of a hosted-engine host after which the engine VM comes back on another host: for the
# fencing model that is an engine restart
ENGINE_MOVES = {"host-crash", "power-cycle", "network-loss", "storage-loss", "engine-vm-crash", "score-penalty"}
# when the engine VM dies with its host (a crash, a power cycle), the engine restarts at that moment, before
# it has noticed anything about the host: in the fencing model, while the host is still Up in the engine's DB
# When the engine VM runs on a host that loses its network or its storage, the agents restart it elsewhere
# minutes later, but the engine (cut off with that host, or seeing it Up) has not started to treat that host
# by then: a new engine then treats it from scratch. The fencing model's engine_restart is timed the same way.
ENGINE_WITH_HOST: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "host-crash": (("health[{h}]", "==", "crashed"), ("status[{h}]", "==", "Up"), ("tr[{h}]", "==", "idle")),
    "power-cycle": (("faults", ">=", 1), ("status[{h}]", "==", "Up"), ("tr[{h}]", "==", "idle")),
    "network-loss": (("faults", ">=", 1), ("status[{h}]", "==", "Up"), ("tr[{h}]", "==", "idle")),
    "storage-loss": (("faults", ">=", 1), ("status[{h}]", "==", "Up"), ("tr[{h}]", "==", "idle")),
}
SERVICE_TARGETS = {"engine-restart": "ovirt-engine", "client-crash": "gluster-clients"}

@attrs.frozen
class FaultPattern:
    """Fault instances of ``action`` whose parameters include ``params``; ``when`` adds conditions on
    state fields to their guard (``("status[h2]", "==", "Up")``): a fault that can only happen at a
    given moment, such as the engine restarting together with the crash of the host it ran on."""

    action: str
    params: tuple[tuple[str, str], ...] = ()
    when: tuple[tuple[str, str, Any], ...] = ()

    def matches(self, action: str, params: dict[str, str]) -> bool:
        return action == self.action and all(params.get(k) == v for k, v in self.params)

    @property
    def text(self) -> str:
        out = self.action + (f"({', '.join(f'{k}={v}' for k, v in self.params)})" if self.params else "")
        if self.when:
            out += " when " + " & ".join(f"{f} {op} {v}" for f, op, v in self.when)
        return out


@attrs.frozen
class RunSpec:
    """One exhaustive check: a model file, its parameters, the faults allowed. Its identity is the cache key."""

    model: str  # model file stem under models/
    params: tuple[tuple[str, Any], ...]
    faults: tuple[FaultPattern, ...]
    properties: tuple[str, ...] | None = None

    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)


@attrs.frozen
class Scenario:
    """Failures that happen together: each a (target, kind), on distinct targets."""

    failures: tuple[tuple[str, str], ...]

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.failures)

    @property
    def label(self) -> str:
        return "no failure" if not self.failures else " + ".join(f"{t} {k}" for t, k in self.failures)

    @property
    def slug(self) -> str:
        return "none" if not self.failures else "+".join(f"{t}-{k}" for t, k in self.failures)


@attrs.frozen
class PlannedRun:
    scenario: Scenario
    part: str  # e.g. "replica set 2" or ""
    spec: RunSpec
    legend: tuple[tuple[str, str], ...]  # model element -> deployment name


@attrs.define
class ModelPlan:
    """Every run of one model for one part of the deployment (one row group of the table)."""

    label: str  # "gluster_arbiter[engine]"
    model: str
    runs: list[PlannedRun] = attrs.field(factory=list)
    notes: list[str] = attrs.field(factory=list)
    limitation: str | None = None  # set: the model cannot represent this deployment, nothing is checked
    sources: dict[str, list[str]] = attrs.field(factory=dict)  # model parameter -> deployment settings
    timers: str = ""  # "scaled": the model's ticks are scaled timers, not seconds (recovery times in ticks only)


@attrs.frozen
class Plan:
    deployment: Deployment
    scenarios: tuple[Scenario, ...]
    models: tuple[ModelPlan, ...]
    kinds: tuple[str, ...]
    fail: tuple[str, ...] | None = None  # --fail: one scenario chosen on the command line


def plan(d: Deployment, fail: list[str] | None = None) -> Plan:
    f = d.tables["failures"]
    kinds = tuple(f["kinds"])
    scenarios = tuple(make_scenarios(d, kinds, f["count"], f["hosts"], fail))
    models: list[ModelPlan] = []
    for vol in d.volumes:
        models.append(gluster_plan(d, vol, kinds, scenarios))
    if d.engine["mode"] == "self-hosted":
        models.append(hosted_engine_plan(d, kinds, scenarios))
    else:
        models.append(standalone_plan(d, kinds, scenarios))
    models.append(fencing_plan(d, kinds, scenarios))
    return Plan(d, scenarios, tuple(models), kinds, tuple(fail) if fail is not None else None)


def applies(d: Deployment, target: str, kind: str) -> bool:
    """Whether a failure of ``kind`` can strike ``target`` in this deployment."""
    if kind in SERVICE_TARGETS:
        return target == SERVICE_TARGETS[kind]
    if target not in {h.name for h in d.hosts}:
        return False
    h = d.host(target)
    bricks = any(b.host == target for v in d.volumes for b in v.bricks)
    if kind in ("host-crash", "power-cycle"):
        return True
    if kind in ("host-hang", "network-loss", "storage-loss"):
        return h.hypervisor or (kind == "network-loss" and d.engine["host"] == target)
    if kind == "pm-unreachable":
        return h.hypervisor and h.power_management
    if kind in ("agent-crash", "engine-vm-crash", "engine-start-failure", "score-penalty"):
        return h.hosted_engine
    if kind in ("brick-io-error", "changelog-loss"):
        return bricks
    return False


def make_scenarios(d: Deployment, kinds: Iterable[str], count: int, hosts: list[str],
                   fail: list[str] | None) -> list[Scenario]:
    """Every combination of ``count`` failures on distinct targets; each failure is one kind."""
    kinds = list(kinds)
    if fail is not None:  # "host" (every kind of the file that strikes it) or "host:kind"
        per = []
        for item in fail:
            t, _, k = item.partition(":")
            opts = [(t, x) for x in ([k] if k else kinds) if applies(d, t, x)]
            if not opts:
                if k:
                    raise BadInput(f"--fail {item}: a failure of kind {k} cannot strike {t} in this deployment")
                raise BadInput(f"--fail {item}: no failure kind of failures.kinds ({', '.join(kinds)}) strikes {t}")
            per.append(opts)
        return [Scenario(tuple(c)) for c in itertools.product(*per)]
    targets = [h.name for h in d.hosts if not hosts or h.name in hosts]
    if not hosts:
        targets += [SERVICE_TARGETS[k] for k in SERVICE_TARGETS if k in kinds]
    singles = [(t, k) for t in targets for k in kinds if applies(d, t, k)]
    if count == 0 or not singles:
        return [Scenario(())]
    out = []
    for combo in itertools.combinations(singles, min(count, len({t for t, _ in singles}))):
        if len({t for t, _ in combo}) == len(combo):
            out.append(Scenario(combo))
    return out


def _sorted_params(p: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(p.items()))


def _props(d: Deployment) -> tuple[str, ...] | None:
    chosen = d.tables["check"]["properties"]
    return tuple(chosen) if chosen else None


# ---- GlusterFS ----------------------------------------------------------------------------------------
def gluster_params(d: Deployment, vol: Volume) -> tuple[dict[str, Any], dict[str, list[str]]]:
    o = vol.options
    qt = o["cluster.quorum-type"] or ("auto" if vol.replica >= 3 else "none")
    version = d.tables["gluster"]["version"]
    params = {
        "replica": vol.replica, "arbiter": vol.arbiter, "quorum_type": qt,
        "quorum_count": o["cluster.quorum-count"], "server_quorum": o["cluster.server-quorum-type"],
        "server_quorum_ratio": d.tables["gluster"]["cluster.server-quorum-ratio"],
        "quorum_loss": "erofs" if version_before(version, (3, 13)) else "enotconn",
        "full_lock": whole_file_data_lock(vol, version),
        "clients": d.tables["check"]["gluster_clients"], "writes": d.tables["check"]["gluster_writes"],
        # the delay matters only as none / at most / above the 3 s reconnect interval (rpc_clnt_handle_disconnect);
        # any ping-timeout (0 = never give up) lets a phase stall
        "eager_lock": o["cluster.eager-lock"], "post_op_delay": min(o["cluster.post-op-delay-secs"], 10),
        "ping_stall": True,
        # afr_has_arbiter_fop_cbk_quorum (afr_handle_quorum on arbiter volumes) until 7.6; removed by
        # e2235217a1 (master, v9.0) and its backports (1a91aa4dbb in 7.7, 3e8c565504 in 8.0)
        "arbiter_fop_quorum": bool(vol.arbiter) and version_before(version, (7, 7)),
    }
    v = f"volumes[{vol.name}]"
    sources = {
        "replica": [f"{v}.replica"], "arbiter": [f"{v}.arbiter"],
        "quorum_type": [f"{v}.options.cluster.quorum-type"], "quorum_count": [f"{v}.options.cluster.quorum-count"],
        "server_quorum": [f"{v}.options.cluster.server-quorum-type"],
        "server_quorum_ratio": ["gluster.cluster.server-quorum-ratio"], "quorum_loss": ["gluster.version"],
        "full_lock": [f"{v}.options.cluster.full-lock", "gluster.version"], "clients": ["check.gluster_clients"],
        "writes": ["check.gluster_writes"], "eager_lock": [f"{v}.options.cluster.eager-lock"],
        "post_op_delay": [f"{v}.options.cluster.post-op-delay-secs"], "ping_stall": [f"{v}.options.network.ping-timeout"],
        "arbiter_fop_quorum": [f"{v}.arbiter", "gluster.version"],
    }
    opt_param = {"cluster.quorum-type": "quorum_type", "cluster.server-quorum-type": "server_quorum",
                 "cluster.eager-lock": "eager_lock", "network.ping-timeout": "ping_stall"}
    for k in vol.group_keys:  # an option set by the group: the group is where it comes from
        if k in opt_param:
            sources[opt_param[k]] = [f"{v}.group"]
    return params, sources


def whole_file_data_lock(vol: Volume, version: str = "10") -> bool:
    """Whether a data transaction locks the whole file: afr_set_transaction_flock (afr-transaction.c)
    takes the full-file inodelk for a data transaction when

    * before 3.13.2 (v3.12.0 .. v3.13.1): the volume has an arbiter ("Lock entire file to avoid network
      split brains"); eager-lock writes take their range, and cluster.full-lock does not exist;
    * 3.13.2 .. 4.0: an arbiter or cluster.full-lock (priv->full_lock);
    * from 4.1 (the eager-lock rework, called from afr_lock after __afr_eager_lock_handle has set
      transaction.eager_lock_on): an arbiter, eager-lock on, or cluster.full-lock.

    Range locks (the model's ``full_lock=false``) are taken otherwise."""
    o = vol.options
    if vol.arbiter:
        return True
    if version_before(version, (3, 13, 2)):
        return False
    if version_before(version, (4, 1)):
        return bool(o["cluster.full-lock"])
    return bool(o["cluster.full-lock"] or o["cluster.eager-lock"])


def storage_loss_group(mine: list[str], k: int, clients: int) -> str:
    """The model's partition group for the ``k``-th hypervisor (from 0) whose storage network is lost in
    a scenario, in one replica set (``partitions``, one ``+``-joined group): the host's mount,
    ``client<k>``, and ``mine``, the bricks the host itself holds. The model's ``storage_cut`` then severs
    every link between the group and the other members at once (the pulled cable): the mount keeps its
    own brick (traffic to the host's own address never leaves it) and loses the others, every other
    mount loses the host's bricks, and the healers cannot lock every brick (__afr_selfheal_data heals
    only with every brick locked). Each side notices at its own time: the client through its ping timer,
    only while requests are outstanding (rpc-clnt-ping.c rpc_clnt_start_ping), the brick through TCP
    keepalive (socket.c) -- the model's fair ``detect`` step; a request sent before the cut may complete,
    none after it crosses. The model's other clients are the mounts of hosts that keep their network;
    with ``k`` at or above check.gluster_clients the host's mount is not in the model (its bricks are)."""
    return "+".join(([f"client{k}"] if k < clients else []) + mine)


def version_before(text: str, ref: tuple[int, ...]) -> bool:
    parts = []
    for x in text.split("."):
        digits = "".join(ch for ch in x if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) < ref if parts else False


def gluster_plan(d: Deployment, vol: Volume, kinds: tuple[str, ...], scenarios: tuple[Scenario, ...]) -> ModelPlan:
    mp = ModelPlan(f"gluster_arbiter[{vol.name}]", "gluster_arbiter")
    params, mp.sources = gluster_params(d, vol)
    if vol.replica not in (2, 3):
        mp.limitation = f"the model has replica 2 or 3; volume {vol.name} has replica {vol.replica}"
        return mp
    peers = sorted({b.host for v in d.volumes for b in v.bricks})
    if params["server_quorum"] == "server" and len(peers) != vol.replica:
        mp.notes.append(f"server quorum counts the {len(peers)} nodes of the trusted pool; the model counts the "
                        f"{vol.replica} nodes of one replica set")
    o = vol.options
    if o["features.shard"]:
        mp.notes.append("features.shard on: the model checks one shard, a file of its own with the same transactions "
                        "(docs/models/gluster.md, \"Sharding\")")
    if not o["cluster.choose-local"]:
        mp.notes.append("cluster.choose-local off: reads go to the gfid-hashed brick; the model lets a read use any "
                        "readable brick, which includes it")
    if params["quorum_loss"] == "erofs":
        mp.notes.append(f"GlusterFS {d.tables['gluster']['version']} (< 3.13): without client quorum the volume "
                        "turns read-only (EROFS)")
        mp.notes.append("the write transaction (eager-lock handover, delayed post-op) follows GlusterFS master "
                        "(595745f8: __afr_eager_lock_handle, introduced by c0c0115bf9 in January 2018, after 3.12.0); "
                        "the version selects the quorum-loss behaviour, the lock range and the post-op quorum rule")
    if params["arbiter_fop_quorum"]:
        mp.notes.append(f"GlusterFS {d.tables['gluster']['version']} (< 7.7): the post-op keeps a write on an arbiter "
                        "volume when it succeeded on a pre-op source that is a data brick, even one alone "
                        "(afr_handle_quorum -> afr_has_arbiter_fop_cbk_quorum, removed by e2235217a1)")
    if not o["cluster.full-lock"] and params["full_lock"]:
        why = "the volume has an arbiter" if vol.arbiter else "cluster.eager-lock is on"
        mp.notes.append(f"cluster.full-lock off changes nothing here: {why}, so data transactions still lock the "
                        "whole file (afr_set_transaction_flock)")
    version = d.tables["gluster"]["version"]
    if not vol.arbiter and not params["full_lock"] and version_before(version, (4, 1)):
        mp.notes.append(f"GlusterFS {version}: without an arbiter data transactions take range locks "
                        + ("whatever cluster.eager-lock and cluster.full-lock say (cluster.full-lock exists from 3.13.2)"
                           if version_before(version, (3, 13, 2)) else
                           "whatever cluster.eager-lock says (it forces the whole-file lock from 4.1)")
                        + " (afr_set_transaction_flock)")
    if vol.group == "virt":
        mp.notes.append("the virt group's cluster.locking-scheme granular is not modelled (at 595745f8 AFR sets "
                        "priv->granular_locks and reads it nowhere); cluster.data-self-heal-algorithm full: the "
                        "model's heal copies the whole file in one atomic step (upstream copies block by block "
                        "under range locks, writes may interleave; docs/models/gluster.md, \"Abstractions\")")
    sets = vol.sets
    hyper_names = {h.name for h in d.hypervisors}
    for si, rs in enumerate(sets):
        part = f"replica set {si + 1}" if len(sets) > 1 else ""
        names = [f"brick{i}" for i in range(len(rs))]
        legend = tuple((names[i], b.text + (" (arbiter)" if vol.arbiter and i == len(rs) - 1 else ""))
                       for i, b in enumerate(rs))
        for sc in scenarios:
            pats: list[FaultPattern] = []
            budget = 0
            groups: list[str] = []
            cut_hosts: list[str] = []
            params_extra: dict[str, Any] = {}
            for t, kind in sc.failures:
                mine = [names[i] for i, b in enumerate(rs) if b.host == t]
                if kind == "client-crash":
                    pats.append(FaultPattern("client_crash"))
                    budget += 1
                elif kind == "storage-loss":
                    if t in hyper_names:
                        group = storage_loss_group(mine, len(groups), params["clients"])
                        if group and group not in groups:  # the same group twice is one partition
                            pats.append(FaultPattern("storage_cut", (("g", f"part{len(groups)}"),)))
                            groups.append(group)
                            cut_hosts.append(t)
                            budget += 1
                            params_extra["partitions"] = "/".join(groups)
                            mp.sources["partitions"] = ["failures.kinds", f"volumes[{vol.name}].bricks"]
                else:
                    acts = GLUSTER_FAULTS.get(kind, [])
                    for action, pname in acts:  # alternatives: one fault per brick of the host
                        pats += [FaultPattern(action, ((pname, bn),)) for bn in mine]
                    budget += len(mine) if acts else 0
            params_run = dict(params, max_faults=budget, **params_extra)
            spec = RunSpec("gluster_arbiter", _sorted_params(params_run), tuple(sorted(set(pats), key=lambda p: p.text)),
                           _props(d))
            cuts = tuple((f"part{k}", f"{h} storage network") for k, h in enumerate(cut_hosts))
            # the model's mounts: client<k> is the mount of the k-th host cut off (storage_loss_group), the
            # others mounts of the volume on hosts that keep their network (named in traces, not renamed)
            mounts = tuple((f"client{k}", f"the mount on {cut_hosts[k]}" if k < len(cut_hosts)
                            else "a mount of the volume" + (" on a host that keeps its network" if cut_hosts else ""))
                           for k in range(params["clients"]))
            mp.runs.append(PlannedRun(sc, part, spec, legend + cuts + mounts))
    mp.sources["max_faults"] = ["failures.count", "failures.kinds"]
    return mp


# ---- self-hosted engine ------------------------------------------------------------------------------
def hosted_engine_plan(d: Deployment, kinds: tuple[str, ...], scenarios: tuple[Scenario, ...]) -> ModelPlan:
    mp = ModelPlan("hosted_engine", "hosted_engine")
    he = d.he_hosts
    if not 2 <= len(he) <= 4:
        mp.limitation = (f"the model has 2 to 4 hosted-engine hosts; the deployment has {len(he)}"
                         + (" (with one host nothing can take over: no failover at all)" if len(he) == 1 else ""))
        return mp
    score = d.tables["hosted_engine.score"]
    # the failure strikes a running cluster: the engine up on its initial host, as operators see it
    params: dict[str, Any] = {"hosts": len(he), "maintenance_steps": d.tables["operations"]["maintenance_steps"],
                              "start": "engine_up"}
    mp.notes.append("recovery is measured from the steady state (the engine up on its host) when the failure hits")
    sources: dict[str, list[str]] = {"hosts": [f"hosts[{h.name}].hosted_engine" for h in he],
                                     "maintenance_steps": ["operations.maintenance_steps"]}
    for key, pname in SCORE_PARAMS.items():
        params[pname] = score[key]
        sources[pname] = [f"hosted_engine.score.{key}"]
    if d.tables["hosted_engine"]["timers"] == "upstream":
        params.update(UPSTREAM_TIMERS)
        for k in UPSTREAM_TIMERS:
            sources[k] = ["hosted_engine.timers"]
    else:
        mp.notes.append("timers scaled (hosted_engine.timers = \"scaled\"): recovery times are in scaled ticks, "
                        "not upstream seconds")
        mp.timers = "scaled"
    if any(score[k] != dflt for k, dflt in (("cpu-load-penalty-min", 0.4), ("cpu-load-penalty-max", 0.9))):
        mp.notes.append("cpu-load-penalty-min/max are not modelled (the CPU penalty is all or nothing)")
    mp.sources = sources
    mp.sources["max_faults"] = ["failures.count", "failures.kinds"]
    # the model's start = engine_up runs the engine VM on h1: h1 is engine.host, the others follow in file order
    he = sorted(he, key=lambda h: h.name != d.engine["host"])
    names = {h.name: f"h{i + 1}" for i, h in enumerate(he)}
    legend = tuple((f"h{i + 1}", h.name) for i, h in enumerate(he))
    sources["start"] = ["engine.host"]
    if d.engine["storage"]:
        mp.notes.append(f"assumes the engine storage (volume {d.engine['storage']}) stays available through the "
                        f"failure: that is what gluster_arbiter[{d.engine['storage']}] checks")
    else:
        mp.notes.append("assumes the engine storage domain stays available (it is not a Gluster volume of this file)")
    for sc in scenarios:
        pats: list[FaultPattern] = []
        budget = 0
        for t, kind in sc.failures:
            if t not in names:
                continue
            acts = HE_FAULTS.get(kind, [])
            pats += [FaultPattern(a, (("h", names[t]),)) for a in acts]
            budget += 1 if acts else 0
        spec = RunSpec("hosted_engine", _sorted_params(dict(params, max_faults=budget)),
                       tuple(sorted(set(pats), key=lambda p: p.text)), _props(d))
        mp.runs.append(PlannedRun(sc, "", spec, legend))
    return mp


def standalone_plan(d: Deployment, kinds: tuple[str, ...], scenarios: tuple[Scenario, ...]) -> ModelPlan:
    """The standard deployment: the engine on a bare-metal node, no agents to restart it."""
    mp = ModelPlan("standalone_engine", "standalone_engine")
    hyper = d.hypervisors
    ha = [v for v in d.vms if v.ha]
    if not 1 <= len(hyper) <= 4 or not 1 <= len(ha) <= 4:
        mp.limitation = (f"the model has 1 to 4 hypervisors and 1 to 4 HA VMs; the deployment has {len(hyper)} "
                         f"hypervisors and {len(ha)} HA VMs")
        return mp
    order = balanced_order(d)
    if order is None:
        mp.limitation = ("the model starts HA VM i on host i mod hosts (an even spread); this placement is not one: "
                         "the model lacks a per-VM initial host parameter")
        return mp
    horder, vorder = order
    # the fencing model's capacity, the same values (properties/capacity.py has the one rule): the
    # two models checked beside each other never disagree on whether a VM fits
    host_free, vm_need, cap_notes = exact_capacity(d, horder, vorder)
    mp.notes += cap_notes
    mp.notes.append("a crashed hypervisor stays down, power management is present and truthful (the fencing model "
                    "checks the policy, PM and leases); a power cycle of a hypervisor is checked as a crash")
    params = {"hosts": len(horder), "vms": len(vorder), "host_free": host_free, "vm_need": vm_need}
    mp.sources = {"hosts": [f"hosts[{h}].hypervisor" for h in horder], "vms": [f"vms[{v}].ha" for v in vorder],
                  "host_free": [f"hosts[{h}].cpus" for h in horder] + [f"hosts[{h}].memory_gb" for h in horder]
                  + ["cluster.memory_overcommit"],
                  "vm_need": [f"vms[{v}].cpus" for v in vorder] + [f"vms[{v}].memory_gb" for v in vorder],
                  "max_faults": ["failures.count", "failures.kinds"]}
    names = {h: f"h{i + 1}" for i, h in enumerate(horder)}
    legend = (("engine", d.engine["host"]),) + tuple((f"h{i + 1}", h) for i, h in enumerate(horder)) \
        + tuple((f"v{i + 1}", v) for i, v in enumerate(vorder))
    for sc in scenarios:
        pats: list[FaultPattern] = []
        for t, kind in sc.failures:
            if t == d.engine["host"] and kind == "host-crash":
                pats.append(FaultPattern("engine_node_crash"))
            elif t in names and kind in ("host-crash", "power-cycle"):
                pats.append(FaultPattern("crash", (("h", names[t]),)))
        spec = RunSpec("standalone_engine", _sorted_params(dict(params, max_faults=len(pats))),
                       tuple(sorted(set(pats), key=lambda p: p.text)), _props(d))
        mp.runs.append(PlannedRun(sc, "", spec, legend))
    return mp


def exact_capacity(d: Deployment, horder: list[str], vorder: list[str]) -> tuple[str, str, list[str]]:
    """The models' host_free and vm_need ('memory:cores' per host and per HA VM), upstream's scheduler rules.

    Memory (MiB, summed): ovirt-engine MemoryPolicyUnit.filter -> SlaValidator.hasOvercommitMemoryToRunVM keeps a
    host when the VM's required memory <= VDS.getMaxSchedulingMemory = physical MiB x overcommit % / 100 -
    memCommited - reservedMem; so a host's free memory is that minus the required memory of the VMs that stay on
    it (its non-HA VMs and, self-hosted, the engine VM: on engine.host always, on another hosted-engine host when
    it fits beside that host's HA VMs, as the engine may move there). The floor is exact: needs are whole MiB.
    Cores (not summed): CPUPolicyUnit.filter compares one VM's vCPUs with the host's cores."""
    notes: list[str] = []
    self_hosted = d.engine["mode"] == "self-hosted"
    overcommit = int(d.tables["cluster"]["memory_overcommit"])
    free: dict[str, list[int]] = {}
    engine_on: list[str] = []
    e_mem = vm_required_mib(d.engine["memory_gb"], d.engine["cpus"])
    for name in horder:
        h = d.host(name)
        mem = host_vm_mib(h.memory_gb, overcommit)
        mem -= sum(vm_required_mib(v.memory_gb, v.cpus) for v in d.vms if not v.ha and v.host == name)
        if self_hosted and h.hosted_engine:
            ha_mem = sum(vm_required_mib(v.memory_gb, v.cpus) for v in d.vms if v.ha and v.host == name)
            if name == d.engine["host"] or mem - e_mem >= ha_mem:
                mem -= e_mem
                engine_on.append(name)
        free[name] = [max(0, mem), h.cpus]
    vms = {v.name: v for v in d.vms}
    need = {v: [vm_required_mib(vms[v].memory_gb, vms[v].cpus), vms[v].cpus] for v in vorder}
    g = math.gcd(*(x[0] for x in list(free.values()) + list(need.values()))) or 1

    def text(xs: list[int]) -> str:
        return f"{xs[0] // g}:{xs[1]}"
    if self_hosted and engine_on:
        notes.append(f"the engine VM ({d.engine['cpus']} vCPUs, {d.engine['memory_gb']:g} GiB, {e_mem} MiB with "
                     f"overhead) is counted on {', '.join(engine_on)} (where it runs or may move to)")
    never = [f"{v} ({vms[v].cpus} vCPUs) on {h} ({d.host(h).cpus} cores)" for v in vorder for h in horder
             if vms[v].cpus > d.host(h).cpus]
    if never:
        notes.append("never schedulable (more vCPUs than the host's cores, CPUPolicyUnit): " + ", ".join(never))
    notes.append(f"capacity as upstream's scheduler: memory in MiB with overhead and reserve, {overcommit} % "
                 f"overcommit{f' (units of {g} MiB)' if g > 1 else ''}; vCPUs per VM against the host's cores")
    return ",".join(text(free[h]) for h in horder), ",".join(text(need[v]) for v in vorder), notes


# ---- fencing and HA restart ---------------------------------------------------------------------------
def balanced_order(d: Deployment) -> tuple[list[str], list[str]] | None:
    """Hypervisors and HA VMs ordered so that VM i starts on host i mod n (the model's placement), or None."""
    hyper = [h.name for h in d.hypervisors]
    ha = [v for v in d.vms if v.ha]
    n, m = len(hyper), len(ha)
    counts = {h: sum(1 for v in ha if v.host == h) for h in hyper}
    order = sorted(hyper, key=lambda h: (-counts[h], hyper.index(h)))
    want = [m // n + (1 if i < m % n else 0) for i in range(n)]
    if [counts[h] for h in order] != want:
        return None
    slots: list[str | None] = [None] * m
    for j, h in enumerate(order):
        mine = [v.name for v in ha if v.host == h]
        for k, vname in enumerate(mine):
            slots[j + k * n] = vname
    return order, [s for s in slots if s is not None]


def fencing_plan(d: Deployment, kinds: tuple[str, ...], scenarios: tuple[Scenario, ...]) -> ModelPlan:
    mp = ModelPlan("fencing", "fencing")
    hyper = d.hypervisors
    ha = [v for v in d.vms if v.ha]
    fp = d.tables["cluster.fencing_policy"]
    if not ha:
        mp.limitation = "no HA VM: nothing to restart (the fencing model is about HA VMs)"
        return mp
    if not 2 <= len(hyper) <= 4 or len(ha) > 4:
        mp.limitation = (f"the model has 2 to 4 hypervisors and 1 to 4 HA VMs; the deployment has {len(hyper)} "
                         f"hypervisors and {len(ha)} HA VMs")
        return mp
    order = balanced_order(d)
    if order is None:
        counts = ", ".join(f"{h.name}: {sum(1 for v in ha if v.host == h.name)}" for h in hyper)
        mp.limitation = (f"the model starts HA VM i on host i mod hosts (an even spread); this placement ({counts} "
                         "HA VMs) is not one: the model lacks a per-VM initial host parameter")
        return mp
    horder, vorder = order
    leases = {v.lease for v in ha}
    resumes = {v.resume for v in ha}
    if len(leases) > 1:
        mp.limitation = ("some HA VMs have a lease and some not: the model has one vm_leases switch for every HA VM "
                         "(it lacks a per-VM lease parameter)")
        return mp
    if len(resumes) > 1:
        mp.limitation = (f"HA VMs differ in storage_error_resume_behaviour ({', '.join(sorted(resumes))}): the model "
                         "has one resume_behaviour for every HA VM")
        return mp
    host_free, vm_need, cap_notes = exact_capacity(d, horder, vorder)
    mp.notes += cap_notes
    if len({v.priority for v in ha}) > 1:
        mp.notes.append("HA priorities are not modelled (restart order is free)")
    pm = [f"h{i + 1}" for i, n in enumerate(horder) if d.host(n).power_management]
    # PM trust per host: each host is fenced through its own agents (HostFenceActionExecutor.fence reads
    # FenceAgentDao.getFenceAgentsForHost), so an untrusted agent deceives the engine about its host only
    faulty = [f"h{i + 1}" for i, n in enumerate(horder) if d.host(n).power_management and not d.host(n).pm_trusted]
    trusted = not faulty
    if faulty:
        untrusted = [n for n in horder if d.host(n).power_management and not d.host(n).pm_trusted]
        mp.notes.append(f"PM not trusted on {', '.join(untrusted)}: the agent may report OFF without powering the host "
                        "off (the other agents report truthfully)")
    params: dict[str, Any] = {
        "hosts": len(horder), "vms": len(vorder), "fencing_enabled": fp["fencing_enabled"],
        "skip_if_sd_active": fp["skip_fencing_if_sd_active"],
        "skip_if_connectivity_broken": fp["skip_fencing_if_connectivity_broken"],
        "connectivity_threshold": fp["hosts_with_broken_connectivity_threshold"],
        "power_management": ",".join(pm) if pm else "none",
        "pm_reports": "truthful" if trusted else "faulty",
        "pm_faulty_hosts": ",".join(faulty) if faulty else "all",
        "vm_leases": leases.pop(), "resume_behaviour": resumes.pop(),
        "manual_confirm_allowed": d.tables["operations"]["manual_fence_confirm"],
        # operator actions come from [operations] only: the manual confirm when the runbook allows it, host
        # Maintenance/Activate only when operators issue maintenance commands (maintenance_steps > 0; on a
        # hosted-engine host engine Maintenance is hosted-engine local maintenance, MaintenanceVdsCommand),
        # and then at most maintenance_steps of them (the model's counter, as in hosted_engine)
        "operator_actions": True, "host_maintenance": d.tables["operations"]["maintenance_steps"] > 0,
        "maintenance_budget": d.tables["operations"]["maintenance_steps"],
        "host_free": host_free, "vm_need": vm_need,
    }
    if d.tables["operations"]["maintenance_steps"] > 0:
        mp.notes.append(f"operator: at most {d.tables['operations']['maintenance_steps']} Maintenance/Activate "
                        "commands (operations.maintenance_steps)")
    fpk = "cluster.fencing_policy."
    mp.sources = {
        "hosts": [f"hosts[{h}].hypervisor" for h in horder], "vms": [f"vms[{v}].ha" for v in vorder],
        "fencing_enabled": [fpk + "fencing_enabled"], "skip_if_sd_active": [fpk + "skip_fencing_if_sd_active"],
        "skip_if_connectivity_broken": [fpk + "skip_fencing_if_connectivity_broken"],
        "connectivity_threshold": [fpk + "hosts_with_broken_connectivity_threshold"],
        "power_management": [f"hosts[{h}].power_management" for h in horder],
        "pm_reports": [f"hosts[{h}].pm_trusted" for h in horder],
        "pm_faulty_hosts": [f"hosts[{h}].pm_trusted" for h in horder],
        "host_maintenance": ["operations.maintenance_steps"], "maintenance_budget": ["operations.maintenance_steps"],
        "vm_leases": [f"vms[{v}].lease" for v in vorder],
        "resume_behaviour": [f"vms[{v}].storage_error_resume_behaviour" for v in vorder],
        "manual_confirm_allowed": ["operations.manual_fence_confirm"],
        "host_free": [f"hosts[{h}].cpus" for h in horder] + [f"hosts[{h}].memory_gb" for h in horder]
        + (["engine.cpus", "engine.memory_gb"] if d.engine["mode"] == "self-hosted" else [])
        + ["cluster.memory_overcommit"],
        "vm_need": [f"vms[{v}].cpus" for v in vorder] + [f"vms[{v}].memory_gb" for v in vorder],
        "max_faults": ["failures.count", "failures.kinds"],
    }
    names = {h: f"h{i + 1}" for i, h in enumerate(horder)}
    legend = tuple((f"h{i + 1}", h) for i, h in enumerate(horder)) + tuple((f"v{i + 1}", v) for i, v in enumerate(vorder))
    self_hosted = d.engine["mode"] == "self-hosted"
    if not self_hosted:
        mp.notes.append(f"assumes the engine runs; a failure of the engine node {d.engine['host']} is what "
                        "standalone_engine checks")
    for sc in scenarios:
        pats: list[FaultPattern] = []
        budget = 0
        for t, kind in sc.failures:
            if kind == "engine-restart" or (not self_hosted and t == d.engine["host"] and kind == "power-cycle"):
                pats.append(FaultPattern("engine_restart"))
                budget += 1
            if t not in names:
                continue
            acts = FENCING_FAULTS.get(kind, [])
            moves = self_hosted and kind in ENGINE_MOVES and engine_may_run_on(d, sc, t)
            # with the engine restart in the budget too, the failure itself must not use that unit to
            # strike twice: in a single-failure scenario it is the first fault
            first = (("faults", "==", 0),) if moves and len(sc.failures) == 1 else ()
            pats += [FaultPattern(a, (("h", names[t]),), first) for a in acts]
            budget += len(acts)
            if moves:
                when = tuple((f.format(h=names[t]), op, v) for f, op, v in ENGINE_WITH_HOST.get(kind, ()))
                pats.append(FaultPattern("engine_restart", (), when))
                budget += 1
        spec = RunSpec("fencing", _sorted_params(dict(params, max_faults=budget)),
                       tuple(sorted(set(pats), key=lambda p: p.text)), _props(d))
        mp.runs.append(PlannedRun(sc, "", spec, legend))
    return mp


def engine_may_run_on(d: Deployment, sc: Scenario, target: str) -> bool:
    """Whether the self-hosted engine VM may run on ``target`` when it fails in scenario ``sc``: the
    failure strikes the running cluster, with the engine on ``engine.host``; it can be elsewhere only
    after another failure of the scenario made it move (to any hosted-engine host)."""
    if not d.host(target).hosted_engine:
        return False
    if target == d.engine["host"]:
        return True
    return any(t == d.engine["host"] and k in ENGINE_MOVES for t, k in sc.failures if t != target)


# ---- applying a run to a built model --------------------------------------------------------------------
def restrict_instances(model: Model, patterns: Iterable[FaultPattern]) -> Model:
    """Keep only the fault instances matching ``patterns`` (every non-fault action stays).

    Like :meth:`Model.restrict_faults`, one level finer: "crash(h=h2)" instead of "crash"."""
    pats = list(patterns)
    faults = {a.name for a in model.actions if a.kind == "fault"}
    unknown = sorted({p.action for p in pats} - faults)
    if unknown:
        raise ModelError(f"model {model.name} has no fault action {', '.join(map(repr, unknown))}; its fault actions "
                         f"are {', '.join(sorted(faults)) or 'none'}", location="")

    def keep(i: Any) -> bool:
        return i.kind != "fault" or any(p.matches(i.action, dict(i.params)) for p in pats)

    kept, unchanged = [], []
    for i in model.instances:
        if not keep(i):
            continue
        unchanged.append(i)
        if i.kind == "fault":
            conds = [p for p in pats if p.matches(i.action, dict(i.params))]
            if conds and all(p.when for p in conds):  # only at given moments: OR of the patterns' conditions
                i = attrs.evolve(i, guard=and_(i.guard, or_(*(_when(model, p.when) for p in conds))))
        kept.append(i)
    model.note_restriction(kept, unchanged)  # guards unchanged: the built model's machine code serves this copy
    remap = {old.index: new for new, old in enumerate(kept)}
    model.instances = [attrs.evolve(i, index=remap[i.index]) for i in kept]
    wanted = {p.action for p in pats}
    model.actions = [attrs.evolve(a, instances=tuple(remap[i] for i in a.instances if i in remap))
                     for a in model.actions if a.kind != "fault" or a.name in wanted]
    model.fault_kinds = tuple(p.text for p in pats)
    return model


def _when(model: Model, conds: tuple[tuple[str, str, Any], ...]) -> Any:
    by_name = {f.name: f for f in model.fields}
    parts = []
    for fname, op, value in conds:
        if fname not in by_name:
            raise ModelError(f"model {model.name} has no state field {fname} (the deployment mapping needs it to "
                             "time a fault)", location="")
        f = model.fields_expr(by_name[fname].index)
        parts.append(cmp(op, f, lift(value, f.type)))
    return and_(*parts)
