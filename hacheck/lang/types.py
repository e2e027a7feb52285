"""Types of state variables.

Scalars (Bool, Int, Enum, Elem) are what the engines store: each becomes one small unsigned
field. Map and Set are composite: they expand, when declared, into one scalar field per element
of their index sort, so engines never see them.
"""

from __future__ import annotations

from typing import Union

import attrs

from .errors import ModelError
from .sorts import Element, Sort


@attrs.frozen
class BoolT:
    def size(self) -> int:
        return 2

    def encode(self, value: object) -> int:
        if isinstance(value, bool):
            return int(value)
        raise ModelError(f"expected a Bool, got {value!r}")

    def decode(self, code: int) -> bool:
        return bool(code)

    def __str__(self) -> str:
        return "Bool"


@attrs.frozen
class IntT:
    lo: int
    hi: int

    def __attrs_post_init__(self) -> None:
        if self.lo > self.hi:
            raise ModelError(f"Int({self.lo}, {self.hi}) is empty")

    def size(self) -> int:
        return self.hi - self.lo + 1

    def encode(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ModelError(f"expected an Int in {self.lo}..{self.hi}, got {value!r}")
        if not self.lo <= value <= self.hi:
            raise ModelError(f"value {value} is outside Int({self.lo}, {self.hi})")
        return value - self.lo

    def decode(self, code: int) -> int:
        return code + self.lo

    def __str__(self) -> str:
        return f"Int({self.lo}..{self.hi})"


@attrs.frozen
class EnumT:
    values: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        if not self.values or len(set(self.values)) != len(self.values):
            raise ModelError(f"Enum values must be distinct and non-empty: {self.values}")

    def size(self) -> int:
        return len(self.values)

    def encode(self, value: object) -> int:
        if isinstance(value, str) and value in self.values:
            return self.values.index(value)
        raise ModelError(f"{value!r} is not one of Enum({', '.join(self.values)})")

    def decode(self, code: int) -> str:
        return self.values[code]

    def __call__(self, value: str) -> object:
        """A typed constant: ``Phase = Enum("a", "b"); ite(c, Phase("a"), "b")``."""
        from .expr import Const

        return Const(self.encode(value), self)

    def __str__(self) -> str:
        return "Enum(" + ", ".join(self.values) + ")"


@attrs.frozen(eq=False)
class ElemT:
    """An element of a sort, or (when optional) also ``None``, encoded as the last code."""

    sort: Sort
    optional: bool = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ElemT) and other.sort is self.sort and other.optional == self.optional

    def __hash__(self) -> int:
        return hash((id(self.sort), self.optional))

    def size(self) -> int:
        return len(self.sort) + (1 if self.optional else 0)

    @property
    def none_code(self) -> int:
        return len(self.sort)

    def encode(self, value: object) -> int:
        if value is None:
            if self.optional:
                return self.none_code
            raise ModelError(f"None is not allowed for a (non-optional) element of {self.sort.name}")
        return self.sort.element(value).index  # type: ignore[arg-type]

    def __call__(self, value: object) -> object:
        """A typed constant, ``None`` included: ``Owner = Elem(Host, optional=True); Owner(None)``."""
        from .expr import Const

        return Const(self.encode(value), self)

    def decode(self, code: int) -> str | None:
        if self.optional and code == self.none_code:
            return None
        return self.sort.elements[code].name

    def __str__(self) -> str:
        return f"Elem({self.sort.name}{', optional' if self.optional else ''})"


ScalarType = Union[BoolT, IntT, EnumT, ElemT]


@attrs.frozen(eq=False)
class MapT:
    key: Sort
    value: "VarType"

    def __str__(self) -> str:
        return f"Map({self.key.name} -> {self.value})"


@attrs.frozen(eq=False)
class SetT:
    elem: Sort

    def __str__(self) -> str:
        return f"Set({self.elem.name})"


VarType = Union[BoolT, IntT, EnumT, ElemT, MapT, SetT]

# Constructors, so that models read ``Map(Host, Int(0, 3))``.
Bool = BoolT()


def Int(lo: int, hi: int) -> IntT:
    return IntT(lo, hi)


def Enum(*values: str) -> EnumT:
    return EnumT(tuple(values))


def Elem(sort: Sort, optional: bool = False) -> ElemT:
    return ElemT(sort, optional)


def Map(key: Sort, value: VarType) -> MapT:
    if not isinstance(key, Sort):
        raise ModelError(f"Map keys must be a sort, got {key!r}")
    return MapT(key, value)


def Set(elem: Sort) -> SetT:
    if not isinstance(elem, Sort):
        raise ModelError(f"Set elements must be a sort, got {elem!r}")
    return SetT(elem)


def is_scalar(t: object) -> bool:
    return isinstance(t, (BoolT, IntT, EnumT, ElemT))


def same_kind(a: ScalarType, b: ScalarType) -> bool:
    """Whether values of the two scalar types may be compared or assigned to one another."""
    if isinstance(a, BoolT) or isinstance(b, BoolT):
        return isinstance(a, BoolT) and isinstance(b, BoolT)
    if isinstance(a, IntT) or isinstance(b, IntT):
        return isinstance(a, IntT) and isinstance(b, IntT)
    if isinstance(a, EnumT) or isinstance(b, EnumT):
        return isinstance(a, EnumT) and isinstance(b, EnumT) and a.values == b.values
    return isinstance(a, ElemT) and isinstance(b, ElemT) and a.sort is b.sort


__all__ = [
    "Bool", "Int", "Enum", "Elem", "Map", "Set", "BoolT", "IntT", "EnumT", "ElemT", "MapT", "SetT",
    "ScalarType", "VarType", "Element", "is_scalar", "same_kind",
]
