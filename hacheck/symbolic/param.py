"""Prove a safety property for every number of hosts (``hacheck prove MODEL --property P --for-every hosts``).

1. Small instances, exhaustively (the explicit engine): sizes 1..3 of the named parameters, in
   increasing order. A violation there is the answer: violated, with the smallest size and its trace.
2. The model, read as one model for every size (``param_lift``), at two sizes that must agree
   (with one sort at 2n+1 when an element is chosen by a function of another: ``read_parametric``;
   such a function is uninterpreted, so a proof is for every one of them).
3. Candidate invariants ``forall X1 != X2: clause`` mined from the small instances' reachable
   states (``param_mine``), plus the property itself.
4. Houdini on the quantified z3 encoding (``quantified``): drop every candidate that some action,
   from a state of the candidates, can break, until the rest is inductive.
5. A fresh re-check of the survivors for every size: initiation, consecution for every action,
   every update within its declared range, and the invariant implies the property.
6. If no proof: the explicit engine on larger sizes (up to ``max_n``) for the smallest counterexample.

Only step 5 passing makes ``holds for every N``; the small instances only propose.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Sequence

import attrs
import z3

from ..explicit.search import Bounds, check as explicit_check
from ..lang.errors import BadInput, HacheckError
from ..lang.model import Model
from ..lang.spec import Spec
from ..result import HOLDS, UNKNOWN, VIOLATED, PropertyResult, Stats
from .param_lift import Lifter, NotParametric, ParamModel, lift_model
from .param_mine import clause_holds, initial_values, mine, reachable_values
from .quantified import QEncoding, check

READ_SIZES = (4, 5)  # the sizes at which the model is read parametrically (they must agree)


@attrs.frozen
class Settings:
    mine_max: int = 3  # small instances: sizes up to this
    max_n: int = 5  # the counterexample search goes up to this size
    rlimit: int = 20_000_000  # z3 resource units per query (deterministic)
    max_states: int = 300_000  # per explicit instance
    timeout: float | None = None  # overall wall-clock budget (None: only the deterministic limits)
    filter_sizes: tuple[int, ...] = (3, 4)  # sizes of the quantifier-free Houdini rounds before the unbounded one
    progress: Any = None  # a function taking a line of text (the CLI's stderr progress), or None


def build_at(spec: Spec, overrides: dict[str, Any], sizes: dict[str, int], faults: Sequence[str] | None) -> Model:
    """The model with these sizes. Sizes above a parameter's declared maximum are allowed here: the
    maximum bounds what is practical to explore, not what the model means."""
    if spec.check is not None:
        with attrs.validators.disabled():
            p = spec.params(**{**overrides, **sizes})
        try:
            spec.check(p)
        except BadInput as e:
            raise SizeRejected(str(e)) from None
    try:
        with attrs.validators.disabled():
            p = spec.params(**{**overrides, **sizes})
        if spec.check is not None:
            spec.check(p)
        m = spec.build(p)
    except HacheckError:
        raise
    except Exception as e:  # noqa: BLE001 - the model's own code failing at this size
        raise NotParametric(f"building the model with {_sizes(sizes)} failed: {type(e).__name__}: {e}") from None
    m.params = p
    m.freeze()
    if faults:
        m.restrict_faults(faults)
    return m


class SizeRejected(BadInput):
    """The model's own parameter check refuses this size (fencing: 3 VMs do not fit on 1 host)."""


def instances(spec: Spec, overrides: dict[str, Any], sizes_list: Sequence[dict[str, int]], faults):
    """(sizes, model) for each size the model accepts, in order."""
    for sizes in sizes_list:
        try:
            yield sizes, build_at(spec, overrides, sizes, faults)
        except SizeRejected:
            continue


def _sizes(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items())


