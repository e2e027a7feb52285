"""Deployment files: the Gluster `virt` option group and the options it sets, mapped to model parameters.

`group = "virt"` on a `[[volumes]]` table applies extras/group-virt.example (gluster/glusterfs): server
quorum `server`, `cluster.eager-lock` on, `network.ping-timeout` 20, `features.shard` on,
`cluster.choose-local` off. Options written in `[volumes.options]` override the group, as a later
`gluster volume set` does. Defaults of the individual options are upstream's (afr.c option table:
eager-lock on, post-op-delay-secs 1; protocol/client: ping-timeout 42).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.deploy.mapping import gluster_params, plan
from hacheck.deploy.parse import load, loads
from hacheck.lang.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent
STAR = ROOT / "examples" / "star.toml"
VIRT = ROOT / "examples" / "star-virt.toml"


def with_volume(star_text: str, extra: str, options: str = "") -> str:
    """examples/star.toml with lines added to the [[volumes]] table and its options replaced."""
    text = star_text.replace('arbiter = 1\n', f'arbiter = 1\n{extra}\n', 1)
    head, _, rest = text.partition("[volumes.options]\n")
    _, _, tail = rest.partition("\n\n")
    return head + "[volumes.options]\n" + options + "\n\n" + tail


@pytest.fixture(scope="module")
def star_text():
    return STAR.read_text()


def params_of(text):
    d = loads(text)
    return gluster_params(d, d.volumes[0])


def test_defaults_are_upstream(star_text):
    params, sources = params_of(with_volume(star_text, ""))
    assert (params["eager_lock"], params["post_op_delay"], params["ping_stall"]) == (True, 1, True)
    assert params["server_quorum"] == "none"
    assert sources["eager_lock"] == ["volumes[engine].options.cluster.eager-lock"]


def test_virt_group_sets_server_quorum_and_eager_lock(star_text):
    params, sources = params_of(with_volume(star_text, 'group = "virt"'))
    assert params["server_quorum"] == "server" and params["eager_lock"] and params["quorum_type"] == "auto"
    assert sources["server_quorum"] == ["volumes[engine].group"]  # SARIF points at the group line
    d = loads(with_volume(star_text, 'group = "virt"'))
    vol = d.volumes[0]
    assert vol.group == "virt"
    assert vol.options["network.ping-timeout"] == 20 and vol.options["features.shard"]
    assert not vol.options["cluster.choose-local"]


def test_explicit_options_override_the_group(star_text):
    text = with_volume(star_text, 'group = "virt"',
                       '"cluster.server-quorum-type" = "none"\n"cluster.eager-lock" = false\n'
                       '"cluster.post-op-delay-secs" = 0')
    params, sources = params_of(text)
    assert params["server_quorum"] == "none" and not params["eager_lock"] and params["post_op_delay"] == 0
    assert sources["server_quorum"] == ["volumes[engine].options.cluster.server-quorum-type"]


def test_group_notes_say_what_the_model_does_not_check(star_text):
    p = plan(loads(with_volume(star_text, 'group = "virt"')))
    notes = next(m for m in p.models if m.model == "gluster_arbiter").notes
    assert any("features.shard on" in n for n in notes)
    assert any("choose-local off" in n for n in notes)


def test_notes_name_the_code_the_transaction_follows_and_the_unmodelled_virt_options(star_text):
    """extras/group-virt.example also sets cluster.locking-scheme=granular (afr.c sets priv->granular_locks,
    read nowhere else in xlators/cluster/afr/src at 595745f8) and cluster.data-self-heal-algorithm=full
    (afr-self-heal-data.c copies block by block, afr_selfheal_data_block): the plan says so. A version
    below 3.13 selects EROFS, but the transaction is master's __afr_eager_lock_handle: the plan says so."""
    notes = next(m for m in plan(loads(with_volume(star_text, 'group = "virt"'))).models
                 if m.model == "gluster_arbiter").notes
    assert any("locking-scheme granular" in n and "data-self-heal-algorithm full" in n for n in notes)
    assert any("follows GlusterFS master" in n for n in notes)
    plain = next(m for m in plan(loads(star_text)).models if m.model == "gluster_arbiter").notes
    assert not any("locking-scheme" in n for n in plain)


