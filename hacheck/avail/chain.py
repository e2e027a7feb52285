"""The Markov automaton of a model: its reachable state graph with rates on the timed steps.

Semantics (docs/availability.md, "What the chain means"):

* a protocol step without a rate is *immediate*: it takes no time, and where several are enabled
  the scheduler picks one (the nondeterminism the min/max figures range over);
* a ``tick`` step is exponentially distributed with mean ``tick_seconds``; a fault, an
  environment step or a protocol step with ``rate=``/``duration=`` fires at that rate;
* maximal progress: in a state with an immediate step enabled no time passes, so no timed step
  fires there;
* an environment step with no rate (an operator action) never happens;
* the fault budget counts *concurrent* failures: a fault whose failure some environment step
  ``repairs`` adds one, that repair removes one (so failures recur and the chain has a steady
  state); a fault nothing repairs (a transient one: a VM crash the protocol recovers from) is not
  counted. ``check`` never sees any of this: it reads the model as written.

The graph is built by the explicit engine (``Explorer.run(record_edges=True)``) from the compiled
actions of the same model: no protocol logic lives here.
"""

from __future__ import annotations

import copy
import math
from typing import Iterable

import attrs
import numpy as np

from ..explicit.compile import compile_model
from ..explicit.search import Bounds, Explorer
from ..lang.errors import BadInput, HacheckError, ModelError
from ..lang.expr import and_, arith, lift, or_
from ..lang.model import ActionInstance, Model
from ..result import fmt_int

HOURS_PER_YEAR = 8766.0  # 365.25 days
DEFAULT_MAX_STATES = 1_000_000


class ChainTooLarge(HacheckError):
    """The chain does not fit the bounds (exit 3: not computable within them)."""


@attrs.frozen(eq=False)
class Chain:
    """A Markov automaton over ``n`` states (ids of the explicit engine's BFS order, 0 initial).

    ``rate_src/rate_dst/rate_val/rate_act``: timed transitions of the tangible states (rates per
    hour, by action instance). ``imm_src/imm_dst/imm_act``: immediate choices of the vanishing
    states. ``labels``: measure name -> bool array over the states.
    """

    model: Model
    n: int
    init: np.ndarray
    tangible: np.ndarray  # bool per state: no immediate step enabled
    rate_src: np.ndarray
    rate_dst: np.ndarray
    rate_val: np.ndarray
    rate_act: np.ndarray
    imm_src: np.ndarray
    imm_dst: np.ndarray
    imm_act: np.ndarray
    labels: dict[str, np.ndarray]
    instances: tuple[ActionInstance, ...]
    explorer: Explorer
    seconds: float

    @property
    def nondeterministic(self) -> bool:
        if len(self.imm_src) == 0:
            return False
        counts = np.bincount(self.imm_src, minlength=self.n)
        return bool((counts > 1).any())

    def state_text(self, sid: int) -> str:
        return _short_state(self.model, self.explorer.codes(self.explorer_store_row(sid)))

    def explorer_store_row(self, sid: int) -> np.ndarray:
        return self.explorer.graph.store.row(sid)

    def path_text(self, sid: int, limit: int = 12) -> str:
        path = self.explorer.graph.store.path(sid)
        steps = [self.instances[a].label for _, a in path[1:]]
        if len(steps) > limit:
            steps = steps[:3] + ["..."] + steps[-(limit - 4):]
        return " -> ".join(steps) if steps else "(the initial state)"


def _short_state(model: Model, codes: tuple[int, ...]) -> str:
    d = model.decode(codes)
    parts = []
    for k, v in d.items():
        parts.append(f"{k}={v}")
    text = ", ".join(parts)
    return text if len(text) <= 300 else text[:297] + "..."


@attrs.frozen
class Rates:
    """Rate overrides (per hour) by action name or instance label (``host_crash(h=h1)``)."""

    by_action: dict[str, float] = attrs.field(factory=dict)
    by_label: dict[str, float] = attrs.field(factory=dict)
    where: dict[str, str] = attrs.field(factory=dict)  # key -> where it was given (a file line, an option)

    def of(self, inst: ActionInstance) -> float | None:
        if inst.label in self.by_label:
            return self.by_label[inst.label]
        if inst.action in self.by_action:
            return self.by_action[inst.action]
        return inst.rate


