"""Symmetry reduction: store one canonical representative per permutation class of states.

A sort declared ``symmetric=True`` promises that the model treats its elements interchangeably.
Permuting such a sort moves map entries keyed by it and renames element values of it. The
canonical form of a state is the lexicographically least packed row over the whole group, which
is the same for every member of an orbit. The promise is *proved* before it is used: a quick
look at a batch of random states (successors must commute with the generators, and so must the
initial states and every property), then a z3 proof of the same for every state
(``symbolic/symmetry.py``); a model that breaks it is a model error, never a silent wrong verdict.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

import numpy as np

from ..lang.errors import ModelError
from ..lang.model import Model
from ..lang.props import Property
from ..lang.sorts import Sort
from ..lang.types import ElemT
from .compile import Compiled, RangeViolation

MAX_GROUP = 5040  # 7! : beyond this the canonicalisation costs more than it saves


class Permutation:
    """One group element, as a field mapping plus per-field value tables."""

    def __init__(self, model: Model, perms: dict[Sort, tuple[int, ...]]):
        self.perms = perms
        by_path = {(f.var, f.path): f.index for f in model.fields}
        self.target: list[int] = []
        self.tables: list[np.ndarray | None] = []
        for f in model.fields:
            path = tuple(
                s.elements[perms[s][s.element(e).index]].name if s in perms else e
                for e, s in zip(f.path, f.key_sorts)
            )
            self.target.append(by_path[(f.var, path)])
            t = f.type
            if isinstance(t, ElemT) and t.sort in perms:
                table = np.arange(t.size(), dtype=np.uint64)
                table[: len(t.sort)] = np.array(perms[t.sort], dtype=np.uint64)
                self.tables.append(table)
            else:
                self.tables.append(None)

    def describe(self) -> str:
        parts = []
        for s, p in self.perms.items():
            moved = [f"{s.elements[i].name}->{s.elements[j].name}" for i, j in enumerate(p) if i != j]
            if moved:
                parts.append(", ".join(moved))
        return "; ".join(parts) or "identity"


class Symmetry:
    def __init__(self, compiled: Compiled, sorts: Sequence[Sort]):
        self.compiled = compiled
        self.model = compiled.model
        self.layout = compiled.layout
        self.sorts = list(sorts)
        size = math.prod(math.factorial(len(s)) for s in self.sorts)
        if size > MAX_GROUP:
            raise ModelError(f"symmetry group of {', '.join(s.name for s in self.sorts)} has {size} elements; "
                             f"more than {MAX_GROUP} is not supported (use --no-symmetry)", location="")
        self.group_size = size
        per_sort = [list(itertools.permutations(range(len(s)))) for s in self.sorts]
        self.elements = [
            Permutation(self.model, dict(zip(self.sorts, combo)))
            for combo in itertools.product(*per_sort)
            if any(p != tuple(range(len(p))) for p in combo)
        ]
        self.generators = [
            Permutation(self.model, {s: _swap(len(s), i)}) for s in self.sorts for i in range(len(s) - 1)
        ]

    @classmethod
    def of(cls, compiled: Compiled) -> "Symmetry | None":
        sorts = [s for s in compiled.model.sorts.values() if s.symmetric and len(s) > 1]
        return cls(compiled, sorts) if sorts else None

    def describe(self) -> str:
        return " x ".join(f"{s.name} ({len(s)}!)" for s in self.sorts) + f" = {self.group_size} permutations"

    # -- applying permutations to packed rows --------------------------------------------------
    def codes(self, rows: np.ndarray) -> list[np.ndarray]:
        return [(rows[:, s.word] >> np.uint64(s.shift)) & np.uint64(s.mask) for s in self.layout.slots]

    def apply(self, perm: Permutation, codes: list[np.ndarray], n: int) -> np.ndarray:
        out = np.zeros((n, self.layout.words), dtype=np.uint64)
        for f, c in enumerate(codes):
            table = perm.tables[f]
            v = table[c] if table is not None else c
            slot = self.layout.slots[perm.target[f]]
            out[:, slot.word] |= v << np.uint64(slot.shift)
        return out

    def canonical(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return rows
        codes = self.codes(rows)
        best = rows.copy()
        for perm in self.elements:
            cand = self.apply(perm, codes, len(rows))
            less = _lex_less(cand, best)
            best[less] = cand[less]
        return best

    # -- checking the promise ------------------------------------------------------------------
    def validate(self, properties: Sequence[Property], samples: int = 512, seed: int = 0) -> str:
        """Random states first (a quick pre-check with a concrete state in its message), then the
        proof for every state by z3 (``symbolic/symmetry.py``): a promise is used only once proved.
        A proof of this very model instance by this very hacheck is kept in the start-up cache
        (``explicit/codecache.py``), so a second run neither samples nor loads z3. Returns the
        cache status: ``hit`` (proved before), ``miss``, ``corrupt`` or ``off`` (proved now)."""
        from . import codecache

        key = codecache.proof_key(self.model, self.sorts, properties) if codecache.PROOFS.folder() is not None else None
        status = codecache.proof_status(key)
        if status == "hit":
            return status
        self.sample(properties, samples, seed)
        from ..symbolic.symmetry import prove_symmetry

        prove_symmetry(self.model, self.sorts, properties)
        codecache.store_proof(key)
        return status

    def sample(self, properties: Sequence[Property], samples: int = 512, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        c = self.compiled
        codes = np.stack([rng.integers(0, f.type.size(), size=samples) for f in self.model.fields], axis=1)
        rows = self._drop_range_errors(c.layout.pack_many(codes.tolist()))
        init = c.layout.pack_many(self.model.init_states())
        init_keys = set(map(bytes, self.layout.keys(init)))
        for g in self.generators:
            moved = self.apply(g, self.codes(init), len(init))
            for k, row in zip(self.layout.keys(moved), moved):
                if bytes(k) not in init_keys:
                    raise self._broken(g, "the initial states are not closed under it", row)
            prow = self.apply(g, self.codes(rows), len(rows))
            cols, pcols = c.unpack(rows), c.unpack(prow)
            try:
                self._successor_set(prow, pcols, None)
            except RangeViolation as rv:
                raise self._broken(g, "an action leaves a range in one state but not in its image", rows[rv.row]) from None
            for p in properties:
                names = [p.name] + ([p.name + "#target"] if p.target is not None else [])
                for name in names:
                    a, b = c.mask(name, cols, len(rows)), c.mask(name, pcols, len(rows))
                    if not np.array_equal(a, b):
                        i = int(np.argmax(a != b))
                        raise self._broken(g, f"property {p.name} does not treat them alike", rows[i])
            want = self._successor_set(rows, cols, g)
            got = self._successor_set(prow, pcols, None)
            if want != got:
                diff = next(iter(want ^ got))
                raise self._broken(g, "the actions do not treat them alike", rows[diff[0]])

    def _drop_range_errors(self, rows: np.ndarray) -> np.ndarray:
        """Random states may drive an update out of range; keep only those where none does."""
        for _ in range(len(rows)):
            try:
                self._successor_set(rows, self.compiled.unpack(rows), None)
                return rows
            except RangeViolation as rv:
                rows = np.delete(rows, rv.row, axis=0)
        return rows

    def _successor_set(self, rows: np.ndarray, cols: list[np.ndarray], perm: Permutation | None) -> set[tuple[int, bytes]]:
        out: set[tuple[int, bytes]] = set()
        for fn in self.compiled.actions:
            r = fn(cols, rows, len(rows))
            if r is None:
                continue
            idx, succ = r
            if perm is not None:
                succ = self.apply(perm, self.codes(succ), len(succ))
            for i, k in zip(idx, self.layout.keys(succ)):
                out.add((int(i), bytes(k)))
        return out

    def _broken(self, g: Permutation, why: str, row: np.ndarray) -> ModelError:
        state = self.model.decode(self.layout.unpack([int(w) for w in row]))
        shown = ", ".join(f"{k}={v}" for k, v in list(state.items())[:8])
        return ModelError(
            f"model {self.model.name} declares {', '.join(s.name for s in self.sorts)} symmetric, but under the "
            f"permutation {g.describe()} {why} (e.g. in state {shown}); remove symmetric=True or run with --no-symmetry",
            location="",
        )


def _swap(n: int, i: int) -> tuple[int, ...]:
    p = list(range(n))
    p[i], p[i + 1] = p[i + 1], p[i]
    return tuple(p)


def _lex_less(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise a < b, comparing words in order (consistent with any fixed total order)."""
    less = np.zeros(len(a), dtype=bool)
    eq = np.ones(len(a), dtype=bool)
    for w in range(a.shape[1]):
        less |= eq & (a[:, w] < b[:, w])
        eq &= a[:, w] == b[:, w]
    return less