@pytest.mark.parametrize("secs, want", [(0, 0), (1, 1), (3, 3), (4, 4), (3600, 10)])
def test_post_op_delay_keeps_its_relation_to_the_reconnect_interval(star_text, secs, want):
    """cluster.post-op-delay-secs is compared with rpc_clnt_handle_disconnect's 3 s reconnect interval
    (rpc/rpc-lib/src/rpc-clnt.c), so the mapping keeps the seconds (capped at the parameter's 10)."""
    params, _ = params_of(with_volume(star_text, "", f'"cluster.post-op-delay-secs" = {secs}'))
    assert params["post_op_delay"] == want


def test_host_crash_allows_a_stall_and_storage_loss_is_one_cut():
    """A rebooting host may be back within a stall: a stall is not bounded by network.ping-timeout when
    the slow brick's disk hangs, because pings are answered by the RPC layer (rpc/rpc-lib/src/rpcsvc.c
    rpcsvc_ping), not by the brick's io threads; the phase waits until network.frame-timeout
    (xlators/protocol/client/src/client.c, default 1800 s; call_bail in rpc/rpc-lib/src/rpc-clnt.c). One
    crash per brick of the host: the budget is not doubled. A storage loss is one steady partition
    (storage_cut, budget 1): the pulled cable does not come back within a stall, so no per-link
    link_loss or link_loss_stalled is planned for it."""
    p = plan(load(VIRT), fail=["ovirt1:storage-loss"])
    pats = {f.action for r in p.models[0].runs for f in r.spec.faults}
    assert pats == {"storage_cut"}
    assert all(dict(r.spec.params)["max_faults"] == 1 for r in p.models[0].runs)
    for kind in ("host-crash", "power-cycle"):
        p = plan(load(VIRT), fail=[f"ovirt1:{kind}"])
        assert {f.action for r in p.models[0].runs for f in r.spec.faults} == {"brick_crash", "brick_crash_stalled"}
        assert all(dict(r.spec.params)["max_faults"] == 1 for r in p.models[0].runs)


def test_storage_loss_partitions_the_host_from_the_other_nodes():
    """A hypervisor's storage-network loss is one steady partition of the host: its mount (client0) and
    its own bricks on one side, the other nodes on the other, every link between them cut at once
    (the model's storage_cut over ``partitions``). Its mount keeps its own brick (traffic to the host's
    own address never leaves it); the other mounts and the self-heal daemons lose its brick:
    __afr_selfheal_data (xlators/cluster/afr/src/afr-self-heal-data.c) skips the heal unless
    afr_selfheal_inodelk locked every brick ("if (ret < priv->child_count)"). The group is the host's
    members in each replica set, whatever their brick index. A second failing hypervisor has its own
    mount, client1."""
    p = plan(load(STAR), fail=["ovirt1:storage-loss"])
    runs = {r.part: r.spec for r in p.models[0].runs}
    # replica set 1: brick0 = ovirt1:.../brick1; set 2: ovirt1 holds the arbiter (brick2); set 3: brick1
    for part, group in (("replica set 1", "client0+brick0"), ("replica set 2", "client0+brick2"),
                        ("replica set 3", "client0+brick1")):
        params = dict(runs[part].params)
        assert params["partitions"] == group and params["max_faults"] == 1, part
        assert {f.text for f in runs[part].faults} == {"storage_cut(g=part0)"}
        assert "shd_links" not in params
    two = plan(loads(STAR.read_text().replace("count = 1 ", "count = 2 ", 1)),
               fail=["ovirt1:storage-loss", "ovirt2:storage-loss"])
    both = [r.spec for r in two.models[0].runs if r.part == "replica set 1"]
    assert [dict(s.params)["partitions"] for s in both] == ["client0+brick0/client1+brick1"]
    assert dict(both[0].params)["max_faults"] == 2
    # other failures leave the partition out (state counts unchanged)
    crash = plan(load(STAR), fail=["ovirt1:host-crash"])
    assert all("partitions" not in dict(r.spec.params) for r in crash.models[0].runs)


