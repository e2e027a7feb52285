"""Every key a deployment file may contain: its table, type, default and meaning.

This table is the single source for validation (unknown keys, types, ranges, choices, the closest
key suggested for a typo) and for the defaults; ``docs/deployment.md`` documents each key and a
test checks that none is missing there.
"""

from __future__ import annotations

from typing import Any

import attrs

REQUIRED = object()  # no default: the key must be given


@attrs.frozen
class Key:
    name: str
    type: str  # str | int | number | bool | list[str] | int|str
    default: Any = REQUIRED
    doc: str = ""
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    upstream: str = ""  # the upstream option or setting this is named after

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@attrs.frozen
class Table:
    """A table: ``name`` is its path with ``[]`` for an array of tables (``hosts[]``, ``volumes[].options``)."""

    name: str
    keys: tuple[Key, ...]
    doc: str = ""
    array: bool = False  # an array of tables ([[hosts]])
    required: bool = False
    subtables: tuple[str, ...] = ()

    def key(self, name: str) -> Key | None:
        for k in self.keys:
            if k.name == name:
                return k
        return None


FAILURE_KINDS: dict[str, str] = {
    "host-crash": "the host dies (kernel crash, power loss): its bricks, its hosted-engine agent, its VMs and its "
                  "engine VM stop together",
    "power-cycle": "the power cord is pulled for a few seconds (claim C7): everything on the host stops, the host "
                   "boots again",
    "host-hang": "the host stops answering the engine (vdsm, agent and broker hang) while qemu, sanlock and the "
                 "bricks keep running",
    "network-loss": "the host loses its management network (engine <-> host, the hosted-engine gateway probe)",
    "storage-loss": "the host loses its storage (the engine storage domain, VM disks): its VMs pause on I/O errors, "
                    "sanlock stops renewing, its Gluster client is cut from the bricks",
    "agent-crash": "ovirt-ha-agent/broker die on the host; the engine VM keeps running",
    "engine-vm-crash": "the engine VM's qemu dies on the host running it",
    "engine-start-failure": "START_VM of the engine VM fails once on the host",
    "score-penalty": "a hosted-engine score penalty starts on the host (bridge down, CPU load, low memory, stale config)",
    "engine-restart": "the ovirt-engine service restarts (in-memory fencing flows are lost)",
    "pm-unreachable": "the host's power-management agent (IPMI, iDRAC) cannot be reached",
    "client-crash": "a Gluster client (mount) crashes mid-write and remounts",
    "brick-io-error": "one write fails on one brick (EIO, ENOSPC)",
    "changelog-loss": "the post-op changelog update of one write is lost on one brick",
}

HOST_KINDS = ("host-crash", "power-cycle", "host-hang", "network-loss", "storage-loss", "agent-crash",
              "engine-vm-crash", "engine-start-failure", "score-penalty", "pm-unreachable", "brick-io-error",
              "changelog-loss")
"""Failure kinds that strike one host (the others, engine-restart and client-crash, strike a service)."""

TOP = Table("", (
    Key("name", "str", "", "a short name for the deployment (default: the file name); used in trace file names"),
    Key("description", "str", "", "free text"),
), subtables=("hosts[]", "engine", "vms[]", "volumes[]", "gluster", "cluster", "hosted_engine", "operations",
              "failures", "check"))

