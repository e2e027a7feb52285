"""Deployment files: parsing, key locations, validation messages, and the mapping to the models."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.deploy.locate import Locator
from hacheck.deploy.mapping import FaultPattern, balanced_order, plan, restrict_instances
from hacheck.deploy.parse import load, loads
from hacheck.deploy.schema import FAILURE_KINDS, TABLES
from hacheck.lang.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent
STAR = ROOT / "examples" / "star.toml"
STAR_TEXT = STAR.read_text()


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    e = dict(os.environ, HACHECK_CACHE_DIR="off", **(env or {}))
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env=e)


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln]
    return lines[nth]


# ---- the locator ------------------------------------------------------------------------------------
def test_locator_finds_tables_arrays_dotted_and_quoted_keys():
    text = '''name = "x"
[[hosts]]
name = "a"   # comment with = and [brackets]
[[hosts]]
name = "b"
cpus = 4
[volumes.options]
"cluster.quorum-type" = "auto"
[engine]
sub.key = 1
list = [
  "one",  # first
  { inner = 2, other = "y" },
]
s = """multi
line = no"""
after = true
'''
    loc = Locator(text)
    assert loc.line(("name",)) == 1
    assert loc.line(("hosts", 0)) == 2
    assert loc.line(("hosts", 1, "name")) == 5
    assert loc.line(("hosts", 1, "cpus")) == 6
    assert loc.line(("volumes", "options", "cluster.quorum-type")) == 8
    assert loc.line(("engine", "sub", "key")) == 10
    assert loc.line(("engine", "list", 0)) == 12
    assert loc.line(("engine", "list", 1, "inner")) == 13
    assert loc.line(("engine", "after")) == 17
    assert loc.span(("engine", "list")) == (11, 14)
    # a key that is not written: the line of its closest enclosing table
    assert loc.line(("hosts", 1, "memory_gb")) == 4


def test_star_loads_with_defaults_and_lines():
    d = load(STAR)
    assert [h.name for h in d.hosts] == ["ovirt1", "ovirt2", "storage"]
    assert [h.name for h in d.he_hosts] == ["ovirt1", "ovirt2"]
    assert [v.name for v in d.vms] == ["Database", "Webserver", "IDP"]
    vol = d.volumes[0]
    assert vol.replica == 3 and vol.arbiter and len(vol.sets) == 3
    assert [b.host for b in vol.sets[1]] == ["ovirt2", "storage", "ovirt1"]
    assert d.settings["vms[IDP].lease"] is False  # a default filled in
    assert d.settings["cluster.fencing_policy.skip_fencing_if_sd_active"] is False
    assert d.line(("volumes", 0, "options", "cluster.quorum-type")) == line_of(STAR_TEXT, '"cluster.quorum-type"')
    assert d.line(("volumes", 0, "bricks", 4)) == line_of(STAR_TEXT, "storage:/gluster_bricks/engine/brick2")


# ---- bad input: each a message with file, line and key, exit 2 -----------------------------------------
BAD = {
    "unknown key": (STAR_TEXT.replace('pm_agent = "ipmilan"\npm_trusted = true\n\n[[hosts]]\nname = "ovirt2"',
                                      'pm_agent = "ipmilan"\npm_trustd = true\n\n[[hosts]]\nname = "ovirt2"'),
                    "pm_trustd = true", "hosts[0].pm_trustd: unknown key (did you mean 'pm_trusted'?)"),
    "unknown option": (STAR_TEXT.replace('"cluster.quorum-type" = "auto"', '"cluster.quorum_type" = "auto"'),
                       '"cluster.quorum_type"',
                       "volumes[0].options.\"cluster.quorum_type\": unknown key (did you mean 'cluster.quorum-type'?)"),
    "brick on an unknown host": (STAR_TEXT.replace('"storage:/gluster_bricks/engine/brick3"', '"storag:/gluster_bricks/engine/brick3"'),
                                 "storag:/gluster_bricks/engine/brick3",
                                 "volumes[0].bricks[6]: brick 'storag:/gluster_bricks/engine/brick3': host 'storag' is "
                                 "not a host of this deployment (did you mean 'storage'?)"),
    "VM larger than any host": (STAR_TEXT.replace('name = "Database"\nha = true\ncpus = 4\nmemory_gb = 8',
                                                  'name = "Database"\nha = true\ncpus = 4\nmemory_gb = 128'),
                                "memory_gb = 128", "vms[0].memory_gb: VM 'Database' (4 vCPUs, 128 GiB) is larger than "
                                "every hypervisor"),
    "arbiter on replica 2": (STAR_TEXT.replace("replica = 3\narbiter = 1", "replica = 2\narbiter = 1"),
                             "arbiter = 1", "volumes[0].arbiter: an arbiter needs replica 3"),
    "quorum count above replica": (STAR_TEXT.replace('"cluster.quorum-type" = "auto"',
                                                     '"cluster.quorum-type" = "fixed"\n"cluster.quorum-count" = 4'),
                                   '"cluster.quorum-count" = 4', 'volumes[0].options."cluster.quorum-count": quorum count '
                                   "4 is above the replica count 3"),
    "duplicated host name": (STAR_TEXT.replace('name = "ovirt2"\ncpus = 16', 'name = "ovirt1"\ncpus = 16'),
                             'name = "ovirt1"', "hosts[1].name: duplicated host name 'ovirt1' (first defined at line "),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_file_line_and_key(case, tmp_path):
    text, needle, message = BAD[case]
    assert text != STAR_TEXT
    f = tmp_path / "bad.toml"
    f.write_text(text)
    nth = 1 if case == "duplicated host name" else 0
    line = line_of(text, needle, nth)
    r = run("check", str(f), "-q", "--out", str(tmp_path / "out"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert f"{f}:{line}: {message}" in r.stderr, r.stderr
    assert r.stdout == ""


def test_more_bad_input_is_reported_all_at_once():
    text = STAR_TEXT.replace('kinds = ["host-crash", "power-cycle"', 'kinds = ["host-crsh", "power-cycle"').replace('host = "ovirt1"               # the engine',
                                                                                         'host = "ovirt9"               # the engine')
    with pytest.raises(BadInput) as e:
        loads(text, "x.toml")
    msg = str(e.value)
    assert f"x.toml:{line_of(text, 'host-crsh')}: failures.kinds[0]: unknown failure kind 'host-crsh' (did you mean 'host-crash'?)" in msg
    assert f"x.toml:{line_of(text, 'ovirt9')}: engine.host: engine host 'ovirt9' is not a host" in msg


@pytest.mark.parametrize("text, needle", [
    ("[[hosts]]\nname = 1\n", "hosts[0].name: must be a string, got 1"),
    ('[[hosts]]\nname = "a"\ncpus = 2\nmemory_gb = 4\n', "missing: add [engine]"),
    ("name = [1\n", "not valid TOML"),
    ('[engine]\nmode = "selfhosted"\nhost = "a"\n', "engine.mode: 'selfhosted' is not one of self-hosted|standalone "
                                                      "(did you mean 'self-hosted'?)"),
])
def test_shape_errors(text, needle):
    with pytest.raises(BadInput) as e:
        loads(text, "y.toml")
    assert needle in str(e.value)


def test_replica_set_with_two_bricks_on_one_host_is_refused():
    text = STAR_TEXT.replace('"storage:/gluster_bricks/engine/arbiter1"', '"ovirt1:/gluster_bricks/engine/arbiter1"')
    with pytest.raises(BadInput) as e:
        loads(text, "z.toml")
    assert "replica set 1 of volume 'engine' has 2 bricks on host 'ovirt1'" in str(e.value)


# ---- the mapping ------------------------------------------------------------------------------------------
def test_fencing_placement_order_and_capacity():
    d = load(STAR)
    hosts, vms = balanced_order(d)
    assert hosts == ["ovirt2", "ovirt1"]  # VM i starts on host i mod 2
    assert vms == ["Webserver", "Database", "IDP"]
    p = plan(d)
    fen = next(m for m in p.models if m.model == "fencing")
    params = dict(fen.runs[0].spec.params)
    # memory in MiB as upstream's scheduler (units of 2 MiB): 65536 - 321 reserved - 65 guest overhead -
    # 16528 for the engine VM (16384 + 64 + 32 + 16 video + 8 x 4 vCPUs) = 48622; each VM needs
    # 8192 + 64 + 16 + 16 + 32 = 8320; cores are the host's 16 and each VM's 4 vCPUs (not summed)
    assert params["host_free"] == "24311:16,24311:16" and params["vm_need"] == "4160:4,4160:4,4160:4"
    assert params["power_management"] == "h1,h2" and params["manual_confirm_allowed"] is False


def test_memory_overcommit_scales_the_physical_memory():
    """cluster.memory_overcommit is the cluster's max_memory_over_commit: ovirt-engine
    VDS.getFreeVirtualMemory takes physical MiB x overcommit / 100 before subtracting memCommited and
    reservedMem. At 150 % a 64 GiB host offers 98304 - 386 - 16528 (engine VM) = 81390 MiB."""
    d = loads(STAR_TEXT + "\n[cluster]\nmemory_overcommit = 150\n", "o.toml")
    fen = next(m for m in plan(d).models if m.model == "fencing")
    assert dict(fen.runs[0].spec.params)["host_free"] == "8139:16,8139:16"  # units of 10 MiB (gcd with 8320)
    with pytest.raises(BadInput) as e:
        loads(STAR_TEXT + "\n[cluster]\nmemory_overcommit = 0\n", "o.toml")
    assert "memory_overcommit" in str(e.value)


def test_a_placement_upstream_could_not_run_is_refused():
    """The file's own placement must pass the scheduler's filters: ovirt-engine MemoryPolicyUnit (the
    VMs' required memory with VmOverheadCalculatorImpl's overhead within VDS.getMaxSchedulingMemory)
    and CPUPolicyUnit (each VM's vCPUs within the host's cores, never summed). ovirt1 runs the engine VM
    (16 GiB) and Database (8 GiB): 16528 + 8320 MiB; a 24 GiB host offers 24576 - 386 = 24190 (refused,
    though 16 + 8 GiB is an exact GiB fit), 25 GiB offers 25214 (accepted). A 3-core host cannot run a
    4-vCPU VM; 4 cores run the engine VM and a VM of 4 vCPUs each (vCPUs are not summed)."""
    loads(STAR_TEXT.replace("memory_gb = 64", "memory_gb = 25"), "ok.toml")
    with pytest.raises(BadInput, match=r"the VMs placed on 'ovirt1' need 24848 MiB .* it offers 24190 MiB"):
        loads(STAR_TEXT.replace("memory_gb = 64", "memory_gb = 24"), "m.toml")
    loads(STAR_TEXT.replace("cpus = 16", "cpus = 4"), "four.toml")
    with pytest.raises(BadInput, match=r"placed on 'ovirt\d' has 4 vCPUs, more than its 3 cores"):
        loads(STAR_TEXT.replace("cpus = 16", "cpus = 3"), "c.toml")


def test_unbalanced_placement_is_a_limitation_not_a_different_check():
    text = STAR_TEXT.replace('host = "ovirt2"\nstorage = "cephfs"', 'host = "ovirt1"\nstorage = "cephfs"')
    text = text.replace("cpus = 16", "cpus = 32")
    d = loads(text, "u.toml")
    assert balanced_order(d) is None
    fen = next(m for m in plan(d).models if m.model == "fencing")
    assert fen.limitation and "lacks a per-VM initial host parameter" in fen.limitation


def test_a_host_failure_maps_to_its_bricks_agent_and_host():
    p = plan(load(STAR))
    by = {(m.label, r.scenario.label, r.part): r.spec for m in p.models for r in m.runs}
    g = by[("gluster_arbiter[engine]", "storage host-crash", "replica set 1")]
    # storage holds the arbiter of set 1; the crash may also strike while a phase waits on a slow brick
    # (brick_crash_stalled: a hung disk keeps a stall going until network.frame-timeout, mapping.GLUSTER_FAULTS)
    assert [f.text for f in g.faults] == ["brick_crash(b=brick2)", "brick_crash_stalled(b=brick2)"]
    assert dict(g.params)["max_faults"] == 1 and dict(g.params)["quorum_loss"] == "erofs"
    g2 = by[("gluster_arbiter[engine]", "storage host-crash", "replica set 2")]
    assert [f.text for f in g2.faults] == ["brick_crash(b=brick1)", "brick_crash_stalled(b=brick1)"]
    he = by[("hosted_engine", "ovirt2 host-crash", "")]
    assert [f.text for f in he.faults] == ["host_crash(h=h2)"]
    assert dict(by[("hosted_engine", "storage host-crash", "")].params)["max_faults"] == 0  # not a hosted-engine host
    fen = by[("fencing", "ovirt1 host-crash", "")]
    # ovirt1 is h2 of the fencing model; the engine VM may die with it: the engine restarts at that moment
    assert [f.text for f in fen.faults] == [
        "crash(h=h2) when faults == 0", "engine_restart when health[h2] == crashed & status[h2] == Up & tr[h2] == idle"]
    assert dict(fen.params)["max_faults"] == 2


def test_fail_option_picks_one_scenario():
    p = plan(load(STAR), fail=["ovirt2"])
    assert [s.label for s in p.scenarios] == [
        "ovirt2 host-crash", "ovirt2 power-cycle", "ovirt2 host-hang", "ovirt2 network-loss", "ovirt2 storage-loss",
        "ovirt2 agent-crash", "ovirt2 engine-vm-crash", "ovirt2 engine-start-failure", "ovirt2 score-penalty",
        "ovirt2 pm-unreachable", "ovirt2 brick-io-error", "ovirt2 changelog-loss"]
    # the storage node is no hypervisor and runs no agent: only the kinds that can strike it
    p = plan(load(STAR), fail=["storage"])
    assert [s.label for s in p.scenarios] == [
        "storage host-crash", "storage power-cycle", "storage brick-io-error", "storage changelog-loss"]
    with pytest.raises(BadInput, match="--fail ovirt-engine: no failure kind"):
        plan(loads(STAR_TEXT.replace('"engine-restart", ', ""), "s.toml"), fail=["ovirt-engine"])


def test_restrict_instances_keeps_one_hosts_faults():
    from hacheck.loader import build_model, load_spec

    spec = load_spec(ROOT / "models" / "fencing.py")
    m = build_model(spec, {"hosts": 2, "vms": 2})
    restrict_instances(m, [FaultPattern("crash", (("h", "h2"),))])
    faults = [i.label for i in m.instances if i.kind == "fault"]
    assert faults == ["crash(h=h2)"]
    assert [i.index for i in m.instances] == list(range(len(m.instances)))
    assert all(i < len(m.instances) for a in m.actions for i in a.instances)


def test_every_key_and_failure_kind_is_documented():
    doc = (ROOT / "docs" / "deployment.md").read_text()
    missing = [f"{t.name}: {k.name}" for t in TABLES.values() for k in t.keys if f"| `{k.name}` |" not in doc]
    assert not missing, missing
    assert not [k for k in FAILURE_KINDS if f"`{k}`" not in doc]
    heads = re.findall(r"^### `(.+)`", doc, re.M)
    for t in TABLES.values():
        head = "top level" if not t.name else (f"[[{t.name[:-2]}]]" if t.array else f"[{t.name.replace('[]', '')}]")
        assert head in heads, head


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.toml")), ids=lambda p: p.name)
def test_every_example_is_valid_and_maps_to_models(path):
    p = plan(load(path))
    assert p.scenarios and p.models
    assert not [m.label for m in p.models if m.limitation], [m.limitation for m in p.models]
