"""The steady partition of the Gluster model (``partitions``, ``storage_cut``, ``detect``) and the 3.12
post-op quorum rule (``arbiter_fop_quorum``), replayed step by step with the reference interpreter.

Upstream references are GlusterFS v3.12.15 (the release of examples/star.toml) unless master is named:
``git show v3.12.15:<path>`` in github.com/gluster/glusterfs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.lang import BadInput
from hacheck.lang.interp import eval_expr, successors
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "gluster_arbiter.py"
# examples/star.toml, replica set 1: brick0 on ovirt1 (the failing host, with its mount client0), brick1 on
# ovirt2 (client1's host), brick2 the arbiter on the storage node; GlusterFS 3.12
STAR_SET1 = {"quorum_loss": "erofs", "partitions": "client0+brick0", "max_faults": 1}


@pytest.fixture(scope="module")
def spec():
    return load_spec(MODEL)


def enabled(m, state):
    return sorted(m.instances[i].label for i, _ in successors(m, state))


def replay(m, steps, state=None):
    state = m.init_states()[0] if state is None else state
    for label in steps:
        nxt = [s for i, s in successors(m, state) if m.instances[i].label == label]
        assert nxt, f"{label} is not enabled; enabled: {enabled(m, state)}"
        state = nxt[0]
    return state


# the reviewer's consistent sequence (finding 1), with the cut and the detections of the steady partition
CONSISTENT = ["lock(w=write0)", "pre_op(w=write0)", "storage_cut(g=part0)",
              "detect(c=client1, b=brick0)", "detect(c=client0, b=brick1)", "op(w=write0)",
              "detect(c=client0, b=brick2)",
              "lock(w=write1)", "pre_op(w=write1)", "op(w=write1)", "ack(w=write1)", "post_op(w=write1)",
              "post_op(w=write0)"]


def test_a_steady_partition_of_ovirt1_reaches_the_split_brain(spec):
    """GlusterFS 3.12 reaches this data split-brain under ONE steady partition of ovirt1, every step
    consistent with it. client0 (ovirt1) locks and pre-ops every brick before the cut; its op requests
    leave before the cut and reach brick0 and the arbiter, not brick1 (client0 notices the cut link to
    brick1 first: the op fails there, rpc-clnt saved_frames_unwind -> afr_transaction_fop_failed).
    client0's post-op (afr_changelog_post_op_do) is sent after the cut: it reaches only its own brick0,
    blaming brick1 (afr_handle_quorum -> afr_has_arbiter_fop_cbk_quorum, afr-transaction.c: brick0 is
    a pre-op source the op did not fail on, so the write is not failed there; afr_changelog_post_op_done
    then fails it for want of quorum). Meanwhile the arbiter's keepalive notices client0 (socket.h
    GF_KEEPALIVE_TIME 20 s, 9 x 2 s probes; server_connection_cleanup -> pl_client_disconnect_cbk,
    features/locks/src/posix.c, -> pl_inodelk_client_cleanup, inodelk.c) and drops its lock; client1
    (ovirt2) locks brick1 and the arbiter, afr_txn_arbitrate_fop sees two pre-op sources, writes, is
    acked before its post-op (afr_txn_nothing_failed, afr-inode-write.c __afr_inode_write_cbk) and
    blames brick0 on both. Result: brick0 blames brick1, brick1 and the arbiter blame brick0:
    afr_selfheal_find_direction keeps only the arbiter as source, __afr_selfheal_data never heals from
    it, reads of the file fail: the split brain of the model's no_split_brain. (``gluster volume heal
    info split-brain`` does not list it: PFLAG_SBRAIN is set only with no source at all,
    afr-self-heal-common.c; afr_decide_heal_info reports "needs heal".)"""
    m = build_model(spec, STAR_SET1)
    st = replay(m, CONSISTENT)
    v = m.decode(st)
    assert v["blame"] == {"brick0": ["brick1"], "brick1": ["brick0"], "brick2": ["brick0"]}
    assert v["data"] == {"brick0": ["write0"], "brick1": ["write1"], "brick2": []}
    assert v["acked"] == {"write0": False, "write1": True}
    assert not eval_expr(m.properties["no_split_brain"].expr, st)
    assert not [x for x in enabled(m, st) if x.startswith("heal")]  # and no heal while the cut lasts


def test_no_request_crosses_the_cut_once_it_is_made(spec):
    """The cut severs every link between ovirt1 and the other nodes at once, for good: a request sent
    after it gets no reply, the phase waits until the client notices (rpc-clnt-ping.c: the ping timer
    runs only while requests are outstanding, rpc_clnt_start_ping returns when saved_frames->count is 0;
    network.ping-timeout later rpc_clnt_ping_timer_expired disconnects) and the request fails. So the
    shipped 12-step trace of the per-link model (client0 locking brick1 and the arbiter after it lost
    brick1, while client1 had lost brick0) is impossible: after the cut only detections are enabled, and
    client0 cannot lock the arbiter across it."""
    m = build_model(spec, STAR_SET1)
    cut = replay(m, ["storage_cut(g=part0)"])
    assert enabled(m, cut) == ["detect(c=client0, b=brick1)", "detect(c=client0, b=brick2)",
                               "detect(c=client1, b=brick0)"]
    st = replay(m, ["detect(c=client1, b=brick0)", "detect(c=client0, b=brick1)"], cut)
    assert "lock(w=write0)" not in enabled(m, st)  # blocked on the arbiter, across the cut
    st = replay(m, ["detect(c=client0, b=brick2)"], st)
    assert "lock_refused(w=write0)" in enabled(m, st)  # ovirt1 alone: no client quorum
    assert not [x for x in enabled(m, st) if x.startswith("link_repair")]  # the partition does not heal
    assert "lock(w=write1)" in enabled(m, st)  # ovirt2's mount writes with brick1 and the arbiter


def test_a_request_sent_before_the_cut_may_complete(spec):
    """A request already on the wire when the cable is pulled may have crossed (and its reply come
    back): the pre-op sent from the lock callback before the cut completes on brick1 (dirty 1 there);
    the op, sent after the cut, waits for the detection and then fails on brick1 (ENOTCONN)."""
    m = build_model(spec, STAR_SET1)
    st = replay(m, ["lock(w=write0)", "storage_cut(g=part0)", "pre_op(w=write0)"])
    assert m.decode(st)["dirty"] == {"brick0": 1, "brick1": 1, "brick2": 1}
    assert "op(w=write0)" not in enabled(m, st)
    st = replay(m, ["detect(c=client0, b=brick1)", "detect(c=client0, b=brick2)", "op(w=write0)"], st)
    assert m.decode(st)["data"]["brick1"] == [] and m.decode(st)["failed"]["write0"] == ["brick1", "brick2"]


def test_two_partitions_and_defaults(spec):
    """Two hosts' storage losses are two groups, each cut once (one fault each); the defaults have no
    partition at all (no state, no action: the per-link link_loss stays the model's own fault)."""
    m = build_model(spec, {"partitions": "client0+brick0/client1+brick1", "max_faults": 2})
    st = replay(m, ["storage_cut(g=part0)", "storage_cut(g=part1)"])
    assert "storage_cut(g=part0)" not in enabled(m, st)
    # client0 keeps only brick0, client1 only brick1, nobody reaches the arbiter's node from both sides
    assert enabled(m, st) == sorted(f"detect(c=client{c}, b=brick{b})" for c, b in
                                    [(0, 1), (0, 2), (1, 0), (1, 2)])
    plain = build_model(spec, {})
    assert not {"storage_cut", "detect"} & {i.action for i in plain.instances}
    assert "cut" not in plain.decode(plain.init_states()[0])


@pytest.mark.parametrize("text", ["client7", "client0+", "client0+brick0/", "brick3", "host1"])
def test_bad_partitions_are_named(spec, text):
    with pytest.raises(BadInput, match="parameter partitions"):
        build_model(spec, {"partitions": text})
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", "gluster_arbiter", "--param",
                        f"partitions={text}"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "partitions" in r.stderr and "Traceback" not in r.stderr


def test_3_12_post_op_keeps_a_write_on_one_data_source(spec):
    """v3.12.15 afr_handle_quorum (afr-transaction.c) asks afr_has_arbiter_fop_cbk_quorum on an
    arbiter volume: the pre-op sources (afr_compute_pre_op_sources) where the fop did not fail; one
    data brick is enough. So a write that failed on brick1 and the arbiter is not failed there: its
    post-op blames them on brick0. Master (afr_has_fop_cbk_quorum; the 3.12 rule removed by
    e2235217a1) fails it on every pre-op'd brick and skips the xattrop: no blame, dirty stays. Both
    then fail the write in afr_changelog_post_op_done (no quorum of post-op'd bricks): not acked."""
    steps = ["lock(w=write0)", "pre_op(w=write0)", "op_error(w=write0, b=brick1, applied=False)",
             "op_error(w=write0, b=brick2, applied=False)", "op(w=write0)", "post_op(w=write0)"]
    base = {"clients": 1, "writes": 1, "max_faults": 2}
    old = build_model(spec, {**base, "arbiter_fop_quorum": True})
    new = build_model(spec, base)
    vo, vn = old.decode(replay(old, steps)), new.decode(replay(new, steps))
    assert vo["blame"]["brick0"] == ["brick1", "brick2"] and vo["dirty"]["brick0"] == 0
    assert vn["blame"]["brick0"] == [] and vn["dirty"]["brick0"] == 1
    assert vo["bad"]["write0"] and vn["bad"]["write0"]