def parametric_sorts(spec: Spec, overrides: dict[str, Any], every: Sequence[str], faults) -> tuple[set[str], dict[str, str]]:
    """The sorts whose size each named parameter sets (found by building at two sizes)."""
    a = build_at(spec, overrides, {k: READ_SIZES[0] for k in every}, faults)
    owner: dict[str, str] = {}
    for k in every:
        try:
            b = build_at(spec, overrides, {**{x: READ_SIZES[0] for x in every}, k: READ_SIZES[1]}, faults)
            base = a
        except SizeRejected:  # the model's check wants this parameter no bigger than others (jobs >= clients)
            base = build_at(spec, overrides, {x: READ_SIZES[1] for x in every}, faults)
            b = build_at(spec, overrides, {**{x: READ_SIZES[1] for x in every}, k: READ_SIZES[0]}, faults)
        changed = [s for s in base.sorts if len(base.sorts[s]) != len(b.sorts.get(s, base.sorts[s]))]
        if not changed:
            raise BadInput(f"--for-every {k}: parameter {k} sets the size of no sort of model {spec.name}")
        for s in changed:
            owner[s] = k
    return set(owner), owner


def show(n: tuple, pm: ParamModel, prec: int = 0) -> str:
    """A lifted formula as text, with the model's variable, sort and value names."""
    tag = n[0]
    if tag == "var":
        return n[1]
    if tag == "none":
        return "None"
    if tag == "int":
        return str(n[1])
    if tag == "bool":
        return "true" if n[1] else "false"
    if tag == "app":
        return pm.family(n[1]).show(tuple(a if isinstance(a, str) else f"{a[1]}({a[2]})" for a in n[2]))
    if tag == "fn":
        return f"{n[1]}({n[2]})"
    if tag == "not":
        if n[1][0] == "cmp" and n[1][1] in ("==", "!="):
            return show(("cmp", "!=" if n[1][1] == "==" else "==", n[1][2], n[1][3]), pm, prec)
        return "~" + show(n[1], pm, 9)
    if tag in ("and", "or"):
        if not n[1]:
            return "true" if tag == "and" else "false"
        p = 2 if tag == "and" else 1
        text = (" & " if tag == "and" else " | ").join(show(a, pm, p + 1) for a in n[1])
        return f"({text})" if p < prec else text
    if tag == "cmp":
        a, b = n[2], n[3]
        rhs = show(b, pm, 5)
        if a[0] == "app" and b[0] == "int":
            t = pm.family(a[1]).type
            if t[0] == "Enum":
                rhs = repr(t[1][b[1]])
            elif t[0] == "Fixed":
                rhs = t[2][b[1]] if b[1] < len(t[2]) else "None"
        text = f"{show(a, pm, 5)} {n[1]} {rhs}"
        return f"({text})" if 4 < prec else text
    if tag == "arith":
        return f"{show(n[2], pm, 6)} {n[1]} {show(n[3], pm, 6)}"
    if tag == "ite":
        return f"ite({show(n[1], pm)}, {show(n[2], pm)}, {show(n[3], pm)})"
    if tag == "sum":
        return " + ".join([show(d, pm, 6) for d in n[1]] + [show(f, pm, 6) for f in n[2]])
    if tag == "sumof" and n[3][0] == "ite" and n[3][2] == ("int", 1) and n[3][3] == ("int", 0):
        return show(("count",) + n[1:3] + (n[3][1],), pm, prec)
    if tag in ("forall", "exists", "sumof", "count"):
        groups: dict[str, list[str]] = {}  # each variable with its own sort: "V1 in VM, H1 in Host"
        for v, s in n[1]:
            groups.setdefault(s, []).append(v)
        cond = []
        if any(len(vs) > 1 for vs in groups.values()):  # elements of one sort are pairwise distinct
            cond.append("distinct")
        cond += [f"!= {w}" for w in n[2]]
        head = f"{tag} " + ", ".join(f"{', '.join(vs)} in {s}" for s, vs in groups.items()) \
            + (f" ({', '.join(cond)})" if cond else "")
        text = f"{head}: {show(n[3], pm)}"
        return f"{tag}({text[len(tag) + 1:]})" if tag == "count" else f"({text})" if prec else text
    return repr(n)


