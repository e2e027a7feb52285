"""Gluster ``no_split_brain`` proved unbounded by the lemmas of properties/gluster.py (issue 20, items
6 and 7). The lemmas encode AFR's mechanisms: the arbiter veto (afr-transaction.c
``afr_txn_arbitrate_fop``), the write-subvol datamap taken from the pre-op replies (afr-common.c
``afr_write_subvol_set`` -> ``afr_readables_fill``), the skipped changelog of a failed op
(afr-transaction.c ``afr_changelog_post_op_do``), and the fault counter covering the marks faults leave.
Budgets are z3 resource limits (rlimit), never the clock, so each verdict is the same on any machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hacheck.properties.gluster as gluster_props
from hacheck.check import run_check
from hacheck.loader import build_model, load_spec
from hacheck.symbolic.common import Context
from hacheck.symbolic.stated import prove_by_lemmas

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models/gluster_arbiter.py"
RLIMIT = 20_000_000  # z3 resource units per query; the proof needs about a tenth of it
LEMMAS = ["one_data_brick_accused", "faults_cover_marks", "datamap_excludes_accused", "datamap_includes_unaccused",
          "refusal_not_by_veto", "idle_write_clean", "phase_facts"]


def build(**params):
    return build_model(load_spec(MODEL), params)


def prove_lemmas(m, rlimit: int = RLIMIT):
    return prove_by_lemmas(Context(m, rlimit=rlimit), m.properties["no_split_brain"], timeout=None, rlimit=rlimit)


@pytest.fixture
def lemmas_everywhere(monkeypatch):
    """State the lemmas whatever the parameters: the mutants get the very lemmas the defaults get."""
    monkeypatch.setattr(gluster_props, "lemmas_apply", lambda p: True)


def test_no_split_brain_is_proved_by_the_stated_lemmas_at_the_defaults():
    """Replica 3 arbiter 1, client quorum auto, two faults: the property and the seven lemmas are
    inductive (z3, rlimit budget) and believe.py's re-check passes. Unbounded: no depth, no state count."""
    m = build()
    assert [lm.name for lm in m.lemmas_for("no_split_brain")] == LEMMAS
    r = prove_lemmas(m)
    assert r.verdict == "holds", r.explanation
    assert r.method == "lemmas"
    assert "the property and 7 stated lemmas of properties/gluster.py, re-checked by z3" in r.explanation


def test_an_exhausted_budget_is_unknown_not_holds():
    r = prove_lemmas(build(), rlimit=1_000)
    assert r.verdict == "unknown"
    assert "resource limit" in r.explanation


@pytest.mark.parametrize("clients,writes,max_faults", [(1, 3, 2), (2, 4, 2), (3, 3, 1), (3, 4, 0)])
def test_the_lemmas_prove_it_for_other_numbers_of_clients_writes_and_faults(clients, writes, max_faults):
    """The lemmas quantify over every write and brick, so the same text proves other instances
    (item 7: every size the model accepts is in the slow sweep below)."""
    r = prove_lemmas(build(clients=clients, writes=writes, max_faults=max_faults))
    assert r.verdict == "holds", r.explanation


@pytest.mark.slow
def test_the_lemmas_prove_it_for_every_instance_the_model_accepts():
    """clients 1..3, writes 1..4, max_faults 0..2: 36 instances, each proved unbounded."""
    for clients in (1, 2, 3):
        for writes in (1, 2, 3, 4):
            for max_faults in (0, 1, 2):
                r = prove_lemmas(build(clients=clients, writes=writes, max_faults=max_faults))
                assert r.verdict == "holds", (clients, writes, max_faults, r.explanation)


OPTION_FLIPS = [{"eager_lock": False}, {"ping_stall": False}, {"eager_lock": False, "ping_stall": False},
                {"heal_choice": "any"}, {"quorum_loss": "erofs"}, {"write_subvol_check": False},
                {"heal_accused_quorum": False}, {"shd_links": True}, {"post_op_delay": 0}, {"post_op_delay": 4},
                {"crash_brick": 0}, {"crash_brick": 2}, {"quorum_type": "fixed", "quorum_count": 2}]


