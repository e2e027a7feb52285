"""Issue 15, items 2-5: every deployment setting reaches the model it stands for, exactly.

Each test writes a deployment file of its own and checks what the table (JSON report) says."""

from __future__ import annotations

import re

from deploy_files import active_standby, check_json, hacheck, host, rows, vm, write


def test_operator_actions_come_from_operations_only(tmp_path):
    """Item 3. A plain active/standby pair, nobody intervenes (maintenance_steps = 0): the HA VM is
    restarted after the crash of its host. Before, the mapping left the fencing model's operator on,
    and an operator moving the standby host to Maintenance and back forever kept the restart from
    ever happening (a liveness violation the deployment file rules out). The manual confirm, which
    the runbook allows by default, stays (it only releases VMs sooner)."""
    for confirm in (True, False):
        f = write(tmp_path, f"pair-{confirm}.toml", active_standby(manual_fence_confirm=confirm,
                                                                     properties=("ha_vm_restarted",)))
        _, doc = check_json(tmp_path, f, cache=tmp_path / "cache")
        row = rows(doc)[("fencing", "ha_vm_restarted")]
        assert row["verdict"] == "holds", (confirm, row["explanation"])
        params = next(m for m in doc["models"] if m["label"] == "fencing")["parameters"]
        assert params["host_maintenance"] is False and params["manual_confirm_allowed"] is confirm


def _commands(trace: dict) -> tuple[list[str], set[str]]:
    """The operator's Maintenance/Activate steps of an ITF lasso, and the values of the command counter
    ops over its loop (one value: no command in the loop, the counter never decreases)."""
    acts = [s["mbt::actionTaken"] for s in trace["states"]]
    return [a for a in acts if a in ("maintenance", "activate")], {s["ops"]["#bigint"] for s in trace["states"][trace["loop"]:]}


def test_maintenance_steps_bound_the_operator_commands(tmp_path):
    """Item 3, the number: operations.maintenance_steps = N is N operator commands, not a yes/no.
    The fencing model counts its Maintenance/Activate commands (ops, like the fault budget) and
    refuses more than maintenance_budget = N, so an operator cannot toggle a host forever and
    ha_vm_restarted is judged once the operator has stopped. Before, 2 meant "unbounded" and the
    counterexample was a lasso "maintenance(h=ovirt2) ... activate(h=ovirt2) ... loops forever".

    Still violated on the 2-host pair, for a real reason: the operator moves ovirt2, the only other
    host, to Maintenance and leaves it there while ovirt1 crashes. Upstream a host that is not Up
    is no fence proxy (ovirt-engine bll/pm/FenceProxyLocator.isHostNetworkUnreachable), so the
    STOP of ovirt1 fails and the treatment is not retried, and the scheduler has no Up host to
    restart the VM on (RestartVdsCommand.validate -> FenceValidator.isProxyHostAvailable calls
    FenceProxyLocator.findProxyHost(false) once, no retry): one command is enough, the loop has none.
    Asserted loosely (no operator command in the loop, ovirt2 ends in Maintenance), not as the exact
    shortest trace. With a third host, one command
    leaves a proxy and a destination Up: the restart happens; two commands can take both away."""
    import json

    pair = write(tmp_path, "pair.toml", active_standby(maintenance_steps=2, properties=("ha_vm_restarted",)))
    _, doc = check_json(tmp_path, pair)
    row = rows(doc)[("fencing", "ha_vm_restarted")]
    params = next(m for m in doc["models"] if m["label"] == "fencing")["parameters"]
    assert params["maintenance_budget"] == 2 and params["host_maintenance"] is True
    fencing_notes = next(m for m in doc["models"] if m["label"] == "fencing")["notes"]
    assert "operator: at most 2 Maintenance/Activate commands (operations.maintenance_steps)" in fencing_notes
    assert row["verdict"] == "violated" and row["scenario"] == "ovirt1 host-crash"
    assert "operations.maintenance_steps" in row["settings"]
    trace = json.loads(open(row["trace_files"]["itf"]).read())
    commands, ops_in_loop = _commands(trace)
    loop_acts = {s["mbt::actionTaken"] for s in trace["states"][trace["loop"] + 1:]}
    assert commands and len(ops_in_loop) == 1  # the counter is constant over the loop: no toggling
    assert not loop_acts & {"maintenance", "activate"}
    assert dict(trace["states"][-1]["status"]["#map"])["ovirt2"] == "Maintenance"

    def three(steps: int) -> str:
        hosts = "".join(host(n, hosted_engine=True, power_management=True) for n in ("ovirt1", "ovirt2", "ovirt3"))
        return active_standby(hosts=hosts, maintenance_steps=steps, properties=("ha_vm_restarted",))
    verdicts = {}
    for steps in (1, 2):
        _, doc = check_json(tmp_path, write(tmp_path, f"three-{steps}.toml", three(steps)))
        verdicts[steps] = rows(doc)[("fencing", "ha_vm_restarted")]["verdict"]
    assert verdicts == {1: "holds", 2: "violated"}


