"""Golden verdicts of the GlusterFS replicate/arbiter model (models/gluster_arbiter.py).

Every expected verdict and trace length below was measured with the explicit engine; the traces
are checked for the actions that make them. The two inferred lost-ack sequences of the domain
notes are replayed step by step with the reference interpreter. Upstream functions named in the
docstrings are in gluster/glusterfs 595745f8, xlators/cluster/afr/src/ (docs/models/gluster.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hacheck.explicit.search import check
from hacheck.lang import BadInput
from hacheck.lang.interp import eval_expr, successors
from hacheck.loader import build_model, load_spec

MODEL = Path(__file__).resolve().parent.parent / "models" / "gluster_arbiter.py"


@pytest.fixture(scope="module")
def spec():
    return load_spec(MODEL)


def run(spec, params, *names):
    m = build_model(spec, params)
    r = check(m, [m.properties[n] for n in names])
    return {p.name: p for p in r.properties}, r.stats


def labels(res):
    return [s.label for s in res.trace.steps]


def actions(res):
    return [s.label.split("(")[0] for s in res.trace.steps]


# ---- parameters ---------------------------------------------------------------------------------
def test_defaults_are_upstream(spec):
    """Option defaults as upstream: cluster.eager-lock on and post-op-delay-secs 1 (afr.c options table),
    network.ping-timeout 42 s > 0 (protocol/client), so a phase may stall; heal as
    __afr_selfheal_data_finalize_source; the reconnect interval is rpc_clnt_handle_disconnect's 3 s
    (rpc/rpc-lib/src/rpc-clnt.c)."""
    p = spec.make_params()
    assert (p.replica, p.arbiter, p.quorum_type, p.server_quorum, p.quorum_loss) == (3, True, "auto", "none", "enotconn")
    assert (p.clients, p.writes, p.max_faults, p.crash_brick) == (2, 2, 2, -1)
    assert all((p.full_lock, p.arbiter_veto, p.write_subvol_check, p.in_flight_check, p.heal_accused_quorum))
    assert (p.heal_choice, p.eager_lock, p.post_op_delay, p.ping_stall) == ("upstream", True, 1, True)
    assert p.reconnect_interval == 3


def test_properties_have_honest_names(spec):
    """The conjunction no_lost_ack (which read as "data loss" when only the stale-read half failed) is
    gone: the two checks are reported separately, each under its own name."""
    m = build_model(spec, {})
    assert "no_lost_ack" not in m.properties
    assert {"no_lost_ack_heal", "no_stale_read", "no_split_brain"} <= set(m.properties)


@pytest.mark.parametrize("bad", [
    {"replica": 2, "arbiter": True},
    {"replica": 2, "arbiter": False, "quorum_type": "fixed", "quorum_count": 3},
    {"quorum_type": "fixed", "quorum_count": 0},
    {"replica": 4},
    {"quorum_type": "majority"},
    {"replica": 2, "arbiter": False, "crash_brick": 2},
    {"crash_brick": 3},
    {"heal_choice": "lowest"},
    {"post_op_delay": -1},
    {"reconnect_interval": 0},
])
def test_bad_input(spec, bad):
    with pytest.raises(BadInput):
        build_model(spec, bad)


# ---- item 4: replica 2 ----------------------------------------------------------------------------
def test_replica2_none_split_brain(spec):
    res, _ = run(spec, {"replica": 2, "arbiter": False, "quorum_type": "none"}, "no_split_brain")
    r = res["no_split_brain"]
    assert r.verdict == "violated" and r.trace.length == 11
    acts = actions(r)
    assert acts.count("link_loss") == 2  # the partition C1|B1 vs C2|B2
    assert "post_op(w=write0)" in labels(r) and "post_op(w=write1)" in labels(r)  # both blame the other brick
    last = r.trace.states[-1]
    assert "brick1" in last["blame"]["brick0"] and "brick0" in last["blame"]["brick1"]


def test_replica2_auto_no_split_brain_but_no_writes_without_brick0(spec):
    params = {"replica": 2, "arbiter": False, "quorum_type": "auto", "ping_stall": False}
    res, stats = run(spec, params, "no_split_brain", "no_lost_ack_heal", "ack_without_brick0", "ack_one_down")
    assert stats.complete
    assert res["no_split_brain"].verdict == "holds"
    assert res["no_lost_ack_heal"].verdict == "holds"
    assert res["ack_without_brick0"].verdict == "violated"  # no reachable state: writes refused while b0 is down
    w = res["ack_one_down"]  # but brick 1 down is fine
    assert w.verdict == "holds" and w.trace.length == 5
    assert labels(w)[0] == "brick_crash(b=brick1)" and "ack" in actions(w)


def test_replica2_auto_lock_loss_race_needs_a_stall(spec):
    """Finding 8: replica 2 auto loses an acked write (15 steps) only with a stall. brick0 answers the
    pre-op while AFR waits on a slow brick1 (network.ping-timeout), restarts unnoticed, so the op is
    wound to it again (no ENOTCONN: nothing was in flight); brick1's link then drops (the op fails there).
    Both locks of write0 are gone, so write1 and the self-heal daemon run in the middle of write0:
    heal copies brick1 over brick0 (erasing write0), then write0's post-op makes brick0 blame brick1
    and write0 is acked. afr_changelog_pre_op / afr_transaction_fop send to every locked brick not in
    failed_subvols; the event generation is checked only at the start of a transaction."""
    res, _ = run(spec, {"replica": 2, "arbiter": False, "quorum_type": "auto"}, "no_lost_ack_heal")
    r = res["no_lost_ack_heal"]
    assert r.verdict == "violated" and r.trace.length == 15
    lab = labels(r)
    assert "brick_crash_stalled(b=brick0)" in lab and "link_loss(c=client0, b=brick1)" in lab
    assert lab.index("heal(s=brick1)") < lab.index("post_op(w=write0)")
    last = r.trace.states[-1]
    assert last["acked"]["write0"] and all("write0" not in d for d in last["data"].values())


def test_replica2_fixed1_is_like_none(spec):
    res, _ = run(spec, {"replica": 2, "arbiter": False, "quorum_type": "fixed", "quorum_count": 1}, "no_split_brain")
    assert res["no_split_brain"].verdict == "violated" and res["no_split_brain"].trace.length == 11


# ---- item 4/5: replica 3 arbiter 1, auto, every rule on -------------------------------------------
def test_arbiter_default_bounds(spec):
    res, stats = run(spec, {}, "no_split_brain", "no_lost_ack_heal", "ack_two_down", "read_two_down", "ack_one_down")
    assert stats.complete and stats.states == 40085
    assert res["no_split_brain"].verdict == "holds"
    assert res["no_lost_ack_heal"].verdict == "holds"
    assert res["ack_two_down"].verdict == "violated"  # unreachable: two nodes down, no write acked
    assert res["read_two_down"].verdict == "violated"  # enotconn: reads fail too
    one = res["ack_one_down"]
    assert one.verdict == "holds" and one.trace.length == 5 and labels(one)[0] == "brick_crash(b=brick0)"


@pytest.mark.parametrize("eager,stall,states", [(True, True, 40085), (False, True, 44051), (True, False, 34361),
                                                (False, False, 34361)])
def test_arbiter_defaults_with_and_without_eager_lock(spec, eager, stall, states):
    """cluster.eager-lock on and off (and stalls on and off): at 2 clients, 2 writes, 2 faults the
    arbiter volume keeps both safety properties either way; only the stale read (5 steps) fails."""
    res, stats = run(spec, {"eager_lock": eager, "ping_stall": stall}, "no_split_brain", "no_lost_ack_heal",
                     "no_stale_read", "ack_two_down")
    assert stats.complete and stats.states == states
    assert res["no_split_brain"].verdict == "holds" and res["no_lost_ack_heal"].verdict == "holds"
    assert res["no_stale_read"].verdict == "violated" and res["no_stale_read"].trace.length == 5


def test_arbiter_erofs_reads_with_two_down(spec):
    res, _ = run(spec, {"quorum_loss": "erofs"}, "read_two_down", "ack_two_down")
    r = res["read_two_down"]
    assert r.verdict == "holds" and r.trace.length == 2 and actions(r) == ["brick_crash", "brick_crash"]
    assert res["ack_two_down"].verdict == "violated"


def test_stale_read_between_ack_and_post_op(spec):
    """An acked write is missing from a brick another client may read until the post-op blames it;
    with one fault no heal loses anything: no_stale_read fails alone (5 steps), no_lost_ack_heal holds."""
    res, _ = run(spec, {"max_faults": 1}, "no_stale_read", "no_lost_ack_heal")
    assert res["no_lost_ack_heal"].verdict == "holds"
    r = res["no_stale_read"]
    assert r.verdict == "violated" and r.trace.length == 5
    assert actions(r) == ["link_loss", "lock", "pre_op", "op", "ack"]
    r = res["no_stale_read"]
    assert labels(r)[0] == "link_loss(c=client0, b=brick0)"
    last = r.trace.states[-1]
    # what upstream's read path sees (docs/models/gluster.md, "Why finding 1 is upstream behaviour"):
    assert last["acked"]["write0"] and last["locked"]["write0"] == ["brick1", "brick2"]
    assert last["failed"]["write0"] == ["brick0"]  # never locked: not a failure for afr_txn_nothing_failed
    assert last["readable"]["write0"] == ["brick0", "brick1"]  # write_subvol: no pre-op reply accuses brick0
    assert all(v == [] for v in last["blame"].values())  # the pre-op wrote dirty only, no pending
    assert last["dirty"] == {"brick0": 0, "brick1": 1, "brick2": 1}
    assert "write0" not in last["data"]["brick0"] and last["reach"]["client1"]["brick0"]


def test_stale_read_ends_with_the_post_op(spec):
    """The window is exactly ack..post-op: the post-op blames brick0 on brick1 and the arbiter."""
    m = build_model(spec, {"max_faults": 1})
    state = replay(m, ["link_loss(c=client0, b=brick0)", "lock(w=write0)", "pre_op(w=write0)", "op(w=write0)",
                       "ack(w=write0)"])
    assert not holds(m, "no_stale_read", state)
    state = replay(m, ["link_loss(c=client0, b=brick0)", "lock(w=write0)", "pre_op(w=write0)", "op(w=write0)",
                       "ack(w=write0)", "post_op(w=write0)"])
    assert holds(m, "no_stale_read", state)
    assert m.decode(state)["blame"] == {"brick0": [], "brick1": ["brick0"], "brick2": ["brick0"]}


def test_arbiter_three_faults_split_brain(spec):
    res, _ = run(spec, {"max_faults": 3}, "no_split_brain")
    r = res["no_split_brain"]
    assert r.verdict == "violated" and r.trace.length == 11
    acts = actions(r)
    assert acts.count("link_loss") == 2 and acts.count("post_op_lost") == 1
    lab = labels(r)
    assert lab[:2] == ["lock(w=write1)", "link_loss(c=client1, b=brick1)"]
    assert "post_op_lost(w=write1, b=brick2)" in lab and lab[-1] == "post_op(w=write0)"
    last = r.trace.states[-1]
    assert last["blame"]["brick2"] == ["brick0"]  # the arbiter blames only brick0 ...
    assert last["blame"]["brick0"] == ["brick1"] and last["blame"]["brick1"] == ["brick0"]  # only the arbiter is a source
    # brick0 (which blames brick1) did not answer write0's pre-op: the write_subvol datamap keeps both data
    # bricks, so rule (iv) does not fire when brick0 fails and the post-op blames brick0 (afr_write_subvol_set)
    assert last["readable"]["write0"] == ["brick0", "brick1"] and last["failed"]["write0"] == ["brick0"]
    assert not last["bad"]["write0"]  # write0 succeeds: unlock acks it


def test_arbiter_three_faults_lost_ack(spec):
    res, _ = run(spec, {"max_faults": 3}, "no_lost_ack_heal")
    r = res["no_lost_ack_heal"]
    assert r.verdict == "violated" and r.trace.length == 12
    lab = labels(r)
    assert "ack(w=write1)" in lab and "client_crash(c=client1)" in lab
    assert lab.index("ack(w=write1)") < lab.index("client_crash(c=client1)")  # acked, then post-op lost
    last = r.trace.states[-1]
    assert last["acked"]["write1"] and "write1" not in last["data"]["brick1"]
    assert last["blame"]["brick1"] == ["brick0"]


def test_replica3_three_faults_lost_ack(spec):
    """Finding 5 under the upstream heal rule: nothing is blamed, every dirty count and ctime ties, and
    afr_mark_newest_file_as_source keeps the highest index (max_ctime <=): brick2, which lacks the
    acked write1 (its link to client1 was down)."""
    res, _ = run(spec, {"arbiter": False, "max_faults": 3}, "no_lost_ack_heal", "no_split_brain")
    r = res["no_lost_ack_heal"]
    assert r.verdict == "violated" and r.trace.length == 12
    assert "client_crash(c=client1)" in labels(r) and "post_op_lost(w=write0, b=brick2)" in labels(r)
    last = r.trace.states[-1]
    assert last["acked"]["write1"] and "write1" not in last["data"]["brick2"]
    assert all(not v for v in last["blame"].values()) and set(last["dirty"].values()) == {1}
    assert last["newest"] == ["brick0", "brick1", "brick2"]
    m = build_model(spec, {"arbiter": False, "max_faults": 3})
    state = replay(m, labels(r))
    assert heals(m, state) == ["heal(s=brick2)"]


# ---- each rule switched off ------------------------------------------------------------------------
@pytest.mark.parametrize("switch,length,must", [
    ("full_lock", 10, ["op_error", "post_op"]),
    ("arbiter_veto", 10, ["link_loss", "post_op"]),
    ("in_flight_check", 11, ["op_error", "post_op"]),
])
def test_rule_off_split_brain(spec, switch, length, must):
    res, _ = run(spec, {switch: False}, "no_split_brain")
    r = res["no_split_brain"]
    assert r.verdict == "violated" and r.trace.length == length
    for a in must:
        assert a in actions(r)


def test_full_lock_off_runs_writes_in_parallel(spec):
    """The rule (i) ablation on the arbiter defaults (upstream locks the whole file there,
    afr_set_transaction_flock): writes of two clients overlap in the split-brain trace."""
    res, _ = run(spec, {"full_lock": False}, "no_split_brain")
    lab = labels(res["no_split_brain"])
    assert lab.index("lock(w=write0)") < lab.index("post_op(w=write1)")  # write0 locked while write1 in flight


# the configuration in which upstream takes range locks: afr_set_transaction_flock (afr-transaction.c)
# locks the whole file for a data transaction when the volume has an arbiter, eager-lock is on for the
# transaction, or cluster.full-lock is on; only replica 2/3 without arbiter, eager-lock off, full-lock off
# lock [offset, offset + length) of the write
RANGE = {"arbiter": False, "eager_lock": False, "full_lock": False, "max_faults": 3}
RANGE_WRITE0 = ["lock(w=write0)", "pre_op(w=write0)"]
ALL_LINKS_LOST = [f"link_loss(c=client0, b=brick{i})" for i in range(3)]


@pytest.mark.parametrize("full_lock", [False, True])
def test_range_locks_let_writes_of_two_clients_overlap(spec, full_lock):
    """Where upstream takes range locks (no arbiter, eager-lock and cluster.full-lock off:
    afr_set_transaction_flock locks [offset, offset + length)), the locks xlator grants inodelks whose
    ranges do not overlap (xlators/features/locks/src/inodelk.c __inodelk_grantable ->
    inodelk_conflict -> inodelk_overlap): the model's writes have disjoint ranges, so write1 locks
    while write0 holds its lock. With the full-file lock it waits."""
    m = build_model(spec, {**RANGE, "full_lock": full_lock})
    s = replay(m, ["lock(w=write0)"])
    can = any(m.instances[i].label == "lock(w=write1)" for i, _ in successors(m, s))
    assert can is (not full_lock)


@pytest.mark.parametrize("full_lock", [False, True])
def test_lost_locks_do_not_block_heal(spec, full_lock):
    """A write whose client lost its link to every brick holds no inodelk anywhere, range or full-file:
    on a client disconnect the brick releases all of the client's inodelks, whatever their range
    (xlators/protocol/server/src/server.c server_rpc_notify DISCONNECT -> server_connection_cleanup ->
    gf_client_disconnect -> xlators/features/locks/src/posix.c pl_client_disconnect_cbk ->
    inodelk.c pl_inodelk_client_cleanup). So the self-heal, which needs the full-file inodelk on every
    brick (afr-self-heal-data.c __afr_selfheal_data -> afr-self-heal-common.c afr_selfheal_inodelk),
    is not blocked by the still in-flight write, in range-lock mode as with full locks. Reconnecting
    does not give the lock back: no transaction re-acquires its inodelk (AFR's lock healing,
    afr-common.c afr_lock_heal / __afr_mark_pending_lk_heal, covers only the mandatory-mode posix
    locks of afr_lk). While one brick still holds the write's lock, the heal waits."""
    m = build_model(spec, {**RANGE, "full_lock": full_lock})
    one_left = replay(m, RANGE_WRITE0 + ALL_LINKS_LOST[:2])
    assert heals(m, one_left) == []  # brick2 still holds write0's lock
    state = replay(m, RANGE_WRITE0 + ALL_LINKS_LOST)
    v = m.decode(state)
    assert v["phase"]["write0"] == "preop"  # still in flight: the op was sent, its replies are ENOTCONN
    assert heals(m, state)
    back = replay(m, RANGE_WRITE0 + ALL_LINKS_LOST + [f"link_repair(c=client0, b=brick{i})" for i in range(3)])
    assert heals(m, back)  # the client reconnected; its transaction did not lock again
    if not full_lock:
        assert v["held"]["write0"] == [] and m.decode(one_left)["held"]["write0"] == ["brick2"]