@pytest.mark.slow
@pytest.mark.parametrize("params", OPTION_FLIPS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_the_lemmas_prove_it_with_each_other_option(params):
    """Every option lemmas_apply leaves free, flipped alone, at the largest instance (3 clients, 4
    writes, 2 faults) and at the defaults' sizes."""
    assert gluster_props.lemmas_apply(load_spec(MODEL).make_params(params))
    for sizes in ({}, {"clients": 3, "writes": 4}):
        r = prove_lemmas(build(**params, **sizes))
        assert r.verdict == "holds", (params, sizes, r.explanation)


@pytest.mark.parametrize("params", [
    {"arbiter_veto": False},  # afr_txn_arbitrate_fop removed: a write may leave the arbiter the only source
    {"in_flight_check": False},  # __afr_set_in_flight_sb_status removed: a post-op may blame the only readable brick
])
def test_a_mutant_without_an_afr_rule_is_not_proved(lemmas_everywhere, params):
    """The same lemmas on a model with one AFR rule removed (each mutant reaches split-brain, the
    verdict table of docs/models/gluster.md): not inductive, never holds; the answer is the
    counterexample to induction (z3 picks which step; with z3 5.4.1: pre_op breaking
    refusal_not_by_veto, and post_op breaking one_data_brick_accused)."""
    r = prove_lemmas(build(**params))
    assert r.verdict == "unknown"
    assert r.extra["stage"] == "consecution"
    assert r.extra["broken"]
    assert r.trace is not None and r.trace.kind == "counterexample to induction"


def test_the_mutants_really_reach_split_brain():
    """The mutants above are wrong models, not just unproved ones (exhaustive check, ~40,000 states)."""
    for params in ({"arbiter_veto": False}, {"in_flight_check": False}):
        m = build(**params)
        assert not m.lemmas  # not stated where they would be false
        r = run_check(m, [m.properties["no_split_brain"]])
        assert [x.verdict for x in r.properties] == ["violated"]


def test_three_faults_break_the_fault_count_lemma_and_the_lemmas_are_not_stated_there(lemmas_everywhere):
    """With three faults split-brain is reachable (finding 3); the lemmas do not prove it."""
    r = prove_lemmas(build(max_faults=3))
    assert r.verdict == "unknown"
    assert r.extra["stage"] == "consecution"


def test_lemmas_are_stated_only_where_they_apply():
    assert build().lemmas
    for params in ({"max_faults": 3}, {"arbiter_veto": False}, {"in_flight_check": False}, {"full_lock": False},
                   {"server_quorum": "server"}, {"arbiter": False}, {"quorum_type": "fixed", "quorum_count": 1}):
        assert not build(**params).lemmas, params


def test_auto_finds_the_proof_first():
    """`hacheck prove` (auto) tries the stated lemmas before any other method and prints them."""
    out = subprocess.run([sys.executable, "-m", "hacheck.cli", "prove", "models/gluster_arbiter.py", "--property",
                          "no_split_brain", "--rlimit", str(RLIMIT), "--timeout", "0"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no_split_brain  invariant  holds (inductive invariant: the property and 7 stated lemmas" in out.stdout
    assert "one_data_brick_accused, faults_cover_marks" in out.stdout


@pytest.mark.slow
def test_no_split_brain_holds_for_every_number_of_writes_of_one_client():
    """Item 7: with one client (a single mount issues every write, so no write names a particular
    client), the stated lemmas, read as formulas over every write (``forall``/``exists`` over the
    sort Write), are inductive on the quantified encoding: no_split_brain for every number of writes.
    The small instances (1 and 2 writes) are checked exhaustively first; budgets are z3 rlimits.
    About 20 s of CPU, most of it building the model at 4 and 5 writes to read it for every N."""
    from hacheck.result import HOLDS
    from hacheck.symbolic.param import Settings, prove_every

    r = prove_every(load_spec(MODEL), {"clients": 1}, "no_split_brain", ["writes"], settings=Settings(mine_max=2, max_n=2))
    assert r.verdict == HOLDS, r.explanation
    assert r.extra["lemmas"] == LEMMAS  # the proof is the stated lemmas', not mined clauses


@pytest.mark.slow
def test_no_split_brain_holds_for_every_number_of_clients_and_writes():
    """Item 7 with several clients: write w is issued by client w mod clients, read as an uninterpreted
    function client_of: Write -> Client (hacheck/symbolic/param_lift.py): the lock, pre-op, op and
    post-op of write w read the links of client_of(w) (afr_transaction winds each phase over the
    client's own connections), a client's link loss or crash acts on the writes W with
    client_of(W) == c (the brick drops that client's inodelks, pl_client_disconnect_cbk), and the
    eager-lock handover (__afr_eager_lock_handle) exists between two writes of one client. The seven
    stated lemmas and the property are inductive on that reading: no_split_brain for every number
    of clients and writes and every assignment of writes to clients. Budgets are z3 rlimits; about a
    minute of CPU, most of it the re-check."""
    from hacheck.result import HOLDS
    from hacheck.symbolic.param import Settings, prove_every

    r = prove_every(load_spec(MODEL), {}, "no_split_brain", ["clients", "writes"], settings=Settings(mine_max=1, max_n=1))
    assert r.verdict == HOLDS, r.explanation
    assert r.extra["lemmas"] == LEMMAS
    assert r.extra["functions"] == ["client_of: Write -> Client"]
    assert "for every N and every assignment of writes to clients" in r.explanation
    assert r.extra["read_at"] == ["clients=3, writes=7", "clients=4, writes=9"]


@pytest.mark.slow
@pytest.mark.parametrize("params", [{"arbiter_veto": False}, {"in_flight_check": False}])
def test_a_mutant_is_not_proved_for_every_number_of_clients_and_writes(lemmas_everywhere, params):
    """The same lemmas read for every N on a model without the arbiter veto (afr_txn_arbitrate_fop) or
    the in-flight split-brain check: both reach split-brain (test_the_mutants_really_reach_split_brain),
    and the for-every re-check refuses them (a consecution fails), never "holds"."""
    from hacheck.symbolic.param import Settings, by_stated_lemmas

    got = by_stated_lemmas(load_spec(MODEL), params, "no_split_brain", ["clients", "writes"], None, Settings(), None,
                           LEMMAS)
    assert isinstance(got, str), "a mutant was proved"
    assert "are not inductive for every N (consecution of" in got
