"""Hypothesis strategies that draw executions of any model.

An execution is drawn as a sequence of choices, one or two small integers per step, so that
Hypothesis' shrinker works on what matters: deleting a step's choices removes that step, lowering
the first integer of a step turns a fault into an ordinary protocol step (protocol actions come
first in the order choices are mapped to), and lowering the second (drawn only when the chosen
action has several enabled instances) picks its first enabled instance (simpler parameters: ``h1``
rather than ``h3``).

How a step is chosen, in a state with enabled actions:

1. a **category**: a fault with probability ``fault_rate`` (if a fault is enabled: the model's fault
   budget is part of every fault's guard, so a spent budget disables them all), an environment step
   (repair, operator) with probability ``env_rate``, otherwise a protocol action; a category with
   nothing enabled gives its share to the others;
2. an **action** of that category, by weight (``weights[name]``, default 1: faults are weighted by
   kind, not by how many hosts they can hit);
3. one of its enabled **instances**, uniformly.

``fault_rate`` and ``env_rate`` are drawn per example from a few values unless fixed, so some
examples inject faults early and often, others late and rarely.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs
from hypothesis import strategies as st

from ..explicit.compile import RangeViolation
from ..lang.errors import BadInput
from ..lang.model import Model
from ..lang.props import Property
from .stepper import Execution, Failure, Monitor, State, Stepper

CHOICES = 256  # Hypothesis draws integers in 0..255 about uniformly; wider ranges lean to small values
FAULT_RATES = (0.1, 0.03, 0.25, 0.5)  # the first is where shrinking goes
ENV_RATES = (0.1, 0.03, 0.25)


@attrs.frozen
class Weights:
    """How steps are chosen. ``fault_rate``/``env_rate``: probability that a step is a fault /
    an environment step when one is enabled (None: drawn per example from FAULT_RATES / ENV_RATES).
    ``actions``: relative weight of an action name inside its category (default 1; 0 never)."""

    fault_rate: float | None = None
    env_rate: float | None = None
    actions: Mapping[str, float] = attrs.field(factory=dict, converter=dict)

    def validate(self, model: Model) -> None:
        for what, v in (("fault_rate", self.fault_rate), ("env_rate", self.env_rate)):
            if v is not None and not 0.0 <= v <= 1.0:
                raise BadInput(f"{what} must be between 0 and 1, got {v}")
        if (self.fault_rate or 0.0) + (self.env_rate or 0.0) > 1.0:
            raise BadInput("fault_rate + env_rate must not exceed 1")
        names = {a.name for a in model.actions}
        for name, w in self.actions.items():
            if name not in names:
                raise BadInput(f"weight for {name!r}: model {model.name} has no action {name!r}; "
                               f"its actions are {', '.join(sorted(names))}")
            if w < 0:
                raise BadInput(f"weight for {name!r} must be >= 0, got {w}")


class Chooser:
    """Maps a step's two drawn integers to an enabled instance (see the module docstring)."""

    def __init__(self, stepper: Stepper, weights: Weights):
        self.st = stepper
        self.name_weight = [float(weights.actions.get(n, 1.0)) for n in stepper.names]
        self.cat = [0 if k == "protocol" else 1 if k == "env" else 2 for k in stepper.kind]

    def groups(self, enabled: Sequence[int], only_fair: bool = False) -> list[list[list[int]]]:
        """Enabled instances grouped by action, per category (protocol, env, fault)."""
        out: list[list[list[int]]] = [[], [], []]
        name_of, cat, nw, fair = self.st.name_of, self.cat, self.name_weight, self.st.fair
        last = -1
        for i in enabled:
            if only_fair and not fair[i]:
                continue
            n = name_of[i]
            if nw[n] <= 0.0:
                continue
            if n != last:
                out[cat[i]].append([i])
                last = n
            else:
                out[cat[i]][-1].append(i)
        return out

    def pick(self, groups: list[list[list[int]]], u: int, fault_rate: float, env_rate: float) -> list[int] | None:
        """The group (one action's enabled instances) that the drawn ``u`` in 0..CHOICES-1 selects."""
        rates = [max(0.0, 1.0 - fault_rate - env_rate), env_rate, fault_rate]
        mass = [rates[c] if groups[c] else 0.0 for c in range(3)]
        total = sum(mass)
        if total <= 0.0:
            if not any(groups):
                return None
            mass = [1.0 if groups[c] else 0.0 for c in range(3)]
            total = sum(mass)
        x = (u + 0.5) / CHOICES * total
        last = max(c for c in range(3) if mass[c])
        nw, name_of = self.name_weight, self.st.name_of
        for c in range(3):
            if not mass[c]:
                continue
            if x < mass[c] or c == last:
                gs = groups[c]
                ws = [nw[name_of[g[0]]] for g in gs]
                y = min(x, mass[c]) / mass[c] * sum(ws)
                for g, w in zip(gs, ws):
                    if y < w:
                        return g
                    y -= w
                return gs[-1]
            x -= mass[c]
        return None  # pragma: no cover