@pytest.mark.parametrize("switch", ["write_subvol_check", "heal_accused_quorum"])
def test_rule_off_no_difference_at_default_bounds(spec, switch):
    res, stats = run(spec, {switch: False}, "no_split_brain", "no_lost_ack_heal")
    assert stats.complete
    assert res["no_split_brain"].verdict == "holds" and res["no_lost_ack_heal"].verdict == "holds"


def test_server_quorum_split_brain_needs_a_post_op_delay_above_the_reconnect_interval(spec):
    """Finding 6 (server quorum, 2 faults). At upstream's timers it cannot happen: brick0 and (through
    glusterd's server quorum) the arbiter drop during write1's delayed post-op, and a dropped
    connection is retried only after 3 s (rpc_clnt_handle_disconnect, rpc/rpc-lib/src/rpc-clnt.c,
    ts.tv_sec = 3) while the post-op fires within post-op-delay-secs = 1 (afr_changelog_post_op's timer,
    afr.c options table) or at once for a later write (__need_previous_lock_unlocked), so the post-op
    fails on both and blames nothing: no_split_brain holds, with or without stalls. With
    post-op-delay-secs 4 (above the reconnect interval) brick1 and brick0 can return, write0 locks
    brick1 + arbiter, then write1's post-op (afr_changelog_post_op_do) reaches brick0 and the arbiter:
    write1 blames brick1, write0 blames brick0, the arbiter blames both: split-brain in 14 steps.
    With eager_lock off there is no split-brain (no delayed post-op, afr_is_delayed_changelog_post_op_needed)."""
    for stall in (True, False):
        res, stats = run(spec, {"server_quorum": "server", "ping_stall": stall}, "no_split_brain")
        assert stats.complete and res["no_split_brain"].verdict == "holds"
    for stall in (True, False):
        res, _ = run(spec, {"server_quorum": "server", "ping_stall": stall, "post_op_delay": 4}, "no_split_brain")
        r = res["no_split_brain"]
        assert r.verdict == "violated" and r.trace.length == 14
        lab = labels(r)
        assert not any("stalled" in x for x in lab)
        assert lab.index("brick_crash(b=brick0)") < lab.index("brick_restart(b=brick0)") < lab.index("post_op(w=write1)")
        assert lab.index("lock(w=write0)") < lab.index("post_op(w=write1)")
        last = r.trace.states[-1]
        assert last["blame"]["brick2"] == ["brick0", "brick1"]
    res, _ = run(spec, {"server_quorum": "server", "post_op_delay": 4, "reconnect_interval": 4}, "no_split_brain")
    assert res["no_split_brain"].verdict == "holds"
    for stall in (True, False):
        res, stats = run(spec, {"server_quorum": "server", "ping_stall": stall, "eager_lock": False}, "no_split_brain")
        assert stats.complete and res["no_split_brain"].verdict == "holds"


