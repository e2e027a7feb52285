"""Parametric lemmas about the seed protocols, proved for every replica count, score or constant.

Run them with ``hacheck lemma`` (all) or ``hacheck lemma NAME [--set NAME=VALUE]``. The rules come
from ``properties/rules.py``, the functions the models are built from.

Quorum intersection is stated over cardinalities: two sets of sizes a and b among N bricks, with
brick 0 in A (a0) or in B (b0), can be chosen disjoint exactly when a + b <= N and brick 0 is not in
both (and a set holding brick 0 is not empty). So "every two quorums intersect" for every N is
"no such disjoint pair of quorums exists" for every N, which z3 decides.
"""

from __future__ import annotations

from hacheck.lang import and_, implies, not_
from hacheck.symbolic.lemmas import Lemma, LemmaBuilder

from hacheck.properties.rules import afr_client_quorum, glusterd_server_quorum, ha_score, ha_should_stop, ha_start_allowed


def _two_quorums(b: LemmaBuilder, quorum_type: str, count=None):
    n = b.int("N", lo=1)
    a, c = b.int("a"), b.int("b")
    a0, c0 = b.bool("a_has_brick0"), b.bool("b_has_brick0")
    b.assume(and_(a <= n, c <= n, implies(a0, a >= 1), implies(c0, c >= 1)))
    qc = count if count is not None else 0
    qa = afr_client_quorum(a, n, a0, quorum_type, qc)
    qb = afr_client_quorum(c, n, c0, quorum_type, qc)
    disjoint_possible = and_(a + c <= n, not_(and_(a0, c0)))
    b.prove(not_(and_(qa, qb, disjoint_possible)))


def _auto(b, s):
    _two_quorums(b, "auto")


def _half(b, s):
    _two_quorums(b, "half")


def _fixed_any(b, s):
    n_count = b.int("quorum_count", lo=1)
    _two_quorums(b, "fixed", n_count)
    b.assume(n_count <= b.model.handles["N"])


def _fixed_majority(b, s):
    q = b.int("quorum_count", lo=1)
    _two_quorums(b, "fixed", q)
    n = b.model.handles["N"]
    b.assume(and_(q <= n, q * 2 > n))


def _server(b, s):
    total = b.int("peers", lo=1)
    x, y = b.int("active_x"), b.int("active_y")
    b.assume(and_(x <= total, y <= total))
    qx = glusterd_server_quorum(x, total, s["ratio"])
    qy = glusterd_server_quorum(y, total, s["ratio"])
    b.prove(not_(and_(qx, qy, x + y <= total)))


def _equal_scores(rule):
    def build(b, s):
        score = b.int("score", lo=1)
        b.prove(ha_start_allowed(score, score, rule))
    return build


def _moves(b, s):
    names = ("network", "bridge", "cpu", "memory", "config")
    flags = [b.bool(n) for n in names]
    sizes = [s[f"penalty_{n}"] for n in names]
    own = ha_score(s["base_score"], list(zip(flags, sizes)))
    other = ha_score(s["base_score"], [])
    b.assume(ha_should_stop(own, other, s["restart_threshold"]))
    b.list_all(*flags)


def _stays_below_threshold(b, s):
    pen = b.int("penalty_total")
    base = s["base_score"]
    own = ha_score(base, [(pen > 0, pen)])
    b.assume(pen < s["restart_threshold"])
    b.prove(not_(ha_should_stop(own, base, s["restart_threshold"])))


HE_DEFAULTS = {"base_score": 3400, "restart_threshold": 800, "penalty_network": 1600, "penalty_bridge": 600,
               "penalty_cpu": 1000, "penalty_memory": 400, "penalty_config": 1000}

LEMMAS = [
    Lemma("quorum_intersection_auto", "cluster.quorum-type auto: any two client quorums share a brick, for every replica count N",
          _auto, expect="holds for every N"),
    Lemma("quorum_intersection_half", "a strawman 'at least half of the bricks' rule without the brick-0 tie-break",
          _half, expect="counterexample N=2: two single bricks"),
    Lemma("quorum_intersection_fixed", "cluster.quorum-type fixed with any quorum-count: quorums need not intersect",
          _fixed_any, expect="counterexample with quorum_count <= N/2"),
    Lemma("quorum_intersection_fixed_majority", "fixed with quorum-count > N/2: any two quorums intersect",
          _fixed_majority, expect="holds for every N and count"),
    Lemma("server_quorum_intersection", "glusterd server quorum: two peer sets meeting the ratio share a peer (ratio in percent)",
          _server, settings={"ratio": 51}, expect="holds for ratio 51; --set ratio=50 gives a counterexample"),
    Lemma("equal_scores_start_le", "with the <= start rule a host whose score equals the best remote one starts the engine",
          _equal_scores("le"), expect="holds for every score"),
    Lemma("equal_scores_start_lt", "with the old strict < rule (rhbz#1093638) equal scores start nobody",
          _equal_scores("lt"), expect="counterexample: every score"),
    Lemma("engine_moves", "penalty combinations on the engine's host that make EngineUp stop for a healthy peer",
          _moves, settings=dict(HE_DEFAULTS), expect="lists the combinations for the given threshold and penalties"),
    Lemma("no_move_below_threshold", "a total penalty below the restart threshold never moves the engine, for every penalty",
          _stays_below_threshold, settings={"base_score": 3400, "restart_threshold": 800}, expect="holds"),
]
