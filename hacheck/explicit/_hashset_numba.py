"""Machine-code kernels of the visited-state hash set (hacheck/explicit/visited.py); needs numba.

Slots hold int32 (or int64) values: 0 empty, ``id + 1`` a stored state (row in ``srows``),
``-(t + 1)`` a tentative state of the level being built (row in ``brows``). Linear probing from
``hash & (size - 1)``; a probe matches only when all words of the two rows are equal.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLD = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)


@njit(inline="always", cache=True)
def _hash(rows, i, hmask):
    """splitmix64's finaliser folded over the words: a 64-bit fingerprint of row i."""
    h = _GOLD
    for w in range(rows.shape[1]):
        x = h ^ rows[i, w]
        x = (x ^ (x >> _S30)) * _M1
        x = (x ^ (x >> _S27)) * _M2
        h = (x ^ (x >> _S31)) + _GOLD
    return h & hmask


@njit(inline="always", cache=True)
def _same(a, i, b, j):
    for w in range(a.shape[1]):
        if a[i, w] != b[j, w]:
            return False
    return True


@njit(nogil=True, cache=True)
def hash_rows(rows, hmask):
    out = np.empty(rows.shape[0], dtype=np.uint64)
    for i in range(rows.shape[0]):
        out[i] = _hash(rows, i, hmask)
    return out


@njit(inline="always", cache=True)
def _part(h, nparts):
    """The partition owning hash h: from its high bits (the slot comes from the low ones)."""
    return np.int64((h >> np.uint64(40)) % np.uint64(nparts))


GROUP = 16  # successors whose slots and rows are loaded together, so that their cache misses overlap


@njit(nogil=True, cache=True)
def insert_chunk(table, srows, brows, bokey, bparent, baction, nt, succ, hashes, okey, parent, action, refs,
                 part, nparts):
    """Look up / insert the successors of partition ``part``; returns its new count of tentative
    states. A tentative state t of this partition is referred to as ``-(t * nparts + part + 1)``.

    Memory latency dominates (a random slot, then a random stored row per successor), so each
    group of GROUP successors first touches its slots and rows (independent loads the CPU
    overlaps), then is processed one by one, in order, from the cache."""
    mask = np.uint64(table.shape[0] - 1)
    n = succ.shape[0]
    slots = np.empty(GROUP, dtype=np.int64)
    touch = np.uint64(0)
    for g in range(0, n, GROUP):
        e = min(n, g + GROUP)
        for i in range(g, e):
            h = hashes[i]
            if nparts > 1 and _part(h, nparts) != part:
                slots[i - g] = -1
                continue
            s = np.int64(h & mask)
            slots[i - g] = s
            v = np.int64(table[s])
            if v > 0:
                touch += srows[v - 1, 0]
            elif v < 0:
                touch += brows[-v - 1, 0]
        for i in range(g, e):
            s = slots[i - g]
            if s < 0:
                continue
            while True:
                v = np.int64(table[s])
                if v == 0:
                    for w in range(succ.shape[1]):
                        brows[nt, w] = succ[i, w]
                    bokey[nt] = okey[i]
                    bparent[nt] = parent[i]
                    baction[nt] = action[i]
                    table[s] = -(nt + 1)
                    refs[i] = -(nt * nparts + part + 1)
                    nt += 1
                    break
                if v > 0:
                    if _same(srows, v - 1, succ, i):
                        refs[i] = v - 1
                        break
                else:
                    t = -v - 1
                    if _same(brows, t, succ, i):
                        if okey[i] < bokey[t]:  # reached earlier in BFS order: that parent is kept
                            bokey[t] = okey[i]
                            bparent[t] = parent[i]
                            baction[t] = action[i]
                        refs[i] = -(t * nparts + part + 1)
                        break
                s = np.int64((np.uint64(s) + np.uint64(1)) & mask)
    if touch == np.uint64(1):  # keeps the touching loads (never true in practice, harmless if so)
        refs[0] = refs[0]
    return nt


@njit(nogil=True, cache=True)
def finish_level(table, hmask, brows, nt, final):
    """Tentative state t becomes stored state final[t] (left tentative when final[t] < 0)."""
    mask = np.uint64(table.shape[0] - 1)
    for t in range(nt):
        if final[t] < 0:
            continue
        s = np.int64(_hash(brows, t, hmask) & mask)
        while np.int64(table[s]) != -(t + 1):
            s = np.int64((np.uint64(s) + np.uint64(1)) & mask)
        table[s] = final[t] + 1