def _rename(n: tuple, mapping: dict[str, str]) -> tuple:
    """Readable names for the lifter's placeholder variables (``_0_1`` -> ``H1``)."""
    tag = n[0]
    if tag == "var":
        return ("var", mapping.get(n[1], n[1]))
    if tag == "app":
        return ("app", n[1], tuple(mapping.get(a, a) if isinstance(a, str) else _rename(a, mapping) for a in n[2]))
    if tag == "fn":
        return ("fn", n[1], mapping.get(n[2], n[2]))
    if tag in ("forall", "exists", "sumof"):
        m2 = dict(mapping)
        used = set(mapping.values())
        vars_ = []
        for v, s in n[1]:
            i = 1
            while f"{s[0].upper()}{i}" in used:
                i += 1
            m2[v] = f"{s[0].upper()}{i}"
            used.add(m2[v])
            vars_.append((m2[v], s))
        return (tag, tuple(vars_), tuple(m2.get(w, w) for w in n[2]), _rename(n[3], m2))
    if tag in ("and", "or"):
        return (tag, tuple(_rename(a, mapping) for a in n[1]))
    if tag == "sum":
        return (tag, tuple(_rename(a, mapping) for a in n[1]), tuple(_rename(a, mapping) for a in n[2]))
    return (tag,) + tuple(_rename(c, mapping) if isinstance(c, tuple) and c and isinstance(c[0], str) else c
                          for c in n[1:])


class Prover:
    """Houdini and the final re-check on the quantified encoding, with a deterministic budget."""

    def __init__(self, pm: ParamModel, settings: Settings, deadline: float | None, size: int | None = None):
        self.pm = pm
        self.q = QEncoding(pm, size)
        self.s = settings
        self.deadline = deadline
        self.queries = 0
        self._steps: dict[str, tuple[list, Any]] = {}
        self.timed_out = False

    def solver(self) -> z3.Solver:
        s = z3.Solver()
        s.set(rlimit=self.s.rlimit)
        self.queries += 1
        return s

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def houdini(self, cands: list[tuple]) -> list[tuple]:
        q = self.q
        init = q.init()
        alive = list(cands)
        while alive:  # initiation: one query for all, a model drops every candidate it falsifies
            s = self.solver()
            s.add(*init)
            now = [q.ev(c, {}, q.cur) for c in alive]
            s.add(z3.Not(z3.And(*now)))
            r = check(s)
            if r == z3.unsat:
                break
            bad = []
            if r == z3.sat:
                m = s.model()
                bad = [c for c, f in zip(alive, now) if z3.is_false(m.eval(f, model_completion=True))]
            if not bad:
                for c, f in zip(alive, now):
                    s = self.solver()
                    s.add(*init, z3.Not(f))
                    if check(s) != z3.unsat:
                        bad.append(c)
                alive = [c for c in alive if c not in bad]
                break
            alive = [c for c in alive if c not in bad]
        say(self.s, f"Houdini: {len(alive)} of {len(cands)} candidates hold initially")
        changed = True
        rounds = 0
        while changed and alive:
            changed = False
            rounds += 1
            say(self.s, f"Houdini{'' if self.q.size is None else f' ({self.q.size} per sort)'}: round {rounds}, "
                        f"{len(alive)} candidates")
            for act in self.pm.actions:
                while alive:
                    if self.out_of_time():
                        self.timed_out = True
                        return []
                    bad = self.breaks(act, alive)
                    if not bad:
                        break
                    say(self.s, f"Houdini: {act.name} breaks {len(bad)}, {len(alive) - len(bad)} left "
                                f"({self.queries} queries)")
                    alive = [c for c in alive if c not in bad]
                    changed = True
        return alive

    def pre(self, act, alive: list[tuple]) -> tuple[z3.Solver, Any]:
        q = self.q
        if act.name not in self._steps:  # one step formula per action: candidates' formulas are memoised on it
            params, facts = q.action_params(act)
            self._steps[act.name] = (facts + [q.ev(act.guard, params, q.cur)], q.next_state(act, params))
        facts, nxt = self._steps[act.name]
        s = self.solver()
        s.add(*q.ranges(q.cur), *facts)
        s.add(*(q.ev(c, {}, q.cur) for c in alive))
        return s, nxt

    def breaks(self, act, alive: list[tuple]) -> list[tuple]:
        """The candidates some step of ``act`` from a state satisfying all of them can falsify."""
        q = self.q
        s, nxt = self.pre(act, alive)
        posts = [q.ev(c, {}, nxt) for c in alive]
        s.add(z3.Not(z3.And(*posts)))
        r = check(s)
        if r == z3.unsat:
            return []
        if r == z3.sat:
            m = s.model()
            bad = [c for c, p in zip(alive, posts) if z3.is_false(m.eval(p, model_completion=True))]
            if bad:
                return bad
        out = []
        s, nxt = self.pre(act, alive)
        for c, p in zip(alive, posts):  # one at a time: unknown counts as broken (only ever weakens the invariant)
            s.push()
            s.add(z3.Not(p))
            self.queries += 1
            if check(s) != z3.unsat:
                out.append(c)
            s.pop()
        return out or list(alive)

    def recheck(self, inv: list[tuple], prop: tuple) -> str | None:
        """None if ``inv`` is an inductive invariant implying ``prop`` for every size, else why not."""
        q = self.q
        s = self.solver()
        s.add(*q.init(), z3.Not(z3.And(*(q.ev(c, {}, q.cur) for c in inv))))
        if check(s) != z3.unsat:
            return "initiation"
        for act in self.pm.actions:
            s, nxt = self.pre(act, inv)
            s.add(z3.Not(z3.And(*(q.ev(c, {}, nxt) for c in inv))))
            if check(s) != z3.unsat:
                return f"consecution of {act.name}"
            s, nxt = self.pre(act, inv)
            s.add(z3.Not(z3.And(*q.ranges(nxt))))
            if check(s) != z3.unsat:
                return f"range of an update of {act.name}"
        s = self.solver()
        s.add(*q.ranges(q.cur), *(q.ev(c, {}, q.cur) for c in inv), z3.Not(q.ev(prop, {}, q.cur)))
        if check(s) != z3.unsat:
            return "the invariant does not imply the property"
        return None


