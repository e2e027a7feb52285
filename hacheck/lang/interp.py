"""A plain tree-walking interpreter: the reference semantics the compiled engines are tested against.

States are tuples of field codes (Int fields store ``value - lo``); expressions evaluate to
natural values (see :mod:`hacheck.lang.expr`).
"""

from __future__ import annotations

from typing import Sequence

from .errors import ModelError
from .expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or
from .types import IntT


def eval_expr(e: Expr, codes: Sequence[int], fields: Sequence[object] | None = None) -> int:
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Field):
        t = e.type
        return codes[e.index] + t.lo if isinstance(t, IntT) else codes[e.index]
    if isinstance(e, Not):
        return 0 if eval_expr(e.arg, codes) else 1
    if isinstance(e, And):
        return int(all(eval_expr(a, codes) for a in e.args))
    if isinstance(e, Or):
        return int(any(eval_expr(a, codes) for a in e.args))
    if isinstance(e, Cmp):
        a, b = eval_expr(e.a, codes), eval_expr(e.b, codes)
        return int({"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[e.op])
    if isinstance(e, Arith):
        a, b = eval_expr(e.a, codes), eval_expr(e.b, codes)
        if e.op == "+":
            return a + b
        if e.op == "-":
            return a - b
        if e.op == "*":
            return a * b
        if e.op == "//":
            return a // b
        if e.op == "%":
            return a % b
        if e.op == "min":
            return min(a, b)
        if e.op == "max":
            return max(a, b)
    if isinstance(e, Ite):
        return eval_expr(e.then, codes) if eval_expr(e.cond, codes) else eval_expr(e.else_, codes)
    raise ModelError(f"cannot evaluate {type(e).__name__}")


def to_code(field_type: object, value: int) -> int:
    return value - field_type.lo if isinstance(field_type, IntT) else value  # type: ignore[attr-defined]


def successors(model: "object", codes: tuple[int, ...]) -> list[tuple[int, tuple[int, ...]]]:
    """Every (action instance index, successor state) of a state, by direct interpretation."""
    from .model import Model

    assert isinstance(model, Model)
    out = []
    for inst in model.instances:
        if not eval_expr(inst.guard, codes):
            continue
        new = list(codes)
        for fid, ex in inst.updates:
            ft = model.fields[fid].type
            v = eval_expr(ex, codes)
            code = to_code(ft, v)
            if not 0 <= code < ft.size():
                raise ModelError(f"action {inst.label} sets {model.fields[fid].name} to {v}, outside {ft}", location="")
            new[fid] = code
        out.append((inst.index, tuple(new)))
    return out
