"""The explicit engine against state counts known in closed form."""

from math import comb

import pytest

from hacheck.explicit.search import Bounds, check
from hacheck.explicit.pack import Layout

from toys import counters, flips, sorted_counters, wide_chain


@pytest.mark.parametrize("n", [1, 3, 8, 12])
def test_flips_has_two_to_the_n_states(n):
    r = check(flips(n))
    assert r.stats.states == 2**n
    assert r.stats.transitions == n * 2**n
    assert r.stats.depth == n
    assert r.stats.complete


@pytest.mark.parametrize("n,k", [(1, 5), (2, 3), (3, 4), (4, 2)])
def test_counters_count(n, k):
    r = check(counters(n, k))
    assert r.stats.states == (k + 1) ** n
    assert r.stats.depth == n * k
    # every state but the full one has one successor per non-full counter
    assert r.stats.transitions == sum(
        sum(1 for c in range(n) if (s // (k + 1) ** c) % (k + 1) < k) for s in range((k + 1) ** n)
    )


@pytest.mark.parametrize("n,k", [(2, 2), (3, 3), (4, 5), (6, 3)])
def test_sorted_counters_count_is_binomial(n, k):
    r = check(sorted_counters(n, k))
    assert r.stats.states == comb(n + k, n)


def test_multi_word_states_are_distinct_and_complete():
    m = wide_chain(20, 15)  # 20 fields of 4 bits: 80 bits, two words
    assert Layout.of(m).words == 2
    r = check(m)
    assert r.stats.states == 20 * 15 + 1
    assert r.stats.depth == 20 * 15
    verdicts = {p.name: p for p in r.properties}
    assert verdicts["bounded"].verdict == "holds"
    assert verdicts["all_full"].verdict == "holds"
    assert verdicts["all_full"].trace.length == 300


def test_max_states_gives_unknown_never_holds():
    m = wide_chain(5, 3)
    r = check(m, [m.properties["bounded"]], Bounds(max_states=4))
    (p,) = r.properties
    assert p.verdict == "unknown"
    assert r.stats.states == 4
    assert "max-states" in p.explanation
    assert r.exit_code == 3


def test_max_depth_gives_unknown():
    m = wide_chain(5, 3)
    r = check(m, [m.properties["bounded"], m.properties["all_full"]], Bounds(max_depth=3))
    by = {p.name: p for p in r.properties}
    assert by["bounded"].verdict == "unknown"
    assert by["all_full"].verdict == "unknown"
    assert "depth 3" in by["bounded"].explanation
    assert r.stats.states == 4


def test_unreachable_reachable_property_is_violated_exhaustively():
    from hacheck.lang import Int, Map, Model

    m = Model("pair")
    C = m.sort("C", 2)
    x = m.var("x", Map(C, Int(0, 3)), init=0)

    @m.action(i=C)
    def inc(i):
        return x[i] < 2, {x[i]: x[i] + 1}

    m.reachable("sum_five", x[C[0]] + x[C[1]] == 5)
    m.reachable("sum_four", x[C[0]] + x[C[1]] == 4)
    r = check(m.freeze())
    by = {p.name: p for p in r.properties}
    assert by["sum_five"].verdict == "violated"
    assert "exhaustive" in by["sum_five"].explanation and "9 states" in by["sum_five"].explanation
    assert by["sum_four"].verdict == "holds" and by["sum_four"].trace.length == 4