def size_order(every: Sequence[str], lows: dict[str, int], hi: int, lo_total: int = 0) -> list[dict[str, int]]:
    combos = [dict(zip(every, c)) for c in itertools.product(*(range(lows[k], hi + 1) for k in every))]
    combos = [c for c in combos if max(c.values()) > lo_total or lo_total == 0]
    return sorted(combos, key=lambda c: (sum(c.values()), tuple(c.values())))


def prove_every(spec: Spec, overrides: dict[str, Any], prop: str, every: Sequence[str],
                faults: Sequence[str] | None = None, settings: Settings = Settings()) -> PropertyResult:
    t0 = time.monotonic()
    deadline = t0 + settings.timeout if settings.timeout is not None else None
    infos = {i.name: i for i in spec.param_info()}
    for k in every:
        if k not in infos:
            raise BadInput(f"--for-every {k}: model {spec.name} has no parameter {k!r}; its parameters are "
                           f"{', '.join(infos)}")
        if infos[k].type not in (int, "int") or isinstance(infos[k].default, bool):
            raise BadInput(f"--for-every {k}: parameter {k} is not an integer size")
        if k in overrides:
            raise BadInput(f"--for-every {k}: do not also set {k} with --param")
    lows = {k: max(1, infos[k].low or 1) for k in every}
    base = build_at(spec, overrides, {k: lows[k] for k in every}, faults)
    if prop not in base.properties:
        raise BadInput(f"--property {prop}: model {base.name} has no property {prop!r}; it has: {', '.join(base.properties)}")
    p = base.properties[prop]
    if p.kind != "invariant":
        raise BadInput(f"--property {prop}: --for-every proves invariants; {prop} is a {p.kind} property")
    fixed = {a.name: getattr(base.params, a.name) for a in attrs.fields(type(base.params)) if a.name not in every}
    extra: dict[str, Any] = {"every": list(every), "fixed": fixed}

    def result(verdict: str, text: str, **more: Any) -> PropertyResult:
        if verdict == UNKNOWN and extra.get("lemmas_tried") and extra["lemmas_tried"] not in text:  # said once
            text += f"; stated lemmas: {extra['lemmas_tried']}"
        return PropertyResult(prop, "invariant", verdict, "parametric", "smt", text,
                              Stats(seconds=time.monotonic() - t0), trace=more.pop("trace", None),
                              extra={**extra, **more})

    # 0. the model's stated lemmas (m.lemma), if any support the property: checked for every N at once
    stated = [lm.name for lm in base.lemmas_for(prop)]
    if stated:
        got = by_stated_lemmas(spec, overrides, prop, every, faults, settings, deadline, stated, lows)
        if isinstance(got, str):
            extra["lemmas_tried"] = got
            say(settings, f"stated lemmas: {got}")
        else:
            pm, inv, owner, read_at, init_read = got
            _functions(extra, pm, owner, read_at)
            return result(HOLDS, f"for every N{_assignment(extra)}: inductive invariant with forall (the property and {len(stated)} stated "
                          f"lemma{'s' if len(stated) != 1 else ''}), re-checked; N = {', '.join(every)}"
                          f"{_placed_text(pm, init_read)}",
                          invariant=inv, lemmas=stated, abstracted=list(pm.abstracted),
                          sorts=owner, checked=[], **init_read)
    # 1. small instances, exhaustively
    checked: list[str] = []
    samples: list[tuple[Model, Lifter, Any]] = []
    small = size_order(every, lows, settings.mine_max)
    small = [s for s, _ in instances(spec, overrides, small, faults)]
    for sizes in small:
        m = build_at(spec, overrides, sizes, faults)
        r = explicit_check(m, [m.properties[prop]], Bounds(max_states=settings.max_states))
        pr = r.properties[0]
        if pr.verdict == VIOLATED:
            return result(VIOLATED, f"smallest counterexample at {_sizes(sizes)}; exhaustive below it",
                          trace=pr.trace, sizes=sizes, checked=checked)
        if pr.verdict != HOLDS:  # too big to explore: mine from the smaller sizes only
            extra["stopped"] = f"the explicit search at {_sizes(sizes)} stopped: {pr.explanation}"
            break
        checked.append(_sizes(sizes))
    small = [s for s in small if _sizes(s) in checked]
    if not small:
        return result(UNKNOWN, extra["stopped"], checked=checked)
    # 2. the parametric reading
    try:
        ps, owner = parametric_sorts(spec, overrides, every, faults)
        extra["sorts"] = {s: owner[s] for s in sorted(ps)}
        pm, read_at = read_parametric(spec, overrides, every, faults, ps)
        _functions(extra, pm, owner, read_at)
        prop_node = pm.prop(prop)
        prover = Prover(pm, settings, deadline)
        prover.q.ev(prop_node, {}, prover.q.cur)  # unsupported constructs in the property show here
        for a in pm.actions:
            params, _ = prover.q.action_params(a)
            prover.q.ev(a.guard, params, prover.q.cur)
            nxt = prover.q.next_state(a, params)
            for f in pm.families:
                vars_ = tuple((f"a{i}", s) for i, s in enumerate(f.arg_sorts))
                consts, _c = prover.q.bind(vars_, (), {})
                nxt(f.name, consts)
    except NotParametric as e:
        return _search_larger(spec, overrides, prop, every, lows, faults, settings, checked, result,
                              f"not a model for every N: {e.bare_message}", deadline)
    if pm.placed:  # initial values that name elements (VM v1 starts on h1): read by clauses
        pm, init_checked = read_placed_init(spec, overrides, every, lows, faults, pm, ps, small)
        extra["init_read"] = [show(_rename(c, {}), pm) for c in pm.init_clauses]
        extra["init_checked"] = init_checked
        extra["placed"] = list(pm.placed)
        prover = Prover(pm, settings, deadline)
    # 3. candidates from the small instances
    for sizes in small:
        m = build_at(spec, overrides, sizes, faults)
        vals, _ = reachable_values(m, settings.max_states)
        samples.append((m, Lifter(m, ps), vals))
    cands = mine(pm, samples)
    cands = [prop_node] + [c for c in cands if c != prop_node]
    n_cands = len(cands)
    say(settings, f"{len(cands)} candidate clauses mined from {', '.join(checked)}")
    # 4. Houdini, 5. the re-check
    timed_out = False
    why: str | None = None
    for size in settings.filter_sizes:  # quantifier-free Houdini at fixed sizes first: its CTIs are real
        fixed_size = Prover(pm, settings, deadline, size)
        cands = fixed_size.houdini(cands)
        timed_out = timed_out or fixed_size.timed_out
        say(settings, f"{len(cands)} candidates left after Houdini with {size} elements per sort")
        if prop_node not in cands and not timed_out:  # no use going on: P is not inductive relative to them
            why = (f"that {prop} is inductive relative to the candidates: z3 found a counterexample to induction "
                   f"with {size} elements per sort")
            break
    if why is None:
        inv = prover.houdini(cands)
        timed_out = timed_out or prover.timed_out
        why = ("the time budget ran out during Houdini" if timed_out else "Houdini kept no candidate") if not inv \
            else prover.recheck(inv, prop_node)
    if why is None:
        inv = [_rename(c, {}) for c in inv]
        text = [show(c, pm) for c in inv]
        placed = _placed_text(pm, extra) if pm.placed else ""
        return result(HOLDS, f"for every N{_assignment(extra)}: inductive invariant with forall, re-checked; "
                      f"N = {', '.join(every)}{placed}",
                      invariant=text, candidates=n_cands, queries=prover.queries, checked=checked)
    return _search_larger(spec, overrides, prop, every, lows, faults, settings, checked, result,
                          f"no inductive invariant among {n_cands} candidates mined from {', '.join(checked)} "
                          f"(not shown: {why})", deadline)


