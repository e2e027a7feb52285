"""Golden verdicts of the GlusterFS replicate/arbiter model (models/gluster_arbiter.py).

Every expected verdict and trace length below was measured with the explicit engine; the traces
are checked for the actions that make them. The two inferred lost-ack sequences of the domain
notes are replayed step by step with the reference interpreter.
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
    p = spec.make_params()
    assert (p.replica, p.arbiter, p.quorum_type, p.server_quorum, p.quorum_loss) == (3, True, "auto", "none", "enotconn")
    assert (p.clients, p.writes, p.max_faults, p.crash_brick) == (2, 2, 2, -1)
    assert all((p.full_lock, p.arbiter_veto, p.write_subvol_check, p.in_flight_check, p.heal_accused_quorum))


@pytest.mark.parametrize("bad", [
    {"replica": 2, "arbiter": True},
    {"replica": 2, "arbiter": False, "quorum_type": "fixed", "quorum_count": 3},
    {"quorum_type": "fixed", "quorum_count": 0},
    {"replica": 4},
    {"quorum_type": "majority"},
    {"replica": 2, "arbiter": False, "crash_brick": 2},
    {"crash_brick": 3},
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
    params = {"replica": 2, "arbiter": False, "quorum_type": "auto"}
    res, stats = run(spec, params, "no_split_brain", "no_lost_ack_heal", "ack_without_brick0", "ack_one_down")
    assert stats.complete
    assert res["no_split_brain"].verdict == "holds"
    assert res["no_lost_ack_heal"].verdict == "holds"
    assert res["ack_without_brick0"].verdict == "violated"  # no reachable state: writes refused while b0 is down
    w = res["ack_one_down"]  # but brick 1 down is fine
    assert w.verdict == "holds" and w.trace.length == 5
    assert labels(w)[0] == "brick_crash(b=brick1)" and "ack" in actions(w)


def test_replica2_fixed1_is_like_none(spec):
    res, _ = run(spec, {"replica": 2, "arbiter": False, "quorum_type": "fixed", "quorum_count": 1}, "no_split_brain")
    assert res["no_split_brain"].verdict == "violated" and res["no_split_brain"].trace.length == 11


# ---- item 4/5: replica 3 arbiter 1, auto, every rule on -------------------------------------------
def test_arbiter_default_bounds(spec):
    res, stats = run(spec, {}, "no_split_brain", "no_lost_ack_heal", "ack_two_down", "read_two_down", "ack_one_down")
    assert stats.complete and stats.states == 34469
    assert res["no_split_brain"].verdict == "holds"
    assert res["no_lost_ack_heal"].verdict == "holds"
    assert res["ack_two_down"].verdict == "violated"  # unreachable: two nodes down, no write acked
    assert res["read_two_down"].verdict == "violated"  # enotconn: reads fail too
    one = res["ack_one_down"]
    assert one.verdict == "holds" and one.trace.length == 5 and labels(one)[0] == "brick_crash(b=brick0)"


def test_arbiter_erofs_reads_with_two_down(spec):
    res, _ = run(spec, {"quorum_loss": "erofs"}, "read_two_down", "ack_two_down")
    r = res["read_two_down"]
    assert r.verdict == "holds" and r.trace.length == 2 and actions(r) == ["brick_crash", "brick_crash"]
    assert res["ack_two_down"].verdict == "violated"


def test_stale_read_between_ack_and_post_op(spec):
    """An acked write is missing from a brick another client may read until the post-op blames it."""
    res, _ = run(spec, {"max_faults": 1}, "no_stale_read", "no_lost_ack")
    for name in ("no_stale_read", "no_lost_ack"):
        r = res[name]
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
    res, _ = run(spec, {"arbiter": False, "max_faults": 3}, "no_lost_ack_heal", "no_split_brain")
    r = res["no_lost_ack_heal"]
    assert r.verdict == "violated" and r.trace.length == 12
    assert "client_crash(c=client1)" in labels(r) and "post_op_lost(w=write0, b=brick0)" in labels(r)


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
    res, _ = run(spec, {"full_lock": False}, "no_split_brain")
    lab = labels(res["no_split_brain"])
    assert lab.index("lock(w=write0)") < lab.index("post_op(w=write1)")  # write0 locked while write1 in flight


@pytest.mark.parametrize("switch", ["write_subvol_check", "heal_accused_quorum"])
def test_rule_off_no_difference_at_default_bounds(spec, switch):
    res, stats = run(spec, {switch: False}, "no_split_brain", "no_lost_ack_heal")
    assert stats.complete
    assert res["no_split_brain"].verdict == "holds" and res["no_lost_ack_heal"].verdict == "holds"


def test_server_quorum_lock_loss_race(spec):
    res, _ = run(spec, {"server_quorum": "server"}, "no_split_brain")
    r = res["no_split_brain"]
    assert r.verdict == "violated" and r.trace.length == 13
    assert actions(r).count("brick_crash") == 2
    lab = labels(r)
    assert lab.index("lock(w=write1)") < lab.index("op(w=write0)")  # write0 continues after losing its locks


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


def test_inferred_arbiter_sequence(spec):
    """B2 down; W1 to B1+A acked, post-op lost on A; B1 down, B2 up; W2 to B2+A acked; B1 up."""
    m = build_model(spec, {"max_faults": 3})
    state = replay(m, [
        "brick_crash(b=brick1)",
        "lock(w=write0)", "pre_op(w=write0)", "op(w=write0)", "ack(w=write0)",
        "post_op_lost(w=write0, b=brick2)", "unlock(w=write0)",
        "brick_crash(b=brick0)", "brick_restart(b=brick1)",
        "lock(w=write1)", "pre_op(w=write1)", "op(w=write1)", "ack(w=write1)", "post_op(w=write1)",
        "unlock(w=write1)", "brick_restart(b=brick0)",
    ])
    v = m.decode(state)
    assert v["acked"] == {"write0": True, "write1": True}
    assert v["blame"] == {"brick0": ["brick1"], "brick1": ["brick0"], "brick2": ["brick0"]}
    assert not holds(m, "no_split_brain", state)  # the arbiter is the only source: no data heal


def test_inferred_replica3_sequence(spec):
    """B3 down; W1 to B1+B2 acked, post-op lost (client crash); B1 down, B3 up, W2 to B2+B3;
    B2 down, B1 up, W3 to B1+B3; B2 up: B3 is the only source and lacks W1."""
    m = build_model(spec, {"arbiter": False, "writes": 3, "max_faults": 4})
    state = replay(m, [
        "brick_crash(b=brick2)",
        "lock(w=write0)", "pre_op(w=write0)", "op(w=write0)", "ack(w=write0)", "client_crash(c=client0)",
        "brick_crash(b=brick0)", "brick_restart(b=brick2)",
        "lock(w=write1)", "pre_op(w=write1)", "op(w=write1)", "ack(w=write1)", "post_op(w=write1)",
        "unlock(w=write1)",
        "brick_crash(b=brick1)", "brick_restart(b=brick0)",
        "lock(w=write2)", "pre_op(w=write2)", "op(w=write2)", "ack(w=write2)", "post_op(w=write2)",
        "unlock(w=write2)",
        "brick_restart(b=brick1)",
    ])
    v = m.decode(state)
    assert all(v["acked"].values())
    assert "write0" not in v["data"]["brick2"]
    assert holds(m, "no_split_brain", state)  # brick2 is a source ...
    assert not holds(m, "no_lost_ack_heal", state)  # ... and it lacks the acked write0
    heal = [m.instances[i].label for i, _ in successors(m, state) if m.instances[i].action == "heal"]
    assert heal == ["heal(s=brick2)"]  # the heal the model allows copies brick2 over the others


@pytest.mark.slow
def test_arbiter_three_faults_exhaustive_size(spec):
    m = build_model(spec, {"max_faults": 3})
    r = check(m, [m.properties["ack_two_down"]])
    assert r.stats.complete and r.stats.states == 491134
    assert r.properties[0].verdict == "violated"


def test_arbiter_three_writes_two_faults_lost_ack(spec):
    """Finding 2: with three writes, two faults suffice to lose an acked write in a heal."""
    res, _ = run(spec, {"writes": 3}, "no_lost_ack_heal")
    r = res["no_lost_ack_heal"]
    assert r.verdict == "violated" and r.trace.length == 18
    lab = labels(r)
    assert lab.index("ack(w=write0)") < lab.index("client_crash(c=client0)")
    assert "link_loss(c=client0, b=brick0)" in lab
    last = r.trace.states[-1]
    assert last["acked"]["write0"] and "write0" not in last["data"]["brick0"]
    assert all(not v for v in last["blame"].values()) and last["dirty"] == {"brick0": 1, "brick1": 1, "brick2": 1}
    assert last["newest"] == ["brick0", "brick1"]


def test_refused_write_completes_a_replica3_split_brain(spec):
    """Finding 7 (replica 3, 3 writes, 4 faults, 16 steps, the shortest: found by the --big benchmark
    at 75,613,314 states). write0 is refused by rule (iii) (EIO, no op), yet its post-op blames brick0,
    which it never locked (afr_changelog_post_op_do: op_ret < 0 but afr_txn_nothing_failed, because
    brick0 was not pre-op'd) -- and brick0 is the one brick holding both acked writes."""
    m = build_model(spec, {"arbiter": False, "writes": 3, "max_faults": 4})
    steps = [
        "lock(w=write2)", "pre_op(w=write2)", "op_error(w=write2, b=brick2, applied=False)", "op(w=write2)",
        "post_op(w=write2)", "unlock(w=write2)",
        "lock(w=write1)", "link_loss(c=client1, b=brick1)", "link_loss(c=client0, b=brick0)", "pre_op(w=write1)",
        "op(w=write1)", "post_op(w=write1)", "unlock(w=write1)",
        "lock(w=write0)", "pre_op(w=write0)",
    ]
    state = replay(m, steps)
    v = m.decode(state)
    assert v["phase"]["write0"] == "refused" and v["bad"]["write0"]  # rule (iii): EIO, the op is never sent
    assert v["readable"]["write0"] == ["brick0"] and v["failed"]["write0"] == ["brick0"]
    assert holds(m, "no_split_brain", state)
    state = replay(m, steps + ["post_op(w=write0)"])
    v = m.decode(state)
    assert v["blame"] == {"brick0": ["brick1", "brick2"], "brick1": ["brick0", "brick2"], "brick2": ["brick0", "brick1"]}
    assert v["acked"] == {"write0": False, "write1": True, "write2": True}
    assert v["data"]["brick0"] == ["write1", "write2"]  # the only complete copy, now blamed by both others
    assert not holds(m, "no_split_brain", state)
