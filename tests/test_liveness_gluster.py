"""Liveness of the GlusterFS replicate/arbiter model: ``volume_writable`` under weak fairness.

``volume_writable`` (properties/gluster.py) is ``faults >= 1 & phase[w] == idle  ~>  acked[w]`` for
the last write ``w``: once the failure has happened, a write issued after it is acknowledged. A node
failure is ``brick_crash`` with ``max_faults = 1`` (``Model.restrict_faults`` / ``--faults``); the
``crash_brick`` parameter names the node that is lost. Every expected figure below was measured.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from hacheck.check import run_check
from hacheck.explicit.search import Explorer
from hacheck.cli import main as cli_main
from hacheck.lang import BadInput
from hacheck.loader import build_model, load_spec
from hacheck.properties.gluster import volume_writable

MODEL = Path(__file__).resolve().parent.parent / "models" / "gluster_arbiter.py"
R2 = {"replica": 2, "arbiter": False, "quorum_type": "auto"}


@pytest.fixture(scope="module")
def spec():
    return load_spec(MODEL)


def node_failure(spec, params, kinds=("brick_crash",)):
    m = build_model(spec, {"max_faults": 1, **params})
    if kinds is not None:
        m.restrict_faults(kinds)
    return m


def live(m, name="volume_writable"):
    r = run_check(m, [m.properties[name]])
    return r.properties[0], r.stats


def labels(res):
    return [s.label for s in res.trace.steps]


# ---- declarations -------------------------------------------------------------------------------
def test_fairness_declarations(spec):
    m = build_model(spec, {})
    kind = {a.name: (a.kind, a.fair) for a in m.actions}
    for a in ("lock", "lock_refused", "pre_op", "op", "ack", "post_op", "unlock", "heal"):
        assert kind[a] == ("protocol", "weak"), a  # clients and the self-heal daemon keep going
    for a in ("brick_restart", "link_repair"):
        assert kind[a] == ("env", None), a  # the failure may be permanent: repairs are allowed, never owed
    for a in ("brick_crash", "brick_crash_stalled", "link_loss", "link_loss_stalled", "client_crash", "op_error",
              "post_op_lost"):
        assert kind[a] == ("fault", None), a
    one_client = build_model(spec, {"clients": 1, "writes": 3})
    # the eager-lock handover is possible, never owed: the next write may as well come after the delay
    assert {a.name: (a.kind, a.fair) for a in one_client.actions}["inherit"] == ("protocol", None)
    p = m.properties["volume_writable"]
    assert p.kind == "leads_to"
    assert not hasattr(m, "state_predicates")


@pytest.mark.parametrize("params", [{}, {"full_lock": False, "max_faults": 1, "writes": 3}])
def test_state_graph_is_acyclic(spec, params):
    """Every step uses fault budget, repairs a fault, advances a write or clears the changelog: no cycle,
    so fair executions end in a stuttering state and weak and strong fairness coincide (docs)."""
    m = build_model(spec, params)
    ex = Explorer(m, symmetry=False)
    ex.run([], record_edges=True)
    g = ex.graph
    n = g.states
    graph = csr_matrix((np.ones(len(g.src), dtype=np.int8), (g.src, g.dst)), shape=(n, n))
    ncomp, _ = connected_components(graph, directed=True, connection="strong")
    assert n > 30_000 and ncomp == n and not (g.src == g.dst).any()


def test_crash_brick_is_checked(spec):
    with pytest.raises(BadInput, match="crash_brick 2"):
        build_model(spec, {**R2, "crash_brick": 2})
    m = build_model(spec, {"crash_brick": 1})
    crashes = [i.label for i in m.instances if i.action == "brick_crash"]
    assert crashes == ["brick_crash(b=brick1)"]


# ---- replica 3 arbiter 1, auto: writable after any single node failure ---------------------------
@pytest.mark.parametrize("crash_brick,states", [(-1, 784), (0, 300), (1, 300), (2, 280)])
def test_arbiter_writable_after_one_node_failure(spec, crash_brick, states):
    res, stats = live(node_failure(spec, {"crash_brick": crash_brick}))
    assert stats.complete and stats.states == states
    assert res.verdict == "holds", res.explanation
    assert res.extra["recovery_ticks"] == 12 and res.extra["unit"] == "steps"
    worst = labels(res)
    assert worst[0].startswith("brick_crash") and worst[-1] == "ack(w=write1)"
    assert len(worst) == 13  # the crash, then the 12 steps counted


def test_arbiter_writable_after_any_single_fault(spec):
    """Not only a node: any one fault of any kind (link loss, client crash, op error, lost post-op)."""
    res, stats = live(node_failure(spec, {}, kinds=None))
    assert stats.complete and stats.states == 1457
    assert res.verdict == "holds" and res.extra["recovery_ticks"] == 12


def test_arbiter_four_writes_any_single_fault(spec):
    res, stats = live(node_failure(spec, {"writes": 4}, kinds=None))
    assert stats.complete and stats.states == 19699
    assert res.verdict == "holds" and res.extra["recovery_ticks"] == 25
    assert labels(res)[-1] == "ack(w=write3)"


def test_arbiter_two_nodes_down_is_not_writable(spec):
    m = build_model(spec, {"max_faults": 2})
    m.restrict_faults(["brick_crash"])
    res, _ = live(m)
    assert res.verdict == "violated"
    assert labels(res) == ["brick_crash(b=brick0)", "brick_crash(b=brick1)", "lock_refused(w=write0)",
                           "lock_refused(w=write1)", "stutter"]
    assert res.trace.loop == 4 and len(res.trace.steps) - res.trace.loop == 1


# ---- replica 2, auto: brick 0 breaks the tie ----------------------------------------------------
def test_replica2_auto_brick0_lost_is_a_lasso(spec):
    res, stats = live(node_failure(spec, {**R2, "crash_brick": 0}))
    assert stats.complete and stats.states == 272
    assert res.verdict == "violated" and res.explanation == "fair lasso: 3 steps then a loop of 1 step"
    t = res.trace
    assert labels(res) == ["brick_crash(b=brick0)", "lock_refused(w=write0)", "lock_refused(w=write1)", "stutter"]
    assert t.loop == 3 and len(t.steps) - t.loop == 1  # stem 3, loop 1 (the refused state repeats)
    assert t.steps[0].kind == "fault"
    assert t.states[t.loop]["phase"] == {"write0": "done", "write1": "done"}
    assert not any(t.states[t.loop]["acked"].values())
    assert any("no fair action is enabled" in f for f in t.fairness)
    assert any("brick_restart(b=brick0)" in f for f in t.fairness)  # enabled, not owed


def test_replica2_auto_any_brick_lost_finds_brick0(spec):
    res, _ = live(node_failure(spec, R2))
    assert res.verdict == "violated" and labels(res)[0] == "brick_crash(b=brick0)"
    assert res.trace.loop == 3


def test_replica2_auto_brick1_lost_holds(spec):
    res, stats = live(node_failure(spec, {**R2, "crash_brick": 1}))
    assert stats.complete and stats.states == 300
    assert res.verdict == "holds" and res.extra["recovery_ticks"] == 12


def test_replica2_brick1_lost_but_a_link_loss_counts_too(spec):
    """With every fault kind allowed, client1 losing its link to brick0 is the single failure that
    makes its write refused: the property is about whichever failure --faults allows."""
    res, _ = live(node_failure(spec, {**R2, "crash_brick": 1}, kinds=None))
    assert res.verdict == "violated"
    lab = labels(res)
    assert lab[0] == "link_loss(c=client1, b=brick0)" and "lock_refused(w=write1)" in lab and lab[-1] == "stutter"
    assert res.trace.loop == 8 and len(res.trace.steps) == 9


# ---- the last write stands for every write --------------------------------------------------------
@pytest.mark.parametrize("params,verdict", [({}, "holds"), ({**R2, "crash_brick": 0}, "violated"),
                                            ({**R2, "crash_brick": 1}, "holds")])
def test_every_write_gives_the_same_verdict(spec, params, verdict):
    """Under brick crashes clients and writes are interchangeable, so following write1 (the one
    registered) or write0 gives the same verdict."""
    p = spec.make_params({"max_faults": 1, **params})
    m = spec.build(p)
    m.params = p
    v = m.vars
    W = m.sorts["Write"]
    ctx = SimpleNamespace(faults=v.faults, phase=v.phase, acked=v.acked, Write=W)
    m.leads_to("writable_write0", *volume_writable(ctx, W["write0"]))
    m.freeze().restrict_faults(["brick_crash"])
    r = run_check(m, [m.properties["writable_write0"], m.properties["volume_writable"]])
    assert [x.verdict for x in r.properties] == [verdict, verdict]


# ---- from the command line ----------------------------------------------------------------------
def test_cli_node_failure(tmp_path, capsys):
    base = ["check", str(MODEL), "--param", "replica=2", "--param", "arbiter=false", "--param", "max_faults=1",
            "--faults", "brick_crash", "--property", "volume_writable", "--out", str(tmp_path), "-q"]
    assert cli_main(base + ["--param", "crash_brick=0"]) == 1
    out = capsys.readouterr().out
    assert "volume_writable  leads_to  violated (fair lasso: 3 steps then a loop of 1 step)" in out
    assert (tmp_path / "gluster_arbiter.volume_writable.itf.json").exists()
    assert cli_main(base + ["--param", "crash_brick=1"]) == 0
    assert "holds (exhaustive under fairness, 300 states)  [worst-case recovery 12 steps, best case 4 steps]" in capsys.readouterr().out