def by_stated_lemmas(spec: Spec, overrides: dict[str, Any], prop: str, every: Sequence[str], faults,
                     settings: Settings, deadline: float | None, stated: list[str], lows: dict[str, int] | None = None
                     ) -> "tuple[ParamModel, list[str], dict[str, str], list[str], dict[str, Any]] | str":
    """The property and its stated lemmas, read for every N and re-checked on the quantified encoding
    (initiation, consecution of every action, every update in range, and that they imply the
    property): (the reading, the invariant's lines, the sorts' parameters, how a placed initial state
    was read) when it holds, else why not. A guard that
    compares a fold (the best score of the other hosts) is read as a free choice of the step: an
    over-approximation, so an invariant of the reading is one of the model. Initial values that name
    elements (fencing's VM v_i on host h_i) are read as the mining route reads them
    (``read_placed_init``): every state satisfying the clauses over them true of the initial states at
    every size built, a superset of the model's initial states, so initiation is proved for more."""
    if lows is None:
        infos = {i.name: i for i in spec.param_info()}
        lows = {k: max(1, infos[k].low or 1) for k in every}
    try:
        ps, owner = parametric_sorts(spec, overrides, every, faults)
        pm, read_at = read_parametric(spec, overrides, every, faults, ps, abstract_folds=True)
        init_read: dict[str, Any] = {}
        if pm.placed:
            small = [s for s, _ in instances(spec, overrides, size_order(every, lows, settings.mine_max), faults)]
            if not small:
                return f"the initial values of {', '.join(pm.placed)} name elements, and no size up to " \
                       f"{settings.mine_max} is accepted to read them at"
            pm, init_checked = read_placed_init(spec, overrides, every, lows, faults, pm, ps, small)
            init_read = {"init_read": [show(_rename(c, {}), pm) for c in pm.init_clauses],
                         "init_checked": init_checked, "placed": list(pm.placed)}
        prop_node = pm.prop(prop)
        nodes = []
        for name, node in pm.lemmas:
            if name in stated:
                if isinstance(node, str):
                    return f"not a formula for every N: {node}"
                nodes.append(node)
        prover = Prover(pm, settings, deadline)
        inv = nodes + [prop_node]
        why = prover.recheck(inv, prop_node)
    except NotParametric as e:
        return f"not a model for every N: {e.bare_message}"
    if why is not None:
        return (f"the property and its {len(stated)} stated lemma{'s' if len(stated) != 1 else ''} are not inductive "
                f"for every N ({why}{_placed_text(pm, init_read)})")
    return pm, [show(_rename(c, {}), pm) for c in inv], {x: owner[x] for x in sorted(ps)}, read_at, init_read


