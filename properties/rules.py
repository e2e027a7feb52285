"""Upstream decision rules, written once as expressions over whatever they are given.

Each function takes hacheck expressions or plain ints, so the same rule serves a model (with
counts of bricks or hosts in a state) and a parametric lemma (with a symbolic replica count, a
symbolic score), and is written nowhere else.
"""

from __future__ import annotations

from hacheck.lang import TRUE, ite, lift, max_, sum_


def afr_client_quorum(up: object, n: object, brick0_up: object, quorum_type: str, quorum_count: object = 0):
    """afr_has_quorum (xlators/cluster/afr/src/afr-transaction.c): u bricks of n answer.

    auto: a strict majority, or exactly half including brick 0 (the tie-break); fixed: at least
    quorum-count; none: always.
    """
    if quorum_type == "none":
        return TRUE
    if quorum_type == "auto":
        return ite(lift(up) * 2 == n, brick0_up, lift(up) >= lift(n) // 2 + 1)
    if quorum_type == "fixed":
        return lift(up) >= quorum_count
    if quorum_type == "half":  # "at least half", with no tie-break: NOT an upstream rule, a strawman
        return lift(up) * 2 >= n
    raise ValueError(f"unknown quorum type {quorum_type!r}")


def glusterd_server_quorum(active: object, total: object, ratio_percent: object):
    """glusterd_is_quorum_meet (glusterd-server-quorum.c): active >= ceil(total * ratio / 100)."""
    needed = (lift(total) * ratio_percent + 99) // 100
    return lift(active) >= needed


def ha_score(base: object, penalties: list[tuple[object, object]]):
    """EngineState.score (agent/states.py): max(0, base - the sum of the active penalties)."""
    return max_(0, lift(base) - sum_(ite(on, size, 0) for on, size in penalties))


def ha_start_allowed(own: object, best_remote: object, rule: str = "le"):
    """EngineDown -> EngineStart (agent/states.py): no alive remote host has a score (best remote
    score 0), or the best remote score <= own (the fix of rhbz#1093638), < own with the old rule."""
    best = lift(best_remote)
    return (best == 0) | (best <= own if rule == "le" else best < own)


def ha_should_stop(own: object, best_remote: object, threshold: object):
    """EngineUp -> EngineStop: best remote score >= own + RESTART_THRESHOLD_SCORE."""
    return lift(best_remote) >= lift(own) + threshold