@njit(nogil=True, cache=True)
def rehash(old, new, hmask, srows, brows):
    mask = np.uint64(new.shape[0] - 1)
    for k in range(old.shape[0]):
        v = np.int64(old[k])
        if v == 0:
            continue
        if v > 0:
            h = _hash(srows, v - 1, hmask)
        else:
            h = _hash(brows, -v - 1, hmask)
        s = np.int64(h & mask)
        while new[s] != 0:
            s = np.int64((np.uint64(s) + np.uint64(1)) & mask)
        new[s] = v


@njit(nogil=True, cache=True)
def rebuild(new, hmask, srows, count, brows, nt, part, nparts):
    """Fill an empty, larger table with the stored states 0..count-1 of partition ``part`` and the
    level's tentative states 0..nt-1 (all of this partition): what ``rehash`` gives, but reading
    the rows in order instead of at random, one cache miss per entry instead of two."""
    mask = np.uint64(new.shape[0] - 1)
    for i in range(count):
        h = _hash(srows, i, hmask)
        if nparts > 1 and _part(h, nparts) != part:
            continue
        s = np.int64(h & mask)
        while new[s] != 0:
            s = np.int64((np.uint64(s) + np.uint64(1)) & mask)
        new[s] = i + 1
    for t in range(nt):
        s = np.int64(_hash(brows, t, hmask) & mask)
        while new[s] != 0:
            s = np.int64((np.uint64(s) + np.uint64(1)) & mask)
        new[s] = -(t + 1)


@njit(nogil=True, cache=True)
def build(table, hmask, srows, start, end, part, nparts):
    """Insert the stored states start..end-1 (all distinct) of partition ``part`` into an empty table."""
    mask = np.uint64(table.shape[0] - 1)
    for i in range(start, end):
        h = _hash(srows, i, hmask)
        if nparts > 1 and _part(h, nparts) != part:
            continue
        s = np.int64(h & mask)
        while table[s] != 0:
            s = np.int64((np.uint64(s) + np.uint64(1)) & mask)
        table[s] = i + 1


@njit(nogil=True, cache=True)
def count_parts(hashes, nparts):
    out = np.zeros(nparts, dtype=np.int64)
    for i in range(hashes.shape[0]):
        out[_part(hashes[i], nparts)] += 1
    return out


def warm() -> None:
    """Compile (or load from numba's cache) for the int32 table, so failures show up here."""
    rows = np.zeros((1, 1), dtype=np.uint64)
    table = np.zeros(16, dtype=np.int32)
    hm = np.uint64(0xFFFFFFFFFFFFFFFF)
    b = np.zeros((4, 1), dtype=np.uint64)
    h = hash_rows(rows, hm)
    insert_chunk(table, rows, b, np.zeros(4, np.int64), np.zeros(4, np.int64), np.zeros(4, np.int32), 0,
                 rows, h, np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int32), np.zeros(1, np.int64),
                 0, 1)
    count_parts(h, 2)


def warm_all() -> None:
    """Every kernel with the argument types a search uses (int32 and int64 tables)."""
    warm()
    hm = np.uint64(0xFFFFFFFFFFFFFFFF)
    rows = np.zeros((1, 1), dtype=np.uint64)
    for dt in (np.int32, np.int64):
        t = np.zeros(16, dtype=dt)
        build(t, hm, rows, 0, 1, 0, 1)
        new = np.zeros(32, dtype=dt)
        rehash(t, new, hm, rows, rows)
        rebuild(np.zeros(32, dtype=dt), hm, rows, 1, rows, 0, 0, 1)
        finish_level(new, hm, rows, 0, np.zeros(0, dtype=np.int64))
    b = np.zeros((4, 1), dtype=np.uint64)
    t64 = np.zeros(16, dtype=np.int64)
    insert_chunk(t64, rows, b, np.zeros(4, np.int64), np.zeros(4, np.int64), np.zeros(4, np.int32), 0,
                 rows, hash_rows(rows, hm), np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int32),
                 np.zeros(1, np.int64), 0, 1)
