"""The set of visited states: which successors of a BFS level are new, and in which order.

Contract (both implementations give identical results, so a run's states, ids, parent links and
traces do not depend on which one ran):

* ``add(succ, okey, parent, action)`` takes a chunk of successor rows with their *order key*
  ``okey = action instance * level size + position of the parent in the level``, unique per
  successor. A row already stored in an earlier level is old; any other row is a state of the
  next level, reached first by its successor of least ``okey``, whose parent and action it keeps.
  Returns, when asked, a reference per successor: its id (>= 0) if old, else ``-(t + 1)`` for a
  *tentative* number ``t`` of this level.
* ``close_level(store, limit)`` appends the level's new states to the store sorted by ``okey``
  (= the order in which a whole-level, action-by-action expansion meets them first: BFS order),
  keeping at most ``limit``; returns how many it kept, per tentative number the id it got
  (-1 if cut by the limit), and whether the limit cut any.

``HashVisited`` is an open-addressing hash set (linear probing, 64-bit hash of the packed words)
compiled to machine code with numba; its slots hold state ids, and every probe compares the full
packed row, so two states whose hashes collide are still told apart: the hash only picks the
slot. ``SortedVisited`` is the pure-numpy fallback (sorted keys, merged once per level), used
when numba is missing or for small searches, where compiling would cost more than it saves.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from .pack import Layout
from .store import StateStore

MAX_LOAD = 0.5  # the table doubles when it would be fuller than this
HASH_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


class Visited(Protocol):
    def add(self, succ: np.ndarray, okey: np.ndarray, parent: np.ndarray, action: np.ndarray,
            refs: bool = False) -> np.ndarray | None: ...

    def close_level(self, store: StateStore, limit: int | None) -> tuple[int, np.ndarray | None, bool]: ...

    def drop_level(self) -> None: ...


# -- the compiled hash set ---------------------------------------------------------------------

_KERNELS: dict[str, object] | None = None
_NUMBA_ERROR = ""


def numba_available() -> bool:
    return _kernels() is not None


def numba_error() -> str:
    _kernels()
    return _NUMBA_ERROR


def _kernels() -> dict[str, object] | None:
    """The numba functions, compiled on first use (cached on disk by numba); None without numba."""
    global _KERNELS, _NUMBA_ERROR
    if _KERNELS is not None or _NUMBA_ERROR:
        return _KERNELS
    if os.environ.get("HACHECK_NO_NUMBA"):
        _NUMBA_ERROR = "HACHECK_NO_NUMBA is set"
        return None
    try:
        from . import _hashset_numba as k

        k.warm()
        _KERNELS = {"insert": k.insert_chunk, "finish": k.finish_level, "rehash": k.rehash, "build": k.build,
                    "hash": k.hash_rows}
    except Exception as e:  # noqa: BLE001 - no numba, or it cannot compile here: the numpy fallback
        _NUMBA_ERROR = f"{type(e).__name__}: {e}"
        _KERNELS = None
    return _KERNELS


class _Grow:
    """A level buffer: numpy arrays grown by doubling (one level's new states)."""

    def __init__(self, words: int):
        self.rows = np.empty((1024, words), dtype=np.uint64)
        self.okey = np.empty(1024, dtype=np.int64)
        self.parent = np.empty(1024, dtype=np.int64)
        self.action = np.empty(1024, dtype=np.int32)

    def ensure(self, n: int, used: int) -> None:
        if n <= len(self.okey):
            return
        cap = max(n, 2 * len(self.okey))
        for name in ("rows", "okey", "parent", "action"):
            old = getattr(self, name)
            new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
            new[:used] = old[:used]
            setattr(self, name, new)


class HashVisited:
    """Open addressing over state ids: slot value 0 is empty, ``id + 1`` a stored state, ``-(t + 1)``
    the tentative state ``t`` of the level being built (its row is in the level buffer)."""

    def __init__(self, store: StateStore, hash_mask: int = 0xFFFFFFFFFFFFFFFF, capacity: int = 1 << 16):
        k = _kernels()
        if k is None:
            raise RuntimeError(f"numba is not usable: {_NUMBA_ERROR}")
        self.k = k
        self.store = store
        self.hash_mask = np.uint64(hash_mask)  # tests narrow the hash to force collisions
        cap = 1 << max(4, (max(capacity, 2 * store.count) - 1).bit_length())
        self.table = np.zeros(cap, dtype=np.int32 if cap < (1 << 30) else np.int64)
        self.buf = _Grow(store.words)
        self.nt = 0
        self.size = 0  # states in the table (stored + tentative)
        if store.count:
            self._ensure(store.count)
            k["build"](self.table, self.hash_mask, store.all_rows, 0, store.count)  # type: ignore[operator]
            self.size = store.count

    def _ensure(self, extra: int) -> None:
        need = self.size + extra
        if need <= MAX_LOAD * len(self.table):
            return
        cap = len(self.table)
        while need > MAX_LOAD * cap:
            cap *= 2
        dtype = np.int32 if cap < (1 << 30) and self.store.count + need < (1 << 31) - 2 else np.int64
        new = np.zeros(cap, dtype=dtype)
        self.k["rehash"](self.table, new, self.hash_mask, self.store.all_rows, self.buf.rows)  # type: ignore[operator]
        self.table = new

    def add(self, succ: np.ndarray, okey: np.ndarray, parent: np.ndarray, action: np.ndarray,
            refs: bool = False) -> np.ndarray | None:
        n = len(succ)
        self._ensure(n)
        self.buf.ensure(self.nt + n, self.nt)
        out = np.empty(n, dtype=np.int64)
        nt = self.k["insert"](self.table, self.hash_mask, self.store.all_rows, self.buf.rows, self.buf.okey,  # type: ignore[operator]
                              self.buf.parent, self.buf.action, self.nt, np.ascontiguousarray(succ), okey,
                              parent, action, out)
        self.size += nt - self.nt
        self.nt = nt
        return out if refs else None

    def close_level(self, store: StateStore, limit: int | None) -> tuple[int, np.ndarray | None, bool]:
        nt = self.nt
        order = np.argsort(self.buf.okey[:nt], kind="stable")
        keep = nt if limit is None else max(0, min(nt, limit))
        base = store.count
        store.add_taken(self.buf.rows, self.buf.parent, self.buf.action, order[:keep])
        final = np.full(nt, -1, dtype=np.int64)
        final[order[:keep]] = np.arange(base, base + keep, dtype=np.int64)
        self.k["finish"](self.table, self.hash_mask, self.buf.rows, nt, final)  # type: ignore[operator]
        self.size -= nt - keep  # cut states stay in the table as tentative: the search stops there
        self.nt = 0
        return keep, final, keep < nt

    def drop_level(self) -> None:
        self.nt = 0

    @property
    def nbytes(self) -> int:
        return self.table.nbytes


# -- the numpy fallback ------------------------------------------------------------------------

class SortedVisited:
    """Sorted keys of the stored states (numpy ``void`` of the packed words) with their ids; the
    level's candidates are collected per chunk and merged into the sorted keys once per level."""

    def __init__(self, store: StateStore, layout: Layout):
        self.layout = layout
        n = store.count
        keys = layout.keys(store.all_rows[:n])
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.ids = order.astype(np.int64)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.nt = 0

    def add(self, succ: np.ndarray, okey: np.ndarray, parent: np.ndarray, action: np.ndarray,
            refs: bool = False) -> np.ndarray | None:
        skeys = self.layout.keys(succ)
        pos = np.searchsorted(self.keys, skeys)
        inside = pos < len(self.keys)
        old = np.zeros(len(skeys), dtype=bool)
        old[inside] = self.keys[pos[inside]] == skeys[inside]
        new = np.flatnonzero(~old)
        out = None
        if refs:  # tentative numbers here count candidate successors, not distinct states
            out = np.empty(len(succ), dtype=np.int64)
            out[old] = self.ids[pos[old]]
            out[new] = -(self.nt + np.arange(len(new), dtype=np.int64) + 1)
        if len(new):
            self.parts.append((succ[new], okey[new], parent[new], action[new]))
            self.nt += len(new)
        return out

    def close_level(self, store: StateStore, limit: int | None) -> tuple[int, np.ndarray | None, bool]:
        if not self.parts:
            return 0, np.zeros(0, dtype=np.int64), False
        rows, okey, parent, action = (np.concatenate([p[i] for p in self.parts]) for i in range(4))
        self.parts = []
        by_okey = np.argsort(okey, kind="stable")
        keys = self.layout.keys(rows)
        _uk, first, inv = np.unique(keys[by_okey], return_index=True, return_inverse=True)
        firsts = by_okey[first]  # per distinct row: its candidate of least okey
        rank = np.argsort(okey[firsts], kind="stable")  # distinct rows in okey order
        keep = len(rank) if limit is None else max(0, min(len(rank), limit))
        base = store.count
        chosen = firsts[rank[:keep]]
        store.add_taken(rows, parent, action, chosen)
        id_of_distinct = np.full(len(firsts), -1, dtype=np.int64)
        id_of_distinct[rank[:keep]] = np.arange(base, base + keep, dtype=np.int64)
        final = np.empty(len(rows), dtype=np.int64)
        final[by_okey] = id_of_distinct[inv.reshape(-1)]
        new_keys = keys[chosen]
        order = np.argsort(new_keys, kind="stable")
        at = np.searchsorted(self.keys, new_keys[order])
        self.keys = np.insert(self.keys, at, new_keys[order])
        self.ids = np.insert(self.ids, at, np.arange(base, base + keep, dtype=np.int64)[order])
        self.nt = 0
        return keep, final, keep < len(rank)

    def drop_level(self) -> None:
        self.parts = []
        self.nt = 0

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.ids.nbytes


def make_visited(store: StateStore, layout: Layout, kind: str = "auto") -> HashVisited | SortedVisited:
    """``kind``: "hash" (numba), "sorted" (numpy) or "auto" (hash when numba works)."""
    if kind == "sorted" or (kind == "auto" and not numba_available()):
        return SortedVisited(store, layout)
    return HashVisited(store)


def visited_kind() -> str:
    """``HACHECK_VISITED``: hash, sorted or auto (the default)."""
    kind = os.environ.get("HACHECK_VISITED", "auto").strip().lower() or "auto"
    if kind not in ("auto", "hash", "sorted"):
        from ..lang.errors import HacheckError

        raise HacheckError(f"HACHECK_VISITED={kind!r}: expected hash, sorted or auto")
    return kind
