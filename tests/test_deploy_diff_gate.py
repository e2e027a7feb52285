"""Issue 15, item 1: ``hacheck diff`` never passes a break, whatever the scenario labels.

A property that held under every scenario of the old file and is violated under any scenario of
the new one is broken (exit 1), even when no scenario of the new file has a label of the old one:
renamed hosts, another number of replica sets, an added failure kind, replica 3 -> 2. A property
that stops being checked is reported (exit 3, as ``hacheck check`` for a row not checked)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hacheck.deploy.diff import FAILING, _compare
from hacheck.deploy.run import Row

from deploy_files import active_standby, check_json, hacheck, host, table, vm, write

GLUSTER_HOSTS = host("a") + host("b") + host("c", cpus=8, memory_gb=32, hypervisor=False) \
    + table("engine", mode="standalone", host="c")


def gluster(replica: int, bricks: list[str], arbiter: int = 0, quorum: str | None = None) -> str:
    vol = f'[[volumes]]\nname = "data"\nreplica = {replica}\narbiter = {arbiter}\nbricks = {json.dumps(bricks)}\n\n'
    if quorum is not None:
        vol += table("volumes.options", **{"cluster.quorum-type": quorum})
    return (GLUSTER_HOSTS + vol + table("failures", count=2, kinds=["host-crash"])
            + table("check", properties=["no_split_brain"]))


# (name, old file, new file): in each pair no scenario label of the new file's violations exists in the old file
PAIRS = {
    # hosts renamed, and the VM's host gets a fence agent that reports OFF without powering it off
    # (HostFenceActionExecutor trusts the agent): a hung host's VM is restarted elsewhere while it runs
    "renamed hosts": (active_standby(kinds=("host-hang",), properties=("no_dual_running_vm",)),
                      active_standby(names=("node-a", "node-b"), kinds=("host-hang",), pm_trusted=(False, True),
                                     properties=("no_dual_running_vm",))),
    # the untrusted agent was harmless with crashes only (the crashed host's qemu is dead); a hang is added
    "added failure kind": (active_standby(pm_trusted=(False, True), properties=("no_dual_running_vm",)),
                           active_standby(kinds=("host-crash", "host-hang"), pm_trusted=(False, True),
                                          properties=("no_dual_running_vm",))),
    # replica 3 arbiter (quorum auto) -> replica 2 (quorum none upstream) in two replica sets: two crashes
    # in turn write different copies
    "replica 3 -> 2": (gluster(3, ["a:/b1", "b:/b1", "c:/b1"], arbiter=1),
                       gluster(2, ["a:/b1", "b:/b1", "b:/b2", "a:/b2"])),
    # one replica set with quorum auto -> two replica sets with quorum none
    "more replica sets": (gluster(2, ["a:/b1", "b:/b1"], quorum="auto"),
                          gluster(2, ["a:/b1", "b:/b1", "b:/b2", "a:/b2"], quorum="none")),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_diff_fails_when_a_property_that_held_everywhere_is_violated_anywhere(name, tmp_path):
    old_text, new_text = PAIRS[name]
    old = write(tmp_path, "old.toml", old_text)
    new = write(tmp_path, "new.toml", new_text)
    cache = tmp_path / "cache"
    r = hacheck("diff", str(old), str(new), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "d.json"),
                cache=cache)
    assert r.returncode == 1, r.stdout + r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    assert d["exit_code"] == 1
    broken = [c for c in d["changes"] if c["change"] == "broken"]
    assert len(broken) == 1 and broken[0]["old"].startswith("holds") and broken[0]["new"].startswith("violated")
    _, doc = check_json(tmp_path, old, cache=cache)
    old_labels = {run["scenario"] + (f", {run['part']}" if run["part"] else "") for row in doc["rows"] for run in row["runs"]}
    assert broken[0]["scenarios"] and not set(broken[0]["scenarios"]) & old_labels  # the labels are all new
    assert broken[0]["trace_files"]  # with the new counterexample
    assert "BROKEN: 1 property violated now" in r.stdout
    back = hacheck("diff", str(new), str(old), "--out", str(tmp_path / "out"), "-q", cache=cache)
    if name == "added failure kind":  # back: the kind that showed the violation is no longer checked (P4)
        assert back.returncode == 3, back.stdout
        assert ": not shown fixed: violated" in back.stdout and "scenarios no longer checked (2)" in back.stdout
        return
    # the reverse change fixes it: exit 0
    assert back.returncode == 0, back.stdout
    assert ": fixed: violated" in back.stdout


def test_a_property_that_stops_being_checked_is_a_change(tmp_path):
    """The only HA VM turns non-HA: the fencing model no longer applies. Its properties held: diff says
    they are no longer checked, with the reason, and exits 3 (inconclusive), not 0 in silence."""
    old = write(tmp_path, "old.toml", active_standby())
    new = write(tmp_path, "new.toml", active_standby(vms=vm("db", "ovirt1", ha=False)))
    r = hacheck("diff", str(old), str(new), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "d.json"),
                cache=tmp_path / "cache")
    assert r.returncode == 3, r.stdout + r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    gone = [c for c in d["changes"] if c["change"] == "no longer checked"]
    assert {(c["model"], c["property"]) for c in gone} >= {("fencing", "no_dual_running_vm"),
                                                            ("fencing", "no_dual_writing_vm")}
    assert "no HA VM" in gone[0]["new"]
    assert "no_dual_running_vm [fencing]: no longer checked: holds" in r.stdout
    assert "INCONCLUSIVE" in r.stdout


# ---- the rule itself, over arbitrary scenario labels ---------------------------------------------
LABELS = st.sampled_from(["ovirt1 host-crash", "ovirt2 host-crash", "node-a host-crash", "a host-crash + b host-crash",
                          "storage brick-io-error", "ovirt1 host-hang"])
PARTS = st.sampled_from(["", "replica set 1", "replica set 2"])
RUNS = st.dictionaries(st.tuples(LABELS, PARTS), st.sampled_from(["holds", "violated", "unknown"]), min_size=1,
                       max_size=6)


def _row(runs: dict[tuple[str, str], str]) -> Row:
    """A folded row as run.fold makes it: violated if any run is, holds if every run does."""
    entries = [(SimpleNamespace(planned=SimpleNamespace(scenario=SimpleNamespace(label=label), part=part)),
                SimpleNamespace(verdict=v)) for (label, part), v in runs.items()]
    vs = set(runs.values())
    verdict = "violated" if "violated" in vs else "unknown" if "unknown" in vs else "holds"
    return Row("fencing", "no_dual_running_vm", "invariant", verdict, "", entries=entries)


@settings(max_examples=300, deadline=None)
@given(RUNS, RUNS)
def test_gate_rule_ignores_labels(old_runs, new_runs):
    """Whatever the labels of either side: held everywhere before and violated anywhere now fails the
    gate; nothing violated now never fails it; violated now only where it was already violated (same
    scenario) does not fail it."""
    old, new = _row(old_runs), _row(new_runs)
    ch = _compare(("fencing", "no_dual_running_vm"), old, new, {})
    failing = ch is not None and ch.what in FAILING
    if old.verdict == "holds" and new.verdict == "violated":
        assert failing and ch.scenarios
    if new.verdict != "violated":
        assert not failing
    if old.verdict == "violated" and all(old_runs.get(k) == "violated" for k, v in new_runs.items() if v == "violated"):
        assert not failing


# ---- issue 15 P4: worse under renamed hosts; scenarios that stop being checked ---------------------
def test_an_already_violated_property_that_gets_worse_under_renamed_hosts_is_broken(tmp_path):
    """ovirt2's fence agent is on the wrong outlet: no_dual_running_vm is violated in 1 of 2 runs (a
    hang of ovirt2). The new file renames the hosts and both agents are untrusted: violated in 2 of 2.
    Before, diff compared only runs with the same label, found none, and said "verdicts that changed
    (0)", exit 0 (without the rename the same change was broken). The runs are matched by their
    faults in the model's terms (h1 = the engine host in both), so the hang of node-a is the hang of
    ovirt1, which held: broken, exit 1."""
    vms = vm("db", "ovirt1") + vm("web", "ovirt2")
    old = write(tmp_path, "old.toml", active_standby(kinds=("host-hang",), pm_trusted=(True, False), vms=vms,
                                                     properties=("no_dual_running_vm",)))
    new = write(tmp_path, "new.toml", active_standby(names=("node-a", "node-b"), kinds=("host-hang",),
                                                     pm_trusted=(False, False), vms=vm("db", "node-a") + vm("web", "node-b"),
                                                     properties=("no_dual_running_vm",)))
    r = hacheck("diff", str(old), str(new), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "d.json"),
                cache=tmp_path / "cache")
    assert r.returncode == 1, r.stdout + r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    broken = [c for c in d["changes"] if c["change"] == "broken"]
    assert [(c["property"], c["scenarios"]) for c in broken] == [("no_dual_running_vm", ["node-a host-hang"])]
    assert d["scenarios_no_longer_checked"] == []  # renamed, not dropped


def test_a_possible_break_in_scenarios_that_cannot_be_matched_fails_the_gate():
    """Violated before and after, in more runs now, some in scenarios the old file cannot be matched
    to (no label, no faults in common): the gate cannot show it is no worse, so it fails (broken,
    with the reason), never "verdicts that changed (0)"."""
    old = _row({("ovirt1 host-hang", ""): "holds", ("ovirt2 host-hang", ""): "violated"})
    new = _row({("node-a host-hang", ""): "violated", ("node-b host-hang", ""): "violated"})
    ch = _compare(("fencing", "no_dual_running_vm"), old, new, {})
    assert ch is not None and ch.what in FAILING and ch.what == "broken"
    assert sorted(ch.scenarios) == ["node-a host-hang", "node-b host-hang"]
    assert "cannot be matched" in ch.detail
    # as many violating runs as before: not a break on its own
    same = _row({("node-a host-hang", ""): "holds", ("node-b host-hang", ""): "violated"})
    ch2 = _compare(("fencing", "no_dual_running_vm"), old, same, {})
    assert ch2 is None or ch2.what not in FAILING


def test_removing_the_failure_kinds_is_not_a_fix(tmp_path):
    """kinds = [host-crash, host-hang] -> []: the hang of ovirt2 (untrusted agent) violated
    no_dual_running_vm; with no failure kind nothing is checked but the run without a failure.
    Before, diff said "fixed: violated -> holds" and "recovery shorter: 70 s -> 0 ticks", exit 0.
    Now: "not shown fixed" (its violating scenarios are no longer checked), the scenarios no longer
    checked are listed, no recovery is compared with a worst case that is gone, exit 3; and the check
    of the new file says that failures.count has no effect."""
    vms = vm("db", "ovirt1") + vm("web", "ovirt2")
    props = ("no_dual_running_vm", "ha_vm_restarted")
    old = write(tmp_path, "old.toml", active_standby(kinds=("host-crash", "host-hang"), pm_trusted=(True, False),
                                                     vms=vms, properties=props))
    new = write(tmp_path, "new.toml", active_standby(kinds=(), pm_trusted=(True, False), vms=vms, properties=props))
    cache = tmp_path / "cache"
    r = hacheck("diff", str(old), str(new), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "d.json"),
                "-q", cache=cache)
    assert r.returncode == 3, r.stdout + r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    assert d["exit_code"] == 3
    changes = {c["property"]: c for c in d["changes"] if c["model"] == "fencing"}
    assert changes["no_dual_running_vm"]["change"] == "not shown fixed"
    assert changes["no_dual_running_vm"]["scenarios"] == ["ovirt2 host-hang"]
    assert "fixed: violated" not in r.stdout.replace("not shown fixed: violated", "")
    assert "recovery shorter" not in r.stdout
    assert sorted(d["scenarios_no_longer_checked"]) == ["ovirt1 host-crash", "ovirt1 host-hang", "ovirt2 host-crash",
                                                        "ovirt2 host-hang"]
    assert "scenarios no longer checked (4)" in r.stdout and "INCONCLUSIVE" in r.stdout
    c, doc = check_json(tmp_path, new, cache=cache)
    assert "failures.kinds is empty: no failure strikes" in c.stdout and "failures.count = 1 has no effect" in c.stdout
    assert "has no effect" in doc["failures"]["note"]
    # and adding the kinds back: the violation is new (broken), "no failure" is not a scenario lost
    fwd = hacheck("diff", str(new), str(old), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "f.json"),
                  "-q", cache=cache)
    assert fwd.returncode == 1, fwd.stdout
    assert json.loads((tmp_path / "f.json").read_text())["scenarios_no_longer_checked"] == []
