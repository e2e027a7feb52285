"""One state at a time: the compiled model, the property monitor, and executions as data.

A :class:`Stepper` holds a model compiled to plain Python (:mod:`hacheck.explicit.pycompile`): the
enabled instances of a state, successors, and every property's predicate. A :class:`Monitor` watches
the states of one execution for the properties it is asked about:

- an **invariant** fails at the first state where its predicate is false;
- a **reachable** property is *found* at the first state where its predicate is true (a witness);
- a **temporal** property (``eventually Q``, ``P leads_to Q``, ``always eventually Q``) is checked as
  *bounded response*: a trigger (the initial state for ``eventually``, a P-state for ``leads_to``,
  every state for ``always eventually``) is *pending* until a Q-state follows. Only in the response
  phase (the last part of an execution, where no fault or environment step is taken and only fair
  actions run) can it fail: when a trigger has stayed pending for ``response_steps`` steps of that
  phase (counted from the later of the trigger and the start of the phase), or when a trigger is
  pending in a state where no fair action is enabled (staying there forever is a fair behaviour: a
  real counterexample, drawn as a stuttering lasso).

An :class:`Execution` is the initial state, the instances taken and the states they lead to, and
the first failure the monitor saw (if any). It turns into a :class:`hacheck.trace.Trace`.
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable, Sequence

import attrs

from ..explicit.compile import RangeViolation
from ..explicit.pycompile import PyCompiled, State, compile_python
from ..explicit.search import ModelRangeError, params_dict
from ..lang.errors import HacheckError
from ..lang.model import Model
from ..lang.props import Property
from ..render.lanes import lanes_of_model
from ..trace import Step, Trace

_CACHE: "weakref.WeakKeyDictionary[Model, Stepper]" = weakref.WeakKeyDictionary()


class Stepper:
    """A model compiled for walks that go one state at a time."""

    def __init__(self, model: Model):
        self.model = model
        self.instances = model.instances
        self.pc: PyCompiled = compile_python(model)
        init = model.init_states()
        if not init:
            raise HacheckError(f"model {model.name} has no initial state (its init constraints exclude every one)")
        self.init: list[State] = init
        names: list[str] = []
        name_id: dict[str, int] = {}
        self.name_of: list[int] = []
        for inst in model.instances:
            if inst.action not in name_id:
                name_id[inst.action] = len(names)
                names.append(inst.action)
            self.name_of.append(name_id[inst.action])
        self.names = names
        self.kind: list[str] = [i.kind for i in model.instances]
        self.fair: list[bool] = [i.fair is not None for i in model.instances]
        self.enabled = self.pc.enabled
        self.applies = self.pc.applies
        self.preds = self.pc.predicates

    @classmethod
    def of(cls, model: Model) -> "Stepper":
        """The stepper of ``model``, compiled once and cached while the model lives."""
        st = _CACHE.get(model)
        if st is None or st.instances is not model.instances:  # restrict_faults() replaces the list
            st = cls(model)
            _CACHE[model] = st
        return st

    def apply(self, i: int, s: State, states_so_far: Sequence[State], actions_so_far: Sequence[int]) -> State:
        try:
            return self.applies[i](s)
        except RangeViolation as rv:
            inst = self.model.instances[rv.instance]
            f = self.model.fields[rv.field]
            trace = self.trace(list(states_so_far), list(actions_so_far), None, "range error")
            raise ModelRangeError(
                f"model error: action {inst.label} sets {f.name} to {rv.value}, outside its declared type {f.type} "
                f"(reached after {trace.length} steps)", trace) from None

    def step_of(self, i: int) -> Step:
        inst = self.model.instances[i]
        return Step(inst.action, inst.params, inst.kind, inst.tick)

    def trace(self, states: Sequence[State], actions: Sequence[int], prop: str | None, kind: str,
              loop: int | None = None, note: str = "", fairness: tuple[str, ...] = ()) -> Trace:
        m = self.model
        steps = [self.step_of(a) for a in actions]
        if loop is not None:
            steps.append(Step("stutter", (), "stutter"))
        return Trace(
            model=m.name, vars=tuple(m.variables), states=tuple(m.decode(s) for s in states), steps=tuple(steps),
            loop=loop, property_name=prop, kind=kind, params=params_dict(m),
            var_types={n: str(v.type) for n, v in m.variables.items()}, note=note, fairness=fairness,
            lanes=lanes_of_model(m), tick_seconds=m.tick_seconds,
        )


@attrs.frozen
class Failure:
    """What the monitor saw: ``kind`` is ``invariant`` (violated), ``reachable`` (witness found),
    ``response`` (a trigger pending ``response_steps`` steps into the response phase) or
    ``stutter`` (a trigger pending where no fair action is enabled)."""

    prop: str
    kind: str
    at: int  # index of the state where it was seen
    trigger: int | None = None  # temporal: the state where the pending trigger held

    @property
    def is_violation(self) -> bool:
        return self.kind != "reachable"


class Monitor:
    """Checks the chosen properties on the states of one execution, in order."""

    def __init__(self, stepper: Stepper, props: Iterable[Property], response_steps: int | None = None):
        preds = stepper.preds
        self.invariants = []
        self.reachables = []
        self.temporal = []
        for p in props:
            if p.kind == "invariant":
                self.invariants.append((p.name, preds[p.name]))
            elif p.kind == "reachable":
                self.reachables.append((p.name, preds[p.name]))
            else:
                if p.kind == "leads_to":
                    trig, resp = preds[p.name], preds[p.name + "#target"]
                else:
                    trig, resp = None, preds[p.name]
                self.temporal.append((p.name, p.kind, trig, resp))
        self.response_steps = response_steps
        self.pending: list[int | None] = [None] * len(self.temporal)
        self.phase_b: int | None = None  # index of the first state of the response phase

    @property
    def has_temporal(self) -> bool:
        return bool(self.temporal)

    def reset(self) -> None:
        self.pending = [None] * len(self.temporal)
        self.phase_b = None

    def start_response_phase(self, at: int) -> None:
        self.phase_b = at

    def see(self, i: int, s: State) -> Failure | None:
        """Check state number ``i``; the first failure among the properties, if any."""
        for name, f in self.invariants:
            if not f(s):
                return Failure(name, "invariant", i)
        for name, f in self.reachables:
            if f(s):
                return Failure(name, "reachable", i)
        if self.temporal:
            k = self.response_steps
            for j, (name, kind, trig, resp) in enumerate(self.temporal):
                if resp(s):
                    self.pending[j] = None
                    continue
                if self.pending[j] is None:
                    if kind == "always_eventually" or (kind == "eventually" and i == 0) or (trig is not None and trig(s)):
                        self.pending[j] = i
                t = self.pending[j]
                if t is not None and self.phase_b is not None and k is not None and i - max(t, self.phase_b) >= k:
                    return Failure(name, "response", i, t)
        return None

    def stuck(self, i: int) -> Failure | None:
        """State ``i`` enables no fair action: a pending trigger there is a real counterexample."""
        for j, (name, _kind, _trig, _resp) in enumerate(self.temporal):
            if self.pending[j] is not None:
                return Failure(name, "stutter", i, self.pending[j])
        return None


@attrs.frozen(eq=False)
class Execution:
    """One run of a model: ``states[0]`` initial, ``actions[i]`` (an instance index) leads from
    ``states[i]`` to ``states[i + 1]``. ``response_from`` is the index of the state where the
    response phase began (None when there was none); ``failure`` the first failure seen."""

    model: Model
    states: tuple[State, ...]
    actions: tuple[int, ...]
    response_from: int | None = None
    failure: Failure | None = None
    choices: dict[str, Any] = attrs.field(factory=dict)  # what was drawn per example (rates, phase length)

    @property
    def length(self) -> int:
        return len(self.actions)

    @property
    def steps(self) -> tuple[Step, ...]:
        st = Stepper.of(self.model)
        return tuple(st.step_of(a) for a in self.actions)

    @property
    def labels(self) -> list[str]:
        return [self.model.instances[a].label for a in self.actions]

    def faults(self, include_env: bool = True) -> list[tuple[int, Step]]:
        """(step number, step) of every fault (and environment step, unless ``include_env`` is false)."""
        kinds = ("fault", "env") if include_env else ("fault",)
        st = Stepper.of(self.model)
        return [(n + 1, st.step_of(a)) for n, a in enumerate(self.actions) if self.model.instances[a].kind in kinds]

    def decoded(self) -> list[dict[str, Any]]:
        return [self.model.decode(s) for s in self.states]

    def trace(self, note: str = "") -> Trace:
        """The execution as a Trace; a stutter failure becomes a lasso looping on its last state."""
        st = Stepper.of(self.model)
        f = self.failure
        if f is None:
            return st.trace(self.states, self.actions, None, "execution", note=note)
        kind = "witness" if f.kind == "reachable" else "counterexample"
        if f.kind == "stutter":
            last = len(self.states) - 1
            enabled = sorted({self.model.instances[i].label for i in st.enabled(self.states[-1])})
            fairness = [f"state {last} repeats forever: no fair action is enabled there"]
            if enabled:
                fairness.append("enabled there, none of them fair: " + ", ".join(enabled[:8]) + (" ..." if len(enabled) > 8 else ""))
            return st.trace(self.states, self.actions, f.prop, kind, loop=last, note=note, fairness=tuple(fairness))
        return st.trace(self.states, self.actions, f.prop, kind, note=note)


def replay_actions(stepper: Stepper, init: State, actions: Sequence[int], monitor: Monitor,
                   phase_a: int | None = None, strict: bool = False) -> Execution:
    """Take ``actions`` in order from ``init``, skipping any that is not enabled (or raising
    HacheckError when ``strict``), and stop at the first failure ``monitor`` sees.

    With ``phase_a`` set, the first ``phase_a`` actions form the ordinary phase and the rest the
    response phase, which starts at the state reached once they are processed; the last state of
    the response phase is then checked for a pending trigger with no fair action enabled."""
    monitor.reset()
    states = [init]
    taken: list[int] = []
    failure = monitor.see(0, init)
    response_from = None
    s = init
    if failure is None:
        for k, a in enumerate(actions):
            if phase_a is not None and k == phase_a:
                response_from = len(states) - 1
                monitor.start_response_phase(response_from)
            if a not in stepper.enabled(s):
                if strict:
                    raise HacheckError(f"step {len(taken) + 1} ({stepper.model.instances[a].label}) is not enabled")
                continue
            s = stepper.apply(a, s, states, taken)
            taken.append(a)
            states.append(s)
            failure = monitor.see(len(states) - 1, s)
            if failure is not None:
                break
    if failure is None and phase_a is not None:
        if response_from is None:
            response_from = len(states) - 1
            monitor.start_response_phase(response_from)
        if not any(stepper.fair[i] for i in stepper.enabled(s)):
            failure = monitor.stuck(len(states) - 1)
    return Execution(stepper.model, tuple(states), tuple(taken), response_from, failure)