def _placed_text(pm: ParamModel, init_read: dict[str, Any]) -> str:
    """How a placed initial state was read, for the verdict (empty when nothing is placed)."""
    if not pm.placed:
        return ""
    return (f"; from every initial state satisfying {len(pm.init_clauses)} clauses over {', '.join(pm.placed)}, as "
            f"the model's own do with {len(init_read['init_checked'])} sizes up to {READ_SIZES[1]} per sort")


def read_parametric(spec: Spec, overrides: dict[str, Any], every: Sequence[str], faults, ps: set[str],
                    abstract_folds: bool = False) -> tuple[ParamModel, list[str]]:
    """The model read for every N (param_lift), the same at two sizes; and the sizes it was read at.

    First with READ_SIZES elements in every sort. When that fails and several sorts are parametric, a
    model may choose an element of one sort by a function of another (write w is issued by client
    ``w mod clients``): with as many writes as clients that is a bijection, and "the writes of client c"
    is one write, which no formula over every N names. So the reading is tried again with one
    parameter at 2n+1 and the others at n (n = 3, then 4): every client then has two or more writes,
    and param_lift reads such a map as an uninterpreted function (``client_of``), its soundness
    argument in param_lift's docstring. When no reading works the first error is reported."""
    def at(sizes_list: list[dict[str, int]], label: str) -> ParamModel:
        read = [lift_model(build_at(spec, overrides, sz, faults), ps, abstract_folds=abstract_folds) for sz in sizes_list]
        if _comparable(read[0]) != _comparable(read[1]):
            raise NotParametric(f"the model reads differently with {label}: {_first_difference(read[0], read[1])}")
        return read[0]

    equal = [{k: n for k in every} for n in READ_SIZES]
    try:
        pm = at(equal, f"{READ_SIZES[0]} and {READ_SIZES[1]} elements per sort")
        return pm, [_sizes(s) for s in equal]
    except NotParametric as first:
        if len(ps) < 2:
            raise
        tried = []
        for big in every:
            fanned = [{k: (2 * n + 1 if k == big else n) for k in every} for n in (3, 4)]
            try:
                pm = at(fanned, f"{_sizes(fanned[0])} and {_sizes(fanned[1])}")
            except (NotParametric, SizeRejected) as e:
                tried.append(f"with {_sizes(fanned[0])}: {e.bare_message if isinstance(e, NotParametric) else e}")
                continue
            if pm.functions:
                return pm, [_sizes(s) for s in fanned]
            tried.append(f"with {_sizes(fanned[0])}: no function chooses elements")
        raise NotParametric(f"{first.bare_message} (read again with one sort larger: {'; '.join(tried)})") from None


