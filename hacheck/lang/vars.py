"""Handles for declared state variables.

A scalar variable is a :class:`Field` expression. A Map or Set variable is a handle that
indexes into its scalar fields: with an element the index is resolved when the model is built;
with an element-valued expression it becomes an ``ite`` chain over the sort.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Union

from .errors import ModelError
from .expr import Expr, Field, and_, as_bool, cmp, ite, lift, not_, or_, sum_
from .sorts import Element, Sort
from .types import ElemT

Handle = Union[Field, "MapVar", "SetVar"]


def _key_expr(sort: Sort, key: object) -> Element | Expr:
    """Resolve an index: a build-time element, or an element-valued expression of this sort."""
    if isinstance(key, Expr):
        if not isinstance(key.type, ElemT) or key.type.sort is not sort:
            raise ModelError(f"index {key!r} of type {key.type} does not range over sort {sort.name}")
        from .expr import Const

        if isinstance(key, Const):
            if key.type.optional and key.value == key.type.none_code:
                raise ModelError(f"cannot index by None (sort {sort.name})")
            return sort.elements[key.value]
        return key
    return sort.element(key)  # type: ignore[arg-type]


class MapVar:
    """A map from a sort to a value type; ``m[e]`` is the field (or nested map) for e."""

    def __init__(self, name: str, key: Sort, entries: dict[Element, Handle]):
        self.name = name
        self.key = key
        self.entries = entries

    def __getitem__(self, key: object) -> "Handle | Expr | DynMap":
        k = _key_expr(self.key, key)
        if isinstance(k, Element):
            return self.entries[k]
        sample = self.entries[self.key.elements[0]]
        if isinstance(sample, Expr):
            return _select(self.key, k, lambda e: self.entries[e])  # type: ignore[arg-type,return-value]
        return DynMap(self, k)

    def at(self, key: object) -> "DynLValue":
        """An assignment target ``m.at(expr)`` for an index known only in the state."""
        k = _key_expr(self.key, key)
        return DynLValue(self, k)

    def values(self) -> Iterator[Handle]:
        return iter(self.entries.values())

    def items(self) -> Iterator[tuple[Element, Handle]]:
        return iter(self.entries.items())

    def __repr__(self) -> str:
        return self.name


def _select(sort: Sort, key: Expr, pick: Callable[[Element], Expr]) -> Expr:
    """ite(key == e0, pick(e0), ite(key == e1, pick(e1), ...)), the last element as default."""
    elements = list(sort)
    out: Expr = lift(pick(elements[-1]))
    for e in reversed(elements[:-1]):
        out = ite(cmp("==", key, e), pick(e), out)
    return out


class DynMap:
    """``m[x]`` for a nested map and a state-dependent x: index further to get a scalar."""

    def __init__(self, base: MapVar, key: Expr):
        self.base, self.key = base, key

    def __getitem__(self, key2: object) -> "Expr | DynMap":
        def pick(e: Element) -> Expr:
            inner = self.base.entries[e]
            got = inner[key2]  # type: ignore[index]
            if not isinstance(got, Expr):
                raise ModelError("index a nested map down to a scalar when its first index is an expression")
            return got

        return _select(self.base.key, self.key, pick)


class DynLValue:
    def __init__(self, base: MapVar, key: Expr | Element):
        self.base, self.key = base, key

    __hash__ = object.__hash__


class SetVar:
    """A subset of a sort, stored as one Bool field per element."""

    def __init__(self, name: str, elem: Sort, entries: dict[Element, Field]):
        self.name = name
        self.elem = elem
        self.entries = entries

    def vector(self) -> "SetValue":
        return SetValue(self.elem, {e: f for e, f in self.entries.items()})

    def has(self, e: object) -> Expr:
        return self.vector().has(e)

    contains = has

    def size(self) -> Expr:
        return self.vector().size()

    def is_empty(self) -> Expr:
        return self.vector().is_empty()

    def subset_of(self, other: object) -> Expr:
        return self.vector().subset_of(other)

    def with_(self, e: object) -> "SetValue":
        return self.vector().with_(e)

    def without(self, e: object) -> "SetValue":
        return self.vector().without(e)

    def __or__(self, other: object) -> "SetValue":
        return self.vector() | other

    def __and__(self, other: object) -> "SetValue":
        return self.vector() & other

    def __sub__(self, other: object) -> "SetValue":
        return self.vector() - other

    def __repr__(self) -> str:
        return self.name


class SetValue:
    """A set-valued expression: one Bool expression per element of the sort."""

    def __init__(self, elem: Sort, members: dict[Element, Expr]):
        self.elem = elem
        self.members = members

    @classmethod
    def of(cls, sort: Sort, items: Iterable[object] = ()) -> "SetValue":
        chosen = {sort.element(i) for i in items}  # type: ignore[arg-type]
        return cls(sort, {e: lift(e in chosen) for e in sort})

    @classmethod
    def where(cls, sort: Sort, pred: Callable[[Element], object]) -> "SetValue":
        return cls(sort, {e: as_bool(pred(e)) for e in sort})

    def has(self, e: object) -> Expr:
        k = _key_expr(self.elem, e)
        if isinstance(k, Element):
            return self.members[k]
        return or_(*(and_(cmp("==", k, x), self.members[x]) for x in self.elem))

    def size(self) -> Expr:
        return sum_(ite(m, 1, 0) for m in self.members.values())

    def is_empty(self) -> Expr:
        return and_(*(not_(m) for m in self.members.values()))

    def subset_of(self, other: object) -> Expr:
        o = as_set(self.elem, other)
        return and_(*(or_(not_(self.members[e]), o.members[e]) for e in self.elem))

    def _point(self, e: object, value: bool) -> "SetValue":
        k = _key_expr(self.elem, e)
        if isinstance(k, Element):
            return SetValue(self.elem, {**self.members, k: lift(value)})
        return SetValue(
            self.elem, {x: ite(cmp("==", k, x), value, m) for x, m in self.members.items()}
        )

    def with_(self, e: object) -> "SetValue":
        return self._point(e, True)

    def without(self, e: object) -> "SetValue":
        return self._point(e, False)

    def __or__(self, other: object) -> "SetValue":
        o = as_set(self.elem, other)
        return SetValue(self.elem, {e: or_(self.members[e], o.members[e]) for e in self.elem})

    def __and__(self, other: object) -> "SetValue":
        o = as_set(self.elem, other)
        return SetValue(self.elem, {e: and_(self.members[e], o.members[e]) for e in self.elem})

    def __sub__(self, other: object) -> "SetValue":
        o = as_set(self.elem, other)
        return SetValue(self.elem, {e: and_(self.members[e], not_(o.members[e])) for e in self.elem})


def as_set(sort: Sort, value: object) -> SetValue:
    if isinstance(value, SetVar):
        value = value.vector()
    if isinstance(value, SetValue):
        if value.elem is not sort:
            raise ModelError(f"a set of {value.elem.name} used where a set of {sort.name} is expected")
        return value
    if isinstance(value, (set, frozenset, list, tuple)):
        return SetValue.of(sort, value)
    raise ModelError(f"expected a set of {sort.name}, got {value!r}")


def set_of(sort: Sort, items: Iterable[object] = ()) -> SetValue:
    return SetValue.of(sort, items)


def set_where(sort: Sort, pred: Callable[[Element], object]) -> SetValue:
    return SetValue.where(sort, pred)