def test_pm_trust_is_per_host(tmp_path):
    """Item 4. ovirt2's agent is on the wrong outlet (pm_trusted = false), ovirt1's is right. Upstream
    each host is fenced through its own agents (bll/pm/HostFenceActionExecutor.fence reads
    FenceAgentDao.getFenceAgentsForHost) and the engine believes their status reply
    (isHostPoweredOff): only a hang of ovirt2 can end with its VM running twice. Before, every agent
    was made faulty, and the counterexample showed a hang of ovirt1."""
    text = active_standby(kinds=("host-hang",), pm_trusted=(True, False),
                          vms=vm("db", "ovirt1") + vm("web", "ovirt2"), properties=("no_dual_running_vm",))
    f = write(tmp_path, "pm.toml", text)
    _, doc = check_json(tmp_path, f)
    row = rows(doc)[("fencing", "no_dual_running_vm")]
    assert row["verdict"] == "violated"
    by_scenario = {r["scenario"]: r["verdict"] for r in row["runs"]}
    assert by_scenario == {"ovirt1 host-hang": "holds", "ovirt2 host-hang": "violated"}
    legend = row["legend"]
    params = next(m for m in doc["models"] if m["label"] == "fencing")["parameters"]
    faulty = [legend[h] for h in params["pm_faulty_hosts"].split(",")]
    assert params["pm_reports"] == "faulty" and faulty == ["ovirt2"]


def test_scaled_ticks_are_not_seconds(tmp_path):
    """Item 6. With hosted_engine.timers = "scaled" the agents' timeouts are shrunk (order kept): a
    tick is not 10 s, so the table gives the recovery in scaled ticks only, and diff never compares
    a scaled time with an upstream one (before: "8 ticks = 80 s", and "recovery shorter 520 s -> 80 s").
    The trace outputs follow (issue 15 P3: the HTML said "9 ticks = 90 s", the DOT "3 ticks = 30 s",
    the ITF "tick_seconds": 10): a scaled trace claims no tick length and says its ticks are scaled."""
    import json

    from hacheck.trace import read_itf

    props = ("engine_recovers",)
    up = write(tmp_path, "up.toml", active_standby(timers="upstream", properties=props))
    sc = write(tmp_path, "sc.toml", active_standby(timers="scaled", properties=props))
    sc_net = write(tmp_path, "sc_net.toml", active_standby(timers="scaled", kinds=("host-crash", "network-loss"),
                                                           properties=props))  # its worst case waits: folded
    cache = tmp_path / "cache"
    html = tmp_path / "sc.html"
    r, doc = check_json(tmp_path, sc, "--html", str(html), cache=cache)
    row = rows(doc)[("hosted_engine", "engine_recovers")]
    assert row["verdict"] == "holds"
    assert row["recovery"] == f"{row['recovery_ticks']} scaled ticks (not seconds)"
    assert row["recovery_seconds"] is None
    assert all(run["recovery"].endswith("scaled ticks (not seconds)") for run in row["runs"])
    assert f"{row['recovery_ticks']} scaled ticks (not seconds)" in r.stdout and "ticks =" not in r.stdout
    itf = row["trace_files"]["itf"]
    meta = json.loads(open(itf).read())["#meta"]["hacheck"]
    assert "tick_seconds" not in meta and meta["ticks"] == "scaled"
    t = read_itf(itf)
    assert t.tick_seconds is None and t.scaled_ticks and t.ticks()[-1] == row["recovery_ticks"] > 0
    _, doc_net = check_json(tmp_path, sc_net, cache=cache)
    dot = open(rows(doc_net)[("hosted_engine", "engine_recovers")]["trace_files"]["dot"]).read()
    assert re.search(r"waiting \d+ scaled ticks:", dot) and not re.search(r"ticks = \d", dot)
    page = html.read_text()
    assert f"Worst-case recovery: {t.length} steps; {row['recovery_ticks']} scaled ticks (not seconds)" in page
    assert not re.search(r"ticks = \d", page) and "0 s" not in page.replace("10 s", "")
    # the upstream file's trace is in seconds (a tick of the model is one 10 s agent cycle)
    html_up = tmp_path / "up.html"
    _, doc_up = check_json(tmp_path, up, "--html", str(html_up), cache=cache)
    meta_up = json.loads(open(rows(doc_up)[("hosted_engine", "engine_recovers")]["trace_files"]["itf"]).read())
    assert meta_up["#meta"]["hacheck"]["tick_seconds"] == 10 and "ticks" not in meta_up["#meta"]["hacheck"]
    assert re.search(r"Worst-case recovery: \d+ steps; \d+ ticks = \d+ s", html_up.read_text())
    _, doc_up = check_json(tmp_path, up, cache=cache)
    row_up = rows(doc_up)[("hosted_engine", "engine_recovers")]
    assert row_up["recovery_seconds"] == row_up["recovery_ticks"] * 10 and row_up["recovery"].endswith(" s")
    for old, new in ((up, sc), (sc, up)):
        d = hacheck("diff", str(old), str(new), "--out", str(tmp_path / "out"), "-q", cache=cache)
        assert d.returncode == 0, d.stdout + d.stderr
        assert "recovery shorter" not in d.stdout and "recovery longer" not in d.stdout
        assert "engine_recovers [hosted_engine]: recovery not comparable" in d.stdout
        assert "scaled ticks are not seconds" in d.stdout


