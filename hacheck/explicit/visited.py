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


def kernels_loaded() -> bool:
    """The kernels are in this process already (the hash set then costs nothing to start)."""
    return _KERNELS is not None


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
        _KERNELS = {"insert": k.insert_chunk, "finish": k.finish_level, "rehash": k.rehash, "rebuild": k.rebuild, "build": k.build,
                    "hash": k.hash_rows, "count_parts": k.count_parts}
    except Exception as e:  # noqa: BLE001 - no numba, or it cannot compile here: the numpy fallback
        _NUMBA_ERROR = f"{type(e).__name__}: {e}"
        _KERNELS = None
    return _KERNELS


def warm_kernels() -> None:
    """Load every kernel now (numba loads each from its cache on first call, ~0.1 s apiece), so
    that a search that needs them does not pay for it mid-way."""
    k = _kernels()
    if k is None:
        return
    from . import _hashset_numba as hn

    hn.warm_all()


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


class _Part:
    """One partition of the hash set: its table and the level's tentative states it owns."""

    def __init__(self, words: int, cap: int):
        self.table = np.zeros(cap, dtype=np.int32)
        self.buf = _Grow(words)
        self.nt = 0
        self.size = 0  # states in the table (stored + tentative)


class HashVisited:
    """Open addressing over state ids: slot value 0 is empty, ``id + 1`` a stored state, ``-(t + 1)``
    the tentative state ``t`` of the level being built (its row is in the level buffer).

    With ``parts`` > 1 the hash space is split by the hash's high bits: partition p owns the
    states whose hash falls in it, with its own table and level buffer, so the partitions are
    filled by ``parts`` threads at once (the kernels release the GIL); the level is merged by
    ``okey`` at its end, so the result does not depend on ``parts``."""

    def __init__(self, store: StateStore, hash_mask: int = 0xFFFFFFFFFFFFFFFF, capacity: int = 1 << 16,
                 parts: int = 1, pool: object = None):
        k = _kernels()
        if k is None:
            raise RuntimeError(f"numba is not usable: {_NUMBA_ERROR}")
        self.k = k
        self.store = store
        self.hash_mask = np.uint64(hash_mask)  # tests narrow the hash to force collisions
        self.nparts = max(1, parts)
        self.pool = pool
        per = max(capacity, 2 * store.count) // self.nparts
        cap = 1 << max(4, (max(per, 1) - 1).bit_length())
        self.parts = [_Part(store.words, cap) for _ in range(self.nparts)]
        self.cut = False  # a level was cut by a limit (its cut states stay in the table as tentative)
        if store.count:
            hashes = k["hash"](store.all_rows[:store.count], self.hash_mask)  # type: ignore[operator]
            counts = k["count_parts"](hashes, self.nparts) if self.nparts > 1 else [store.count]  # type: ignore[operator]
            for i, part in enumerate(self.parts):
                self._ensure(part, int(counts[i]))
                k["build"](part.table, self.hash_mask, store.all_rows, 0, store.count, i, self.nparts)  # type: ignore[operator]
                part.size = int(counts[i])

    @property
    def nt(self) -> int:
        return sum(p.nt for p in self.parts)

    @property
    def nbytes(self) -> int:
        return sum(p.table.nbytes for p in self.parts)

    def _ensure(self, part: _Part, extra: int) -> None:
        need = part.size + extra
        if need <= MAX_LOAD * len(part.table):
            return
        cap = len(part.table)
        while need > MAX_LOAD * cap:
            cap *= 2
        dtype = np.int32 if cap < (1 << 30) and self.store.count + need < (1 << 31) - 2 else np.int64
        new = np.zeros(cap, dtype=dtype)
        if part.size == 0:  # nothing to move (a new set: the caller fills it)
            pass
        elif not self.cut:  # every entry is a stored state or one of this level's: rebuilt from the rows, read in order
            self.k["rebuild"](new, self.hash_mask, self.store.all_rows, self.store.count, part.buf.rows, part.nt,  # type: ignore[operator]
                              self.parts.index(part), self.nparts)
        else:
            self.k["rehash"](part.table, new, self.hash_mask, self.store.all_rows, part.buf.rows)  # type: ignore[operator]
        part.table = new

    def add(self, succ: np.ndarray, okey: np.ndarray, parent: np.ndarray, action: np.ndarray,
            refs: bool = False) -> np.ndarray | None:
        n = len(succ)
        succ = np.ascontiguousarray(succ)
        hashes = self.k["hash"](succ, self.hash_mask)  # type: ignore[operator]
        counts = self.k["count_parts"](hashes, self.nparts) if self.nparts > 1 else [n]  # type: ignore[operator]
        out = np.empty(n, dtype=np.int64)
        srows = self.store.all_rows

        def one(i: int) -> None:
            part = self.parts[i]
            m = int(counts[i])
            self._ensure(part, m)
            part.buf.ensure(part.nt + m, part.nt)
            nt = self.k["insert"](part.table, srows, part.buf.rows, part.buf.okey, part.buf.parent,  # type: ignore[operator]
                                  part.buf.action, part.nt, succ, hashes, okey, parent, action, out, i, self.nparts)
            part.size += nt - part.nt
            part.nt = nt

        if self.nparts == 1 or self.pool is None:
            for i in range(self.nparts):
                one(i)
        else:  # partition 0 here, the others in the pool's threads
            futures = [self.pool.submit(one, i) for i in range(1, self.nparts)]  # type: ignore[attr-defined]
            one(0)
            for f in futures:
                f.result()
        return out if refs else None

    def close_level(self, store: StateStore, limit: int | None) -> tuple[int, np.ndarray | None, bool]:
        P = self.nparts
        nts = [p.nt for p in self.parts]
        total = sum(nts)
        if P == 1:
            b = self.parts[0].buf
            rows, okey, parent, action = b.rows, b.okey[:total], b.parent, b.action
        else:
            rows = np.concatenate([p.buf.rows[:p.nt] for p in self.parts])
            okey = np.concatenate([p.buf.okey[:p.nt] for p in self.parts])
            parent = np.concatenate([p.buf.parent[:p.nt] for p in self.parts])
            action = np.concatenate([p.buf.action[:p.nt] for p in self.parts])
        order = np.argsort(okey, kind="stable")
        keep = total if limit is None else max(0, min(total, limit))
        base = store.count
        store.add_taken(rows, parent, action, order[:keep])
        final_cat = np.full(total, -1, dtype=np.int64)
        final_cat[order[:keep]] = np.arange(base, base + keep, dtype=np.int64)
        final = np.full(max(nts, default=0) * P, -1, dtype=np.int64)  # by ref number t * P + p
        at = 0
        mines = []
        for i, part in enumerate(self.parts):
            mine = final_cat[at:at + part.nt]
            at += part.nt
            final[i::P][:part.nt] = mine
            mines.append(mine)

        def finish(i: int) -> None:
            part = self.parts[i]
            self.k["finish"](part.table, self.hash_mask, part.buf.rows, part.nt, mines[i])  # type: ignore[operator]

        if P == 1 or self.pool is None:
            for i in range(P):
                finish(i)
        else:  # the partitions' slots are rewritten side by side (the kernel releases the GIL)
            futures = [self.pool.submit(finish, i) for i in range(1, P)]  # type: ignore[attr-defined]
            finish(0)
            for f in futures:
                f.result()
        for part, mine in zip(self.parts, mines):
            part.size -= int(np.sum(mine < 0))  # cut states stay in the table as tentative: the search stops there
            part.nt = 0
        self.cut = self.cut or keep < total
        return keep, final, keep < total

    def drop_level(self) -> None:
        for p in self.parts:
            p.nt = 0


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


def make_visited(store: StateStore, layout: Layout, kind: str = "auto", parts: int = 1,
                 pool: object = None) -> HashVisited | SortedVisited:
    """``kind``: "hash" (numba), "sorted" (numpy) or "auto" (hash when numba works)."""
    if kind == "sorted" or (kind == "auto" and not numba_available()):
        return SortedVisited(store, layout)
    if not numba_available():
        from ..lang.errors import HacheckError

        raise HacheckError(f"HACHECK_VISITED=hash: numba is not usable here ({_NUMBA_ERROR}); use auto or sorted")
    return HashVisited(store, parts=parts, pool=pool)


def visited_kind() -> str:
    """``HACHECK_VISITED``: hash, sorted or auto (the default)."""
    kind = os.environ.get("HACHECK_VISITED", "auto").strip().lower() or "auto"
    if kind not in ("auto", "hash", "sorted"):
        from ..lang.errors import HacheckError

        raise HacheckError(f"HACHECK_VISITED={kind!r}: expected hash, sorted or auto")
    return kind
