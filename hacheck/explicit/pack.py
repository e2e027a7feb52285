"""Bit layout of a state: each scalar field gets ceil(log2(size)) bits inside one 64-bit word."""

from __future__ import annotations

from typing import Sequence

import attrs
import numpy as np

from ..lang.model import Model


@attrs.frozen
class Slot:
    word: int
    shift: int
    bits: int

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1


@attrs.frozen
class Layout:
    slots: tuple[Slot, ...]
    words: int

    @classmethod
    def of(cls, model: Model) -> "Layout":
        slots, used = [], [0]
        for f in model.fields:
            bits = max(1, (f.type.size() - 1).bit_length())
            for w, u in enumerate(used):  # first fit keeps related fields together
                if u + bits <= 64:
                    break
            else:
                used.append(0)
                w = len(used) - 1
            slots.append(Slot(w, used[w], bits))
            used[w] += bits
        return cls(tuple(slots), len(used))

    @property
    def bits(self) -> int:
        return sum(s.bits for s in self.slots)

    def pack(self, codes: Sequence[int]) -> list[int]:
        words = [0] * self.words
        for s, c in zip(self.slots, codes):
            words[s.word] |= int(c) << s.shift
        return words

    def unpack(self, words: Sequence[int]) -> tuple[int, ...]:
        return tuple((int(words[s.word]) >> s.shift) & s.mask for s in self.slots)

    def pack_many(self, states: Sequence[Sequence[int]]) -> np.ndarray:
        arr = np.zeros((len(states), self.words), dtype=np.uint64)
        for i, st in enumerate(states):
            arr[i] = self.pack(st)
        return arr

    def key_dtype(self) -> np.dtype:
        return np.dtype((np.void, 8 * self.words))

    def keys(self, packed: np.ndarray) -> np.ndarray:
        """One opaque fixed-size key per row, for sorting and de-duplication."""
        return np.ascontiguousarray(packed).view(self.key_dtype()).ravel()