def _functions(extra: dict[str, Any], pm: ParamModel, owner: dict[str, str], read_at: list[str]) -> None:
    """Record the element-choosing functions of the reading for the verdict."""
    extra["read_at"] = read_at
    if pm.functions:
        extra["functions"] = [f"{f.name}: {f.dom} -> {f.cod}" for f in pm.functions]
        extra["assignment"] = " and ".join(f"every assignment of {owner.get(f.dom, f.dom)} to {owner.get(f.cod, f.cod)}"
                                           for f in pm.functions)


def _assignment(extra: dict[str, Any]) -> str:
    return f" and {extra['assignment']}" if extra.get("functions") else ""


def say(settings: Settings, text: str) -> None:
    if settings.progress is not None:
        settings.progress(text)


def _comparable(pm: ParamModel) -> ParamModel:
    """The reading without the texts of why other properties could not be read (they name counts)."""
    return attrs.evolve(pm, properties=tuple((n, "unreadable" if isinstance(x, str) else x) for n, x in pm.properties))


def _first_difference(a: ParamModel, b: ParamModel) -> str:
    if a.families != b.families:
        return "the state variables or their initial values differ"
    if [x.name for x in a.actions] != [x.name for x in b.actions]:
        return "the actions differ"
    for x, y in zip(a.actions, b.actions):
        if x != y:
            return f"action {x.name} differs"
    if a.init != b.init:
        return "the initial-state constraints differ"
    return "the properties differ"


