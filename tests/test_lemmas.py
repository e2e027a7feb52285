"""Parametric lemmas: the quorum and election facts, for every replica count and score."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.symbolic.lemmas import run_lemma  # noqa: E402
from hacheck.properties.lemmas import LEMMAS  # noqa: E402

BY = {lm.name: lm for lm in LEMMAS}


def test_auto_quorums_intersect_for_every_replica_count():
    r = run_lemma(BY["quorum_intersection_auto"])
    assert r.verdict == "holds"
    assert "every N >= 1" in r.explanation


def test_half_rule_without_tiebreak_has_a_counterexample():
    r = run_lemma(BY["quorum_intersection_half"])
    assert r.verdict == "violated"
    ce = r.extra["counterexample"]
    n, a, b = ce["N"], ce["a"], ce["b"]
    assert a * 2 >= n and b * 2 >= n and a + b <= n  # two "quorums" that can be disjoint
    assert not (ce["a_has_brick0"] and ce["b_has_brick0"])


def test_fixed_quorum_intersects_only_above_half():
    bad = run_lemma(BY["quorum_intersection_fixed"])
    assert bad.verdict == "violated"
    assert bad.extra["counterexample"]["quorum_count"] * 2 <= bad.extra["counterexample"]["N"]
    assert run_lemma(BY["quorum_intersection_fixed_majority"]).verdict == "holds"


def test_server_quorum_ratio():
    assert run_lemma(BY["server_quorum_intersection"]).verdict == "holds"
    r = run_lemma(BY["server_quorum_intersection"], {"ratio": 50})
    assert r.verdict == "violated"


def test_election_start_rules():
    assert run_lemma(BY["equal_scores_start_le"]).verdict == "holds"
    assert run_lemma(BY["equal_scores_start_lt"]).verdict == "violated"
    assert run_lemma(BY["no_move_below_threshold"]).verdict == "holds"


def test_engine_moves_lists_exactly_the_combinations_at_or_above_the_threshold():
    sizes = {"network": 1600, "bridge": 600, "cpu": 1000, "memory": 400, "config": 1000}
    for threshold in (800, 1200, 2500):
        r = run_lemma(BY["engine_moves"], {"restart_threshold": threshold})
        got = {frozenset(c) for c in r.extra["cases"]}
        from itertools import combinations

        want = {frozenset(c) for k in range(6) for c in combinations(sizes, k)
                if 3400 - max(0, 3400 - sum(sizes[x] for x in c)) >= threshold}
        assert got == want, threshold


def test_lemma_cli(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "hacheck.cli", "lemma", *a], capture_output=True, text=True, cwd=ROOT)  # noqa: E731
    r = run("quorum_intersection_auto")
    assert r.returncode == 0 and "holds for every N >= 1" in r.stdout
    r = run("quorum_intersection_half")
    assert r.returncode == 1 and "counterexample: N=2" in r.stdout
    r = run("nosuch")
    assert r.returncode == 2 and "no lemma 'nosuch'" in r.stderr
    r = run("server_quorum_intersection", "--set", "bogus=1")
    assert r.returncode == 2 and "no setting 'bogus'" in r.stderr