@attrs.frozen
class WalkConfig:
    max_steps: int = 30
    response_steps: int | None = None  # a response phase of this many steps (temporal properties)
    weights: Weights = Weights()
    initial: int | None = None  # index into the model's initial states (None: drawn)


DrawInt = Callable[[int, int], int]


def walk(stepper: Stepper, draw_int: DrawInt, cfg: WalkConfig, monitor: Monitor | None,
         spans: tuple[Callable[[], None], Callable[[], None]] | None = None) -> Execution:
    """Draw one execution; ``draw_int(lo, hi)`` draws one integer choice in lo..hi.

    The ordinary phase takes up to ``max_steps`` steps (all of them unless a response phase
    follows, in which case its length is drawn too); then, if ``response_steps`` is set, the
    response phase takes up to that many steps of fair actions only. The walk stops at the first
    failure ``monitor`` sees, at a state with nothing enabled, or when the steps run out.
    ``spans`` (start, stop) group each step's choices for the shrinker."""
    chooser = _chooser(stepper, cfg.weights)
    w = cfg.weights
    n_init = len(stepper.init)
    k0 = cfg.initial if cfg.initial is not None else (draw_int(0, n_init - 1) if n_init > 1 else 0)
    fault_rate = w.fault_rate if w.fault_rate is not None else FAULT_RATES[draw_int(0, len(FAULT_RATES) - 1)]
    env_rate = w.env_rate if w.env_rate is not None else ENV_RATES[draw_int(0, len(ENV_RATES) - 1)]
    if fault_rate + env_rate > 1.0:
        env_rate = 1.0 - fault_rate
    phase_a = cfg.max_steps if cfg.response_steps is None else draw_int(0, cfg.max_steps)
    choices = {"initial": k0, "fault_rate": fault_rate, "env_rate": env_rate, "phase_a": phase_a}
    s = stepper.init[k0]
    states: list[State] = [s]
    acts: list[int] = []
    enabled, applies = stepper.enabled, stepper.applies
    start_span, stop_span = spans if spans is not None else (None, None)
    if monitor is not None:
        monitor.reset()
    failure: Failure | None = monitor.see(0, s) if monitor is not None else None
    response_from: int | None = None

    def take(i: int) -> Failure | None:
        nonlocal s
        try:
            t = applies[i](s)
        except RangeViolation:
            t = stepper.apply(i, s, states, acts)  # raises the model error with its trace
        s = t
        acts.append(i)
        states.append(t)
        return monitor.see(len(states) - 1, t) if monitor is not None else None

    def choose(groups: list[list[list[int]]], fr: float, er: float) -> int | None:
        if start_span is not None:
            start_span()
        g = chooser.pick(groups, draw_int(0, CHOICES - 1), fr, er)
        i = None if g is None else g[draw_int(0, len(g) - 1)] if len(g) > 1 else g[0]
        if stop_span is not None:
            stop_span()
        return i

    if failure is None:
        for _ in range(phase_a):
            en = enabled(s)
            if not en:
                break
            i = choose(chooser.groups(en), fault_rate, env_rate)
            if i is None:
                break
            failure = take(i)
            if failure is not None:
                break
    if failure is None and cfg.response_steps is not None:
        response_from = len(states) - 1
        if monitor is not None:
            monitor.start_response_phase(response_from)
        waiting: dict[int, int] = {}  # fair instance -> step since which it is continuously enabled
        for step in range(cfg.response_steps):
            fair_en = [i for i in enabled(s) if stepper.fair[i]]
            if not fair_en:
                if monitor is not None:
                    failure = monitor.stuck(len(states) - 1)
                break
            waiting = {i: waiting.get(i, step) for i in fair_en}
            i = choose(chooser.groups(fair_en, only_fair=True), 0.0, 0.0)
            oldest = min(fair_en, key=lambda j: (waiting[j], j))
            if i is None or step - waiting[oldest] >= 2 * len(fair_en):
                i = oldest  # weak fairness inside the window: nothing waits for ever
            waiting.pop(i, None)
            failure = take(i)
            if failure is not None:
                break
    return Execution(stepper.model, tuple(states), tuple(acts), response_from, failure, choices)