def test_server_quorum_loses_an_acked_write_without_any_window(spec):
    """Finding 9 (server quorum, 2 faults, 14 steps, no stall, no delay): write0 goes to brick0 and the
    arbiter while brick1 is down; brick0 dies before write0's post-op and server quorum stops the
    arbiter too, so the post-op that would blame brick1 reaches no brick (ENOTCONN). brick1 returns,
    nothing accuses it, write1 succeeds on brick1 + arbiter and blames brick0: heal copies brick1,
    which lacks the acked write0. Without server quorum the arbiter stays up, records the blame and
    the arbiter veto refuses write1."""
    params = {"server_quorum": "server", "ping_stall": False, "eager_lock": False}
    res, _ = run(spec, params, "no_lost_ack_heal")
    r = res["no_lost_ack_heal"]
    assert r.verdict == "violated" and r.trace.length == 14
    lab = labels(r)
    assert lab[:2] == ["brick_crash(b=brick1)", "lock(w=write0)"] and lab[-1] == "ack(w=write0)"
    last = r.trace.states[-1]
    assert last["data"]["brick0"] == ["write0"] and last["blame"]["brick2"] == ["brick0"]
    res, _ = run(spec, {"ping_stall": False, "eager_lock": False}, "no_lost_ack_heal")
    assert res["no_lost_ack_heal"].verdict == "holds"


