"""The parametric model (``param_lift``) as a quantified z3 encoding, for every size at once.

Each parametric sort is an uninterpreted z3 sort: a z3 model of it may have any number of
elements, so a formula valid here is valid for every number of hosts. A state is one z3 function
per family of fields (``run[*]`` : Host -> Bool, ``qemu[*][*]`` : VM x Host -> Int), a scalar
field a constant. An optional element is a value of the sort: one constant ``None_Host`` stands for
None, and quantifiers range over the other elements. Enums and integers are z3 integers with their
range as axioms. An action's parameters are fresh constants (the existential over the sort,
Skolemised); its next state is the current state's functions overridden where it assigns.

Counting is not first-order: ``count(Host, c) <= 1`` becomes "no two distinct hosts both satisfy c",
``>= 1`` an existential and ``== 0`` a universal; any other comparison of a count is reported as
unsupported, never approximated. Every query carries a deterministic z3 resource limit; a query
that exhausts it counts as "not shown" (a candidate is dropped, a final check fails), never as a
proof.
"""

from __future__ import annotations

import itertools
from typing import Callable, Sequence

import z3

from .param_lift import NONE, NotParametric, PAction, ParamModel

Env = dict[str, z3.ExprRef]


class Unsupported(NotParametric):
    """A construct the quantified encoding cannot express exactly."""


