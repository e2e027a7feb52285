"""Parametric toy models whose reachable state counts are known in closed form."""

from __future__ import annotations

from hacheck.lang import Int, Map, Model, forall


def flips(n: int) -> Model:
    """n independent bits, each may flip: 2**n states, n transitions per state, depth n
    (the benchmark's model, so the figures it prints are for a model whose counts are tested)."""
    from benchmarks.models import flips as bench_flips

    return bench_flips(n)


def counters(n: int, k: int) -> Model:
    """n counters counting up to k independently: (k+1)**n states, depth n*k."""
    m = Model(f"counters{n}x{k}")
    C = m.sort("C", n)
    x = m.var("x", Map(C, Int(0, k)), init=0)

    @m.action(i=C)
    def inc(i):
        return x[i] < k, {x[i]: x[i] + 1}

    return m.freeze()


def sorted_counters(n: int, k: int) -> Model:
    """n counters in 0..k kept non-increasing (x0 >= x1 >= ...): C(n+k, n) states."""
    m = Model(f"sorted{n}x{k}")
    C = m.sort("C", n)
    x = m.var("x", Map(C, Int(0, k)), init=0)
    elems = list(C)

    @m.action(i=C)
    def inc(i):
        guard = x[i] < k
        if i.index > 0:
            guard = guard & (x[i] < x[elems[i.index - 1]])
        return guard, {x[i]: x[i] + 1}

    return m.freeze()


def wide_chain(n: int, k: int) -> Model:
    """n counters of Int(0, k) (several 64-bit words) where counter i moves only once all
    counters before it are full: n*k + 1 states on a single path, depth n*k."""
    m = Model(f"chain{n}x{k}")
    C = m.sort("C", n)
    x = m.var("x", Map(C, Int(0, k)), init=0)
    elems = list(C)

    @m.action(i=C)
    def inc(i):
        before = forall(C, lambda j: x[j] == k if j.index < i.index else True)
        return before & (x[i] < k), {x[i]: x[i] + 1}

    m.invariant("bounded", forall(C, lambda j: x[j] <= k))
    m.reachable("all_full", forall(C, lambda j: x[j] == k))
    _ = elems
    return m.freeze()


def overflow(lo: int = 0, hi: int = 3) -> Model:
    """x counts up from lo with no guard: after hi - lo steps the update leaves Int(lo, hi), a model
    error every engine must report (the invariant ``small``, x <= hi, is true of every in-range state)."""
    m = Model("overflow")
    x = m.var("x", Int(lo, hi), init=lo)

    @m.action()
    def inc():
        return True, {x: x + 1}

    m.invariant("small", x <= hi)
    return m.freeze()