def test_the_virt_example_differs_from_star_only_in_the_group():
    a, b = load(STAR), load(VIRT)
    pa, pb = gluster_params(a, a.volumes[0])[0], gluster_params(b, b.volumes[0])[0]
    assert {k for k in pa if pa[k] != pb[k]} == {"server_quorum"}


@pytest.mark.parametrize("bad,where", [
    ('group = "db"', "group"),
    ('group = "virt"\n', None),
])
def test_bad_group_is_a_clear_error(star_text, bad, where):
    text = with_volume(star_text, bad)
    if where is None:
        loads(text)  # valid
        return
    with pytest.raises(BadInput) as e:
        loads(text)
    assert "group" in str(e.value) and "virt" in str(e.value)


def test_bad_option_value_exits_2(tmp_path, star_text):
    f = tmp_path / "bad.toml"
    f.write_text(with_volume(star_text, "", '"cluster.eager-lock" = "yes"'))
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", str(f)], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 2 and "cluster.eager-lock" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("path", [STAR, VIRT], ids=["star", "star-virt"])
def test_star_storage_loss_verdicts_with_and_without_the_virt_group(tmp_path, path):
    """The paper's deployment, one storage loss of ovirt1: the same Gluster verdicts with and without
    the virt group (server quorum only acts when two of the three nodes are lost). The loss is one steady
    partition of ovirt1 (test_storage_loss_partitions_the_host_from_the_other_nodes): a data split-brain
    in 13 steps, the cut one of them (ovirt1's mount wrote before the cut, its post-op blaming ovirt2's
    brick reaches only ovirt1's brick; ovirt2's mount writes with the arbiter and blames ovirt1's brick:
    afr_selfheal_find_direction is left with the arbiter alone), no heal loss (the daemons cannot lock
    ovirt1's brick: __afr_selfheal_data), a stale read in 6 (ovirt1's mount reads its own brick with no
    quorum needed, afr_read_txn with cluster.quorum-reads off). The 12-step trace of the per-link model
    is impossible under one cut (tests/test_gluster_partition.py)."""
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", str(path), "--fail", "ovirt1:storage-loss",
                        "--property", "no_split_brain", "--property", "no_lost_ack_heal", "--property",
                        "no_stale_read", "--out", str(tmp_path), "-q"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1, r.stderr
    out = r.stdout
    assert "no_split_brain    gluster_arbiter[engine]  violated (13 steps, shortest; ovirt1 storage-loss" in out
    assert "no_lost_ack_heal  gluster_arbiter[engine]  holds (exhaustive, 1 scenario x 3 replica sets)" in out
    assert "no_stale_read     gluster_arbiter[engine]  violated (6 steps, shortest; ovirt1 storage-loss" in out
    # an arbiter volume locks the whole file whatever cluster.full-lock says (afr_set_transaction_flock),
    # and a lost lock frees the heal in both lock modes: no lock setting is blamed for the heal loss
    assert "cluster.full-lock" not in out


def _r3(star_text: str, full_lock: bool, eager_lock: bool = False) -> str:
    """examples/star.toml as replica 3 without arbiter, with cluster.eager-lock and cluster.full-lock given."""
    opts = (f'"cluster.quorum-type" = "auto"\n"cluster.eager-lock" = {str(eager_lock).lower()}\n'
            f'"cluster.full-lock" = {str(full_lock).lower()}')
    return with_volume(star_text, "", opts).replace("arbiter = 1\n", "arbiter = 0\n", 1)


@pytest.mark.parametrize("arbiter,eager_lock,full_lock,range_locks", [
    (True, True, False, False), (True, False, False, False), (False, True, False, False),
    (False, False, True, False), (False, False, False, True),
])
def test_range_locks_only_where_upstream_takes_them(star_text, arbiter, eager_lock, full_lock, range_locks):
    """afr_set_transaction_flock (xlators/cluster/afr/src/afr-transaction.c, called from afr_lock after
    __afr_eager_lock_handle set transaction.eager_lock_on) locks the whole file for a data transaction
    when the volume has an arbiter, eager-lock is on, or cluster.full-lock is on: cluster.full-lock off
    gives range locks only with the other two off, and the plan says when it changes nothing."""
    text = _r3(star_text, full_lock, eager_lock).replace('version = "3.12"', 'version = "10"', 1)
    if arbiter:
        text = text.replace("arbiter = 0\n", "arbiter = 1\n", 1)
    d = loads(text)
    params, sources = gluster_params(d, d.volumes[0])
    assert params["full_lock"] is (not range_locks)
    assert sources["full_lock"] == ["volumes[engine].options.cluster.full-lock", "gluster.version"]
    notes = " ".join(n for m in plan(d).models for n in m.notes)
    assert ("cluster.full-lock off changes nothing here" in notes) is (not full_lock and not range_locks)


