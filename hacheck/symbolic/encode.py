"""Translate a model's expression trees to z3 terms, once.

A state is one z3 variable per scalar field holding its *natural* value (Int as itself, Enum and
Elem as indices), with range constraints. The transition relation is built once over two symbolic
states ``x`` and ``x'`` as one disjunct per action instance, each tagged by an indicator
``act == i`` and carrying its frame (fields the action does not assign keep their value); the
unrolling for step k substitutes step variables into it inside z3 rather than rebuilding it.

Two encodings are offered: fixed-width bit-vectors (``bv``, solved by z3's incremental
finite-domain SAT solver: measured fastest for BMC and k-induction on the shipped models) and
mathematical integers (``int``, the one Spacer's CHC solving needs). docs/symbolic.md has figures.
"""

from __future__ import annotations

from typing import Sequence

import z3

from ..lang.errors import ModelError
from ..lang.expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or
from ..lang.model import Model
from ..lang.types import BoolT, IntT


class Encoding:
    def __init__(self, model: Model, kind: str = "int"):
        if kind not in ("int", "bv"):
            raise ModelError(f"unknown SMT encoding {kind!r} (use int or bv)", location="")
        self.model = model
        self.kind = kind
        self.width = self._width() if kind == "bv" else 0
        self.cur = self.state_vars("")
        self.nxt = self.state_vars("'")
        n = len(model.instances)
        self.sel = self.sel_vars("")
        self.init = self._init(self.cur)
        self.ranges_cur = self.ranges(self.cur)
        self.ranges_nxt = self.ranges(self.nxt)
        self.trans = self._functional() if n else z3.BoolVal(False)
        self.range_errors = self._range_errors()

    # -- variables ------------------------------------------------------------------------------
    def _width(self) -> int:
        hi = 1
        for f in self.model.fields:
            t = f.type
            hi = max(hi, abs(t.lo), abs(t.hi)) if isinstance(t, IntT) else max(hi, t.size())
        from ..lang.expr import walk

        roots: list[Expr] = [p.expr for p in self.model.properties.values()]
        for inst in self.model.instances:
            roots.append(inst.guard)
            roots += [e for _, e in inst.updates]
        for r in roots:
            for node in walk(r):
                if isinstance(node.type, IntT):
                    hi = max(hi, abs(node.type.lo), abs(node.type.hi))
        return max(4, (hi * 2).bit_length() + 2)

    def state_vars(self, suffix: str) -> list[z3.ExprRef]:
        out = []
        for f in self.model.fields:
            name = f"{f.name}{suffix}"
            if isinstance(f.type, BoolT):
                out.append(z3.Bool(name))
            elif self.kind == "bv":
                out.append(z3.BitVec(name, self.width))
            else:
                out.append(z3.Int(name))
        return out

    def sel_vars(self, suffix: str) -> list[z3.BoolRef]:
        """One indicator per action instance: which disjunct of the transition relation fired."""
        # "!" cannot start a field's name, so no field's variable can be taken for an indicator
        return [z3.Bool(f"!sel{i}{suffix}") for i in range(len(self.model.instances))]

    def act_value(self, model: z3.ModelRef, sels: Sequence[z3.BoolRef]) -> int:
        for i, b in enumerate(sels):
            if z3.is_true(model.eval(b, model_completion=True)):
                return i
        raise ModelError("z3 model names no action", location="")

    def num(self, v: int) -> z3.ExprRef:
        return z3.BitVecVal(v, self.width) if self.kind == "bv" else z3.IntVal(v)

    def ranges(self, xs: Sequence[z3.ExprRef]) -> z3.BoolRef:
        cs = []
        for f, x in zip(self.model.fields, xs):
            t = f.type
            if isinstance(t, BoolT):
                continue
            lo, hi = (t.lo, t.hi) if isinstance(t, IntT) else (0, t.size() - 1)
            cs.append(self._le(self.num(lo), x))
            cs.append(self._le(x, self.num(hi)))
        return z3.And(*cs) if cs else z3.BoolVal(True)

    def _le(self, a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
        return a <= b  # signed for both Int and BitVec in z3py

    # -- expressions ----------------------------------------------------------------------------
    def expr(self, e: Expr, xs: Sequence[z3.ExprRef], memo: dict[int, z3.ExprRef] | None = None) -> z3.ExprRef:
        memo = {} if memo is None else memo
        k = id(e)
        if k in memo:
            return memo[k]
        r = self._expr(e, xs, memo)
        memo[k] = r
        return r

    def _expr(self, e: Expr, xs: Sequence[z3.ExprRef], memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        if isinstance(e, Const):
            return z3.BoolVal(bool(e.value)) if isinstance(e.type, BoolT) else self.num(e.value)
        if isinstance(e, Field):
            return xs[e.index]
        if isinstance(e, Not):
            return z3.Not(self.expr(e.arg, xs, memo))
        if isinstance(e, And):
            return z3.And(*(self.expr(a, xs, memo) for a in e.args))
        if isinstance(e, Or):
            return z3.Or(*(self.expr(a, xs, memo) for a in e.args))
        if isinstance(e, Cmp):
            a, b = self.expr(e.a, xs, memo), self.expr(e.b, xs, memo)
            return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
                    ">": lambda: a > b, ">=": lambda: a >= b}[e.op]()
        if isinstance(e, Arith):
            a, b = self.expr(e.a, xs, memo), self.expr(e.b, xs, memo)
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            if e.op == "min":
                return z3.If(a <= b, a, b)
            if e.op == "max":
                return z3.If(a >= b, a, b)
            if e.op in ("//", "%"):
                return self._floor_divmod(a, b, e.op)
        if isinstance(e, Ite):
            return z3.If(self.expr(e.cond, xs, memo), self.expr(e.then, xs, memo), self.expr(e.else_, xs, memo))
        raise ModelError(f"cannot encode {type(e).__name__} for z3", location="")

    def _floor_divmod(self, a: z3.ExprRef, b: z3.ExprRef, op: str) -> z3.ExprRef:
        """Python's floor division and modulo (z3's Int division is Euclidean, BV's truncating)."""
        zero = self.num(0)
        if self.kind == "bv":
            q = a / b  # signed, truncating toward zero
            r = z3.SRem(a, b)
        else:
            # Euclidean: a = b*q + r, 0 <= r < |b|; convert to truncation first
            qe, re = a / b, a % b
            q = z3.If(z3.And(a < zero, re != zero), z3.If(b > zero, qe + 1, qe - 1), qe)
            r = a - b * q
        adjust = z3.And(r != zero, (r < zero) != (b < zero))
        if op == "//":
            return z3.If(adjust, q - 1, q)
        return z3.If(adjust, r + b, r)

    # -- init and transitions ----------------------------------------------------------------------
    def _init(self, xs: Sequence[z3.ExprRef]) -> z3.BoolRef:
        m = self.model
        cs = []
        for f, x in zip(m.fields, xs):
            codes = m._init.get(f.index, [0])  # allowed initial codes
            t = f.type
            nat = [c + t.lo if isinstance(t, IntT) else c for c in codes]
            if isinstance(t, BoolT):
                if len(set(nat)) == 1:
                    cs.append(x if nat[0] else z3.Not(x))
            elif len(nat) < t.size():
                cs.append(z3.Or(*(x == self.num(v) for v in nat)))
        cs += [self.expr(c, xs) for c in m.init_constraints]
        cs.append(self.ranges(xs))
        return z3.And(*cs)

    def _functional(self) -> z3.BoolRef:
        """T(x, act, x'): act names one enabled instance, and every field's next value is a
        function of act and x (the instance's update, or the old value: the frame).

        Equivalent to the disjunction over instances (each disjunct = guard, updates, frame), but
        each field is constrained once instead of once per instance: measured several times
        faster on the shipped models (docs/symbolic.md).
        """
        m = self.model
        memo: dict[int, z3.ExprRef] = {}
        parts = [z3.PbEq([(x, 1) for x in self.sel], 1)]
        by_field: dict[int, list[tuple[int, z3.ExprRef]]] = {}
        for inst in m.instances:
            parts.append(z3.Implies(self.sel[inst.index], self.expr(inst.guard, self.cur, memo)))
            for fid, ex in inst.updates:
                by_field.setdefault(fid, []).append((inst.index, self.expr(ex, self.cur, memo)))
        for fid in range(len(m.fields)):
            value = self.cur[fid]
            for i, v in reversed(by_field.get(fid, [])):
                value = z3.If(self.sel[i], v, value)
            parts.append(self.nxt[fid] == value)
        parts.append(self.ranges_nxt)
        return z3.And(*parts)

    def disjunct(self, i: int) -> z3.BoolRef:
        """Instance i as one disjunct of the transition relation (guard, updates, frame)."""
        return self._instance(i)

    def _instance(self, i: int) -> z3.BoolRef:
        inst = self.model.instances[i]
        memo: dict[int, z3.ExprRef] = {}
        assigned = {fid for fid, _ in inst.updates}
        parts = [self.sel[i], self.expr(inst.guard, self.cur, memo)]
        for fid, ex in inst.updates:
            parts.append(self.nxt[fid] == self.expr(ex, self.cur, memo))
        for fid in range(len(self.model.fields)):
            if fid not in assigned:
                parts.append(self.nxt[fid] == self.cur[fid])
        return z3.And(*parts)

    def _range_errors(self) -> list[tuple[int, int, z3.BoolRef]]:
        """(instance, field, condition on x): the update would leave the field's range."""
        out = []
        for inst in self.model.instances:
            for fid, ex in inst.updates:
                if fid not in inst.range_checked:
                    continue
                t = self.model.fields[fid].type
                lo, hi = (t.lo, t.hi) if isinstance(t, IntT) else (0, t.size() - 1)
                v = self.expr(ex, self.cur)
                out.append((inst.index, fid, z3.And(self.expr(inst.guard, self.cur),
                                                    z3.Or(v < self.num(lo), v > self.num(hi)))))
        return out

    # -- steps --------------------------------------------------------------------------------------
    def step_vars(self, k: int) -> list[z3.ExprRef]:
        return self.state_vars(f"@{k}")

    def at(self, formula: z3.ExprRef, xs: Sequence[z3.ExprRef], sels: Sequence[z3.ExprRef] | None = None,
           nxt: Sequence[z3.ExprRef] | None = None) -> z3.ExprRef:
        pairs = list(zip(self.cur, xs))
        if nxt is not None:
            pairs += list(zip(self.nxt, nxt))
        if sels is not None:
            pairs += list(zip(self.sel, sels))
        return z3.substitute(formula, *pairs)

    def holds_at(self, formula: z3.BoolRef, codes: Sequence[int]) -> bool:
        """A formula over the current state, evaluated in the state with these codes."""
        pairs = []
        for f, x, c in zip(self.model.fields, self.cur, codes):
            t = f.type
            pairs.append((x, z3.BoolVal(bool(c)) if isinstance(t, BoolT) else self.num(c + t.lo if isinstance(t, IntT) else c)))
        return z3.is_true(z3.simplify(z3.substitute(formula, *pairs)))

    def value(self, model: z3.ModelRef, x: z3.ExprRef, field: int) -> int:
        """A field's code (as the explicit engine stores it) from a z3 model."""
        t = self.model.fields[field].type
        v = model.eval(x, model_completion=True)
        if isinstance(t, BoolT):
            return int(z3.is_true(v))
        n = v.as_signed_long() if self.kind == "bv" else v.as_long()
        return n - t.lo if isinstance(t, IntT) else n

    def pretty(self, term: z3.ExprRef) -> str:
        """A z3 term over the state fields, written as hacheck expressions are (& | ~ ==, field
        names as in traces, Enum and Elem values by name)."""
        fields = {f.name: f for f in self.model.fields}

        def value_of(t: z3.ExprRef, other: z3.ExprRef | None) -> str:
            if other is not None and z3.is_const(other) and other.decl().name() in fields and \
                    (z3.is_int_value(t) or z3.is_bv_value(t)):
                from ..lang.expr import show_const

                f = fields[other.decl().name()]
                n = t.as_long() if z3.is_int_value(t) else t.as_signed_long()
                from ..lang.types import IntT

                return show_const(n, f.type) if not isinstance(f.type, IntT) else str(n)
            return go(t, 9)

        bound: list[str] = []  # names of the variables bound by enclosing quantifiers

        def quantifier(t: z3.QuantifierRef) -> str:
            # Spacer's invariants may contain exists/forall over fresh variables: name them apart
            # from the fields and print the body with de Bruijn indices replaced by those names
            names = []
            for i in range(t.num_vars()):
                base = t.var_name(i).replace("!", "_") or "v"
                name, n = base, 0
                while name in fields or name in bound or name in names:
                    n += 1
                    name = f"{base}_{n}"
                names.append(name)
            consts = [z3.Const(nm, t.var_sort(i)) for i, nm in enumerate(names)]
            body = z3.substitute_vars(t.body(), *reversed(consts))
            bound.extend(names)
            try:
                text = go(body, 0)
            finally:
                del bound[len(bound) - len(names):]
            kind = "forall" if t.is_forall() else "exists" if t.is_exists() else "lambda"
            return f"{kind}([{', '.join(names)}], {text})"

        compare = {z3.Z3_OP_EQ: lambda x, y: x == y, z3.Z3_OP_DISTINCT: lambda x, y: x != y,
                   z3.Z3_OP_LE: lambda x, y: x <= y, z3.Z3_OP_GE: lambda x, y: x >= y,
                   z3.Z3_OP_LT: lambda x, y: x < y, z3.Z3_OP_GT: lambda x, y: x > y,
                   z3.Z3_OP_SLEQ: lambda x, y: x <= y, z3.Z3_OP_SGEQ: lambda x, y: x >= y,
                   z3.Z3_OP_SLT: lambda x, y: x < y, z3.Z3_OP_SGT: lambda x, y: x > y}

        def named_values(t: z3.ExprRef, negated: bool = False) -> str | None:
            """An Enum or Elem field compared with a code (either side, any comparison, as Spacer
            writes them: ``0 == e``, ``lease >= 1``): said with the values' names, as the set of
            values it allows (``e == 'x'``, ``lease != None``, ``leader in {h1, h2}``)."""
            from ..lang.expr import show_const
            from ..lang.types import BoolT, IntT

            k = t.decl().kind()
            args = t.children()
            if k not in compare or len(args) != 2:
                return None
            for f_side, n_side, flip in ((args[0], args[1], False), (args[1], args[0], True)):
                if z3.is_const(f_side) and f_side.decl().name() in fields and \
                        (z3.is_int_value(n_side) or z3.is_bv_value(n_side)):
                    break
            else:
                return None
            f = fields[f_side.decl().name()]
            if isinstance(f.type, (IntT, BoolT)):
                return None
            n = n_side.as_long() if z3.is_int_value(n_side) else n_side.as_signed_long()
            test = compare[k]
            codes = range(f.type.size())
            allowed = [c for c in codes if (test(n, c) if flip else test(c, n)) != negated]
            name = f.name
            if not allowed:
                return "false"
            if len(allowed) == len(codes):
                return "true"
            if len(allowed) == 1:
                return f"{name} == {show_const(allowed[0], f.type)}"
            if len(allowed) == len(codes) - 1:
                (other,) = set(codes) - set(allowed)
                return f"{name} != {show_const(other, f.type)}"
            return f"{name} in {{{', '.join(show_const(c, f.type) for c in allowed)}}}"

        def go(t: z3.ExprRef, prec: int) -> str:
            if z3.is_quantifier(t):
                return quantifier(t)
            if z3.is_app(t):
                named = named_values(t)
                if named is not None:
                    return f"({named})" if 4 < prec and named not in ("true", "false") else named
            if not z3.is_app(t):  # a free de Bruijn variable: should not occur, printed as z3 does
                return str(t).replace("\n", " ")
            if z3.is_true(t):
                return "true"
            if z3.is_false(t):
                return "false"
            if z3.is_int_value(t):
                return str(t.as_long())
            if z3.is_bv_value(t):
                return str(t.as_signed_long())
            if z3.is_const(t):
                return t.decl().name()
            k = t.decl().kind()
            args = t.children()
            if k == z3.Z3_OP_NOT:
                named = named_values(args[0], negated=True) if z3.is_app(args[0]) else None
                if named is not None:  # ~(lease == None) is lease != None
                    return f"({named})" if 4 < prec and named not in ("true", "false") else named
                return "~" + go(args[0], 9)
            if k in (z3.Z3_OP_AND, z3.Z3_OP_OR):
                op, p = (" & ", 2) if k == z3.Z3_OP_AND else (" | ", 1)
                text = op.join(go(a, p + 1) for a in args)
                return f"({text})" if p < prec else text
            if k in (z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT):
                op = "==" if k == z3.Z3_OP_EQ else "!="
                a, b = args[0], args[1]
                text = f"{go(a, 5)} {op} {value_of(b, a) if not z3.is_const(b) or z3.is_int_value(b) or z3.is_bv_value(b) else go(b, 5)}"
                return f"({text})" if 4 < prec else text
            if k == z3.Z3_OP_IMPLIES:
                return f"implies({go(args[0], 0)}, {go(args[1], 0)})"
            if k == z3.Z3_OP_ITE:
                return f"ite({go(args[0], 0)}, {go(args[1], 0)}, {go(args[2], 0)})"
            ops = {z3.Z3_OP_LE: "<=", z3.Z3_OP_GE: ">=", z3.Z3_OP_LT: "<", z3.Z3_OP_GT: ">",
                   z3.Z3_OP_SLEQ: "<=", z3.Z3_OP_SGEQ: ">=", z3.Z3_OP_SLT: "<", z3.Z3_OP_SGT: ">",
                   z3.Z3_OP_ADD: "+", z3.Z3_OP_SUB: "-", z3.Z3_OP_MUL: "*", z3.Z3_OP_BADD: "+",
                   z3.Z3_OP_BSUB: "-", z3.Z3_OP_BMUL: "*"}
            if k in ops and len(args) >= 2:
                text = f" {ops[k]} ".join(go(a, 6) for a in args)
                return f"({text})" if 5 < prec else text
            return str(t).replace("\n", " ")

        return go(term, 0)