def read_placed_init(spec, overrides, every, lows, faults, pm: ParamModel, ps: set[str], small) -> tuple[ParamModel, list[str]]:
    """Initial values that name particular elements (fencing: VM v_i starts on host h_(i mod hosts))
    are no formula over every N. They are read as every state satisfying the clauses (over the
    placed variables) that hold in the initial states of every size built, small and up to the
    reading sizes: a theorem for every N and every such placement, which the model's own placement
    satisfies at each size built (the verdict lists them)."""
    samples = []
    for sizes in small:
        m = build_at(spec, overrides, sizes, faults)
        samples.append((m, Lifter(m, ps), initial_values(m)))
    placed = {f.name for f in pm.families if f.placed}
    clauses = [c for c in mine(pm, samples) if _families(c) & placed]
    checked = [_sizes(s) for s in small]
    for sizes, m in instances(spec, overrides, size_order(every, lows, READ_SIZES[1], settings_mine_max(small, every)),
                              faults):
        lf, vals = Lifter(m, ps), initial_values(m)
        clauses = [c for c in clauses if clause_holds(c, pm, m, lf, vals)]
        checked.append(_sizes(sizes))
    return attrs.evolve(pm, init_clauses=tuple(clauses)), checked


def settings_mine_max(small, every) -> int:
    return max(max(s[k] for k in every) for s in small)


def _families(n: tuple) -> set[str]:
    if n[0] == "app":
        return {n[1]}
    out: set[str] = set()
    for c in n[1:]:
        if isinstance(c, tuple):
            if c and isinstance(c[0], str):
                out |= _families(c)
            else:
                for x in c:
                    if isinstance(x, tuple) and x and isinstance(x[0], str):
                        out |= _families(x)
    return out


def _search_larger(spec, overrides, prop, every, lows, faults, settings, checked, result, why, deadline) -> PropertyResult:
    """No proof: look for the smallest counterexample beyond the small instances."""
    if "stopped" in result(UNKNOWN, "").extra:
        return result(UNKNOWN, f"{why}; holds exhaustively for {'; '.join(checked)}; {result(UNKNOWN, '').extra['stopped']}",
                      checked=checked)
    for sizes, m in instances(spec, overrides, size_order(every, lows, settings.max_n, settings.mine_max), faults):
        if deadline is not None and time.monotonic() > deadline:
            break
        r = explicit_check(m, [m.properties[prop]], Bounds(max_states=settings.max_states))
        pr = r.properties[0]
        if pr.verdict == VIOLATED:
            return result(VIOLATED, f"smallest counterexample at {_sizes(sizes)}; exhaustive below it",
                          trace=pr.trace, sizes=sizes, checked=checked, no_proof=why)
        if pr.verdict != HOLDS:
            break
        checked.append(_sizes(sizes))
    return result(UNKNOWN, f"{why}; holds exhaustively for {'; '.join(checked) or 'no size'}", checked=checked)
