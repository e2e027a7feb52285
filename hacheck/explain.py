"""Why a property fails on a trace: the property evaluated sub-formula by sub-formula.

A counterexample shows *that* a state is bad; a designer needs *why*: which conjunct is false,
for which element, with which values ("acked[write0] is true, but data[brick0] lacks write0").
Quantifiers are expanded when a model is built, so a ``forall`` is a conjunction whose false
members name their element. Sub-formulas a model labelled with ``Model.label`` are shown by
that label. Evaluation uses the reference interpreter (``hacheck.lang.interp``).
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs

from .lang.expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or, label_of, show, show_const
from .lang.interp import eval_expr
from .lang.types import IntT

MAX_CHILDREN = 3  # false conjuncts (or true premises) explained per node
MAX_DEPTH = 6
MAX_TEXT = 90


@attrs.frozen
class Why:
    text: str
    children: tuple["Why", ...] = ()

    def lines(self, indent: int = 0) -> list[str]:
        out = [("  " * indent) + ("- " if indent else "") + self.text]
        for c in self.children:
            out += c.lines(indent + 1)
        return out


class Explainer:
    def __init__(self, model: Any, codes: Sequence[int]):
        self.model = model
        self.codes = codes

    # -- values ------------------------------------------------------------------------------
    def value(self, e: Expr) -> int:
        return eval_expr(e, self.codes)

    def show_value(self, e: Expr) -> str:
        return show_const(self.value(e), e.type)

    def name(self, e: Expr) -> str:
        if label_of(e):
            return label_of(e)  # type: ignore[return-value]
        counted = _count_terms(e)
        if counted is not None:
            return "the number of " + _clip(", ".join(_clip(show(c), 40) for c in counted), MAX_TEXT - 14)
        return _clip(show(e), MAX_TEXT)

    def term(self, e: Expr) -> str:
        """A term with its value: ``status[h1] (= 'Up')``, or a constant as itself."""
        if isinstance(e, Const):
            return show(e)
        counted = _count_terms(e)
        if counted is not None:
            hold = [_clip(show(c), 40) for c in counted if self.value(c)]
            return f"{self.name(e)} (= {self.value(e)}" + (f": {', '.join(hold)}" if hold else "") + ")"
        return f"{self.name(e)} (= {self.show_value(e)})"

    # -- explanations ------------------------------------------------------------------------
    def false(self, e: Expr, depth: int = 0) -> Why:
        """Why e is false in this state (e must be false)."""
        if label_of(e):
            inner = self._inner_false(e, depth)
            return Why(f"NOT {label_of(e)}" + (":" if inner else ""), inner)
        return self._false(e, depth)

    def _inner_false(self, e: Expr, depth: int) -> tuple[Why, ...]:
        if depth >= MAX_DEPTH or isinstance(e, (Field, Const)):
            return ()
        w = self._false(e, depth + 1)
        return (w,)

    def _false(self, e: Expr, depth: int) -> Why:
        if isinstance(e, Field):
            return Why(f"{e.name} is false")
        if isinstance(e, Not):
            return self.true(e.arg, depth)
        if isinstance(e, Cmp):
            return Why(self._cmp_text(e, holds=False))
        if isinstance(e, And):
            bad = [a for a in e.args if not self.value(a)]
            if len(bad) == 1 or depth >= MAX_DEPTH:
                return self.false(bad[0], depth + 1) if depth < MAX_DEPTH else Why(f"{self.name(bad[0])} is false")
            kids = tuple(self.false(a, depth + 1) for a in bad[:MAX_CHILDREN])
            more = f" ({len(bad) - MAX_CHILDREN} more not shown)" if len(bad) > MAX_CHILDREN else ""
            return Why(f"{len(bad)} of {len(e.args)} conditions are false{more}:", kids)
        if isinstance(e, Or):
            premises = [a.arg for a in e.args if isinstance(a, Not)]
            conclusions = [a for a in e.args if not isinstance(a, Not)]
            if premises and depth < MAX_DEPTH:
                # an implication (possibly nested): every premise holds, yet no conclusion does
                premises, conclusions = self._flatten_implication(premises, conclusions)
                kids = [Why(self.true(p, MAX_DEPTH - 1).text) for p in premises[:2 * MAX_CHILDREN]]
                if len(premises) > 2 * MAX_CHILDREN:
                    kids.append(Why(f"and {len(premises) - 2 * MAX_CHILDREN} more conditions hold"))
                if not conclusions:
                    return Why("these must not hold together, but they do:", tuple(kids))
                for c in conclusions[:MAX_CHILDREN]:
                    inner = self.false(c, depth + 1)
                    kids.append(Why("but " + inner.text, inner.children))
                return Why("an implication fails:", tuple(kids))
            if depth >= MAX_DEPTH:
                return Why(f"{self.name(e)} is false")
            kids = tuple(self.false(a, depth + 1) for a in e.args[:MAX_CHILDREN])
            more = f" ({len(e.args) - MAX_CHILDREN} more not shown)" if len(e.args) > MAX_CHILDREN else ""
            return Why(f"none of {len(e.args)} alternatives holds{more}:", kids)
        if isinstance(e, Ite):
            branch = e.then if self.value(e.cond) else e.else_
            return Why(f"{self._holds_text(e.cond) if self.value(e.cond) else self.name(e.cond) + ' is false'}, "
                       f"so it rests on {self.name(branch)}", (self.false(branch, depth + 1),) if depth < MAX_DEPTH else ())
        if isinstance(e, Const):
            return Why("false")
        return Why(f"{self.name(e)} is false")

    def _flatten_implication(self, premises: list[Expr], conclusions: list[Expr]) -> tuple[list[Expr], list[Expr]]:
        """``a => (b => c)`` and ``a => (x & (b => c))`` with x true: premises a, b and conclusion c."""
        while len(conclusions) == 1:
            c = conclusions[0]
            if label_of(c):
                break
            if isinstance(c, And):
                bad = [x for x in c.args if not self.value(x)]
                if len(bad) != 1:
                    break
                c = bad[0]
            if isinstance(c, Or) and any(isinstance(x, Not) for x in c.args) and not label_of(c):
                premises = premises + [x.arg for x in c.args if isinstance(x, Not)]
                conclusions = [x for x in c.args if not isinstance(x, Not)]
                continue
            conclusions = [c]
            break
        return premises, conclusions

    def true(self, e: Expr, depth: int = 0) -> Why:
        """Why e is true in this state (e must be true)."""
        if label_of(e):
            return Why(str(label_of(e)))
        if isinstance(e, Field):
            return Why(f"{e.name} is true")
        if isinstance(e, Not):
            return self.false(e.arg, depth)
        if isinstance(e, Cmp):
            return Why(self._cmp_text(e, holds=True))
        if isinstance(e, Or):
            good = [a for a in e.args if self.value(a)]
            return self.true(good[0], depth + 1) if depth < MAX_DEPTH else Why(f"{self.name(good[0])} holds")
        if isinstance(e, And):
            if depth >= MAX_DEPTH:
                return Why(f"{self.name(e)} holds")
            kids = tuple(self.true(a, depth + 1) for a in e.args[:MAX_CHILDREN])
            if len(e.args) == 1:
                return kids[0]
            more = f" (and {len(e.args) - MAX_CHILDREN} more)" if len(e.args) > MAX_CHILDREN else ""
            return Why(" and ".join(k.text for k in kids) + more)
        return Why(f"{self.name(e)} holds")

    def _holds_text(self, e: Expr) -> str:
        return self.true(e, MAX_DEPTH - 1).text

    def _cmp_text(self, e: Cmp, holds: bool) -> str:
        a, b = e.a, e.b
        if isinstance(b, Field) and isinstance(a, Const):
            a, b, op = b, a, _FLIP[e.op]
        else:
            op = e.op
        if isinstance(a, Field) and isinstance(b, Const):
            want = show(b)
            have = self.show_value(a)
            if op == "==":
                return f"{a.name} is {have}" if holds else f"{a.name} is {have}, not {want}"
            if op == "!=":
                return f"{a.name} is {have}, not {want}" if holds else f"{a.name} is {want}"
            return f"{a.name} is {have} ({op} {want})" if holds else f"{a.name} is {have}, but must be {op} {want}"
        for x, k, op in ((a, b, e.op), (b, a, _FLIP[e.op])):
            counted = _count_terms(x)
            if counted is not None and isinstance(k, Const):
                hold = [_clip(show(c), 40) for c in counted if self.value(c)]
                who = f": {', '.join(hold)}" if hold else ""
                need = "and" if holds else "but it must be"
                return f"{len(hold)} of {len(counted)} hold{who} ({need} {op} {k.value})"
        verdict = "holds" if holds else "is false"
        return f"{self.name(a)} {e.op} {self.name(b)} {verdict}: " + ", ".join(
            self.term(x) for x in (a, b) if not isinstance(x, Const))


_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _count_terms(e: Expr) -> list[Expr] | None:
    """The conditions of ``count(...)`` / ``sum_(ite(c, 1, 0) ...)``, or None for another term."""
    terms: list[Expr] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Arith) and x.op == "+":
            stack += [x.b, x.a]
        elif isinstance(x, Ite) and isinstance(x.then, Const) and isinstance(x.else_, Const) \
                and x.then.value == 1 and x.else_.value == 0:
            terms.append(x.cond)
        elif isinstance(x, Const) and x.value == 0:
            continue
        else:
            return None
    return terms if len(terms) >= 2 and isinstance(e.type, IntT) else None


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# ---------------------------------------------------------------------------------------------


def explain_trace(model: Any, prop: Any, trace: Any) -> tuple[str, ...]:
    """The explanation lines for ``prop`` on ``trace`` (empty when there is nothing to explain)."""
    codes = [model.encode_state(s) for s in trace.states]
    if not codes:
        return ()
    kind = prop.kind
    if kind == "invariant" and trace.loop is None:
        ex = Explainer(model, codes[-1])
        if ex.value(prop.expr):
            return ()
        head = f"{prop.name} is false in state {len(codes) - 1}:"
        return (head, *ex.false(prop.expr).lines(1))
    if kind == "reachable" and trace.loop is None:
        ex = Explainer(model, codes[-1])
        if not ex.value(prop.expr):
            return ()
        return (f"{prop.name} holds in state {len(codes) - 1}:", *ex.true(prop.expr).lines(1))
    if trace.loop is None:
        return ()
    loop = trace.loop
    target = prop.target if kind == "leads_to" else prop.expr
    tail = codes[loop:]
    if any(eval_expr(target, c) for c in tail):
        return ()
    lines: list[str] = []
    if kind == "leads_to":
        start = None
        for i, c in enumerate(codes):
            if eval_expr(prop.expr, c) and not any(eval_expr(target, d) for d in codes[i:]):
                start = i
                break
        if start is not None:
            lines.append(f"the trigger of {prop.name} holds in state {start}:")
            lines += Explainer(model, codes[start]).true(prop.expr).lines(1)
    span = f"states {loop}..{len(codes) - 1}" if len(codes) - 1 > loop else f"state {loop}"
    lines.append(f"the response never holds again: it is false in every state of the loop ({span}); in state {loop}:")
    lines += Explainer(model, codes[loop]).false(target).lines(1)
    return tuple(lines)


def annotate(model: Any, props: Sequence[Any], result: Any) -> Any:
    """Attach the explanation to every counterexample of ``result`` (trace and ``extra["why"]``)."""
    by_name = {p.name: p for p in props}
    out = result
    for r in result.properties:
        prop = by_name.get(r.name)
        if prop is None or r.trace is None or r.verdict != "violated":
            continue
        why = explain_trace(model, prop, r.trace)
        if not why:
            continue
        new = attrs.evolve(r, trace=attrs.evolve(r.trace, why=why), extra={**r.extra, "why": list(why)})
        out = attrs.evolve(out, properties=tuple(new if x.name == r.name else x for x in out.properties))
    return out
