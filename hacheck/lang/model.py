"""Model: sorts, state variables, initial states, actions, faults and properties.

A model file builds one Model from a frozen attrs parameter object. The built model is pure data
(expression trees over scalar fields), which every engine compiles in its own way.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Sequence

import attrs

from .errors import ModelError, user_location
from .expr import Const, Expr, Field, and_, arith, as_bool, cmp, ite, lift, show
from .props import Property, StatedLemma
from .sorts import Element, Sort
from .types import BoolT, ElemT, IntT, MapT, ScalarType, SetT, VarType, is_scalar, same_kind
from .vars import DynLValue, MapVar, SetVar, as_set

ANY = object()  # init=ANY: every value of the type is an initial value


@attrs.frozen
class FieldDecl:
    index: int
    name: str  # e.g. "up[r1]"
    type: ScalarType
    var: str  # the declared variable it belongs to, e.g. "up"
    path: tuple[str, ...]  # element names from the variable down to the field
    key_sorts: tuple[Sort, ...] = ()  # the sort of each path position


@attrs.frozen
class VarDecl:
    name: str
    type: VarType
    fields: tuple[int, ...]
    doc: str = ""


@attrs.frozen(eq=False)
class ActionInstance:
    """One action with concrete parameter values: a guard and simultaneous updates."""

    index: int
    action: str
    params: tuple[tuple[str, str], ...]  # (parameter name, value shown as text)
    guard: Expr
    updates: tuple[tuple[int, Expr], ...]  # (field index, new value)
    kind: str  # "protocol" | "fault" | "env"
    fair: str | None  # None | "weak" | "strong"
    range_checked: tuple[int, ...]  # fields whose new value may leave the declared range
    tick: bool = False  # the action advances time by one tick (model.tick_seconds)
    rate: float | None = None  # events per hour in the availability chain (hacheck/avail); None: not timed
    repairs: tuple[str, ...] = ()  # fault actions this environment step repairs (availability only)
    unbudgeted: tuple[Expr, tuple[tuple[int, Expr], ...]] | None = None  # guard and updates before the fault budget

    @property
    def label(self) -> str:
        return action_label(self.action, self.params)

    @property
    def is_fault(self) -> bool:
        return self.kind in ("fault", "env")


def action_label(action: str, params: tuple[tuple[str, str], ...]) -> str:
    """``crash(h=h1)``: how an action with its parameter values is named everywhere."""
    if not params:
        return action
    return f"{action}({', '.join(f'{k}={v}' for k, v in params)})"


@attrs.frozen(eq=False)
class ActionDecl:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, domain shown as text)
    kind: str
    fair: str | None
    doc: str
    instances: tuple[int, ...]
    tick: bool = False
    location: str | None = None  # file:line of the action's function (SARIF code flows point there)
    rate: float | None = None  # events per hour (availability only; see Model.action)
    repairs: tuple[str, ...] = ()
    rate_where: str | None = None  # file:line of the decorator that gave the rate


def _domain_values(name: str, domain: object) -> tuple[list[object], str]:
    if isinstance(domain, Sort):
        return list(domain), domain.name
    if isinstance(domain, BoolT):
        return [False, True], "Bool"
    if isinstance(domain, IntT):
        return list(range(domain.lo, domain.hi + 1)), str(domain)
    if isinstance(domain, range):
        return list(domain), f"{domain.start}..{domain.stop - 1}"
    if isinstance(domain, (list, tuple)):
        return list(domain), "{" + ", ".join(map(str, domain)) + "}"
    raise ModelError(f"parameter {name!r} must range over a sort, Bool, Int(lo, hi), a range or a list; got {domain!r}")


class Model:
    """The mutable builder and, once :meth:`freeze` ran, the immutable description of a model."""

    def __init__(self, name: str, doc: str = "", tick_seconds: float | None = None):
        self.name = name
        self.doc = doc
        self.tick_seconds = tick_seconds
        self.sorts: dict[str, Sort] = {}
        self.fields: list[FieldDecl] = []
        self.variables: dict[str, VarDecl] = {}
        self.handles: dict[str, Any] = {}
        self._init: dict[int, list[int]] = {}  # field -> allowed initial codes
        self.init_constraints: list[Expr] = []
        self.actions: list[ActionDecl] = []
        self.instances: list[ActionInstance] = []
        self.properties: dict[str, Property] = {}
        self.budget: tuple[int, int, frozenset[str] | None] | None = None  # (field, max, counted)
        self.params: Any = None  # the parameter object it was built from, set by Spec
        self.fault_kinds: tuple[str, ...] | None = None  # set by restrict_faults
        # (the model, the index there of each instance here): set when this model keeps some of another's
        # instances, unchanged and in order (restrict_faults): that model's machine code serves this one
        self.restricted_from: tuple["Model", tuple[int, ...]] | None = None
        self.lane_rules: dict[str, object] = {}  # variable name -> lane name or key position (see lane())
        self.lane_owners: dict[str, Callable[[Element], object]] = {}  # sort name -> element -> owner
        self.measures: dict[str, Property] = {}  # long-run availability predicates (m.availability)
        self.lemmas: dict[str, StatedLemma] = {}  # stated lemmas (m.lemma), proved with the property they support
        self._frozen = False

    # -- declarations --------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._frozen:
            raise ModelError(f"model {self.name} is frozen: declare everything inside build()")

    def _check_name(self, name: str, what: str) -> None:
        if not name or not name.replace("_", "a").isalnum():
            raise ModelError(f"{what} name {name!r} must be an identifier")

    def sort(self, name: str, elements: Iterable[str] | int, symmetric: bool = False) -> Sort:
        self._check_open()
        if name in self.sorts:
            raise ModelError(f"sort {name!r} declared twice")
        if isinstance(elements, int):
            elements = [f"{name.lower()}{i}" for i in range(elements)]
        s = Sort(name, list(elements), symmetric)
        self.sorts[name] = s
        return s

    def var(self, name: str, type_: VarType, init: object = ANY, doc: str = "") -> Any:
        """Declare a state variable; ``init`` is a value, a dict/set for composites, ANY,
        or ``one_of(...)`` for several initial values."""
        self._check_open()
        self._check_name(name, "variable")
        if name in self.variables:
            raise ModelError(f"variable {name!r} declared twice")
        handle, field_ids = self._expand(name, type_, (), name)
        self.variables[name] = VarDecl(name, type_, tuple(field_ids), doc)
        self.handles[name] = handle
        self._set_init(name, type_, handle, init)
        return handle

    def _expand(self, name: str, t: VarType, path: tuple[str, ...], var: str,
                keys: tuple[Sort, ...] = ()) -> tuple[Any, list[int]]:
        if is_scalar(t):
            f = Field(len(self.fields), name, t)  # type: ignore[arg-type]
            self.fields.append(FieldDecl(f.index, name, t, var, path, keys))  # type: ignore[arg-type]
            return f, [f.index]
        if isinstance(t, MapT):
            entries, ids = {}, []
            for e in t.key:
                h, sub = self._expand(f"{name}[{e.name}]", t.value, path + (e.name,), var, keys + (t.key,))
                entries[e] = h
                ids += sub
            return MapVar(name, t.key, entries), ids
        if isinstance(t, SetT):
            entries, ids = {}, []
            for e in t.elem:
                f = Field(len(self.fields), f"{name}[{e.name}]", BoolT())
                self.fields.append(FieldDecl(f.index, f.name, BoolT(), var, path + (e.name,), keys + (t.elem,)))
                entries[e] = f
                ids.append(f.index)
            return SetVar(name, t.elem, entries), ids
        raise ModelError(f"variable {name!r}: {t!r} is not a type (use Bool, Int(lo, hi), Enum(...), Elem(sort), Map, Set)")

    def _set_init(self, name: str, t: VarType, handle: Any, init: object) -> None:
        if init is ANY:
            for fid in self._fields_of(handle):
                ft = self.fields[fid].type
                self._init[fid] = list(range(ft.size()))
            return
        if isinstance(init, OneOf) and is_scalar(t):
            self._init[handle.index] = sorted({_encode(t, v, name) for v in init.values})  # type: ignore[arg-type]
            return
        if is_scalar(t):
            self._init[handle.index] = [_encode(t, init, name)]  # type: ignore[arg-type]
            return
        if isinstance(t, SetT):
            chosen = {t.elem.element(x) for x in init} if not isinstance(init, bool) else set(t.elem) if init else set()  # type: ignore[union-attr]
            for e, f in handle.entries.items():
                self._init[f.index] = [int(e in chosen)]
            return
        if isinstance(t, MapT):
            if isinstance(init, dict):
                for e, sub in handle.entries.items():
                    key = e.name if e.name in init else e if e in init else None
                    if key is None:
                        raise ModelError(f"initial value of {name!r} has no entry for {e.name}")
                    self._set_init(f"{name}[{e.name}]", t.value, sub, init[key])
                extra = [k for k in init if not (k in t.key._by_name or isinstance(k, Element))]
                if extra:
                    raise ModelError(f"initial value of {name!r} names unknown keys {extra}")
            else:  # the same initial value everywhere
                for e, sub in handle.entries.items():
                    self._set_init(f"{name}[{e.name}]", t.value, sub, init)
            return
        raise ModelError(f"variable {name!r}: unsupported initial value {init!r}")

    def _fields_of(self, handle: Any) -> list[int]:
        if isinstance(handle, Field):
            return [handle.index]
        out: list[int] = []
        for sub in handle.entries.values():
            out += self._fields_of(sub)
        return out

    def init_constraint(self, predicate: object) -> None:
        """Keep only the initial states that satisfy ``predicate``."""
        self._check_open()
        self.init_constraints.append(as_bool(predicate))

    def fault_budget(self, max_faults: int, counts: Iterable[str] | None = None) -> Field:
        """At most ``max_faults`` fault actions (those named in ``counts``, default all) fire."""
        self._check_open()
        if self.budget is not None:
            raise ModelError("fault_budget declared twice")
        if max_faults < 0:
            raise ModelError(f"max_faults must be >= 0, got {max_faults}")
        f = self.var("faults", IntT(0, max_faults), init=0, doc="faults injected so far (the fault budget)")
        self.budget = (f.index, max_faults, frozenset(counts) if counts is not None else None)
        return f

    def action(self, name: str | None = None, *, fault: bool = False, env: bool = False,
               fair: str | None = None, tick: bool = False, doc: str = "", rate: object = None,
               duration: object = None, repairs: str | Iterable[str] | None = None,
               **params: object) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: ``@m.action(h=Host)`` on ``def crash(h): return guard, {field: value}``.

        The function runs once per combination of parameter values; returning None drops that
        combination. ``fault=True`` marks a failure (never fair, counted by the fault budget);
        ``env=True`` an environment step such as a repair or an operator (never fair, not counted).
        ``tick=True`` marks the passing of one time tick, which recovery times are counted in.

        For ``hacheck availability`` only (no check verdict reads them): ``rate`` (events per hour) or
        ``duration`` (mean seconds, the rate is 3600/duration) makes a fault or environment step, or
        a protocol step whose delay is not counted in ticks, a timed step of the Markov chain; an
        environment step without one never happens there. ``repairs="crash"`` says this step ends
        the failure the fault ``crash`` caused (the fault budget then counts concurrent failures).
        """
        self._check_open()
        where0 = user_location()
        timed = _rate_of(name, rate, duration, where0)
        if timed is not None and tick:
            raise ModelError("a tick's rate is 1/tick_seconds: give the model tick_seconds, not a rate", where0)
        rep = (repairs,) if isinstance(repairs, str) else tuple(repairs or ())
        if rep and not env:
            raise ModelError("repairs= marks an environment step (env=True) that ends a fault's failure", where0)
        if fault and env:
            raise ModelError("an action is either a fault or an environment step, not both")
        if fair not in (None, "weak", "strong"):
            raise ModelError(f"fair must be None, 'weak' or 'strong', not {fair!r}")
        if (fault or env) and fair:
            raise ModelError("fault and environment actions are never fair: the environment is not obliged to fail")
        kind = "fault" if fault else "env" if env else "protocol"
        where = user_location()

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            aname = name or fn.__name__
            self._add_action(aname, fn, params, kind, fair, doc or (fn.__doc__ or "").strip(), where, tick,
                             timed, rep)
            return fn

        return decorate

    def _add_action(self, aname: str, fn: Callable[..., Any], params: dict[str, object], kind: str,
                    fair: str | None, doc: str, where: str | None, tick: bool = False,
                    rate: float | None = None, repairs: tuple[str, ...] = ()) -> None:
        self._check_name(aname, "action")
        if any(a.name == aname for a in self.actions):
            raise ModelError(f"action {aname!r} declared twice", where)
        domains = [(p, *_domain_values(p, d)) for p, d in params.items()]
        ids = []
        for combo in itertools.product(*(vals for _, vals, _ in domains)):
            args = {p: v for (p, _, _), v in zip(domains, combo)}
            out, ret_where = _call_noting_return(fn, args)
            where_now = ret_where or where
            if out is None:
                continue
            if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
                raise ModelError(f"action {aname!r} must return (guard, {{target: value}}) or None, got {out!r}", where_now)
            try:
                guard = as_bool(out[0])
                updates, checked = self._updates(aname, out[1])
            except ModelError as e:
                raise ModelError(e.bare_message, where_now) from None
            unbudgeted = None
            if self.budget is not None and kind == "fault" and (self.budget[2] is None or aname in self.budget[2]):
                bf, bmax, _ = self.budget
                if any(f == bf for f, _ in updates):
                    raise ModelError(f"action {aname!r} assigns the fault counter itself", where)
                unbudgeted = (guard, tuple(sorted(updates, key=lambda u: u[0])))
                guard = and_(guard, cmp("<", self.fields_expr(bf), bmax))
                updates.append((bf, arith("+", self.fields_expr(bf), 1)))
            if isinstance(guard, Const) and guard.value == 0:
                continue  # never enabled: leave it out
            inst = ActionInstance(
                len(self.instances), aname, tuple((p, str(v)) for p, v in args.items()), guard,
                tuple(sorted(updates, key=lambda u: u[0])), kind, fair, tuple(sorted(checked)), tick,
                rate, repairs, unbudgeted,
            )
            self.instances.append(inst)
            ids.append(inst.index)
        code = getattr(fn, "__code__", None)
        loc = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else where
        self.actions.append(ActionDecl(aname, tuple((p, text) for p, _, text in domains), kind, fair, doc, tuple(ids), tick,
                                       loc, rate, repairs, where))

    def fields_expr(self, index: int) -> Field:
        """The Field expression of a field index (the variable handle for scalars)."""
        for h in self.handles.values():
            for f in _iter_fields(h):
                if f.index == index:
                    return f
        raise ModelError(f"no field number {index}")

    def _updates(self, aname: str, raw: dict[object, object]) -> tuple[list[tuple[int, Expr]], set[int]]:
        out: dict[int, Expr] = {}
        checked: set[int] = set()

        def assign(f: Field, value: object) -> None:
            if f.index in out:
                raise ModelError(f"action {aname!r} assigns {f.name} twice")
            e = lift(value, f.type)
            if not same_kind(e.type, f.type):
                raise ModelError(f"action {aname!r}: cannot assign {show(e)} ({e.type}) to {f.name} ({f.type})")
            if isinstance(f.type, IntT):
                assert isinstance(e.type, IntT)
                if isinstance(e, Const) and not f.type.lo <= e.value <= f.type.hi:
                    raise ModelError(f"action {aname!r}: value {e.value} is outside {f.name}'s range {f.type}")
                if e.type.lo < f.type.lo or e.type.hi > f.type.hi:
                    checked.add(f.index)
            if isinstance(f.type, ElemT) and isinstance(e.type, ElemT) and e.type.optional and not f.type.optional:
                if isinstance(e, Const):
                    raise ModelError(f"action {aname!r}: cannot assign None to {f.name} (not optional)")
                checked.add(f.index)
            out[f.index] = e

        def assign_handle(target: object, value: object) -> None:
            if isinstance(target, Field):
                assign(target, value)
            elif isinstance(target, SetVar):
                v = as_set(target.elem, value)
                for e, f in target.entries.items():
                    assign(f, v.members[e])
            elif isinstance(target, MapVar):
                if isinstance(value, MapVar):
                    for e, sub in target.entries.items():
                        assign_handle(sub, _whole(value.entries[e]))
                elif isinstance(value, dict):
                    for k, v in value.items():
                        assign_handle(target[k], v)
                else:
                    for sub in target.entries.values():
                        assign_handle(sub, value)
            elif isinstance(target, DynLValue):
                key = target.key
                if isinstance(key, Element):
                    assign_handle(target.base.entries[key], value)
                    return
                for e, sub in target.base.entries.items():
                    if not isinstance(sub, Field):
                        raise ModelError(f"action {aname!r}: m.at(x) must address a scalar")
                    assign(sub, ite(cmp("==", key, e), lift(value, sub.type), sub))
            elif isinstance(target, Expr):
                raise ModelError(f"action {aname!r}: {show(target)} is not a state variable (assign a field, a map or a set)")
            else:
                raise ModelError(f"action {aname!r}: cannot assign to {target!r}")

        for target, value in raw.items():
            assign_handle(target, value)
        return list(out.items()), checked

    def explain_as(self, expr: object, text: str) -> Expr:
        """Name a sub-formula for explanations ("client c0 may read brick b1"); returns it unchanged
        (``hacheck.lang.explain_as`` does the same without the model, for property modules)."""
        from .expr import explain_as

        return explain_as(expr, text)

    def lane(self, target: object, lane: object = None, *, key: int = 0) -> None:
        """Say which component (lane of a space-time diagram) state belongs to.

        By default a Map or Set variable belongs to the element of its first index (``up[b0]``
        to brick b0) and a plain variable to the shared lane. ``m.lane(var, "engine")`` puts a
        variable in a named lane, ``m.lane(var, key=1)`` uses its second index, and
        ``m.lane(Write, lambda w: client_of(w))`` draws every element of a sort in the lane of
        another element (a write in its client's lane). Only drawings read this.
        """
        self._check_open()
        if isinstance(target, Sort):
            if not callable(lane) and not isinstance(lane, str):
                raise ModelError(f"lane({target.name}, ...): give a function from an element to its owner, or a lane name")
            self.lane_owners[target.name] = lane if callable(lane) else (lambda _e, _n=lane: _n)  # type: ignore[misc]
            return
        name = target if isinstance(target, str) else getattr(target, "name", None)
        if not isinstance(name, str) or name not in self.variables:
            raise ModelError(f"lane({target!r}, ...): not a state variable of model {self.name}")
        if lane is not None and not isinstance(lane, str):
            raise ModelError(f"lane({name}, {lane!r}): a lane name is a string")
        depth = len(self.fields[self.variables[name].fields[0]].key_sorts)
        if lane is None and not 0 <= key < max(depth, 1):
            raise ModelError(f"lane({name}, key={key}): variable {name} has {depth} index(es)")
        self.lane_rules[name] = lane if lane is not None else key

    def invariant(self, name: str, predicate: object, doc: str = "") -> Property:
        return self._prop(name, "invariant", predicate, doc)

    def reachable(self, name: str, predicate: object, doc: str = "") -> Property:
        """Holds when some reachable state satisfies ``predicate``; its witness is a trace."""
        return self._prop(name, "reachable", predicate, doc)

    def eventually(self, name: str, predicate: object, doc: str = "") -> Property:
        return self._prop(name, "eventually", predicate, doc)

    def always_eventually(self, name: str, predicate: object, doc: str = "") -> Property:
        return self._prop(name, "always_eventually", predicate, doc)

    def leads_to(self, name: str, trigger: object, response: object, doc: str = "") -> Property:
        return self._prop(name, "leads_to", trigger, doc, target=as_bool(response))

    def availability(self, name: str, predicate: object, doc: str = "") -> Property:
        """A state predicate whose long-run fraction of time ``hacheck availability`` reports
        ("engine_up", "vm_Database_running"). Not a property: ``check`` never reads it."""
        self._check_open()
        self._check_name(name, "availability measure")
        if name in self.measures:
            raise ModelError(f"availability measure {name!r} declared twice")
        p = Property(name, "invariant", as_bool(predicate), doc, None, user_location())
        self.measures[name] = p
        return p

    def _prop(self, name: str, kind: str, predicate: object, doc: str, target: Expr | None = None) -> Property:
        self._check_open()
        self._check_name(name, "property")
        if name in self.properties:
            raise ModelError(f"property {name!r} declared twice")
        p = Property(name, kind, as_bool(predicate), doc, target, user_location())
        self.properties[name] = p
        return p

    def lemma(self, name: str, predicate: object, supports: Iterable[str] | str, doc: str = "") -> StatedLemma:
        """State a lemma: a state predicate that, together with the invariants it ``supports`` (their
        names), is meant to be inductive. ``hacheck prove --method lemmas`` proves the conjunction
        (never assumes a lemma it has not proved); ``hacheck check`` evaluates it on every reachable
        state and reports a false one as a wrong lemma (docs/symbolic.md, "Stated lemmas")."""
        self._check_open()
        self._check_name(name, "lemma")
        if name in self.lemmas:
            raise ModelError(f"lemma {name!r} declared twice")
        targets = (supports,) if isinstance(supports, str) else tuple(supports)
        if not targets or not all(isinstance(t, str) for t in targets):
            raise ModelError(f"lemma {name!r}: supports= names the invariants it is stated for (a list of property names)")
        lm = StatedLemma(name, as_bool(predicate), targets, doc, user_location())
        self.lemmas[name] = lm
        return lm

    def lemmas_for(self, prop: str) -> list[StatedLemma]:
        """The stated lemmas that support the invariant ``prop``, in declaration order."""
        return [lm for lm in self.lemmas.values() if prop in lm.supports]

    def restrict_faults(self, kinds: Iterable[str]) -> "Model":
        """Keep only the fault actions named in ``kinds`` ("after a single host crash" is
        ``max_faults = 1`` with ``kinds = {"crash"}``); the other fault actions are removed."""
        wanted = set(kinds)
        faults = {a.name for a in self.actions if a.kind == "fault"}
        unknown = sorted(wanted - faults)
        if unknown:
            raise ModelError(f"model {self.name} has no fault action {', '.join(map(repr, unknown))}; "
                             f"its fault actions are {', '.join(sorted(faults)) or 'none'}", location="")
        keep = [i for i in self.instances if i.kind != "fault" or i.action in wanted]
        self.note_restriction(keep, keep)
        remap = {old.index: new for new, old in enumerate(keep)}
        self.instances = [attrs.evolve(i, index=remap[i.index]) for i in keep]
        self.actions = [attrs.evolve(a, instances=tuple(remap[i] for i in a.instances if i in remap))
                        for a in self.actions if a.kind != "fault" or a.name in wanted]
        self.fault_kinds = tuple(sorted(wanted))
        return self

    def note_restriction(self, kept: list[ActionInstance], unchanged: list[ActionInstance]) -> None:
        """Before the instance list is replaced by ``kept`` (some of it, in order): remember where
        they come from (``restricted_from``) if every kept instance is ``unchanged`` (the same guard
        and updates), so one compiled library serves every restriction; else forget it."""
        if len(kept) != len(unchanged) or any(a is not b for a, b in zip(kept, unchanged)):
            self.restricted_from = None
            return
        import copy

        if self.restricted_from is None:
            origin, index = copy.copy(self), tuple(i.index for i in kept)
        else:
            origin, before = self.restricted_from
            index = tuple(before[i.index] for i in kept)
        self.restricted_from = (origin, index)

    # -- finishing -----------------------------------------------------------------------------
    def freeze(self) -> "Model":
        if self._frozen:
            return self
        if not self.fields:
            raise ModelError(f"model {self.name} declares no state variables")
        for lm in self.lemmas.values():
            for t in lm.supports:
                p = self.properties.get(t)
                if p is None or p.kind != "invariant":
                    raise ModelError(f"lemma {lm.name!r} supports {t!r}, which is not an invariant of model {self.name} "
                                     f"(its invariants: {', '.join(n for n, q in self.properties.items() if q.kind == 'invariant') or 'none'})",
                                     location=lm.location or "")
            if lm.name in self.properties:
                raise ModelError(f"lemma {lm.name!r} has the name of a property; name it apart", location=lm.location or "")
        self._frozen = True
        return self

    @property
    def vars(self) -> "Namespace":
        return Namespace(self.handles)

    def init_states(self) -> list[tuple[int, ...]]:
        """Every initial state as a tuple of field codes (constraints applied)."""
        from .interp import eval_expr

        choices = [self._init.get(i, [0]) for i in range(len(self.fields))]
        total = 1
        for c in choices:
            total *= len(c)
            if total > 5_000_000:
                raise ModelError(f"model {self.name} has more than 5,000,000 initial states; constrain them")
        out = []
        for combo in itertools.product(*choices):
            if all(eval_expr(c, combo, self.fields) for c in self.init_constraints):
                out.append(combo)
        return out

    def decode(self, codes: Sequence[int]) -> dict[str, Any]:
        """A state as nested Python values by variable: maps as dicts, sets as sorted lists."""
        out: dict[str, Any] = {}
        for name, decl in self.variables.items():
            out[name] = _decode_var(self, decl.type, list(decl.fields), codes)
        return out

    def encode_state(self, state: dict[str, Any]) -> tuple[int, ...]:
        """The inverse of :meth:`decode`: field codes of a state given by variable values."""
        codes = []
        for f in self.fields:
            if f.var not in state:
                raise ModelError(f"state has no variable {f.var!r}", location="")
            v: Any = state[f.var]
            for key in f.path:
                if isinstance(v, dict):
                    if key not in v:
                        raise ModelError(f"{f.var}: no entry {key!r}", location="")
                    v = v[key]
                else:  # a set, given as a list of member names
                    v = key in v
            codes.append(_encode(f.type, v, f.name))
        return tuple(codes)

    def field_value(self, index: int, code: int) -> Any:
        return self.fields[index].type.decode(code)

    def fault_count_field(self) -> int | None:
        return self.budget[0] if self.budget else None