HOSTS = Table("hosts[]", (
    Key("name", "str", doc="the host's name, unique; bricks (`host:/path`), VMs and the engine refer to it"),
    Key("cpus", "int", doc="physical CPU cores", low=1, high=4096),
    Key("memory_gb", "number", doc="memory in GiB", low=0.001, high=1 << 20),
    Key("hypervisor", "bool", True, "the host runs VMs (vdsm; an oVirt host); false for a storage-only or bare-metal node"),
    Key("hosted_engine", "bool", False, "the host runs ovirt-ha-agent and ovirt-ha-broker and may run the engine VM "
        "(a hosted-engine host); needs `hypervisor`", upstream="hosted-engine --deploy / host's hosted_engine deploy action"),
    Key("power_management", "bool", False, "a power-management agent is configured for the host (fencing can power "
        "it off); upstream a host has none until configured", upstream="host power_management.enabled"),
    Key("pm_agent", "str", "", "the agent type, for the record (`ipmilan`, `drac5`, `ilo4`, ...); not checked",
        upstream="power_management.agents[].type"),
    Key("pm_trusted", "bool", True, "the agent's reports can be trusted: STOP really powers this host off and "
        "OFF means off. false for an agent on the wrong outlet or redundant power supplies configured as "
        "sequential agents (one group reporting OFF is enough upstream)"),
    Key("mttf_hours", "number", 0, "mean time to failure of the host in hours, for `hacheck availability` (0: the "
        "default of its failure kind, docs/availability.md)", low=0.001, high=1e9),
    Key("mttr_hours", "number", 0, "mean time to repair the host in hours, for `hacheck availability` (0: the "
        "default of its failure kind)", low=0.001, high=1e9),
), array=True, required=True, doc="one `[[hosts]]` table per physical machine")

ENGINE = Table("engine", (
    Key("mode", "str", doc="`self-hosted`: the engine is a VM on the hosted-engine hosts, restarted by their agents; "
        "`standalone`: the engine runs on a bare-metal node of its own", choices=("self-hosted", "standalone")),
    Key("host", "str", doc="self-hosted: the hosted-engine host the engine VM runs on at first; standalone: the "
        "bare-metal node (a host with `hypervisor = false`)"),
    Key("storage", "str", "", "self-hosted: the Gluster volume (a `[[volumes]]` name) holding the engine VM disk "
        "and the hosted-engine metadata and lockspace; empty for other storage (NFS, iSCSI: not checked)",
        upstream="hosted-engine storage domain"),
    Key("cpus", "int", 4, "vCPUs of the engine VM (self-hosted)", low=1, high=4096),
    Key("memory_gb", "number", 16, "memory of the engine VM in GiB (self-hosted; upstream recommends 16)",
        low=0.001, high=1 << 20),
), required=True, doc="where the oVirt engine runs")

VMS = Table("vms[]", (
    Key("name", "str", doc="the VM's name, unique"),
    Key("ha", "bool", False, "highly available: the engine restarts it on another host after a failure",
        upstream="high_availability.enabled"),
    Key("cpus", "int", doc="vCPUs; an HA VM can only run on a host with at least this many cores (vCPUs are not "
        "summed: upstream CPUPolicyUnit.filter compares one VM's vCPUs with the host's cores)", low=1, high=4096),
    Key("memory_gb", "number", doc="memory in GiB; an HA VM needs this much plus upstream's per-VM overhead free on the "
        "destination (the fencing model's capacity rule)",
        low=0.001, high=1 << 20),
    Key("lease", "bool", False, "the VM has a VM lease (a sanlock resource on a storage domain): a second copy "
        "cannot start while the lease is held", upstream="lease.storage_domain"),
    Key("storage_error_resume_behaviour", "str", "auto_resume", "what the VM does when it was paused on a storage "
        "I/O error and storage comes back; upstream forces `kill` for an HA VM with a lease",
        choices=("kill", "auto_resume", "leave_paused"), upstream="storage_error_resume_behaviour"),
    Key("priority", "int|str", "low", "HA restart priority: `low` (1), `medium` (50), `high` (100) or a number "
        "0..100", upstream="high_availability.priority"),
    Key("host", "str", doc="the hypervisor the VM runs on initially"),
    Key("storage", "str", "", "where its disks live (for the record, e.g. `cephfs`); not checked"),
), array=True, doc="one `[[vms]]` table per VM (the engine VM is described in `[engine]`)")

