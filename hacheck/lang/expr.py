"""The expression tree shared by every engine.

Guards, updates and properties are trees of these nodes over scalar state fields. Values are
"natural": Bool as 0/1, Int as itself, Enum as the index of its value, Elem as the element index
(``None`` of an optional Elem as the sort size). Composite variables (maps, sets) and quantifiers
are expanded when the model is built, so every engine sees only scalars. Constants are folded
as the tree is built, which keeps generated code and SMT terms small.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from .errors import ModelError
from .sorts import Element, Sort
from .types import BoolT, ElemT, EnumT, IntT, ScalarType, same_kind

BOOL = BoolT()


class Expr:
    """A typed expression node. Python operators build new nodes; ``bool(expr)`` is an error."""

    __slots__ = ("type", "_label")
    type: ScalarType

    def __bool__(self) -> bool:
        raise ModelError(
            "an expression has no truth value while the model is built: use & | ~ (not and/or/not), "
            "ite(c, a, b) instead of 'a if c else b', and guards instead of 'if'"
        )

    __hash__ = object.__hash__

    # Boolean connectives
    def __and__(self, other: object) -> "Expr":
        return and_(self, other)

    def __rand__(self, other: object) -> "Expr":
        return and_(other, self)

    def __or__(self, other: object) -> "Expr":
        return or_(self, other)

    def __ror__(self, other: object) -> "Expr":
        return or_(other, self)

    def __invert__(self) -> "Expr":
        return not_(self)

    def __xor__(self, other: object) -> "Expr":
        return cmp("!=", self, other)

    def implies(self, other: object) -> "Expr":
        return implies(self, other)

    # Comparisons
    def __eq__(self, other: object) -> "Expr":  # type: ignore[override]
        return cmp("==", self, other)

    def __ne__(self, other: object) -> "Expr":  # type: ignore[override]
        return cmp("!=", self, other)

    def __lt__(self, other: object) -> "Expr":
        return cmp("<", self, other)

    def __le__(self, other: object) -> "Expr":
        return cmp("<=", self, other)

    def __gt__(self, other: object) -> "Expr":
        return cmp(">", self, other)

    def __ge__(self, other: object) -> "Expr":
        return cmp(">=", self, other)

    # Arithmetic
    def __add__(self, other: object) -> "Expr":
        return arith("+", self, other)

    def __radd__(self, other: object) -> "Expr":
        return arith("+", other, self)

    def __sub__(self, other: object) -> "Expr":
        return arith("-", self, other)

    def __rsub__(self, other: object) -> "Expr":
        return arith("-", other, self)

    def __mul__(self, other: object) -> "Expr":
        return arith("*", self, other)

    def __rmul__(self, other: object) -> "Expr":
        return arith("*", other, self)

    def __floordiv__(self, other: object) -> "Expr":
        return arith("//", self, other)

    def __mod__(self, other: object) -> "Expr":
        return arith("%", self, other)

    def __neg__(self) -> "Expr":
        return arith("-", 0, self)

    def is_none(self) -> "Expr":
        return cmp("==", self, None)

    def is_some(self) -> "Expr":
        return cmp("!=", self, None)

    def children(self) -> tuple["Expr", ...]:
        return ()


class Const(Expr):
    __slots__ = ("value",)

    def __init__(self, value: int, type_: ScalarType):
        self.value = int(value)
        self.type = type_

    def __repr__(self) -> str:
        return show(self)


class Field(Expr):
    """A scalar state field; ``index`` is its position in the model's field list."""

    __slots__ = ("index", "name")

    def __init__(self, index: int, name: str, type_: ScalarType):
        self.index = index
        self.name = name
        self.type = type_

    def __repr__(self) -> str:
        return self.name


class Not(Expr):
    __slots__ = ("arg",)

    def __init__(self, arg: Expr):
        self.arg = arg
        self.type = BOOL

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


class _Junction(Expr):
    """And / Or: a boolean over any number of arguments."""

    __slots__ = ("args",)

    def __init__(self, args: Sequence[Expr]):
        self.args = tuple(args)
        self.type = BOOL

    def children(self) -> tuple[Expr, ...]:
        return self.args


class And(_Junction):
    __slots__ = ()


class Or(_Junction):
    __slots__ = ()


