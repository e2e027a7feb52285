"""`hacheck check DEPLOYMENT.toml`, `hacheck diff`, the cache and the CI reports, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAR = ROOT / "examples" / "star.toml"
STAR_TEXT = STAR.read_text()


def run(*args: str, cache: Path | str = "off") -> subprocess.CompletedProcess:
    env = dict(os.environ, HACHECK_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, env=env)


def rows(report: Path) -> dict[tuple[str, str], dict]:
    doc = json.loads(report.read_text())
    assert doc["kind"] == "deployment"
    return {(r["model"], r["property"]): r for r in doc["rows"]}


def actions(itf_file: str) -> list[str]:
    doc = json.loads(Path(itf_file).read_text())
    out = []
    for s in doc["states"][1:]:
        m = s["#meta"]
        params = ", ".join(f"{k}={v}" for k, v in m.get("params", {}).items())
        out.append(m["action"] + (f"({params})" if params else ""))
    return out


@pytest.fixture(scope="module")
def star(tmp_path_factory):
    """examples/star.toml checked once, with every report, and a cache to re-check from."""
    tmp = tmp_path_factory.mktemp("star")
    cache = tmp / "cache"
    t0 = time.monotonic()
    r = run("check", str(STAR), "--out", str(tmp / "out"), "--json", str(tmp / "r.json"),
            "--junit", str(tmp / "r.xml"), "--sarif", str(tmp / "r.sarif"), cache=cache)
    return tmp, cache, r, time.monotonic() - t0


def test_star_table_verdicts_and_recovery(star):
    tmp, _, r, seconds = star
    assert r.returncode == 1, r.stderr  # the Gluster stale-read window (see docs/paper.md, C3)
    out = r.stdout
    for col in ("property", "model", "verdict", "figures", "worst-case recovery", "trace files"):
        assert col in out
    # progress on stderr, one line per distinct model check
    assert "[1/" in r.stderr and "hosted_engine: ovirt1 host-crash" in r.stderr
    rs = rows(tmp / "r.json")
    # ovirt1's storage loss is one steady partition of ovirt1 (mapping.storage_loss_group, the model's
    # storage_cut): a write of ovirt1's mount sent its op before the cut, noticed ovirt2's brick gone and
    # blames it on ovirt1's brick only (its post-op, sent after the cut, cannot reach the arbiter), while
    # ovirt2's mount writes to ovirt2's brick and the arbiter and blames ovirt1's brick there: data
    # split-brain (13 steps: the cut is one; tests/test_gluster_partition.py replays it with the upstream
    # functions). volume_writable holds since the partition is steady: the old lasso (the arbiter blaming
    # ovirt2's brick, then vetoing ovirt2's writes) needed ovirt1's post-op to cross the cut after ovirt1
    # had noticed it (afr_changelog_post_op_do is sent after the op callback; rpc-clnt-ping.c notices)
    sb = rs[("gluster_arbiter[engine]", "no_split_brain")]
    assert sb["verdict"] == "violated" and sb["scenario"] == "ovirt1 storage-loss, replica set 1"
    assert sb["trace_length"] == 13
    assert actions(sb["trace_files"]["itf"])[2] == "storage_cut(g=ovirt1 storage network)"
    assert rs[("gluster_arbiter[engine]", "volume_writable")]["verdict"] == "holds"
    assert rs[("gluster_arbiter[engine]", "no_lost_ack_heal")]["verdict"] == "holds"
    # an engine VM paused on ovirt1's storage loss released its lease (libvirt qemuProcessHandleIOError ->
    # virDomainLockProcessPause): once ovirt1's host id is dead ovirt2 starts a second copy beside the
    # paused one (39 steps); at most one copy can write
    he = rs[("hosted_engine", "no_dual_engine")]
    assert he["verdict"] == "violated" and he["scenario"] == "ovirt1 storage-loss" and he["trace_length"] == 39
    assert rs[("hosted_engine", "no_dual_writer")]["verdict"] == "holds"
    assert rs[("fencing", "no_dual_running_vm")]["verdict"] == "holds"
    for key in (("hosted_engine", "engine_recovers"),):
        row = rs[key]
        assert row["verdict"] == "holds", row
        assert row["recovery_ticks"] and row["recovery_ticks"] > 0
        assert row["trace_kind"] == "worst-case" and Path(row["trace_files"]["itf"]).exists()
    # a hypervisor that loses its storage: the VM pauses on EIO, the engine sees it paused, and nothing
    # restarts it elsewhere (the host is Up): the HA VM is never running again
    restart = rs[("fencing", "ha_vm_restarted")]
    assert restart["verdict"] == "violated" and restart["scenario"] == "ovirt1 storage-loss"
    # the trace files use the deployment's names (the legend says which model element each one is)
    assert actions(restart["trace_files"]["itf"]) == ["storage_loss(h=ovirt1)", "vm_eio_pause(vm=Database, h=ovirt1)",
                                                      "vm_report(vm=Database, h=ovirt1)"]
    assert json.loads(Path(restart["trace_files"]["itf"]).read_text())["loop"] == 3
    assert restart["legend"]["h2"] == "ovirt1" and restart["legend"]["v2"] == "Database"
    stale = rs[("gluster_arbiter[engine]", "no_stale_read")]
    assert stale["verdict"] == "violated"
    # the shortest: ovirt1's storage network is cut, ovirt2's mount (client1) notices ovirt1's brick gone,
    # writes to ovirt2's brick and the arbiter and is acknowledged before its post-op blames ovirt1's
    # brick, which ovirt1's mount still reads (3.12 reads need no quorum: afr-read-txn.c afr_read_txn with
    # cluster.quorum-reads off), without the write
    assert stale["scenario"] == "ovirt1 storage-loss, replica set 1" and stale["trace_length"] == 6
    assert actions(stale["trace_files"]["itf"]) == [
        "storage_cut(g=ovirt1 storage network)", "detect(c=client1, b=ovirt1:/gluster_bricks/engine/brick1)",
        "lock(w=write1)", "pre_op(w=write1)", "op(w=write1)", "ack(w=write1)"]
    assert "names: brick0 = ovirt1:/gluster_bricks/engine/brick1" in out
    # with a host crash only (--fail with the file's kinds narrowed is the same check): 6 steps, the brick restarts
    crash = [x for x in stale["runs"] if x["scenario"] == "ovirt1 host-crash" and x["part"] == "replica set 1"]
    assert crash[0]["verdict"] == "violated" and crash[0]["trace_length"] == 6


def test_star_junit_and_sarif(star):
    tmp, _, r, _ = star
    root = ET.parse(tmp / "r.xml").getroot()
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert len(cases) == int(root.get("tests")) >= 8
    failed = [k for k, c in cases.items() if c.find("failure") is not None]
    assert ("hacheck.star.gluster_arbiter[engine]", "no_stale_read") in failed
    body = cases[("hacheck.star.gluster_arbiter[engine]", "no_stale_read")].find("failure").text
    assert "FAULT storage_cut(g=ovirt1 storage network)" in body and "ack(w=write1)" in body
    assert cases[("hacheck.star.hosted_engine", "engine_recovers")].find("failure") is None
    sarif = json.loads((tmp / "r.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    res = {x["ruleId"]: x for x in sarif["runs"][0]["results"]}
    stale = res["gluster_arbiter[engine]/no_stale_read"]
    loc = stale["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("examples/star.toml")
    ovirt1_line = STAR_TEXT.splitlines().index('name = "ovirt1"') + 1
    assert loc["region"]["startLine"] == ovirt1_line  # the host whose failure breaks it
    assert stale["codeFlows"][0]["threadFlows"][0]["locations"][0]["location"]["message"]["text"] == \
        "step 1: FAULT storage_cut(g=ovirt1 storage network)"
    restart = res["fencing/ha_vm_restarted"]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert restart == ovirt1_line
    assert "hosted_engine/no_dual_engine" in res  # the paused copy (see test_star_table_verdicts_and_recovery)
    assert "hosted_engine/no_dual_writer" not in res  # holds: no result


def test_unchanged_deployment_rechecks_entirely_from_the_cache(star):
    """Every model check of an unchanged file comes from the cache (how fast that is, is
    benchmarks/bench_deploy.py's business: no test here depends on the clock)."""
    tmp, cache, _, _ = star
    for _attempt in range(2):  # a second try only if hacheck's own source changed meanwhile (it is in the key)
        r = run("check", str(STAR), "--out", str(tmp / "out"), "--json", str(tmp / "again.json"), "-q", cache=cache)
        doc = json.loads((tmp / "again.json").read_text())
        if doc["cached"] == doc["model_checks"]:
            break
    assert doc["cached"] == doc["model_checks"] > 0
    assert r.returncode == 1
    before = rows(tmp / "r.json")
    after = rows(tmp / "again.json")
    assert {k: v["verdict"] for k, v in before.items()} == {k: v["verdict"] for k, v in after.items()}


def test_cache_key_follows_the_parameters(star, tmp_path):
    _, cache, _, _ = star
    f = tmp_path / "star.toml"
    f.write_text(STAR_TEXT.replace("hosts_with_broken_connectivity_threshold = 50",
                                   "hosts_with_broken_connectivity_threshold = 60"))
    r = run("check", str(f), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"), "-q", cache=cache)
    assert r.returncode in (0, 1), r.stderr
    for (model, _prop), row in rows(tmp_path / "r.json").items():
        cached = {run_["cached"] for run_ in row["runs"]}
        # only the fencing checks depend on the fencing policy: they ran again, the others came from the cache
        assert cached == ({False} if model == "fencing" else {True}), (model, cached)


def test_diff_reports_a_broken_property_with_the_new_counterexample(star, tmp_path):
    tmp, cache, _, _ = star
    new = tmp_path / "star-confirm.toml"
    # allow "Confirm 'Host has been Rebooted'" (always possible upstream)
    new.write_text(STAR_TEXT.replace("manual_fence_confirm = false", "manual_fence_confirm = true"))
    r = run("diff", str(STAR), str(new), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "d.json"), cache=cache)
    assert r.returncode == 1, r.stderr
    assert "operations.manual_fence_confirm: false -> true" in r.stdout
    assert "no_dual_running_vm [fencing]: broken: holds" in r.stdout
    d = json.loads((tmp_path / "d.json").read_text())
    broken = {c["property"]: c for c in d["changes"] if c["change"] == "broken"}
    assert set(broken) == {"no_dual_running_vm", "no_dual_writing_vm"}
    # ovirt1 (h2), which runs the engine VM, loses its network: the engine VM restarts on ovirt2, and the new
    # engine, inside DisableFenceAtStartupInSec, skips the treatment of the silent host and frees its
    # power-management lock (VdsNotRespondingTreatmentCommand.executeCommand: isStartupTimeoutPassed false);
    # the host is NonResponsive, so ClearNonResponsiveVdsVmsCommand accepts the operator's confirm and the VM
    # is restarted while it still runs. (A confirm in Connecting or during the treatment is refused upstream.)
    # only ovirt1 runs the engine VM (engine.host): a failure of ovirt2 brings no engine restart
    assert broken["no_dual_running_vm"]["scenarios"] == ["ovirt1 network-loss"]
    assert "13 steps, shortest; ovirt1 network-loss" in broken["no_dual_running_vm"]["new"]
    steps = actions(broken["no_dual_running_vm"]["trace_files"]["itf"])
    # in the deployment's names (h2 = ovirt1, v2 = Database)
    assert steps == ["partition(h=ovirt1)", "engine_restart", "poll_fail(h=ovirt1)"] + ["tick"] * 6 + [
        "grace_over(h=ovirt1)", "treat_startup_skip(h=ovirt1)", "manual_confirm(h=ovirt1)", "ha_restart(vm=Database, d=ovirt2)"]
    assert [s["setting"] for s in d["settings"]] == ["operations.manual_fence_confirm"]
    assert d["settings"][0]["old_line"] == d["settings"][0]["new_line"] == \
        STAR_TEXT.splitlines().index("manual_fence_confirm = false  # the runbook: never \"Confirm Host has been "
                                     "Rebooted\" without checking it is off") + 1
    # and back: the reverse change fixes it, exit 0
    r2 = run("diff", str(new), str(STAR), "--out", str(tmp_path / "out"), "-q", cache=cache)
    assert r2.returncode == 0, r2.stdout
    assert "no_dual_running_vm [fencing]: fixed: violated" in r2.stdout


def test_fail_one_host_and_model_file_reports(tmp_path):
    r = run("check", str(STAR), "--fail", "storage", "--out", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"), "-q")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert r.returncode == doc["exit_code"] == 1, r.stderr  # a stale read of an acked write after the crash
    assert doc["failures"]["scenarios"] == ["storage host-crash", "storage power-cycle", "storage brick-io-error",
                                            "storage changelog-loss"]
    rs = rows(tmp_path / "r.json")
    assert rs[("gluster_arbiter[engine]", "no_split_brain")]["verdict"] == "holds"
    bad = run("check", str(STAR), "--fail", "ovirt3", "-q")
    assert bad.returncode == 2 and "--fail ovirt3: ovirt3 is not a host of" in bad.stderr and "(did you mean ovirt2?)" in bad.stderr
    # --junit and --sarif work for model files too
    m = run("check", "docs/tutorial/two_replicas.py", "--out", str(tmp_path / "o2"), "-q",
            "--junit", str(tmp_path / "m.xml"), "--sarif", str(tmp_path / "m.sarif"))
    assert m.returncode == 1
    root = ET.parse(tmp_path / "m.xml").getroot()
    failure = next(c for c in root.iter("testcase") if c.get("name") == "no_split_brain").find("failure")
    assert "FAULT cut(" in failure.text
    assert json.loads((tmp_path / "m.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "two_replicas/no_split_brain"