VOLUMES = Table("volumes[]", (
    Key("name", "str", doc="the Gluster volume name, unique"),
    Key("replica", "int", doc="bricks per replica set, the arbiter included (`replica 3 arbiter 1` is 3)",
        low=1, high=16, upstream="gluster volume create ... replica N"),
    Key("arbiter", "int", 0, "1: the last brick of every replica set is an arbiter (metadata only); needs replica 3",
        low=0, high=1, upstream="gluster volume create ... arbiter 1"),
    Key("bricks", "list[str]", doc="`host:/path` in `gluster volume create` order: consecutive groups of `replica` "
        "bricks form the replica sets; with an arbiter the last of each group is the arbiter"),
    Key("group", "str", "", "an option group applied before `[volumes.options]` (which override it): `virt` is "
        "extras/group-virt.example, what oVirt sets on its storage domains (server quorum `server`, eager-lock on, "
        "`network.ping-timeout` 20, `features.shard` on, `cluster.choose-local` off, ...)", choices=("", "virt"),
        upstream="gluster volume set VOLUME group virt"),
), array=True, subtables=("volumes[].options",), doc="one `[[volumes]]` table per GlusterFS volume")

# extras/group-virt.example (gluster/glusterfs), the options the checker reads
GROUPS = {"virt": {"cluster.quorum-type": "auto", "cluster.server-quorum-type": "server", "cluster.eager-lock": True,
                   "network.ping-timeout": 20, "features.shard": True, "cluster.choose-local": False}}

VOLUME_OPTIONS = Table("volumes[].options", (
    Key("cluster.quorum-type", "str", "", "client quorum: `none`, `auto` (more than half the bricks; with exactly "
        "half, brick 0 must be up), `fixed` (`cluster.quorum-count` bricks). Unset: `auto` for replica 3 and "
        "arbiter volumes, `none` for replica 2 (upstream defaults)", choices=("", "none", "auto", "fixed"),
        upstream="cluster.quorum-type"),
    Key("cluster.quorum-count", "int", 0, "bricks needed with `fixed` quorum, 1..replica (0: unset)", low=0, high=16,
        upstream="cluster.quorum-count"),
    Key("cluster.server-quorum-type", "str", "none", "`server`: glusterd stops this node's bricks when it loses "
        "the server quorum of the trusted pool", choices=("none", "server"), upstream="cluster.server-quorum-type"),
    Key("cluster.full-lock", "bool", True, "data transactions lock the whole file (upstream default since 3.13.2); "
        "false: range locks, but only without an arbiter and, from 4.1, with cluster.eager-lock off "
        "(afr_set_transaction_flock locks the whole file otherwise; before 3.13.2 the option does not exist and "
        "only an arbiter forces the whole-file lock)", upstream="cluster.full-lock"),
    Key("cluster.eager-lock", "bool", True, "a client keeps its lock and defers the post-op of a write to let its next "
        "write inherit both (upstream default on)", upstream="cluster.eager-lock"),
    Key("cluster.post-op-delay-secs", "int", 1, "seconds the post-op of a write waits with eager-lock (0: none); the "
        "model compares it with the 3 s reconnect interval (values above 10 count as 10)", low=0, high=3600, upstream="cluster.post-op-delay-secs"),
    Key("network.ping-timeout", "int", 42, "seconds a client waits on an unresponsive brick before it disconnects "
        "(0: never); while it waits, another brick may restart unnoticed", low=0, high=1013,
        upstream="network.ping-timeout"),
    Key("features.shard", "bool", False, "files are split into shards; the model checks one shard (docs/models/"
        "gluster.md, \"Sharding\")", upstream="features.shard"),
    Key("cluster.choose-local", "bool", True, "reads prefer the brick on the client's own node; off: by gfid hash "
        "(the model lets a read use any readable brick)", upstream="cluster.choose-local"),
), doc="GlusterFS volume options (`gluster volume set VOLUME KEY VALUE`), named as upstream")