def check_rate(value: object, what: str) -> float:
    """A rate given on the command line or in a file: a finite number above 0, else bad input."""
    if isinstance(value, bool):
        raise BadInput(f"{what}: a rate is a number per hour, got {value!r}")
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadInput(f"{what}: a rate is a number per hour, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise BadInput(f"{what}: a rate must be more than 0 and finite, got {value!r}")
    return v


def parse_rate_options(items: Iterable[str]) -> Rates:
    """``--rate ACTION=PER_HOUR`` or ``--rate 'host_crash(h=h1)=0.001'``; ``--rate X=mttf:HOURS`` too."""
    r = Rates()
    for item in items:
        key, sep, val = item.rpartition("=")
        if not sep or not key:
            raise BadInput(f"--rate {item}: write ACTION=EVENTS_PER_HOUR (or ACTION=mean:HOURS)")
        if val.startswith("mean:"):
            hours = check_rate(val[5:], f"--rate {item}")
            v = 1.0 / hours
        else:
            v = check_rate(val, f"--rate {item}")
        (r.by_label if "(" in key else r.by_action)[key] = v
        r.where[key] = f"--rate {item}"
    return r


def availability_model(model: Model, rates: Rates) -> tuple[Model, list[ActionInstance], list[float | None]]:
    """The model as the chain reads it: budget as concurrent failures, unrated environment steps
    removed. Returns the model copy, its instances, and each one's rate (None: immediate)."""
    actions = {a.name: a for a in model.actions}
    faults = {a.name for a in model.actions if a.kind == "fault"}
    repaired: set[str] = set()
    for a in model.actions:
        for r in a.repairs:
            if model.fault_kinds is not None and r not in actions:
                continue  # a fault left out (--faults): nothing to repair
            if r not in actions or actions[r].kind != "fault":
                raise ModelError(f"action {a.name}: repairs={r!r} names no fault action of model {model.name} "
                                 f"(its faults: {', '.join(sorted(faults)) or 'none'})", a.rate_where)
            repaired.add(r)
    for key in list(rates.by_action):
        if key not in actions:
            raise BadInput(f"{rates.where.get(key, key)}: model {model.name} has no action {key!r}")
    labels = {i.label for i in model.instances}
    for key in rates.by_label:
        if key not in labels:
            raise BadInput(f"{rates.where.get(key, key)}: model {model.name} has no action instance {key!r}")
    budget = model.budget
    keep: list[ActionInstance] = []
    rate_of: list[float | None] = []
    tick_rate = None
    for inst in model.instances:
        r = rates.of(inst)
        if inst.tick:
            if not model.tick_seconds:
                raise ModelError(f"model {model.name}: action {inst.action} is a tick but the model gives no "
                                 "tick_seconds (Model(..., tick_seconds=S)): the chain needs the tick's duration",
                                 actions[inst.action].location)
            tick_rate = 3600.0 / model.tick_seconds
            r = tick_rate
        elif inst.kind in ("fault", "env") and r is None:
            continue  # no rate: never happens in the long run (listed in the report as left out)
        new = inst
        if budget is not None:
            bf = budget[0]
            if inst.kind == "fault" and inst.unbudgeted is not None and inst.action not in repaired:
                guard, updates = inst.unbudgeted  # a transient failure: not counted
                new = attrs.evolve(inst, guard=guard, updates=updates)
            elif inst.kind == "env" and inst.repairs and any(x in repaired for x in inst.repairs):
                if all(f != bf for f, _ in inst.updates):
                    fexpr = model.fields_expr(bf)
                    dec = arith("max", arith("-", fexpr, 1), lift(0))
                    ups = tuple(sorted(inst.updates + ((bf, dec),), key=lambda u: u[0]))
                    new = attrs.evolve(inst, updates=ups, range_checked=tuple(sorted(set(inst.range_checked) | {bf})))
        keep.append(attrs.evolve(new, index=len(keep)))
        rate_of.append(r)
    # maximal progress: a timed step is possible only where no immediate step is (this prunes the
    # exploration; the edges that remain are the chain's)
    immediate = [i.guard for i, r in zip(keep, rate_of) if r is None]
    if immediate:
        urgent = or_(*immediate)
        keep = [i if r is None else attrs.evolve(i, guard=and_(i.guard, ~urgent)) for i, r in zip(keep, rate_of)]
    m2 = copy.copy(model)
    m2.instances = keep
    return m2, keep, rate_of


def build_chain(model: Model, rates: Rates | None = None, max_states: int = DEFAULT_MAX_STATES,
                measures: Iterable[str] | None = None) -> Chain:
    """Explore ``model`` (no symmetry reduction: rates may tell hosts apart) and classify its edges."""
    import time

    t0 = time.monotonic()
    rates = rates or Rates()
    if not model.measures:
        raise BadInput(f"model {model.name} declares no availability measure (m.availability(name, predicate))")
    names = list(model.measures) if measures is None else list(measures)
    for n in names:
        if n not in model.measures:
            raise BadInput(f"model {model.name} has no availability measure {n!r}; it has "
                           f"{', '.join(model.measures)}")
    m2, insts, rate_of = availability_model(model, rates)
    compiled = compile_model(m2, extra_predicates={f"measure:{n}": model.measures[n].expr for n in names})
    ex = Explorer(m2, compiled, symmetry=False)
    try:
        res = ex.run([], Bounds(max_states=max_states), record_edges=True)
    except MemoryError:
        raise ChainTooLarge(f"out of memory while building the chain of {model.name}") from None
    except HacheckError as e:
        if str(e).startswith("out of memory"):
            raise ChainTooLarge(str(e)) from None
        raise
    g = ex.graph
    if not g.complete:
        raise ChainTooLarge(
            f"the chain of {model.name} has more than {fmt_int(max_states)} states ({res.stats.stop_reason}); "
            "lower the bounds (--param), or raise --max-states")
    n = g.states
    rate_arr = np.array([np.nan if r is None else r for r in rate_of], dtype=float)
    timed_edge = ~np.isnan(rate_arr[g.act]) if len(g.act) else np.zeros(0, dtype=bool)
    imm = ~timed_edge & (g.src != g.dst)  # an immediate self-loop changes nothing: a no-op, not a choice
    has_imm = np.zeros(n, dtype=bool)
    has_imm[g.src[imm]] = True
    tangible = ~has_imm
    keep_rate = timed_edge & tangible[g.src]
    # labels over every state, from the compiled measure predicates
    labels = {}
    for nme in names:
        parts = []
        for rows in g.store.levels:
            cols = compiled.unpack(rows)
            parts.append(compiled.mask(f"measure:{nme}", cols, len(rows)))
        labels[nme] = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    chain = Chain(
        model=m2, n=n, init=np.arange(res.stats.initial_states), tangible=tangible,
        rate_src=g.src[keep_rate].astype(np.int64), rate_dst=g.dst[keep_rate].astype(np.int64),
        rate_val=rate_arr[g.act[keep_rate]], rate_act=g.act[keep_rate].astype(np.int64),
        imm_src=g.src[imm].astype(np.int64), imm_dst=g.dst[imm].astype(np.int64), imm_act=g.act[imm].astype(np.int64),
        labels=labels, instances=tuple(insts), explorer=ex, seconds=time.monotonic() - t0,
    )
    _check_time_locks(chain)
    return chain


def _check_time_locks(chain: Chain) -> None:
    """A tangible state that no rate leaves stops time: the long run is not defined (bad input)."""
    out = np.zeros(chain.n)
    np.add.at(out, chain.rate_src, chain.rate_val)
    dead = np.flatnonzero(chain.tangible & (out == 0))
    if len(dead) == 0:
        return
    sid = int(dead[0])
    ticks = [a for a in chain.model.actions if a.tick]
    where = f"; the tick ({ticks[0].name}, {ticks[0].location}) is disabled there" if ticks else \
        "; the model has no tick and no rated step is enabled there"
    raise ModelError(
        f"time-lock in model {chain.model.name}: {fmt_int(len(dead))} state(s) where no immediate step is enabled and "
        f"no rate leaves, e.g. after {chain.path_text(sid)} (state {chain.state_text(sid)}){where}", location="")