# ---- the two inferred sequences of the domain notes, replayed -------------------------------------
def replay(m, steps):
    state = m.init_states()[0]
    for label in steps:
        nxt = [s for i, s in successors(m, state) if m.instances[i].label == label]
        assert nxt, f"{label} is not enabled"
        state = nxt[0]
    return state


def holds(m, name, state):
    return bool(eval_expr(m.properties[name].expr, state))


def heals(m, state):
    """The heal steps the model allows in a state: one per data source it may copy from."""
    return sorted(m.instances[i].label for i, _ in successors(m, state) if m.instances[i].action == "heal")


def pending_state(m, dirty, newest, blame=None):
    """All bricks up, no transaction: the changelog and ctimes given (writes applied everywhere)."""
    v = m.decode(m.init_states()[0])
    v["dirty"].update(dirty)
    v["newest"] = newest
    if blame:
        v["blame"].update(blame)
    return m.encode_state(v)


# ---- item 1: the heal source (afr-self-heal-data.c: __afr_selfheal_data_finalize_source) ------------
def test_heal_takes_the_highest_index_among_tied_newest_sources(spec):
    """afr_mark_newest_file_as_source compares ia_ctime with max_ctime <= and keeps one source: on a
    tie the highest index. Dirty counts (witnesses) tie, no blame, brick0 and brick1 share the newest
    ctime: the heal copies brick1. heal_choice=any keeps every tied source (the over-approximation)."""
    m = build_model(spec, {})
    st = pending_state(m, {"brick0": 1, "brick1": 1, "brick2": 1}, ["brick0", "brick1"])
    assert heals(m, st) == ["heal(s=brick1)"]
    m3 = build_model(spec, {"arbiter": False})
    st3 = pending_state(m3, {"brick0": 1, "brick1": 1, "brick2": 1}, ["brick0", "brick1", "brick2"])
    assert heals(m3, st3) == ["heal(s=brick2)"]
    assert heals(m3, pending_state(m3, {"brick0": 1, "brick1": 1, "brick2": 1}, ["brick0", "brick1"])) == \
        ["heal(s=brick1)"]  # brick2 is not among the newest
    many = build_model(spec, {"heal_choice": "any"})
    assert heals(many, pending_state(many, {"brick0": 1, "brick1": 1, "brick2": 1}, ["brick0", "brick1"])) == \
        ["heal(s=brick0)", "heal(s=brick1)"]