GLUSTER = Table("gluster", (
    Key("version", "str", "10", "the GlusterFS version: before 3.13 a replica set without client quorum turns "
        "read-only (EROFS, as in the seed paper); from 3.13 on it is unavailable (ENOTCONN, reads too)"),
    Key("cluster.server-quorum-ratio", "int", 51, "percent of the trusted pool's nodes that must be up for server "
        "quorum (cluster-wide: `gluster volume set all`)", low=1, high=100, upstream="cluster.server-quorum-ratio"),
), doc="GlusterFS cluster-wide settings")

CLUSTER = Table("cluster", (
    Key("name", "str", "", "the oVirt cluster's name, for the record"),
    Key("memory_overcommit", "int", 100, "percent of a host's physical memory the scheduler may hand out "
        "(Admin Portal: Edit Cluster -> Optimization -> Memory Optimization: 100, 150, 200)", low=1, high=1000,
        upstream="cluster max_memory_over_commit"),
), subtables=("cluster.fencing_policy",), doc="the oVirt cluster of the hypervisors")

FENCING_POLICY = Table("cluster.fencing_policy", (
    Key("fencing_enabled", "bool", True, "the engine may fence a non-responsive host (DB and UI default true)",
        upstream="fencing_policy.enabled / fencing_enabled"),
    Key("skip_fencing_if_sd_active", "bool", False, "skip fencing while the host still renews its storage lease "
        "(engine default false; the Admin Portal's new-cluster dialog proposes true)",
        upstream="skip_fencing_if_sd_active"),
    Key("skip_fencing_if_connectivity_broken", "bool", False, "skip fencing when at least the threshold of the "
        "cluster's hosts are Connecting or NonResponsive, the failed host included (engine default false; the "
        "Admin Portal proposes true)", upstream="skip_fencing_if_connectivity_broken"),
    Key("hosts_with_broken_connectivity_threshold", "int", 50, "the threshold, percent", low=0, high=100,
        upstream="hosts_with_broken_connectivity_threshold"),
), doc="the cluster fencing policy (Admin Portal: Edit Cluster -> Fencing Policy)")

HOSTED_ENGINE = Table("hosted_engine", (
    Key("timers", "str", "scaled", "`scaled`: the agents' and sanlock's timeouts shrunk to small tick counts with "
        "their order kept (fast; recovery times are then in scaled ticks); `upstream`: the real values (60 s host "
        "alive, 600 s starting, 300 s bad health, 560 s unexpected down, 80 s / 140 s sanlock), slower to check",
        choices=("scaled", "upstream")),
), subtables=("hosted_engine.score",), doc="the self-hosted engine's agents (ignored for a standalone engine)")

SCORE = Table("hosted_engine.score", (
    Key("base-score", "int", 3400, "score of a host with no penalty", low=1, high=10000, upstream="agent.conf [score] base-score"),
    Key("gateway-score-penalty", "int", 1600, "the host's gateway is unreachable", low=0, high=10000,
        upstream="agent.conf [score] gateway-score-penalty"),
    Key("not-uptodate-config-penalty", "int", 1000, "the host's configuration is not up to date", low=0, high=10000,
        upstream="agent.conf [score] not-uptodate-config-penalty"),
    Key("mgmt-bridge-score-penalty", "int", 600, "the management bridge is down", low=0, high=10000,
        upstream="agent.conf [score] mgmt-bridge-score-penalty"),
    Key("free-memory-score-penalty", "int", 400, "free memory below the engine VM's size", low=0, high=10000,
        upstream="agent.conf [score] free-memory-score-penalty"),
    Key("cpu-load-score-penalty", "int", 1000, "CPU load penalty at its maximum", low=0, high=10000,
        upstream="agent.conf [score] cpu-load-score-penalty"),
    Key("engine-retry-score-penalty", "int", 50, "per failed engine VM start (dead code upstream: the retry "
        "counter is reset every cycle)", low=0, high=10000, upstream="agent.conf [score] engine-retry-score-penalty"),
    Key("cpu-load-penalty-min", "number", 0.4, "load where the CPU penalty starts (not modelled: the model "
        "applies the CPU penalty all or nothing)", low=0, high=1, upstream="agent.conf [score] cpu-load-penalty-min"),
    Key("cpu-load-penalty-max", "number", 0.9, "load where the CPU penalty is full (not modelled)", low=0, high=1,
        upstream="agent.conf [score] cpu-load-penalty-max"),
), doc="the hosted-engine score settings, as in `/etc/ovirt-hosted-engine-ha/agent.conf` `[score]` (equal on all hosts)")