@pytest.mark.parametrize("version,eager_lock,full_lock,range_locks", [
    ("3.12", True, True, True), ("3.12", False, True, True), ("3.13.1", True, True, True),
    ("3.13.2", True, True, False), ("3.13.2", True, False, True), ("4.0", True, False, True),
    ("4.1", True, False, False), ("4.1", False, False, True), ("10", False, True, False),
])
def test_range_locks_follow_the_gluster_version(star_text, version, eager_lock, full_lock, range_locks):
    """afr_set_transaction_flock (xlators/cluster/afr/src/afr-transaction.c) over the releases, for a
    volume without arbiter: at v3.12.0 .. v3.13.1 it locks the whole file only with an arbiter
    (eager-lock writes take their range; cluster.full-lock does not exist); v3.13.2 adds
    priv->full_lock (cluster.full-lock); v4.1.0 adds transaction.eager_lock_on. The plan says when
    the version makes a lock option moot."""
    text = _r3(star_text, full_lock, eager_lock).replace('version = "3.12"', f'version = "{version}"', 1)
    d = loads(text)
    params, _ = gluster_params(d, d.volumes[0])
    assert params["full_lock"] is (not range_locks)
    notes = " ".join(n for m in plan(d).models for n in m.notes)
    assert (f"GlusterFS {version}: without an arbiter data transactions take range locks" in notes) is \
        (range_locks and (eager_lock or full_lock))
    # an arbiter volume locks the whole file at every version
    arb = loads(text.replace("arbiter = 0\n", "arbiter = 1\n", 1))
    assert gluster_params(arb, arb.volumes[0])[0]["full_lock"] is True


def test_range_locks_are_no_fix_for_the_lost_heal(tmp_path, star_text):
    """One storage loss of ovirt1, replica 3 without arbiter, eager-lock off: cluster.full-lock is never
    blamed for the heal loss (write0 loses its inodelk through link flaps, write1 locks, a heal overwrites
    write0, write0 is acked); since storage-loss is a steady partition of ovirt1 (storage_cut), which
    also cuts the daemons from ovirt1's bricks, no heal runs during it and the property holds in both
    lock modes.
    Upstream the brick releases a disconnected client's inodelks whatever their range
    (xlators/features/locks/src/posix.c pl_client_disconnect_cbk -> inodelk.c
    pl_inodelk_client_cleanup) and the heal's full-file inodelk (afr-self-heal-data.c
    __afr_selfheal_data -> afr-self-heal-common.c afr_selfheal_inodelk) no longer waits for that write.
    Before, range-lock mode made the heal wait for every in-flight write, so the blame named
    cluster.full-lock = false as a fix: an artifact of the model, not a setting that helps."""
    from deploy_files import check_json, rows

    verdicts = []
    for full_lock in (True, False):
        f = tmp_path / f"r3-{full_lock}.toml"
        f.write_text(_r3(star_text, full_lock).replace('version = "3.12"', 'version = "10"', 1))  # full-lock exists
        _, doc = check_json(tmp_path, f, "--fail", "ovirt1:storage-loss", "--property", "no_lost_ack_heal")
        row = rows(doc)[("gluster_arbiter[engine]", "no_lost_ack_heal")]
        verdicts.append(row["verdict"])
        assert "volumes[engine].options.cluster.full-lock" not in row["settings"], full_lock
    # since storage-loss partitions the host (storage_cut), the daemons cannot heal during it: the heal
    # loss needs a heal while a lock is lost, so it holds in both lock modes (model-level twin:
    # tests/test_model_gluster.py::test_lost_locks_do_not_block_heal)
    assert verdicts == ["holds", "holds"]
