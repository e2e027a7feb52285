"""Where the explored states live: one contiguous array per column, reserved once, filled in BFS order.

The arrays are reserved as virtual memory (``MAP_NORESERVE``), so growing them never copies and
never holds two copies at once: the kernel backs only the pages that states occupy. When the
store would pass ``spill_bytes`` (``HACHECK_SPILL_BYTES``, default: half the machine's memory),
its arrays move to memory-mapped files under ``spill_dir`` (``HACHECK_SPILL_DIR``, default the
system's temporary folder): the kernel then writes cold levels to disk instead of the run
failing for lack of memory. The hash set of visited states stays in memory (4-8 bytes a slot).
"""

from __future__ import annotations

import bisect
import errno
import mmap
import os
import tempfile
from pathlib import Path

import numpy as np

from ..lang.errors import HacheckError

MAX_STATES = (1 << 31) - 2
RESERVE_ROWS = 1 << 28  # first reservation (virtual, not resident); doubled (one copy) when passed


def default_spill_bytes() -> int:
    env = os.environ.get("HACHECK_SPILL_BYTES")
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise HacheckError(f"HACHECK_SPILL_BYTES={env!r}: not a number of bytes") from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


class Column:
    """A growable array of ``(n, *tail)`` items backed by an anonymous or a file mapping."""

    def __init__(self, dtype: np.dtype | type, tail: tuple[int, ...] = (), rows: int = RESERVE_ROWS,
                 spill_dir: str | None = None):
        self.dtype = np.dtype(dtype)
        self.tail = tail
        self.item = self.dtype.itemsize * int(np.prod(tail, dtype=np.int64))
        self.spill_dir = spill_dir
        self.path: Path | None = None
        self._used_hint = 0
        self._map, self.data = self._reserve(max(1, rows), None)

    @property
    def spilled(self) -> bool:
        return self.path is not None

    @property
    def capacity(self) -> int:
        return len(self.data)

    def _reserve(self, rows: int, path: Path | None) -> tuple[mmap.mmap | None, np.ndarray]:
        nbytes = rows * self.item
        mm: mmap.mmap | None
        if path is not None:  # disk blocks are allocated up front: a full disk is an error here, not a SIGBUS later
            with open(path, "r+b") as f:
                f.truncate(nbytes)
                try:
                    os.posix_fallocate(f.fileno(), 0, nbytes)
                except OSError as e:
                    if e.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise HacheckError(f"no room left in {path.parent} for the stored states ({nbytes:,} bytes): "
                                           "free some, or point HACHECK_SPILL_DIR at a larger disk") from None
                    if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # file systems without fallocate
                        raise
                try:
                    mm = mmap.mmap(f.fileno(), nbytes, flags=mmap.MAP_SHARED)
                except OSError as e:
                    if e.errno == errno.ENOMEM:
                        raise MemoryError(str(e)) from None
                    raise
        else:
            flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_ANONYMOUS", 0x20) | getattr(mmap, "MAP_NORESERVE", 0)
            try:
                mm = mmap.mmap(-1, nbytes, flags=flags)
            except (OSError, ValueError, TypeError):  # no lazy reservation (strict overcommit): grow by copies
                return None, np.empty((min(rows, max(self._used_hint, 1 << 16)), *self.tail), dtype=self.dtype)
        arr = np.frombuffer(mm, dtype=self.dtype, count=rows * (self.item // self.dtype.itemsize))
        return mm, arr.reshape((rows, *self.tail))

    def ensure(self, rows: int, used: int) -> None:
        """Room for ``rows`` items; the first ``used`` are kept."""
        if rows <= self.capacity:
            return
        new = max(rows, 2 * self.capacity)
        self._used_hint = new
        if self.path is not None:  # a file mapping grows in place: the file gets longer
            old = self.data
            self._map, self.data = self._reserve(new, self.path)
            del old
            return
        mm, arr = self._reserve(new, None)
        arr[:used] = self.data[:used]
        self._map, self.data = mm, arr

    def spill(self, used: int) -> None:
        """Move to a file under ``spill_dir``: pages can then go to disk instead of failing."""
        if self.path is not None:
            return
        fd, name = tempfile.mkstemp(prefix="hacheck-states-", suffix=".bin", dir=self.spill_dir)
        os.close(fd)
        self.path = Path(name)
        mm, arr = self._reserve(max(2 * used, 1 << 16), self.path)  # files grow in place (no copy), so start small
        arr[:used] = self.data[:used]
        self._map, self.data = mm, arr

    def close(self) -> None:
        if self.path is not None:
            self.data = np.empty((0, *self.tail), dtype=self.dtype)
            self._map = None
            try:
                self.path.unlink()
            except OSError:
                pass
            self.path = None

    def __del__(self) -> None:  # the spill file goes with the store
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class StateStore:
    """All states in BFS order (by level) with parent index and the action instance that led there.

    ``rows[i]`` is state i (packed words), ``parent_of[i]`` the state it was first reached from
    (-1 for initial states) and ``action_of[i]`` the action instance that did it: a counterexample
    follows the parent links back, so it is a shortest one.
    """

    def __init__(self, words: int, reserve: int = RESERVE_ROWS, spill_bytes: int | None = None,
                 spill_dir: str | None = None, actions: int = 1 << 31):
        self.words = words
        self.spill_bytes = default_spill_bytes() if spill_bytes is None else spill_bytes
        spill_dir = spill_dir or os.environ.get("HACHECK_SPILL_DIR") or None
        if spill_dir is not None and not Path(spill_dir).is_dir():
            raise HacheckError(f"HACHECK_SPILL_DIR={spill_dir}: not a folder")
        self._rows = Column(np.uint64, (words,), reserve, spill_dir)
        self._parents = Column(np.int32, (), reserve, spill_dir)  # ids < 2**31 (checked in reserve)
        self._actions = Column(np.int16 if actions < (1 << 15) else np.int32, (), reserve, spill_dir)
        self.offsets: list[int] = [0]

    @property
    def columns(self) -> tuple[Column, ...]:
        return (self._rows, self._parents, self._actions)

    @property
    def spilled(self) -> bool:
        return self._rows.spilled

    @property
    def bytes_per_state(self) -> int:
        return sum(c.item for c in self.columns)

    def reserve(self, n: int) -> None:
        """Room for ``n`` more states (spilling to files first when they would pass the budget)."""
        want = self.count + n
        if want >= MAX_STATES:
            raise HacheckError(f"more than {MAX_STATES:,} states: the explicit engine numbers states with 32 bits; "
                               "lower the bounds (--param) or use --max-states")
        if not self.spilled and want * self.bytes_per_state > self.spill_bytes:
            for c in self.columns:
                c.spill(self.count)
        for c in self.columns:
            c.ensure(want, self.count)

    def add(self, rows: np.ndarray, parents: np.ndarray, actions: np.ndarray) -> int:
        """Append one level; returns the id of its first state."""
        base = self.count
        n = len(rows)
        self.reserve(n)
        self._rows.data[base:base + n] = rows
        self._parents.data[base:base + n] = parents
        self._actions.data[base:base + n] = actions
        self.offsets.append(base + n)
        return base

    def add_taken(self, rows: np.ndarray, parents: np.ndarray, actions: np.ndarray, order: np.ndarray) -> int:
        """Append ``rows[order]`` etc. as one level without a temporary copy of the level."""
        base = self.count
        n = len(order)
        if n == 0:  # no new level
            return base
        self.reserve(n)
        np.take(rows, order, axis=0, out=self._rows.data[base:base + n])
        np.take(parents, order, out=self._parents.data[base:base + n])
        np.take(actions, order, out=self._actions.data[base:base + n])
        self.offsets.append(base + n)
        return base

    @property
    def count(self) -> int:
        return self.offsets[-1]

    @property
    def all_rows(self) -> np.ndarray:
        """Every stored row (the exact keys the hash set compares against); a view."""
        return self._rows.data

    def level(self, k: int) -> np.ndarray:
        return self._rows.data[self.offsets[k]:self.offsets[k + 1]]

    @property
    def levels(self) -> list[np.ndarray]:
        return [self.level(k) for k in range(len(self.offsets) - 1)]

    @property
    def parents(self) -> list[np.ndarray]:
        return [self._parents.data[a:b] for a, b in zip(self.offsets, self.offsets[1:])]

    @property
    def actions(self) -> list[np.ndarray]:
        return [self._actions.data[a:b] for a, b in zip(self.offsets, self.offsets[1:])]

    def locate(self, gid: int) -> tuple[int, int]:
        lvl = bisect.bisect_right(self.offsets, gid) - 1
        return lvl, gid - self.offsets[lvl]

    def row(self, gid: int) -> np.ndarray:
        return self._rows.data[gid]

    def path(self, gid: int) -> list[tuple[int, int]]:
        """(state id, action instance that reached it or -1) from an initial state to gid."""
        out = []
        while gid >= 0:
            out.append((gid, int(self._actions.data[gid])))
            gid = int(self._parents.data[gid])
        return out[::-1]

    def nbytes(self) -> int:
        return self.count * self.bytes_per_state

    def close(self) -> None:
        for c in self.columns:
            c.close()