OPERATIONS = Table("operations", (
    Key("manual_fence_confirm", "bool", True, "operators may use \"Confirm 'Host has been Rebooted'\" on a "
        "non-responsive host (always possible upstream; nothing checks the power state). false: the runbook forbids "
        "it until someone has checked the host is off", upstream="Confirm 'Host has been Rebooted' (FenceVdsManualy)"),
    Key("maintenance_steps", "int", 0, "how many maintenance commands an operator may issue during the failure, at "
        "most: hosted-engine maintenance set or cleared (`hosted-engine --set-maintenance`) and host Maintenance or "
        "Activate in the Administration Portal, each one command (engine Maintenance of a hosted-engine host is its "
        "local maintenance, `MaintenanceVdsCommand`); liveness is judged once the operator has stopped; 0: nobody "
        "intervenes", low=0, high=6),
), doc="what operators may do while a failure is handled")

FAILURES = Table("failures", (
    Key("count", "int", 1, "how many failures at once (each on a different host or service)", low=0, high=3),
    Key("kinds", "list[str]", ["host-crash"], "which kinds of failure: " + ", ".join(f"`{k}`" for k in FAILURE_KINDS)),
    Key("hosts", "list[str]", [], "only failures of these hosts (default: every host); `--fail HOST` on the command "
        "line overrides it"),
), doc="the failures to consider: every combination of `count` of them is checked", subtables=("failures.rates",))

FAILURE_RATES = Table("failures.rates", tuple(
    Key(k, "number", 0, f"mean time to failure in hours of `{k}` for `hacheck availability` (0: the default, "
        "docs/availability.md); naming a kind here lets it happen in the availability chain", low=0.001, high=1e9)
    for k in FAILURE_KINDS), doc="`hacheck availability`: failure kinds and their mean time to failure in hours")

CHECK = Table("check", (
    Key("properties", "list[str]", [], "check only these properties (default: every invariant and temporal "
        "property of every model; `reachable` properties are questions, not requirements: name them here to "
        "include them)"),
    Key("gluster_clients", "int", 2, "Gluster clients (mounts) writing in the model", low=1, high=3),
    Key("gluster_writes", "int", 2, "writes to the file in the model", low=1, high=4),
    Key("max_seconds", "number", 0, "stop each model check after this many seconds (0: no limit; a stopped check "
        "is `unknown`)", low=0, high=86400),
    Key("max_states", "int", 0, "stop each model check after this many states (0: no limit)", low=0, high=10**10),
), doc="how hard to check")

TABLES: dict[str, Table] = {t.name: t for t in (TOP, HOSTS, ENGINE, VMS, VOLUMES, VOLUME_OPTIONS, GLUSTER, CLUSTER,
                                                 FENCING_POLICY, HOSTED_ENGINE, SCORE, OPERATIONS, FAILURES, FAILURE_RATES,
                                                 CHECK)}


def all_keys() -> list[tuple[str, Key]]:
    """Every (table, key) pair, for the documentation check."""
    return [(t.name, k) for t in TABLES.values() for k in t.keys]


def child_table(parent: str, key: str) -> str | None:
    """The schema name of the subtable ``key`` of table ``parent``, if it is one."""
    base = f"{parent}.{key}" if parent else key
    for name in TABLES[parent].subtables:
        if name in (base, base + "[]"):
            return name
    return None