def test_heal_needs_the_healer_to_reach_every_brick(spec):
    """__afr_selfheal_data (afr-self-heal-data.c) takes the full-file inodelk with afr_selfheal_inodelk
    and skips the heal ("if (ret < priv->child_count)") unless every brick is locked: a self-heal daemon
    cut from one brick (shd_links, a partition of that brick's node) does not heal until it reconnects;
    with shd_links off (the default) the healer reaches every brick that is up."""
    m = build_model(spec, {"shd_links": True})
    st = pending_state(m, {"brick0": 1, "brick1": 1, "brick2": 1}, ["brick0", "brick1"])
    assert heals(m, st) == ["heal(s=brick1)"]
    cut = replay_from(m, st, ["shd_link_loss(b=brick0)"])
    assert heals(m, cut) == []
    assert heals(m, replay_from(m, cut, ["shd_link_repair(b=brick0)"])) == ["heal(s=brick1)"]
    assert "shd_link_loss" not in {i.action for i in build_model(spec, {}).instances}


def replay_from(m, state, steps):
    for label in steps:
        nxt = [s for i, s in successors(m, state) if m.instances[i].label == label]
        assert nxt, f"{label} is not enabled"
        state = nxt[0]
    return state


def test_heal_biggest_witness_before_ctime_and_never_the_arbiter(spec):
    """afr_mark_largest_file_as_source drops the arbiter (size 0) before the witness count is compared,
    so an arbiter with the biggest dirty count is never the source; afr_mark_biggest_witness_as_source
    then keeps brick0 (dirty 2) although brick1 is newer. The arbiter has no heal step at all
    (__afr_selfheal_data never copies from it)."""
    m = build_model(spec, {})
    st = pending_state(m, {"brick0": 2, "brick1": 1, "brick2": 2}, ["brick1"])
    assert heals(m, st) == ["heal(s=brick0)"]
    st = pending_state(m, {"brick0": 1, "brick1": 1, "brick2": 2}, ["brick0", "brick1"])
    assert heals(m, st) == ["heal(s=brick1)"]
    assert not any(i.label == "heal(s=brick2)" for i in m.instances)