def test_engine_host_places_the_engine_vm(tmp_path):
    """Item 2. The failure strikes a running cluster with the engine VM on engine.host (the hosted
    engine model's start = engine_up runs it on h1, which is now engine.host). With the engine on
    ovirt2 the worst case of engine_recovers is the crash of ovirt2, and diff says so; before, the
    engine was always on the first hosted-engine host of the file and diff found no change. In the
    fencing model the engine restarts with its host only when that host runs it."""
    props = ("engine_recovers", "no_dual_running_vm")
    on1 = write(tmp_path, "on1.toml", active_standby(engine_on=0, properties=props))
    on2 = write(tmp_path, "on2.toml", active_standby(engine_on=1, properties=props))
    cache = tmp_path / "cache"
    for f, engine_host in ((on1, "ovirt1"), (on2, "ovirt2")):
        _, doc = check_json(tmp_path, f, cache=cache)
        row = rows(doc)[("hosted_engine", "engine_recovers")]
        assert row["verdict"] == "holds" and row["legend"]["h1"] == engine_host
        assert row["scenario"] == f"{engine_host} host-crash"
        worst = {r["scenario"]: r["recovery_ticks"] for r in row["runs"]}
        assert worst[f"{engine_host} host-crash"] > 0
        other = "ovirt2" if engine_host == "ovirt1" else "ovirt1"
        assert worst[f"{other} host-crash"] == 0  # the engine keeps running
        assert next(m for m in doc["models"] if m["label"] == "hosted_engine")["sources"]["start"] == ["engine.host"]
    d = hacheck("diff", str(on1), str(on2), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "d.json"),
                cache=cache)
    assert d.returncode == 0, d.stdout + d.stderr
    assert "engine.host: \"ovirt1\" -> \"ovirt2\"" in d.stdout
    assert "engine_recovers [hosted_engine]: worst case moved" in d.stdout
    assert "ovirt1 host-crash -> ovirt2 host-crash" in d.stdout


def test_fencing_engine_restart_follows_the_engine(tmp_path):
    """Item 2, fencing side: with count = 1 the engine VM runs on engine.host when the failure hits,
    so only a failure of that host restarts the engine (ENGINE_MOVES); the crash of the other
    hosted-engine host is checked with its own fault only."""
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import loads

    d = loads(active_standby(engine_on=1), tmp_path / "x.toml")
    fencing = next(m for m in plan(d).models if m.label == "fencing")
    faults = {pr.scenario.label: sorted(f.action for f in pr.spec.faults) for pr in fencing.runs}
    assert faults == {"ovirt1 host-crash": ["crash"], "ovirt2 host-crash": ["crash", "engine_restart"]}