def _rate_of(name: str | None, rate: object, duration: object, where: str | None) -> float | None:
    """Events per hour from ``rate=`` (per hour) or ``duration=`` (mean seconds); a rate of 0, a
    negative or non-numeric one is a model error at the decorator's line."""
    import math

    if rate is not None and duration is not None:
        raise ModelError("give a rate (per hour) or a duration (seconds), not both", where)
    for what, v in (("rate", rate), ("duration", duration)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ModelError(f"{what} must be a number ({'events per hour' if what == 'rate' else 'seconds'}), "
                             f"got {v!r}", where)
        if not math.isfinite(v) or v <= 0:
            raise ModelError(f"{what} must be more than 0 and finite, got {v!r}", where)
        return float(v) if what == "rate" else 3600.0 / float(v)
    return None


def _call_noting_return(fn: Callable[..., Any], args: dict[str, Any]) -> tuple[Any, str | None]:
    """Call an action function and note the file:line of its return statement, so that errors
    found in what it returned point at that line."""
    import os
    import sys

    code = getattr(fn, "__code__", None)
    seen: list[str] = []

    def hook(frame: Any, event: str, _arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            seen.append(f"{os.path.relpath(frame.f_code.co_filename)}:{frame.f_lineno}")

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        out = fn(**args)
    finally:
        sys.setprofile(old)
    return out, (seen[-1] if seen else None)


def _decode_var(m: Model, t: VarType, fids: list[int], codes: Sequence[int]) -> Any:
    if is_scalar(t):
        fid = fids.pop(0)
        return m.fields[fid].type.decode(codes[fid])
    if isinstance(t, SetT):
        members = []
        for e in t.elem:
            fid = fids.pop(0)
            if codes[fid]:
                members.append(e.name)
        return members
    assert isinstance(t, MapT)
    return {e.name: _decode_var(m, t.value, fids, codes) for e in t.key}


def _iter_fields(h: Any) -> Iterable[Field]:
    if isinstance(h, Field):
        yield h
    else:
        for sub in h.entries.values():
            yield from _iter_fields(sub)


def _whole(h: Any) -> Any:
    return h


def _encode(t: ScalarType, value: object, name: str) -> int:
    try:
        if isinstance(value, Element) and isinstance(t, ElemT):
            return t.encode(value)
        return t.encode(value)
    except ModelError as e:
        raise ModelError(f"initial value of {name!r}: {e.bare_message}") from None


@attrs.frozen
class OneOf:
    values: tuple[object, ...]


def one_of(*values: object) -> OneOf:
    """Several initial values for one variable: ``init=one_of(0, 1)``."""
    return OneOf(tuple(values))


class Namespace:
    """Attribute access to a model's variable handles: ``m.vars.up[h]``."""

    def __init__(self, handles: dict[str, Any]):
        self.__dict__.update(handles)