def test_heal_without_witness_may_use_any_data_source(spec):
    """No witness on any source (only blame): __afr_selfheal_data_finalize_source goes straight to
    afr_choose_source_by_policy, which prefers the healer's local brick; the self-heal daemon of each
    data brick's node may run the heal, so each unaccused data brick may be the source."""
    m = build_model(spec, {})
    assert heals(m, pending_state(m, {}, ["brick0", "brick1"])) == []  # nothing pending: no heal
    m3 = build_model(spec, {"arbiter": False})
    st = pending_state(m3, {}, ["brick0", "brick1", "brick2"], blame={"brick0": ["brick2"], "brick1": ["brick2"]})
    assert heals(m3, st) == ["heal(s=brick0)", "heal(s=brick1)"]


# ---- item 4: ENOTCONN between phases (afr-transaction.c) --------------------------------------------
def test_a_brick_that_restarts_during_the_pre_op_stays_failed(spec):
    """The pre-op is wound from afr_changelog_pre_op to every locked brick; a brick that disconnects with
    it in flight answers ENOTCONN and joins failed_subvols for the rest of the transaction, even if it is
    back before the op: the op is not sent to it and the post-op blames it."""
    m = build_model(spec, {"ping_stall": False})
    st = replay(m, ["lock(w=write0)", "brick_crash(b=brick0)", "brick_restart(b=brick0)", "pre_op(w=write0)",
                    "op(w=write0)", "post_op(w=write0)"])
    v = m.decode(st)
    assert v["failed"]["write0"] == ["brick0"] and v["dirty"]["brick0"] == 0
    assert v["data"]["brick0"] == [] and v["data"]["brick1"] == ["write0"]
    assert v["blame"] == {"brick0": [], "brick1": ["brick0"], "brick2": ["brick0"]}


