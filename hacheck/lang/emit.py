"""Expression trees as source text: the one walk that every code generator shares.

The numpy compiler (hacheck/explicit/compile.py), the plain-Python one (pycompile.py), the C one
(native.py) and the Promela writer (hacheck/export/promela.py) write the same trees in four
syntaxes. They differ in how a constant, a field, a conditional and the operators other than
``+ - *`` are written, and in the words for not/and/or; the walk, the comparison and the
sharing of subtrees are the same, so they are here once and each target says only its syntax.
"""

from __future__ import annotations

import abc
from typing import Callable

from .expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or
from .types import BoolT


class SharingEmitter(abc.ABC):
    """Expression -> source text over local names, computing a node used more than once into a
    local (``prepare`` counts the uses; without it nothing is shared)."""

    NOT = "(!{})"  # how each target writes not / and / or
    AND = " && "
    OR = " || "
    ITE = "({c} ? {t} : {f})"
    CMP = "({a} {op} {b})"
    TRUE, FALSE = "1", "0"  # how a boolean constant is written; integers are written as Python writes them

    def __init__(self, col: Callable[[int], str], prefix: str = "t"):
        self.col = col
        self.prefix = prefix
        self.lines: list[str] = []
        self.memo: dict[int, str] = {}
        self.count: dict[int, int] = {}
        self.tmp = 0

    def prepare(self, roots: list[Expr]) -> None:
        stack = list(roots)
        while stack:
            e = stack.pop()
            k = id(e)
            self.count[k] = self.count.get(k, 0) + 1
            if self.count[k] == 1:
                stack.extend(e.children())

    def emit(self, e: Expr) -> str:
        k = id(e)
        if k in self.memo:
            return self.memo[k]
        text = self._emit(e)
        if self.count.get(k, 0) > 1 and not isinstance(e, (Const, Field)) and self.worth_hoisting(e):
            name = f"{self.prefix}{self.tmp}"
            self.tmp += 1
            self.lines.append(f"{name} = {text}")
            text = name
        self.memo[k] = text
        return text

    def worth_hoisting(self, e: Expr) -> bool:
        return True

    def _emit(self, e: Expr) -> str:
        if isinstance(e, Const):
            return self.const(e)
        if isinstance(e, Field):
            return self.field(e)
        if isinstance(e, Not):
            return self.NOT.format(self.emit(e.arg))
        if isinstance(e, And):
            return "(" + self.AND.join(self.emit(a) for a in e.args) + ")"
        if isinstance(e, Or):
            return "(" + self.OR.join(self.emit(a) for a in e.args) + ")"
        if isinstance(e, Cmp):
            a = self.emit(e.a)
            return self.CMP.format(a=a, op=e.op, b=self.emit(e.b))
        if isinstance(e, Arith):
            a, b = self.emit(e.a), self.emit(e.b)
            if e.op in ("+", "-", "*"):
                return f"({a} {e.op} {b})"
            return self.arith(e, a, b)
        if isinstance(e, Ite):
            c = self.emit(e.cond)
            t = self.emit(e.then)
            return self.ITE.format(c=c, t=t, f=self.emit(e.else_))
        raise self.unsupported(e)

    def field(self, e: Field) -> str:
        return self.col(e.index)

    def const(self, e: Const) -> str:
        if isinstance(e.type, BoolT):
            return self.TRUE if e.value else self.FALSE
        return repr(e.value)

    @abc.abstractmethod
    def arith(self, e: Arith, a: str, b: str) -> str:
        """``//``, ``%``, ``min`` and ``max`` of the texts ``a`` and ``b``."""

    @abc.abstractmethod
    def unsupported(self, e: Expr) -> Exception:
        """The error for a node this target cannot write."""