class QEncoding:
    def __init__(self, pm: ParamModel):
        self.pm = pm
        self.sorts = {s: z3.DeclareSort(s) for s in pm.sorts}
        self.none = {s: z3.Const(f"None_{s}", self.sorts[s]) for s in pm.sorts}
        self.funcs: dict[str, z3.FuncDeclRef] = {}
        for f in pm.families:
            rng = self.value_sort(f.type)
            self.funcs[f.name] = z3.Function(f.name.replace("[*]", "").replace("[", "@").replace("]", ""),
                                             *(self.sorts[s] for s in f.arg_sorts), rng)
        self._fresh = itertools.count()

    def value_sort(self, t: tuple) -> z3.SortRef:
        if t[0] == "Bool":
            return z3.BoolSort()
        if t[0] == "Elem":
            return self.sorts[t[1]]
        return z3.IntSort()

    def fresh(self, name: str, sort: str) -> z3.ExprRef:
        return z3.Const(f"{name.strip('_')}!{next(self._fresh)}", self.sorts[sort])

    # -- states ---------------------------------------------------------------------------------------
    def cur(self, fam: str, args: Sequence[z3.ExprRef]) -> z3.ExprRef:
        f = self.funcs[fam]
        return f(*args) if args else f()

    def next_state(self, act: PAction, params: Env) -> Callable[[str, Sequence[z3.ExprRef]], z3.ExprRef]:
        """The state after ``act`` with these parameter values, as a function like :meth:`cur`."""
        by_fam: dict[str, list] = {}
        for u in act.updates:
            by_fam.setdefault(u.family, []).append(u)

        def app(fam: str, args: Sequence[z3.ExprRef]) -> z3.ExprRef:
            out = self.cur(fam, args)
            for u in reversed(by_fam.get(fam, [])):
                conds, bind = [], {}
                for pat, a in zip(u.args, args):
                    if pat in params:
                        conds.append(a == params[pat])
                    elif pat in bind:
                        conds.append(a == bind[pat])
                    else:
                        bind[pat] = a
                sorts = dict(u.vars)
                for v, sort in u.vars:
                    conds.append(bind[v] != self.none[sort])
                    conds += [bind[v] != params[w] for w in u.avoid if w in params]
                for (v, s1), (w, s2) in itertools.combinations(u.vars, 2):
                    if s1 == s2:
                        conds.append(bind[v] != bind[w])
                del sorts
                value = self.ev(u.value, {**params, **bind}, self.cur)
                out = z3.If(z3.And(*conds), value, out) if conds else value
            return out

        return app

    # -- formulas -------------------------------------------------------------------------------------
    def ev(self, n: tuple, env: Env, st: Callable[[str, Sequence[z3.ExprRef]], z3.ExprRef]) -> z3.ExprRef:
        tag = n[0]
        if tag == "var":
            return env[n[1]]
        if tag == "none":
            return self.none[n[1]]
        if tag == "int":
            return z3.IntVal(n[1])
        if tag == "bool":
            return z3.BoolVal(n[1])
        if tag == "app":
            return st(n[1], [env[a] for a in n[2]])
        if tag == "not":
            return z3.Not(self.ev(n[1], env, st))
        if tag in ("and", "or"):
            parts = [self.ev(a, env, st) for a in n[1]]
            return (z3.And if tag == "and" else z3.Or)(*parts) if parts else z3.BoolVal(tag == "and")
        if tag == "cmp":
            op, a, b = n[1], n[2], n[3]
            if a[0] == "sum" or b[0] == "sum":
                return self.count_cmp(op, a, b, env, st)
            x, y = self.ev(a, env, st), self.ev(b, env, st)
            return {"==": lambda: x == y, "!=": lambda: x != y, "<": lambda: x < y, "<=": lambda: x <= y,
                    ">": lambda: x > y, ">=": lambda: x >= y}[op]()
        if tag == "arith":
            op, x, y = n[1], self.ev(n[2], env, st), self.ev(n[3], env, st)
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            if op == "min":
                return z3.If(x <= y, x, y)
            if op == "max":
                return z3.If(x >= y, x, y)
            raise Unsupported(f"the operator {op} in a parametric model")
        if tag == "ite":
            return z3.If(self.ev(n[1], env, st), self.ev(n[2], env, st), self.ev(n[3], env, st))
        if tag in ("forall", "exists"):
            consts, cond = self.bind(n[1], n[2], env)
            body = self.ev(n[3], {**env, **{v: c for (v, _), c in zip(n[1], consts)}}, st)
            if tag == "forall":
                return z3.ForAll(consts, z3.Implies(cond, body))
            return z3.Exists(consts, z3.And(cond, body))
        if tag == "sum":
            raise Unsupported("a sum over a sort outside a comparison with 0 or 1 (counting is not first-order)")
        raise Unsupported(f"cannot encode {tag}")

    def bind(self, vars_: tuple, avoid: tuple, env: Env) -> tuple[list[z3.ExprRef], z3.BoolRef]:
        consts = [self.fresh(v, s) for v, s in vars_]
        cond = [c != self.none[s] for c, (_, s) in zip(consts, vars_)]
        for c, (_, s) in zip(consts, vars_):
            cond += [c != env[w] for w in avoid if env[w].sort() == self.sorts[s]]
        for (c1, (_, s1)), (c2, (_, s2)) in itertools.combinations(list(zip(consts, vars_)), 2):
            if s1 == s2:
                cond.append(c1 != c2)
        return consts, z3.And(*cond) if cond else z3.BoolVal(True)

    def count_cmp(self, op: str, a: tuple, b: tuple, env: Env, st) -> z3.BoolRef:
        """``count <= 1`` (at most one), ``count >= 1`` / ``> 0`` (some), ``count == 0`` / ``< 1`` (none)."""
        if a[0] != "sum":
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]
            a, b = b, a
        if b[0] != "int" or b[0] == "sum":
            raise Unsupported("a count compared with something other than a constant (counting is not first-order)")
        k = b[1]
        mode = {("<=", 1): "atmost1", ("<", 2): "atmost1", ("<=", 0): "none", ("<", 1): "none", ("==", 0): "none",
                (">=", 1): "some", (">", 0): "some", ("!=", 0): "some"}.get((op, k))
        if mode is None:
            raise Unsupported(f"a count compared with {op} {k}: only <= 1, == 0 and >= 1 are first-order "
                              "(a quorum-like count needs arithmetic over the sort's size)")
        terms = []  # (condition builder) per summand: direct terms and families
        for d in a[1]:
            terms.append(("direct", self.one_cond(d)))
        for fam in a[2]:
            terms.append(("fam", fam))

        def sat_of(t, env2):
            kind, x = t
            if kind == "direct":
                return [], z3.BoolVal(True), self.ev(x, env2, st)
            _, vars_, avoid, body = x
            consts, cond = self.bind(vars_, avoid, env2)
            return consts, cond, self.ev(self.one_cond(body), {**env2, **{v: c for (v, _), c in zip(vars_, consts)}}, st)

        if mode in ("some", "none"):
            ors = []
            for t in terms:
                consts, cond, c = sat_of(t, env)
                ors.append(z3.Exists(consts, z3.And(cond, c)) if consts else c)
            some = z3.Or(*ors) if ors else z3.BoolVal(False)
            return some if mode == "some" else z3.Not(some)
        excl = []
        for i, t in enumerate(terms):
            for u in terms[i:]:
                if t is u and t[0] == "direct":
                    continue
                c1s, cond1, c1 = sat_of(t, env)
                c2s, cond2, c2 = sat_of(u, env)
                both = [cond1, cond2, c1, c2]
                if t is u:  # the same family twice: two different summands are two different tuples
                    both.append(z3.Or(*(x != y for x, y in zip(c1s, c2s))))
                qs = c1s + c2s
                excl.append(z3.Not(z3.Exists(qs, z3.And(*both))) if qs else z3.Not(z3.And(*both)))
        return z3.And(*excl) if excl else z3.BoolVal(True)

    @staticmethod
    def one_cond(n: tuple) -> tuple:
        """The condition c of a summand ite(c, 1, 0)."""
        if n[0] == "ite" and n[2] == ("int", 1) and n[3] == ("int", 0):
            return n[1]
        raise Unsupported("a sum whose terms are not ite(condition, 1, 0) (a count)")

    # -- the model's parts ----------------------------------------------------------------------------
    def ranges(self, st) -> list[z3.BoolRef]:
        """Every state function's values within their declared types, for every argument."""
        out = []
        for f in self.pm.families:
            vars_ = tuple((f"a{i}", s) for i, s in enumerate(f.arg_sorts))
            consts, cond = self.bind(vars_, (), {})
            v = st(f.name, consts)
            t = f.type
            if t[0] == "Int":
                c = z3.And(v >= t[1], v <= t[2])
            elif t[0] == "Enum":
                c = z3.And(v >= 0, v < len(t[1]))
            elif t[0] == "Fixed":
                c = z3.And(v >= 0, v < len(t[2]) + (1 if t[3] else 0))
            elif t[0] == "Elem" and not t[2]:
                c = v != self.none[t[1]]
            else:
                continue
            out.append(z3.ForAll(consts, z3.Implies(cond, c)) if consts else c)
        return out

    def init(self) -> list[z3.BoolRef]:
        out = self.ranges(self.cur)
        for f in self.pm.families:
            if f.init is None:
                continue
            vars_ = tuple((f"a{i}", s) for i, s in enumerate(f.arg_sorts))
            consts, cond = self.bind(vars_, (), {})
            v = self.cur(f.name, consts)
            vals = [self.none[f.type[1]] if x == NONE else z3.BoolVal(bool(x)) if f.type[0] == "Bool" else z3.IntVal(x)
                    for x in f.init]
            c = z3.Or(*(v == x for x in vals))
            out.append(z3.ForAll(consts, z3.Implies(cond, c)) if consts else c)
        out += [self.ev(c, {}, self.cur) for c in self.pm.init]
        return out

    def action_params(self, act: PAction) -> tuple[Env, list[z3.BoolRef]]:
        env = {v: self.fresh(v, s) for v, s in act.params}
        facts = [env[v] != self.none[s] for v, s in act.params]
        for (v, s1), (w, s2) in itertools.combinations(act.params, 2):
            if s1 == s2:
                facts.append(env[v] != env[w])
        return env, facts


def check(s: z3.Solver) -> z3.CheckSatResult:
    try:
        return s.check()
    except z3.Z3Exception:
        return z3.unknown