def test_a_stall_lets_a_restarted_brick_be_used_again(spec):
    """With a stall (brick0 answered, AFR waits on another brick for up to network.ping-timeout) the
    disconnect fails nothing in flight: brick0 is back before the op and gets it, its lock lost."""
    m = build_model(spec, {})
    st = replay(m, ["lock(w=write0)", "pre_op(w=write0)", "brick_crash_stalled(b=brick0)", "brick_restart(b=brick0)",
                    "op(w=write0)"])
    v = m.decode(st)
    assert v["failed"]["write0"] == [] and v["data"]["brick0"] == ["write0"] and v["owner"]["brick0"] is None


@pytest.mark.parametrize("eager, delay, dropped", [(True, 1, True), (True, 4, False), (False, 1, True)])
def test_the_delayed_post_op_has_nothing_in_flight(spec, eager, delay, dropped):
    """After the op, with eager-lock the post-op is delayed (afr_is_delayed_changelog_post_op_needed:
    nothing failed, a WRITE): no request is in flight, so a brick that disconnects does not fail at once.
    It is reconnected only after 3 s (rpc_clnt_handle_disconnect, rpc/rpc-lib/src/rpc-clnt.c), so with
    post-op-delay-secs 1 the post-op still fails there (its dirty count stays); only a delay above the
    reconnect interval (4 s) lets it get the post-op. Without eager-lock the post-op was wound in the
    op's callback and fails there (ENOTCONN, saved_frames_unwind)."""
    m = build_model(spec, {"eager_lock": eager, "post_op_delay": delay, "ping_stall": False})
    st = replay(m, ["lock(w=write0)", "pre_op(w=write0)", "op(w=write0)", "brick_crash(b=brick0)",
                    "brick_restart(b=brick0)", "ack(w=write0)", "post_op(w=write0)"])
    v = m.decode(st)
    assert v["acked"]["write0"]
    assert v["gone"]["write0"] == (["brick0"] if dropped else [])
    assert v["dirty"]["brick0"] == (1 if dropped else 0)  # the post-op's dirty decrement reached brick0 or not