def test_restart_capacity_is_upstreams_scheduler_rule(tmp_path):
    """Item 5. ovirt1 crashes; its HA VM "big" restarts only where ovirt-engine's scheduler would start
    it (an HA restart is a RunVm, HaAutoStartVmsRunner -> RunVmCommand, filtered by bll/scheduling
    policy units). Every row is read: the fencing and standalone_engine models share one rule
    (properties/capacity.py) and must agree.

    Memory: MemoryPolicyUnit.filter -> SlaValidator.hasOvercommitMemoryToRunVM keeps a host only if the
    VM's required memory (VmOverheadCalculatorImpl.getTotalRequiredMemWithoutHugePagesMb: memory + 64 +
    memory/512 + 16 MiB VGA video RAM + 8 per vCPU) <= VDS.getMaxSchedulingMemory (physical MiB -
    memCommited - reservedMem; memCommited = vdsm guest_ram_overhead 65 + the running VMs' required
    memory, HostMonitoring.refreshCommitedMemory; reservedMem = vdsm host_mem_reserve 256 +
    extra_mem_reserve 65). big (4 GiB, 6 vCPUs) needs 4232 MiB, small (2 GiB, 2 vCPUs) 2148: a host of
    6 GiB (the GiB-exact fit, 4 + 2) is refused, 6.61 GiB (6768 MiB - 386 = 6382 >= 6380) restarts,
    6.6 GiB (6372) is refused.

    Cores: CPUPolicyUnit.filter drops a host only when its cores - exclusively pinned CPUs - the largest
    vCPU count of the VMs being scheduled < 0; vCPUs are never summed. So 7 + 2 vCPUs on 8 cores
    restart (8 - 7 >= 0), and a 9-vCPU VM cannot restart on an 8-core host."""
    def deployment(big_cpus: int = 6, host_gib: float = 6.61, ovirt1_cpus: int = 8) -> str:
        hosts = host("ovirt1", cpus=ovirt1_cpus, memory_gb=host_gib, power_management=True) \
            + host("ovirt2", cpus=8, memory_gb=host_gib, power_management=True) \
            + host("mgr", cpus=4, memory_gb=8, hypervisor=False)
        vms = vm("big", "ovirt1", cpus=big_cpus, memory_gb=4) + vm("small", "ovirt2", cpus=2, memory_gb=2)
        return active_standby(hosts=hosts, vms=vms, properties=("ha_vm_restarted",)).replace(
            'mode = "self-hosted"\nhost = "ovirt1"', 'mode = "standalone"\nhost = "mgr"')

    def verdicts(name: str, text: str) -> tuple[dict[tuple[str, str], str], dict]:
        _, doc = check_json(tmp_path, write(tmp_path, name, text), "--fail", "ovirt1:host-crash")
        return {key: row["verdict"] for key, row in rows(doc).items()}, doc

    models = {("fencing", "ha_vm_restarted"), ("standalone_engine", "ha_vm_restarted")}
    fit, doc = verdicts("fit.toml", deployment())
    assert fit == {k: "holds" for k in models}, fit
    for label in ("fencing", "standalone_engine"):  # the same amounts reach both models
        params = next(m for m in doc["models"] if m["label"] == label)["parameters"]
        # units of 2 MiB (the common divisor)
        assert params["host_free"] == "3191:8,3191:8" and params["vm_need"] == "2116:6,1074:2"
    for gib in (6, 6.6):  # the GiB-exact fit, and 10 MiB short of the overhead margin
        short, _ = verdicts(f"short{gib}.toml", deployment(host_gib=gib))
        assert short == {k: "violated" for k in models}, (gib, short)
    cores, _ = verdicts("cores.toml", deployment(big_cpus=7, host_gib=7))
    assert cores == {k: "holds" for k in models}, cores
    over, odoc = verdicts("over.toml", deployment(big_cpus=9, host_gib=7, ovirt1_cpus=16))
    assert over == {k: "violated" for k in models}, over
    note = "never schedulable (more vCPUs than the host's cores, CPUPolicyUnit): big (9 vCPUs) on ovirt2 (8 cores)"
    assert all(note in m["notes"] for m in odoc["models"] if m["label"] in ("fencing", "standalone_engine"))


def test_fencing_model_pm_trust_per_host():
    """The fencing model's pm_faulty_hosts, which item 4 maps to: upstream each host is fenced through
    its own agents (ovirt-engine bll/pm/HostFenceActionExecutor.fence reads
    FenceAgentDao.getFenceAgentsForHost) and the engine believes their status reply (isHostPoweredOff),
    so a faulty agent on h2 lets a hung h2's VM run twice, never a hung h1's."""
    from pathlib import Path

    from hacheck.deploy.mapping import FaultPattern, restrict_instances
    from hacheck.explicit.search import check
    from hacheck.loader import build_model, load_spec

    spec = load_spec(Path(__file__).resolve().parent.parent / "models" / "fencing.py")
    base = {"hosts": 2, "vms": 2, "manual_confirm_allowed": False, "pm_reports": "faulty", "pm_faulty_hosts": "h2"}
    verdicts = {}
    for h in ("h1", "h2"):
        m = restrict_instances(build_model(spec, base), [FaultPattern("hang", (("h", h),))])
        verdicts[h] = check(m, [m.properties["no_dual_running_vm"]]).properties[0].verdict
    assert verdicts == {"h1": "holds", "h2": "violated"}