_CHOOSERS: dict[tuple[int, Weights], Chooser] = {}


def _chooser(stepper: Stepper, weights: Weights) -> Chooser:
    key = (id(stepper), tuple(sorted(weights.actions.items())), weights.fault_rate, weights.env_rate)
    c = _CHOOSERS.get(key)  # type: ignore[arg-type]
    if c is None or c.st is not stepper:
        c = Chooser(stepper, weights)
        if len(_CHOOSERS) > 64:
            _CHOOSERS.clear()
        _CHOOSERS[key] = c  # type: ignore[index]
    return c


def executions(model: Model, *, max_steps: int = 30, stop_on: Iterable[str | Property] | None = None,
               response_steps: int | None = None, fault_rate: float | None = None, env_rate: float | None = None,
               weights: Mapping[str, float] | None = None, initial: int | None = None) -> st.SearchStrategy[Execution]:
    """A Hypothesis strategy for executions of ``model`` (:class:`Execution`).

    - ``max_steps``: at most this many steps (fewer if a state enables nothing);
    - ``stop_on``: property names (or Property objects); the execution stops at the first state
      where one of them fails (an invariant false, a reachable predicate true, a bounded response
      missed) and records it in ``execution.failure``. None: run to the end, record nothing;
    - ``response_steps``: append a response phase of up to this many fair steps, where the temporal
      properties in ``stop_on`` are checked as bounded response (see :mod:`hacheck.fuzz.stepper`);
    - ``fault_rate``, ``env_rate``, ``weights``: see :class:`Weights` (``weights`` maps action names,
      faults by kind, to relative weights);
    - ``initial``: start from this initial state (index into ``model.init_states()``), else drawn.

    Example::

        @given(executions(model, max_steps=20))
        def test_invariants(ex):
            check_execution(ex)        # raises PropertyViolation with the trace
    """
    if max_steps < 0:
        raise BadInput(f"max_steps must be >= 0, got {max_steps}")
    w = Weights(fault_rate, env_rate, dict(weights or {}))
    w.validate(model)
    stepper = Stepper.of(model)
    props = resolve_properties(model, stop_on) if stop_on is not None else []
    cfg = WalkConfig(max_steps, response_steps, w, initial)

    @st.composite
    def _executions(draw: Callable[[Any], Any]) -> Execution:
        monitor = Monitor(stepper, props, response_steps) if props else None
        return walk(stepper, lambda lo, hi: draw(_integers(lo, hi)), cfg, monitor)

    return _executions()


@functools.lru_cache(maxsize=4096)
def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def resolve_properties(model: Model, names: Iterable[str | Property]) -> list[Property]:
    out = []
    for n in names:
        name = n.name if isinstance(n, Property) else n
        if name not in model.properties:
            raise BadInput(f"model {model.name} has no property {name!r}; it has: {', '.join(model.properties) or 'none'}")
        out.append(model.properties[name])
    return out


class PropertyViolation(AssertionError):
    """A property failed along an execution; the message shows the trace."""

    def __init__(self, execution: Execution, failure: Failure):
        from ..report.text import trace_lines

        self.execution = execution
        self.failure = failure
        ex = Execution(execution.model, execution.states[: failure.at + 1], execution.actions[: failure.at],
                       execution.response_from, failure)
        what = {"invariant": "violated", "response": "no response in time", "stutter": "never answered",
                "reachable": "reached"}[failure.kind]
        super().__init__(f"{failure.prop} {what} after {failure.at} steps\n" + "\n".join(trace_lines(ex.trace())))


def check_execution(execution: Execution, properties: Iterable[str | Property] | None = None) -> None:
    """Raise :class:`PropertyViolation` if an invariant (all of the model's, or those named) fails
    in some state of ``execution``. For use in your own ``@given(executions(model))`` tests."""
    model = execution.model
    props = resolve_properties(model, properties) if properties is not None else \
        [p for p in model.properties.values() if p.kind == "invariant"]
    if execution.failure is not None and execution.failure.is_violation and \
            any(p.name == execution.failure.prop for p in props):
        raise PropertyViolation(execution, execution.failure)
    stepper = Stepper.of(model)
    mon = Monitor(stepper, [p for p in props if p.kind == "invariant"])
    for i, s in enumerate(execution.states):
        f = mon.see(i, s)
        if f is not None:
            raise PropertyViolation(execution, f)