# ---- the verdict table of docs/models/gluster.md ---------------------------------------------------
def _table_module():
    import importlib.util
    path = Path(__file__).resolve().parent.parent / "scripts" / "gen_gluster_table.py"
    sp = importlib.util.spec_from_file_location("gen_gluster_table", path)
    mod = importlib.util.module_from_spec(sp)
    sp.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("title", ["replica 2, quorum auto", "r3 arbiter 1, auto, all rules (defaults)",
                                   "— server_quorum server (the virt group)", "— server_quorum server, no window",
                                   "— server_quorum server, post_op_delay 4 (above the 3 s reconnect)"])
def test_verdict_table_rows_come_from_runs(title):
    """The page's table is written by scripts/gen_gluster_table.py; these rows are re-run and compared."""
    mod = _table_module()
    rows = mod.current_rows(mod.PAGE.read_text())
    params = dict(mod.CASES)[title]
    assert len(rows) == len(mod.CASES)
    assert mod.row(title, params) in rows


@pytest.mark.slow
def test_verdict_table_is_current():
    """Every row of the table, re-run (about a minute)."""
    mod = _table_module()
    text = mod.PAGE.read_text()
    assert mod.replace_between(text, mod.table([mod.row(t, p) for t, p in mod.CASES])) == text


def test_cli_default_check_prints_each_property_under_its_name(tmp_path):
    """`hacheck check models/gluster_arbiter.py` at the defaults (eager-lock on, delay 1, stalls): the
    console block of docs/models/gluster.md is what it prints (every line but the timing line)."""
    import re
    import subprocess
    import sys
    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "models" / "gluster.md").read_text()
    block = re.search(r"\$ \.venv/bin/hacheck check models/gluster_arbiter.py -q\n(.*?)```", doc, re.S).group(1)
    want = [ln for ln in block.splitlines() if ln and not ln.startswith("  explicit:")]
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", "models/gluster_arbiter.py", "-q", "--out",
                        str(tmp_path)], capture_output=True, text=True, cwd=root)
    assert r.returncode == 1
    got = r.stdout.splitlines()
    assert [ln for ln in got if ln and not ln.startswith("  explicit:")] == want
    assert "no_lost_ack " not in r.stdout and len(want) == 10
