"""Read a built model as one model for every size of its parametric sorts.

A model is written once, in Python, and built for one size: ``forall(Host, ...)`` becomes a
conjunction with one conjunct per host, ``Map(Host, Bool)`` one field per host, an action with a
host parameter one instance per host. To prove a property for every number of hosts, this module
reads the built model back as a parametric one: it groups the conjuncts (disjuncts, summands,
updates, action instances) that are the same formula up to renaming one host into another, and
turns each complete group into a quantifier over the sort. A group is complete when it has one
member for every tuple of distinct elements that are not already named by an enclosing parameter
or quantifier; anything else (an expression naming ``h1`` in particular, an initial state that
places VMs on particular hosts, a count compared with 2) is not uniform in the size and is
reported as such, never guessed.

The reading is taken at two sizes (4 and 5 by default) and must be identical, so that a model
whose Python code branches on the size is caught. What this reading cannot see is a model whose
code behaves differently only at sizes other than those two: the verdict says which sizes were read.

Elements chosen by a function of other elements (Gluster: write ``w`` is issued by client
``w mod clients``, so the action instances of write w read the link of client f(w)) are read as an
uninterpreted, rigid function symbol ``client_of: Write -> Client`` (``detect_functions``): the
function is found from the instances (one parameter x, exactly one other element f(x) named; the
same f in every action, total, and every element of the codomain the image of two or more, which
``param.py`` arranges by reading with one sort at 2n+1 and the others at n). Then

- an element f(x) of a variable x is read as ``client_of(x)`` (a term, also as a field index);
- a group that covers exactly the elements a function maps to a named one (the writes of client
  c: ``or_(*(owner[b] == w for w in mine))``) is read as a quantifier restricted to them
  (``exists W: client_of(W) == c & owner[b] == W``), and so is a family of updates;
- an action that exists exactly for the parameter tuples on which a function agrees (eager-lock's
  handover between two writes of one client) gets that equality as a guard conjunct.

Why this is sound: each of these readings is checked against the built model, member by member,
like every other group: at the sizes read, the reading with ``client_of`` interpreted as the
model's own f *is* the model (the same guards and updates for every instance, the groups covering
exactly f's fibres, the actions existing exactly where the condition holds); anything else, e.g.
a group covering some other subset, an element that no function of a named element gives, or a
function that differs between two actions, stays refused with its reason. The quantified encoding
leaves ``client_of`` uninterpreted (only: it never yields None) and rigid (no action changes it), so
an inductive invariant of the reading holds for every number of elements *and every assignment*,
the model's ``w mod clients`` among them: an over-approximation of the model's behaviours, stated
in the verdict ("for every N and every assignment of writes to clients"). A property that holds
only for the model's own assignment (every client owns a write) is therefore not proved
(``tests/data/param_owner.py``). As for the rest of the reading, what is not seen is a model whose
code would behave differently at sizes other than the two read.

Nodes are plain tuples (hashable, compared structurally):

``("var", name)`` an element variable; ``("none", sort)``; ``("int", v)``; ``("bool", b)``;
``("app", family, args)`` a state function applied to variable names (or to ``("fn", f, x)``);
``("fn", f, x)`` the function f (``client_of``) of variable x; ``("not", a)``;
``("and"|"or", args)``; ``("cmp", op, a, b)``; ``("arith", op, a, b)``; ``("ite", c, a, b)``;
``("forall"|"exists"|"sumof", vars, avoid, body)`` with vars ``((name, sort), ...)`` ranging over
pairwise distinct elements, distinct from the variables named in avoid; a sum over a sort is ``("sum",
direct terms, sumof families)``.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs

from ..lang.errors import HacheckError
from ..lang.expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or
from ..lang.model import Model
from ..lang.sorts import Element
from ..lang.types import BoolT, ElemT, EnumT, IntT


NONE = -1  # the initial value None of an optional element of a parametric sort


class NotParametric(HacheckError):
    """The model, as built, is not one formula over every size of its sorts (with the reason)."""

    @property
    def bare_message(self) -> str:
        return str(self)


@attrs.frozen
class Family:
    """One state function: the fields of a variable that differ only in their parametric indices."""

    name: str  # "qemu[*][*]", "pen[*][network]", "gm"
    var: str
    fixed: tuple[str | None, ...]  # per index position: None (parametric) or the fixed element's name
    arg_sorts: tuple[str, ...]
    type: tuple  # ("Bool",) ("Int", lo, hi) ("Enum", values) ("Elem", sort, optional) ("Fixed", sort, names, optional)
    init: tuple[int, ...] | None  # allowed initial natural values (None: any value of the type)
    placed: bool = False  # the initial value differs by element (VM v1 starts on h1): read by init clauses

    def show(self, args: tuple[str, ...]) -> str:
        it = iter(args)
        base = self.var
        return base + "".join(f"[{next(it) if f is None else f}]" for f in self.fixed)


@attrs.frozen
class Function:
    """A rigid map between two parametric sorts that the model uses to pick an element from another
    (write w is issued by client ``w mod clients``), read as an uninterpreted function symbol."""

    name: str  # "client_of"
    dom: str  # "Write"
    cod: str  # "Client"


@attrs.frozen
class Update:
    family: str
    args: tuple[str, ...]  # action variables or this update's own variables
    vars: tuple[tuple[str, str], ...]  # the update's own variables: it is a family of updates
    avoid: tuple[str, ...]
    value: tuple
    where: tuple | None = None  # a family restricted to the elements a function maps to a variable's value


@attrs.frozen
class PAction:
    name: str  # the action with its non-parametric parameter values, e.g. "set_global_maintenance(v=True)"
    params: tuple[tuple[str, str], ...]  # (variable, sort): pairwise distinct within a sort
    guard: tuple
    updates: tuple[Update, ...]
    kind: str


@attrs.frozen
class ParamModel:
    name: str
    sorts: tuple[str, ...]
    families: tuple[Family, ...]
    init: tuple[tuple, ...]  # lifted initial-state constraints (besides the families' initial values)
    actions: tuple["PAction", ...]
    properties: tuple[tuple[str, Any], ...]  # (name, node or NotParametric message)
    init_clauses: tuple[tuple, ...] = ()  # for placed families: clauses true of every initial state built
    lemmas: tuple[tuple[str, Any], ...] = ()  # the stated lemmas (m.lemma): (name, node or message)
    abstracted: tuple[str, ...] = ()  # actions whose guards compare a fold, read as free choices (see Lifter)
    functions: tuple[Function, ...] = ()  # element-choosing functions, read as uninterpreted (see the docstring)

    @property
    def placed(self) -> tuple[str, ...]:
        return tuple(f.var for f in self.families if f.placed)

    def family(self, name: str) -> Family:
        for f in self.families:
            if f.name == name:
                return f
        raise KeyError(name)

    def prop(self, name: str) -> tuple:
        for n, node in self.properties:
            if n == name:
                if isinstance(node, str):
                    raise NotParametric(node)
                return node  # type: ignore[no-any-return]
        raise KeyError(name)


def type_key(t: Any) -> tuple:
    if isinstance(t, BoolT):
        return ("Bool",)
    if isinstance(t, IntT):
        return ("Int", t.lo, t.hi)
    if isinstance(t, EnumT):
        return ("Enum", t.values)
    assert isinstance(t, ElemT)
    return ("Elem", t.sort.name, t.optional)


class Lifter:
    def __init__(self, model: Model, parametric: set[str]):
        self.m = model
        self.ps = parametric
        self.field_fam: dict[int, tuple[str, tuple[Element, ...]]] = {}
        fams: dict[str, Family] = {}
        members: dict[str, list[int]] = {}
        for fd in model.fields:
            fixed = tuple(None if s.name in parametric else n for n, s in zip(fd.path, fd.key_sorts))
            args = tuple(s.element(n) for n, s in zip(fd.path, fd.key_sorts) if s.name in parametric)
            name = fd.var + "".join(f"[{'*' if f is None else f}]" for f in fixed)
            t = fd.type
            if isinstance(t, ElemT) and t.sort.name not in parametric:
                tk: tuple = ("Fixed", t.sort.name, tuple(e.name for e in t.sort), t.optional)
            else:
                tk = type_key(t)
            self.field_fam[fd.index] = (name, args)
            members.setdefault(name, []).append(fd.index)
            if name not in fams:
                fams[name] = Family(name, fd.var, fixed, tuple(a.sort.name for a in args), tk, None)
        self.members = members
        self.fams = fams
        self._elems: dict[int, frozenset[Element]] = {}
        self._fold: NotParametric | None = None
        # Over-approximation of a guard comparison with a fold (max_ over the other hosts: the hosted
        # engine's best remote score): with abstract_folds, such a comparison at the top level of an
        # action's guard (inside no quantifier) reads as ("havoc", k), a fresh Boolean of its own that
        # the step may choose freely. Every step of the model is then a step of the reading, so an
        # invariant of the reading is one of the model (never used in properties, lemmas, updates or
        # initial states, where it would not be sound).
        self.abstract_folds = False
        self._havoc: int | None = None  # the counter while an action's guard is lifted, else None
        # element-choosing functions (detect_functions): name -> (Function, its table at this size)
        self.fns: dict[str, tuple[Function, dict[Element, Element]]] = {}

    # -- functions that choose an element from another ----------------------------------------------
    def detect_functions(self) -> None:
        """Find the maps ``f: A -> B`` between parametric sorts that the actions use: an action instance
        with one parameter ``x`` of sort A whose guard and updates name exactly one element of sort B
        besides, ``f(x)``. A map is kept only when every action that shows one agrees, it is total on A,
        and every element of B is the image of at least two elements of A (so that "the elements of A
        that f maps to b" is a real group at this size, not one element that a bijection would name;
        param.py chooses the sizes of the reading so). Anything else is not a function here: the
        reading of such an element is then refused as before."""
        seen: dict[tuple[str, str], dict[Element, set[Element]]] = {}
        clash: set[tuple[str, str]] = set()
        for decl in self.m.actions:
            domains = dict(decl.params)
            for iid in decl.instances:
                inst = self.m.instances[iid]
                mine = [self.m.sorts[domains[p]].element(t) for p, t in inst.params if domains[p] in self.ps]
                if len(mine) != 1:
                    continue
                (x,) = mine
                named: set[Element] = set(self.elements(inst.guard))
                for fid, ex in inst.updates:
                    named |= set(self.field_fam[fid][1]) | self.elements(ex)
                for b_sort in self.ps - {x.sort.name}:
                    found = {e for e in named if e.sort.name == b_sort}
                    if len(found) != 1:
                        continue
                    obs = seen.setdefault((x.sort.name, b_sort), {}).setdefault(x, set())
                    obs |= found
                    if len(obs) > 1:
                        clash.add((x.sort.name, b_sort))
        for (a, b), table in sorted(seen.items(), key=lambda kv: kv[0]):
            if (a, b) in clash or set(table) != set(self.m.sorts[a]):
                continue
            f = {x: next(iter(v)) for x, v in table.items()}
            images = [sum(1 for y in f.values() if y == e) for e in self.m.sorts[b]]
            if min(images) < 2:
                continue
            fn = Function(f"{b.lower()}_of", a, b)
            self.fns[fn.name] = (fn, f)

    def resolve(self, el: Element, env: dict[Element, str]) -> "str | tuple | None":
        """The name of ``el`` in ``env``, or ``("fn", f, x)`` when a function maps a named element to it."""
        got = env.get(el)
        if got is not None:
            return got
        for fn, table in self.fns.values():
            if fn.cod == el.sort.name:
                for x, name in env.items():
                    if x.sort.name == fn.dom and table.get(x) == el:
                        return ("fn", fn.name, name)
        return None

    def free(self, e: Expr, env: dict[Element, str]) -> set[Element]:
        """The elements ``e`` names that ``env`` does not (directly or through a function)."""
        if not self.fns:
            return set(self.elements(e) - env.keys())
        return {a for a in self.elements(e) if self.resolve(a, env) is None}

    def restriction(self, var: str, sort: str, members: set[tuple[Element, ...]], env: dict[Element, str]) -> tuple | None:
        """A group over one sort that covers exactly the elements some function maps to a named element
        (the writes of client c): the condition ``f(var) == c``, else None."""
        pool = [x for x in self.m.sorts[sort] if x not in env]
        for fn, table in self.fns.values():
            if fn.dom != sort:
                continue
            for e, name in env.items():
                if e.sort.name == fn.cod and members == {(x,) for x in pool if table[x] == e}:
                    return ("cmp", "==", ("fn", fn.name, var), ("var", name))
        return None

    # -- which elements an expression names -------------------------------------------------------
    def elements(self, e: Expr) -> frozenset[Element]:
        k = id(e)
        got = self._elems.get(k)
        if got is not None:
            return got
        if isinstance(e, Field):
            out = frozenset(self.field_fam[e.index][1])
        elif isinstance(e, Const):
            t = e.type
            if isinstance(t, ElemT) and t.sort.name in self.ps and not (t.optional and e.value == t.none_code):
                out = frozenset({t.sort.elements[e.value]})
            else:
                out = frozenset()
        else:
            out = frozenset().union(*(self.elements(c) for c in e.children())) if e.children() else frozenset()
        self._elems[k] = out
        return out

    def ordered_free(self, e: Expr, env: dict[Element, str]) -> list[Element]:
        seen: list[Element] = []

        def go(x: Expr) -> None:
            if not self.free(x, env):
                return
            if isinstance(x, Field):
                for a in self.field_fam[x.index][1]:
                    if self.resolve(a, env) is None and a not in seen:
                        seen.append(a)
            elif isinstance(x, Const):
                for a in self.free(x, env):
                    if a not in seen:
                        seen.append(a)
            for c in x.children():
                go(c)

        go(e)
        return seen

    # -- expressions --------------------------------------------------------------------------------
    def lift(self, e: Expr, env: dict[Element, str], depth: int = 0) -> tuple:
        if isinstance(e, Const):
            t = e.type
            if isinstance(t, ElemT) and t.sort.name in self.ps:
                if t.optional and e.value == t.none_code:
                    return ("none", t.sort.name)
                el = t.sort.elements[e.value]
                r = self.resolve(el, env)
                if r is None:
                    raise NotParametric(f"the model names the element {el.name} of sort {t.sort.name} in particular")
                return ("var", r) if isinstance(r, str) else r
            if isinstance(t, BoolT):
                return ("bool", bool(e.value))
            return ("int", e.value)
        if isinstance(e, Field):
            fam, args = self.field_fam[e.index]
            names = []
            for a in args:
                r = self.resolve(a, env)
                if r is None:
                    raise NotParametric(f"the model reads {e.name}, which names the element {a.name} of sort "
                                        f"{a.sort.name} in particular")
                names.append(r)
            return ("app", fam, tuple(names))
        if isinstance(e, Not):
            return ("not", self.lift(e.arg, env, depth))
        if isinstance(e, (And, Or)):
            direct, fams = self.group(list(e.args), env, depth, "forall" if isinstance(e, And) else "exists")
            return ("and" if isinstance(e, And) else "or", tuple(direct) + tuple(fams))
        if isinstance(e, Cmp):
            if self._havoc is not None and depth == 0 and self._folds(e, env):
                self._havoc += 1
                return ("havoc", self._havoc)
            return ("cmp", e.op, self.lift(e.a, env, depth), self.lift(e.b, env, depth))
        if isinstance(e, Arith):
            if e.op in ("max", "min") and self.free(e, env):
                sorts = sorted({x.sort.name for x in self.free(e, env)})
                raise NotParametric(f"a {e.op}_ over the elements of {', '.join(sorts)} (e.g. the best score of the "
                                    "other hosts) is a fold, not a first-order formula")
            if e.op == "*" and isinstance(e.b, Const) and e.b.value == 1:
                return self.lift(e.a, env, depth)
            if e.op == "+":
                terms = _flatten_sum(e)
                if any(self.free(t, env) for t in terms):
                    direct, fams = self.group(terms, env, depth, "sum")
                    return ("sum", tuple(direct), tuple(fams))
            return ("arith", e.op, self.lift(e.a, env, depth), self.lift(e.b, env, depth))
        if isinstance(e, Ite):
            return ("ite", self.lift(e.cond, env, depth), self.lift(e.then, env, depth), self.lift(e.else_, env, depth))
        raise NotParametric(f"cannot read {type(e).__name__} parametrically")

    def _folds(self, e: Expr, env: dict[Element, str]) -> bool:
        """``e`` contains a max_/min_ over elements not named by ``env`` (a fold over the sort)."""
        if isinstance(e, Arith) and e.op in ("max", "min") and self.free(e, env):
            return True
        return any(self._folds(c, env) for c in e.children())

    def group(self, args: list[Expr], env: dict[Element, str], depth: int, quant: str) -> tuple[list[tuple], list[tuple]]:
        direct: list[tuple] = []
        groups: dict[tuple, list[tuple[Element, ...]]] = {}
        for a in args:
            order = self.ordered_free(a, env)
            if not order:
                direct.append(self.lift(a, env, depth))
                continue
            chosen, t = self.abstract(a, order, env, depth)
            if not chosen:
                direct.append(t)
                continue
            key = (t, tuple(x.sort.name for x in chosen))
            groups.setdefault(key, []).append(tuple(chosen))
        fams = []
        for (t, sorts), tuples in groups.items():
            expected = self.all_tuples(sorts, env)
            names = tuple(f"_{depth}_{i}" for i in range(len(sorts)))
            where = None
            if len(tuples) != len(set(tuples)) or set(tuples) != expected:
                if len(tuples) == len(set(tuples)) and len(sorts) == 1:  # the writes of client c: f(W) == c
                    where = self.restriction(names[0], sorts[0], set(tuples), env)
                if where is None:
                    if self._fold is not None:
                        raise self._fold
                    some = tuples[0]
                    raise NotParametric(
                        f"a {'conjunction' if quant == 'forall' else 'disjunction' if quant == 'exists' else 'sum'} "
                        f"over {', '.join(sorts)} is not the same formula for every element (it covers "
                        f"{len(set(tuples))} of {len(expected)} element choices, e.g. {', '.join(x.name for x in some)})")
                if quant == "forall":
                    t = ("or", (("not", where), t))
                elif quant == "exists":
                    t = ("and", (where, t))
                elif t[0] == "ite" and t[2] == ("int", 1) and t[3] == ("int", 0):
                    t = ("ite", ("and", (where, t[1])), t[2], t[3])
                else:
                    t = ("ite", where, t, ("int", 0))
            avoid = tuple(sorted(v for el, v in env.items() if el.sort.name in sorts))
            fams.append(("sumof" if quant == "sum" else quant, tuple(zip(names, sorts)), avoid, t))
        return direct, sorted(fams, key=repr)

    def abstract(self, a: Expr, order: list[Element], env: dict[Element, str], depth: int) -> tuple[list[Element], tuple]:
        """The fewest free elements of ``a`` to name by variables so that the rest of them are covered
        by families inside ``a`` (``count(Host, alive(v, h)) <= 1`` for VM v names v only); the
        lifted term with those variables. Tried smallest first, in order of occurrence."""
        last: NotParametric | None = None
        for k in range(len(order) + 1):
            subsets = itertools.combinations(order, k) if len(order) <= 6 else [tuple(order[:k])]
            for chosen in subsets:
                names = [f"_{depth}_{i}" for i in range(len(chosen))]
                saved = self._havoc
                try:
                    return list(chosen), self.lift(a, {**env, **dict(zip(chosen, names))}, depth + 1 if chosen else depth)
                except NotParametric as e:
                    self._havoc = saved  # a failed reading leaves no numbers used
                    if "fold" in str(e):
                        self._fold = e  # the likelier reason, if no reading of the group works
                    if last is None or "fold" not in str(last):
                        last = e
        assert last is not None
        raise last

    def all_tuples(self, sorts: tuple[str, ...], env: dict[Element, str]) -> set[tuple[Element, ...]]:
        pools = [[e for e in self.m.sorts[s] if e not in env] for s in sorts]
        return {c for c in itertools.product(*pools) if len(set(c)) == len(c)}

    # -- the whole model ------------------------------------------------------------------------------
    def updates(self, ups: tuple[tuple[int, Expr], ...], env: dict[Element, str]) -> tuple[Update, ...]:
        groups: dict[tuple, list[tuple[Element, ...]]] = {}
        for fid, ex in ups:
            fam, targs = self.field_fam[fid]
            order = [a for a in dict.fromkeys(targs) if self.resolve(a, env) is None]
            names = [f"_u_{i}" for i in range(len(order))]
            env2 = {**env, **dict(zip(order, names))}
            value = self.lift(ex, env2, 1)
            # a target named through a function of a parameter (served[client_of(j)]) is that function's value
            key = (fam, tuple(self.resolve(a, env2) for a in targs), value, tuple(x.sort.name for x in order))
            groups.setdefault(key, []).append(tuple(order))
        out = []
        for (fam, args, value, sorts), tuples in groups.items():
            where = None
            if sorts:
                expected = self.all_tuples(sorts, env)
                if set(tuples) != expected:
                    if len(sorts) == 1 and len(tuples) == len(set(tuples)):  # the writes of client c
                        where = self.restriction("_u_0", sorts[0], set(tuples), env)
                    if where is None:
                        raise NotParametric(f"the updates of {fam} are not the same for every element")
            names = tuple(f"_u_{i}" for i in range(len(sorts)))
            avoid = tuple(sorted(v for el, v in env.items() if el.sort.name in sorts))
            out.append(Update(fam, args, tuple(zip(names, sorts)), avoid if sorts else (), value, where))
        return tuple(sorted(out, key=repr))

    def actions(self) -> tuple[PAction, ...]:
        m = self.m
        out: list[PAction] = []
        for decl in m.actions:
            domains = dict(decl.params)
            groups: dict[tuple, list[tuple[tuple, tuple[Element, ...]]]] = {}
            meta: dict[tuple, tuple[tuple[tuple[str, str], ...], str]] = {}
            for iid in decl.instances:
                inst = m.instances[iid]
                env: dict[Element, str] = {}
                fixed, pattern, elems = [], [], []
                for pname, text in inst.params:
                    dom = domains[pname]
                    if dom in self.ps:
                        el = m.sorts[dom].element(text)
                        if el not in env:
                            env[el] = pname
                            elems.append(el)
                        pattern.append((pname, env[el]))
                    else:
                        fixed.append((pname, text))
                try:
                    self._havoc = 0 if self.abstract_folds else None
                    guard = self.lift(inst.guard, env)
                    self._havoc = None
                    ups = self.updates(inst.updates, env)
                except NotParametric as e:
                    self._havoc = None
                    raise NotParametric(f"action {inst.label}: {e.bare_message}") from None
                gkey = (tuple(fixed), tuple(pattern))
                groups.setdefault(gkey, []).append(((guard, ups), tuple(elems)))
                label = decl.name + (f"({', '.join(f'{k}={v}' for k, v in fixed)})" if fixed else "")
                meta[gkey] = (tuple((env[e], e.sort.name) for e in elems), label)
            for gkey, items in groups.items():
                templates = {t for t, _ in items}
                params, label = meta[gkey]
                if len(templates) != 1:
                    raise NotParametric(f"action {label}: its guard or updates differ from one element to another")
                expected = self.all_tuples(tuple(s for _, s in params), {})
                (guard, ups), = templates
                if {els for _, els in items} != expected:
                    same = self.same_image(params, {els for _, els in items}, expected)
                    if same is None:
                        raise NotParametric(f"action {label}: it exists for {len(items)} of {len(expected)} element choices")
                    guard = ("and", (same, guard))
                if gkey[1] and any(a != b for a, b in gkey[1]):
                    label += " [" + ", ".join(f"{a}={b}" for a, b in gkey[1] if a != b) + "]"
                out.append(PAction(label, params, guard, ups, decl.kind))
        return tuple(out)

    def same_image(self, params, got: set, expected: set) -> tuple | None:
        """Instances that exist exactly for the parameter tuples where a function agrees on two parameters
        (eager-lock's handover between two writes of the same client): the condition, else None."""
        for i, j in itertools.combinations(range(len(params)), 2):
            if params[i][1] != params[j][1]:
                continue
            for fn, table in self.fns.values():
                if fn.dom == params[i][1] and got == {t for t in expected if table[t[i]] == table[t[j]]}:
                    return ("cmp", "==", ("fn", fn.name, params[i][0]), ("fn", fn.name, params[j][0]))
        return None

    def families(self) -> tuple[Family, ...]:
        out = []
        for name, fam in self.fams.items():
            codes = {tuple(self.m._init.get(fid, [0])) for fid in self.members[name]}
            if len(codes) != 1:
                # VM v1 starts on h1, v2 on h2: no formula over every N; read as "any value", narrowed
                # by clauses true of every initial state built (param.py, init_clauses)
                out.append(attrs.evolve(fam, init=None, placed=True))
                continue
            (c,) = codes
            t = self.m.fields[self.members[name][0]].type
            size = t.size()
            if len(c) == size:
                init = None
            else:
                nat = [x + t.lo if isinstance(t, IntT) else x for x in c]
                if isinstance(t, ElemT) and t.sort.name in self.ps:
                    if any(x != t.none_code for x in nat):  # the same element everywhere, e.g. h1
                        out.append(attrs.evolve(fam, init=None, placed=True))
                        continue
                    nat = [NONE]
                init = tuple(nat)
            out.append(attrs.evolve(fam, init=init))
        return tuple(out)


def _flatten_sum(e: Expr) -> list[Expr]:
    if isinstance(e, Arith) and e.op == "+":
        return _flatten_sum(e.a) + _flatten_sum(e.b)
    if isinstance(e, Arith) and e.op == "*" and isinstance(e.b, Const) and e.b.value == 1:
        return _flatten_sum(e.a)  # count(...) * vm_size with vm_size 1
    return [e]


def _has_havoc(n: object) -> bool:
    if isinstance(n, tuple):
        return (len(n) == 2 and n[0] == "havoc") or any(_has_havoc(c) for c in n)
    return False


def lift_model(model: Model, parametric: set[str], abstract_folds: bool = False) -> ParamModel:
    lf = Lifter(model, parametric)
    lf.abstract_folds = abstract_folds
    lf.detect_functions()
    fams = lf.families()
    init = []
    for c in model.init_constraints:
        init.append(lf.lift(c, {}))
    props = []
    for name, p in model.properties.items():
        try:
            props.append((name, lf.lift(p.expr, {})))
        except NotParametric as e:
            props.append((name, f"property {name}: {e.bare_message}"))
    lemmas = []
    for name, lm in getattr(model, "lemmas", {}).items():
        try:
            lemmas.append((name, lf.lift(lm.expr, {})))
        except NotParametric as e:
            lemmas.append((name, f"lemma {name}: {e.bare_message}"))
    actions = lf.actions()
    abstracted = tuple(a.name for a in actions if _has_havoc(a.guard))
    return ParamModel(model.name, tuple(sorted(parametric)), fams, tuple(init), actions, tuple(props),
                      lemmas=tuple(lemmas), abstracted=abstracted,
                      functions=tuple(fn for fn, _ in lf.fns.values()))