class _Binary(Expr):
    """Cmp / Arith: an operator over two arguments."""

    __slots__ = ("op", "a", "b")

    def __init__(self, op: str, a: Expr, b: Expr, type_: ScalarType):
        self.op, self.a, self.b = op, a, b
        self.type = type_

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)


class Cmp(_Binary):
    __slots__ = ()

    def __init__(self, op: str, a: Expr, b: Expr):
        super().__init__(op, a, b, BOOL)


class Arith(_Binary):
    __slots__ = ()


class Ite(Expr):
    __slots__ = ("cond", "then", "else_")

    def __init__(self, cond: Expr, then: Expr, else_: Expr, type_: ScalarType):
        self.cond, self.then, self.else_ = cond, then, else_
        self.type = type_

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.else_)


# ---------------------------------------------------------------------------------------------
# Lifting Python values into expressions


def lift(value: object, hint: ScalarType | None = None) -> Expr:
    """Turn a Python value into an expression; strings and None need a type hint."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        return Const(int(value), BOOL)
    if isinstance(value, int):
        return Const(value, IntT(value, value))
    if isinstance(value, Element):
        if isinstance(hint, ElemT) and hint.sort is value.sort:
            return Const(value.index, hint)
        return Const(value.index, ElemT(value.sort))
    if isinstance(value, str):
        if isinstance(hint, EnumT):
            return Const(hint.encode(value), hint)
        if isinstance(hint, ElemT):
            return Const(hint.sort.element(value).index, hint)
        raise ModelError(f"cannot tell the type of the string {value!r} here: compare it with an Enum or Elem "
                         f"expression, or type it, as in Phase = Enum(...); Phase({value!r})")
    if value is None:
        if isinstance(hint, ElemT):
            if not hint.optional:
                raise ModelError(f"None is not a value of {hint} (declare it Elem({hint.sort.name}, optional=True))")
            return Const(hint.none_code, hint)
        raise ModelError("cannot tell the type of None here: type it, as in Owner = Elem(Host, optional=True); Owner(None)")
    if hasattr(value, "__hacheck_expr__"):
        return value.__hacheck_expr__()  # type: ignore[no-any-return]
    raise ModelError(f"cannot use {value!r} ({type(value).__name__}) in an expression")


def lift_pair(a: object, b: object) -> tuple[Expr, Expr]:
    if isinstance(a, Expr):
        return a, lift(b, a.type)
    if isinstance(b, Expr):
        return lift(a, b.type), b
    ea = lift(a)
    return ea, lift(b, ea.type)


def as_bool(value: object) -> Expr:
    e = lift(value)
    if not isinstance(e.type, BoolT):
        raise ModelError(f"expected a Bool expression, got {show(e)} of type {e.type}")
    return e


def _true(e: Expr) -> bool:
    return isinstance(e, Const) and e.value == 1


def _false(e: Expr) -> bool:
    return isinstance(e, Const) and e.value == 0


TRUE = Const(1, BOOL)
FALSE = Const(0, BOOL)


def not_(a: object) -> Expr:
    e = as_bool(a)
    if isinstance(e, Const):
        return FALSE if e.value else TRUE
    if isinstance(e, Not):
        return e.arg
    return Not(e)


def and_(*args: object) -> Expr:
    flat: list[Expr] = []
    for a in args:
        e = as_bool(a)
        if _false(e):
            return FALSE
        if _true(e):
            continue
        flat.extend(e.args if isinstance(e, And) else (e,))
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(flat)


def or_(*args: object) -> Expr:
    flat: list[Expr] = []
    for a in args:
        e = as_bool(a)
        if _true(e):
            return TRUE
        if _false(e):
            continue
        flat.extend(e.args if isinstance(e, Or) else (e,))
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(flat)


def implies(a: object, b: object) -> Expr:
    return or_(not_(a), b)


def all_(items: Iterable[object]) -> Expr:
    return and_(*items)


def any_(items: Iterable[object]) -> Expr:
    return or_(*items)


_CMP = {
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def cmp(op: str, a: object, b: object) -> Expr:
    ea, eb = lift_pair(a, b)
    if not same_kind(ea.type, eb.type):
        raise ModelError(f"cannot compare {show(ea)} ({ea.type}) with {show(eb)} ({eb.type})")
    if op not in ("==", "!=") and not isinstance(ea.type, IntT):
        raise ModelError(f"'{op}' needs Int operands, got {ea.type}")
    if isinstance(ea, Const) and isinstance(eb, Const):
        return TRUE if _CMP[op](ea.value, eb.value) else FALSE
    if isinstance(ea.type, BoolT) and op in ("==", "!="):
        # x == True is x; x == False is ~x: keeps the tree in the connectives engines like best.
        for x, y in ((ea, eb), (eb, ea)):
            if isinstance(y, Const):
                positive = (y.value == 1) == (op == "==")
                return x if positive else not_(x)
    if isinstance(ea.type, IntT) and isinstance(eb.type, IntT):
        # Decide comparisons that the ranges already decide.
        lo_a, hi_a, lo_b, hi_b = ea.type.lo, ea.type.hi, eb.type.lo, eb.type.hi
        decided = {
            "<": (hi_a < lo_b, lo_a >= hi_b),
            "<=": (hi_a <= lo_b, lo_a > hi_b),
            ">": (lo_a > hi_b, hi_a <= lo_b),
            ">=": (lo_a >= hi_b, hi_a < lo_b),
            "==": (False, hi_a < lo_b or hi_b < lo_a),
            "!=": (hi_a < lo_b or hi_b < lo_a, False),
        }[op]
        if decided[0]:
            return TRUE
        if decided[1]:
            return FALSE
    return Cmp(op, ea, eb)


def _arith_range(op: str, a: IntT, b: IntT) -> IntT:
    if op == "+":
        return IntT(a.lo + b.lo, a.hi + b.hi)
    if op == "-":
        return IntT(a.lo - b.hi, a.hi - b.lo)
    if op == "*":
        corners = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
        return IntT(min(corners), max(corners))
    if op == "min":
        return IntT(min(a.lo, b.lo), min(a.hi, b.hi))
    if op == "max":
        return IntT(max(a.lo, b.lo), max(a.hi, b.hi))
    if op == "//":
        if b.lo <= 0 <= b.hi:
            raise ModelError("integer division by a range that contains 0")
        corners = [a.lo // b.lo, a.lo // b.hi, a.hi // b.lo, a.hi // b.hi]
        return IntT(min(corners), max(corners))
    if op == "%":
        if b.lo <= 0:
            raise ModelError("'%' needs a positive divisor")
        if a.lo >= 0 and a.hi < b.lo:
            return a
        return IntT(0, b.hi - 1)
    raise ModelError(f"unknown arithmetic operator {op}")


_ARITH = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "//": lambda x, y: x // y,
    "%": lambda x, y: x % y,
    "min": min,
    "max": max,
}


def arith(op: str, a: object, b: object) -> Expr:
    ea, eb = lift(a), lift(b)
    for e in (ea, eb):
        if not isinstance(e.type, IntT):
            raise ModelError(f"'{op}' needs Int operands, got {show(e)} of type {e.type}")
    if isinstance(ea, Const) and isinstance(eb, Const):
        v = _ARITH[op](ea.value, eb.value)
        return Const(v, IntT(v, v))
    if op == "+" and _is_zero(eb):
        return ea
    if op == "+" and _is_zero(ea):
        return eb
    if op == "-" and _is_zero(eb):
        return ea
    return Arith(op, ea, eb, _arith_range(op, ea.type, eb.type))  # type: ignore[arg-type]


def _is_zero(e: Expr) -> bool:
    return isinstance(e, Const) and e.value == 0


def min_(a: object, b: object) -> Expr:
    return arith("min", a, b)


def max_(a: object, b: object) -> Expr:
    return arith("max", a, b)


def _join_types(a: ScalarType, b: ScalarType) -> ScalarType:
    if not same_kind(a, b):
        raise ModelError(f"the two branches of ite have different types: {a} and {b}")
    if isinstance(a, IntT) and isinstance(b, IntT):
        return IntT(min(a.lo, b.lo), max(a.hi, b.hi))
    if isinstance(a, ElemT) and isinstance(b, ElemT):
        return ElemT(a.sort, a.optional or b.optional)
    return a


def ite(cond: object, then: object, else_: object) -> Expr:
    c = as_bool(cond)
    t, e = lift_pair(then, else_)
    type_ = _join_types(t.type, e.type)
    if _true(c):
        return t
    if _false(c):
        return e
    if isinstance(t, Const) and isinstance(e, Const) and t.value == e.value:
        return t
    if isinstance(type_, BoolT):
        # Keep Boolean ite as connectives: cheaper to compile and to encode.
        if _true(t):
            return or_(c, e)
        if _false(t):
            return and_(not_(c), e)
        if _true(e):
            return or_(not_(c), t)
        if _false(e):
            return and_(c, t)
    return Ite(c, t, e, type_)


def if_then_else(cond: object, then: object, else_: object) -> Expr:
    return ite(cond, then, else_)


def switch(cases: Sequence[tuple[object, object]], default: object) -> Expr:
    """``switch([(c1, v1), (c2, v2)], d)``: the value of the first case whose condition holds, else d."""
    out: object = default
    for cond, value in reversed(list(cases)):
        out = ite(cond, value, out)
    return lift(out)


# ---------------------------------------------------------------------------------------------
# Quantifiers: expanded over the finite sort when the model is built.


def forall(sort: Sort, body: Callable[[Element], object]) -> Expr:
    return and_(*(body(e) for e in sort))


def exists(sort: Sort, body: Callable[[Element], object]) -> Expr:
    return or_(*(body(e) for e in sort))


def count(sort: Sort, body: Callable[[Element], object]) -> Expr:
    return sum_(ite(as_bool(body(e)), 1, 0) for e in sort)


def sum_(items: Iterable[object]) -> Expr:
    total: Expr = Const(0, IntT(0, 0))
    for item in items:
        total = arith("+", total, item)
    return total


def explain_as(expr: object, text: str) -> Expr:
    """Name a sub-formula for "why it fails" explanations ("client1 may read brick0"); returns it.

    Only explanations read the name; a constant is never named (constants are shared).
    """
    e = lift(expr)
    if not isinstance(e, Const):
        e._label = text
    return e


def label_of(e: Expr) -> str | None:
    return getattr(e, "_label", None)


# ---------------------------------------------------------------------------------------------
# Walking and printing


def walk(e: Expr) -> Iterable[Expr]:
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children())


def fields_of(e: Expr) -> set[int]:
    return {n.index for n in walk(e) if isinstance(n, Field)}


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "//": 6, "%": 6}


def show_const(value: int, type_: ScalarType) -> str:
    if isinstance(type_, BoolT):
        return "true" if value else "false"
    if isinstance(type_, EnumT):
        return repr(type_.values[value]) if 0 <= value < len(type_.values) else f"<enum {value}>"
    if isinstance(type_, ElemT):
        if type_.optional and value == type_.none_code:
            return "None"
        return type_.sort.elements[value].name if 0 <= value < len(type_.sort) else f"<elem {value}>"
    return str(value)


def show(e: Expr) -> str:
    """Readable text for an expression, used in messages, `hacheck list` and trace graphs."""
    if isinstance(e, Const):
        return show_const(e.value, e.type)
    if isinstance(e, Field):
        return e.name
    if isinstance(e, Not):
        return "~" + _paren(e.arg, 9)
    if isinstance(e, And):
        return " & ".join(_paren(a, 2) for a in e.args)
    if isinstance(e, Or):
        return " | ".join(_paren(a, 1) for a in e.args)
    if isinstance(e, Cmp):
        return f"{_paren(e.a, 5)} {e.op} {_paren(e.b, 5)}"
    if isinstance(e, Arith):
        if e.op in ("min", "max"):
            return f"{e.op}({show(e.a)}, {show(e.b)})"
        return f"{_paren(e.a, 5)} {e.op} {_paren(e.b, 6)}"
    if isinstance(e, Ite):
        return f"ite({show(e.cond)}, {show(e.then)}, {show(e.else_)})"
    return f"<{type(e).__name__}>"


def _prec(e: Expr) -> int:
    if isinstance(e, Or):
        return 1
    if isinstance(e, And):
        return 2
    if isinstance(e, Not):
        return 3
    if isinstance(e, Cmp):
        return 4
    if isinstance(e, Arith) and e.op not in ("min", "max"):
        return _PREC[e.op]
    return 9


def _paren(e: Expr, at_least: int) -> str:
    text = show(e)
    return f"({text})" if _prec(e) < at_least else text
