"""Finite sorts: the named things a protocol is about (hosts, bricks, VMs, clients)."""

from __future__ import annotations

from typing import Iterator

import attrs

from .errors import ModelError


@attrs.frozen(eq=False, repr=False)
class Element:
    """One named element of a sort; compares by identity of (sort, index) at build time."""

    sort: "Sort"
    index: int
    name: str

    def __eq__(self, other: object):
        if isinstance(other, Element):
            return self.sort is other.sort and self.index == other.index
        return NotImplemented

    def __hash__(self) -> int:
        return hash((id(self.sort), self.index))

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


class Sort:
    """A finite set of named elements.

    ``symmetric`` declares that the protocol treats the elements interchangeably, which lets an
    engine explore one representative of each permutation class.
    """

    def __init__(self, name: str, elements: list[str], symmetric: bool = False):
        if not elements:
            raise ModelError(f"sort {name!r} has no elements")
        if len(set(elements)) != len(elements):
            raise ModelError(f"sort {name!r} names an element twice: {elements}")
        self.name = name
        self.symmetric = symmetric
        self.elements: tuple[Element, ...] = tuple(Element(self, i, e) for i, e in enumerate(elements))
        self._by_name = {e.name: e for e in self.elements}

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    def __len__(self) -> int:
        return len(self.elements)

    def __getitem__(self, key: int | str) -> Element:
        return self.element(key)

    def element(self, key: "int | str | Element") -> Element:
        if isinstance(key, Element):
            if key.sort is not self:
                raise ModelError(f"{key.name!r} is an element of sort {key.sort.name}, not {self.name}")
            return key
        if isinstance(key, bool):
            raise ModelError(f"sort {self.name} is indexed by element names, not {key!r}")
        if isinstance(key, int):
            if 0 <= key < len(self.elements):
                return self.elements[key]
            raise ModelError(f"sort {self.name} has no element number {key} (it has {len(self)})")
        if isinstance(key, str):
            try:
                return self._by_name[key]
            except KeyError:
                raise ModelError(
                    f"sort {self.name} has no element {key!r}; its elements are "
                    + ", ".join(e.name for e in self.elements)
                ) from None
        raise ModelError(f"cannot use {key!r} as an element of sort {self.name}")

    def __repr__(self) -> str:
        return f"Sort({self.name}: {', '.join(e.name for e in self.elements)})"
