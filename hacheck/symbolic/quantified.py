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


def _connective(mk, unit: bool):
    def build(parts: list[z3.BoolRef]) -> z3.BoolRef:
        """z3.And / z3.Or without z3py's per-argument coercion (the ground formulas have many)."""
        if not parts:
            return z3.BoolVal(unit)
        if len(parts) == 1:
            return parts[0]
        ctx = parts[0].ctx
        arr = (z3.Ast * len(parts))(*[p.as_ast() for p in parts])
        return z3.BoolRef(mk(ctx.ref(), len(parts), arr), ctx)
    return build


fast_and = _connective(z3.Z3_mk_and, True)
fast_or = _connective(z3.Z3_mk_or, False)


def n_text(op: str, k: int, sum_node: tuple) -> str:
    c = sum(d[1] for d in sum_node[1] if d[0] == "int")
    return f"{op} {k}" + (f" (with {c} added to the count)" if c else "")


class QEncoding:
    def __init__(self, pm: ParamModel, size: int | None = None):
        """``size``: None for every size at once; a number for exactly that many elements per sort
        (quantifiers expanded: a fast, quantifier-free filter whose counterexamples are real ones)."""
        self.pm = pm
        self.size = size
        self.sorts = {s: z3.DeclareSort(s) for s in pm.sorts}
        self.none = {s: z3.Const(f"None_{s}", self.sorts[s]) for s in pm.sorts}
        self.domain = ({s: [z3.Const(f"{s}!e{i}", self.sorts[s]) for i in range(size)] for s in pm.sorts}
                       if size is not None else None)
        self.funcs: dict[str, z3.FuncDeclRef] = {}
        for f in pm.families:
            rng = self.value_sort(f.type)
            self.funcs[f.name] = z3.Function(f.name.replace("[*]", "").replace("[", "@").replace("]", ""),
                                             *(self.sorts[s] for s in f.arg_sorts), rng)
        # element-choosing functions (param_lift.Function, e.g. client_of: Write -> Client): uninterpreted
        # and rigid (the same in every state), so a proof holds for every such assignment
        self.fns = {fn.name: z3.Function(f"fn!{fn.name}", self.sorts[fn.dom], self.sorts[fn.cod]) for fn in pm.functions}
        self._fresh = itertools.count()
        self._memo: dict[object, dict] = {}

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

        memo: dict[tuple, z3.ExprRef] = {}

        def app(fam: str, args: Sequence[z3.ExprRef]) -> z3.ExprRef:
            key = (fam, tuple(a.get_id() for a in args))
            got = memo.get(key)
            if got is not None:
                return got
            out = self.cur(fam, args)
            for u in reversed(by_fam.get(fam, [])):
                conds, bind = [], {}
                for pat, a in zip(u.args, args):
                    if isinstance(pat, tuple):  # the target x[f(p)] of a parameter p
                        if pat[2] not in params:
                            raise Unsupported(f"an update of {fam} at {pat[1]}({pat[2]}) of a variable of the update")
                        conds.append(self.eq(a, self.fns[pat[1]](params[pat[2]])))
                    elif pat in params:
                        conds.append(self.eq(a, params[pat]))
                    elif pat in bind:
                        conds.append(self.eq(a, bind[pat]))
                    else:
                        bind[pat] = a
                for v, sort in u.vars:
                    conds.append(z3.Not(self.eq(bind[v], self.none[sort])))
                    conds += [z3.Not(self.eq(bind[v], params[w])) for w in u.avoid if w in params]
                for (v, s1), (w, s2) in itertools.combinations(u.vars, 2):
                    if s1 == s2:
                        conds.append(z3.Not(self.eq(bind[v], bind[w])))
                conds = [c for c in (z3.simplify(c) if self.domain is not None else c for c in conds)
                         if not z3.is_true(c)]
                if any(z3.is_false(c) for c in conds):
                    continue
                if u.where is not None:  # a family of updates over the elements a function maps to a parameter
                    conds.append(self.ev(u.where, {**params, **bind}, self.cur))
                value = self.ev(u.value, {**params, **bind}, self.cur)
                out = z3.If(z3.And(*conds), value, out) if conds else value
            memo[key] = out
            return out

        app.memo_key = object()  # type: ignore[attr-defined]
        return app

    # -- formulas -------------------------------------------------------------------------------------
    def ev(self, n: tuple, env: Env, st: Callable[[str, Sequence[z3.ExprRef]], z3.ExprRef]) -> z3.ExprRef:
        if self.domain is None or n[0] in ("forall", "exists", "var", "none", "int", "bool"):
            return self._ev(n, env, st)
        # with a fixed size every formula is ground: candidates share their atoms, built once per state
        memo = self._memo.setdefault(getattr(st, "memo_key", "cur"), {})
        key = (n, tuple((k, id(v)) for k, v in env.items()))  # the named elements are long-lived objects
        got = memo.get(key)
        if got is None:
            got = memo[key] = self._ev(n, env, st)
        return got

    def _ev(self, n: tuple, env: Env, st: Callable[[str, Sequence[z3.ExprRef]], z3.ExprRef]) -> z3.ExprRef:
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
            return st(n[1], [env[a] if isinstance(a, str) else self.fns[a[1]](env[a[2]]) for a in n[2]])
        if tag == "fn":
            return self.fns[n[1]](env[n[2]])
        if tag == "not":
            return z3.Not(self.ev(n[1], env, st))
        if tag in ("and", "or"):
            parts = [self.ev(a, env, st) for a in n[1]]
            return (fast_and if tag == "and" else fast_or)(parts)
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
            return self.quant(tag, n[1], n[2], env, lambda e: self.ev(n[3], e, st))
        if tag == "havoc":  # a guard comparison with a fold, read as a free choice (param_lift.Lifter)
            return z3.Bool(f"havoc_{n[1]}")
        if tag == "sum":
            raise Unsupported("a sum over a sort outside a comparison with 0 or 1 (counting is not first-order)")
        raise Unsupported(f"cannot encode {tag}")

    def eq(self, a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
        """a == b, decided at once for two named elements of a fixed size (they are distinct)."""
        if self.domain is not None and self._named(a) and self._named(b):
            return z3.BoolVal(a.eq(b))
        return a == b

    def _named(self, x: z3.ExprRef) -> bool:
        return z3.is_const(x) and (x.decl().name().startswith("None_") or "!" in x.decl().name()
                                   and x.decl().name().split("!")[0] in self.sorts)

    def quant(self, kind: str, vars_: tuple, avoid: tuple, env: Env, body: Callable[[Env], z3.BoolRef]) -> z3.BoolRef:
        """forall/exists over distinct elements (distinct from the avoided variables, not None)."""
        if self.domain is None:
            consts, cond = self.bind(vars_, avoid, env)
            b = body({**env, **{v: c for (v, _), c in zip(vars_, consts)}})
            return z3.ForAll(consts, z3.Implies(cond, b)) if kind == "forall" else z3.Exists(consts, z3.And(cond, b))
        parts = [body({**env, **binding}) for binding in self.bindings(vars_, avoid, env)]
        return fast_and(parts) if kind == "forall" else fast_or(parts)

    def bindings(self, vars_: tuple, avoid: tuple, env: Env) -> list[Env]:
        """With a fixed size: every assignment of distinct named elements to the variables."""
        assert self.domain is not None
        out = []
        for combo in itertools.product(*(self.domain[s] for _, s in vars_)):
            if len({c.get_id() for c in combo}) != len(combo):
                continue
            if any(c.eq(env[w]) for c in combo for w in avoid if w in env):
                continue
            out.append({v: c for (v, _), c in zip(vars_, combo)})
        return out

    def all(self, consts: list[z3.ExprRef], body: z3.BoolRef) -> z3.BoolRef:
        if self.domain is None:
            return z3.ForAll(consts, body)
        return z3.And(*self.expand(consts, body))

    def some(self, consts: list[z3.ExprRef], body: z3.BoolRef) -> z3.BoolRef:
        if self.domain is None:
            return z3.Exists(consts, body)
        return z3.Or(*self.expand(consts, body))

    def expand(self, consts: list[z3.ExprRef], body: z3.BoolRef) -> list[z3.BoolRef]:
        assert self.domain is not None
        pools = [self.domain[c.sort().name()] for c in consts]
        return [z3.substitute(body, *zip(consts, combo)) for combo in itertools.product(*pools)]

    def universe(self) -> list[z3.BoolRef]:
        """With a size: every element of a sort is None or one of its ``size`` distinct elements."""
        if self.domain is None:
            return []
        out = []
        for s, elems in self.domain.items():
            x = z3.Const(f"any_{s}", self.sorts[s])
            out.append(z3.Distinct(self.none[s], *elems))
            out.append(z3.ForAll([x], z3.Or(x == self.none[s], *(x == e for e in elems))))
        return out

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
        terms = []  # per summand: a direct condition or a family; constants move to the other side
        j = b[1]
        for d in a[1]:
            if d[0] == "int":
                j -= d[1]
            else:
                terms.append(("direct", self.one_cond(d)))
        for fam in a[2]:
            terms.append(("fam", fam))
        if op == "<":
            op, j = "<=", j - 1
        elif op == ">":
            op, j = ">=", j + 1
        if op == "<=":
            mode = "false" if j < 0 else {0: "none", 1: "atmost1"}.get(j)
        elif op == ">=":
            mode = "true" if j <= 0 else {1: "some"}.get(j)
        elif op == "==":
            mode = "false" if j < 0 else {0: "none"}.get(j)
        else:
            mode = "true" if j < 0 else {0: "some"}.get(j)
        if mode is None:
            raise Unsupported(f"a count compared with {n_text(op, b[1], a)}: only <= 1, == 0 and >= 1 are "
                              "first-order (a quorum-like count needs arithmetic over the sort's size)")
        if mode in ("true", "false"):
            return z3.BoolVal(mode == "true")

        if self.domain is not None:  # ground: one condition per summand
            ground = []
            for kind, x in terms:
                if kind == "direct":
                    ground.append(self.ev(x, env, st))
                else:
                    for b_ in self.bindings(x[1], x[2], env):
                        ground.append(self.ev(self.one_cond(x[3]), {**env, **b_}, st))
            if mode in ("some", "none"):
                some = z3.Or(*ground) if ground else z3.BoolVal(False)
                return some if mode == "some" else z3.Not(some)
            return z3.And(*(z3.Not(z3.And(x, y)) for x, y in itertools.combinations(ground, 2)))

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
                ors.append(self.some(consts, z3.And(cond, c)) if consts else c)
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
                excl.append(z3.Not(self.some(qs, z3.And(*both))) if qs else z3.Not(z3.And(*both)))
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
        out = self.universe() if st == self.cur else []
        for f in self.pm.families:
            vars_ = tuple((f"a{i}", s) for i, s in enumerate(f.arg_sorts))
            t = f.type
            if t[0] not in ("Int", "Enum", "Fixed") and not (t[0] == "Elem" and not t[2]):
                continue

            def within(env: Env, f=f, t=t, vars_=vars_) -> z3.BoolRef:
                v = st(f.name, [env[x] for x, _ in vars_])
                if t[0] == "Int":
                    return z3.And(v >= t[1], v <= t[2])
                if t[0] == "Enum":
                    return z3.And(v >= 0, v < len(t[1]))
                if t[0] == "Fixed":
                    return z3.And(v >= 0, v < len(t[2]) + (1 if t[3] else 0))
                return z3.Not(self.eq(v, self.none[t[1]]))

            out.append(self.quant("forall", vars_, (), {}, within) if vars_ else within({}))
        if st == self.cur:  # a function maps every element to an element (never to None)
            for fn in self.pm.functions:
                out.append(self.quant("forall", (("x", fn.dom),), (), {},
                                      lambda env, fn=fn: z3.Not(self.eq(self.fns[fn.name](env["x"]), self.none[fn.cod]))))
        return out

    def init(self) -> list[z3.BoolRef]:
        out = self.ranges(self.cur)
        for f in self.pm.families:
            if f.init is None:
                continue
            vars_ = tuple((f"a{i}", s) for i, s in enumerate(f.arg_sorts))
            vals = [self.none[f.type[1]] if x == NONE else z3.BoolVal(bool(x)) if f.type[0] == "Bool" else z3.IntVal(x)
                    for x in f.init]

            def initial(env: Env, f=f, vars_=vars_, vals=vals) -> z3.BoolRef:
                v = self.cur(f.name, [env[x] for x, _ in vars_])
                return z3.Or(*(v == x for x in vals))

            out.append(self.quant("forall", vars_, (), {}, initial) if vars_ else initial({}))
        out += [self.ev(c, {}, self.cur) for c in self.pm.init + self.pm.init_clauses]
        return out

    def action_params(self, act: PAction) -> tuple[Env, list[z3.BoolRef]]:
        if self.domain is not None:  # the sorts are symmetric: the parameters may as well be the first elements
            used: dict[str, int] = {}
            env = {}
            for v, s in act.params:
                if used.get(s, 0) >= len(self.domain[s]):
                    return {}, [z3.BoolVal(False)]  # more distinct parameters than elements
                env[v] = self.domain[s][used.get(s, 0)]
                used[s] = used.get(s, 0) + 1
            return env, []
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
