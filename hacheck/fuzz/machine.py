"""Model-based testing: a Hypothesis state machine whose rules are a model's actions.

``ModelStateMachine(model)`` builds a :class:`hypothesis.stateful.RuleBasedStateMachine` class:

- one **rule per action** of the model (faults and environment steps included, named
  ``fault_<name>`` and ``env_<name>``), applicable when one of its instances is enabled in the
  current model state; the rule draws one of the enabled instances and takes it (so the fault
  budget of the model bounds the faults, as in the model); a state that enables nothing stays;
- one **invariant** that checks the model's invariants on the current state;
- with an :class:`Adapter`, every step is also performed on a real implementation, and after each
  step what the implementation reports (:meth:`Adapter.observe`) is compared with the model's
  state. A difference raises :class:`Disagreement` with the steps that led to it.

Use it like any Hypothesis state machine::

    Machine = ModelStateMachine(model, StoreAdapter)
    TestStore = Machine.TestCase                      # collected by pytest / unittest
    # or: hypothesis.stateful.run_state_machine_as_test(Machine, settings=settings(max_examples=200))

Hypothesis shrinks a failing run to a short sequence of steps; the error message shows it as a
model trace (states and actions), the same text ``hacheck check`` prints.
"""

from __future__ import annotations

import abc
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ..lang.model import Model
from ..report.text import trace_lines
from ..trace import Step, flatten
from .stepper import Failure, Monitor, State, Stepper


class Adapter(abc.ABC):
    """Connects a real implementation to a model's steps. Subclass it and override:

    - :meth:`reset`: start a fresh implementation matching the model's initial state;
    - :meth:`perform`: do one step (a protocol action, a fault, an environment step) on it;
    - :meth:`observe`: what the implementation reports now, in the model's terms.

    ``observe`` returns a dict whose keys are model variables (``"leader"``) or flattened fields
    (``"data[r1]"``, ``"link[c1][r2]"``) and whose values are in the model's notation (booleans,
    ints, enum values and element names as strings, ``None``, sets as lists of element names). Only
    the keys returned are compared, so an implementation can expose as much as it can report.
    """

    def reset(self, initial: dict[str, Any]) -> None:
        """A fresh implementation; ``initial`` is the model's initial state, by variable."""

    @abc.abstractmethod
    def perform(self, step: Step, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Do ``step`` on the implementation (``step.action``, ``dict(step.params)``, ``step.kind``).
        ``before``/``after`` are the model's states around it, should the adapter need them.
        The one method an adapter must write: a subclass without it cannot be instantiated."""

    def observe(self) -> dict[str, Any]:
        """What the implementation reports, keyed as described in the class docstring."""
        return {}

    def close(self) -> None:
        """Called when a run ends (release sockets, temporary folders, ...)."""


class Disagreement(AssertionError):
    """The implementation and the model differ after a step."""

    def __init__(self, message: str, steps: list[int], states: list[State], model: Model):
        self.steps = steps
        self.model = model
        st_ = Stepper.of(model)
        self.trace = st_.trace(states, steps, None, "execution")
        super().__init__(message + "\n" + "\n".join(trace_lines(self.trace)))

    @property
    def labels(self) -> list[str]:
        return [self.model.instances[i].label for i in self.steps]


def ModelStateMachine(model: Model, adapter: Callable[[], Adapter] | None = None, *,
                      properties: list[str] | None = None, name: str | None = None) -> type[RuleBasedStateMachine]:
    """A RuleBasedStateMachine class for ``model`` (see the module docstring).

    ``adapter``: a class or factory returning a fresh :class:`Adapter` per run (None: only the
    model runs and its invariants are checked). ``properties``: the invariants checked (default:
    every invariant of the model)."""
    stepper = Stepper.of(model)
    invs = [model.properties[n] for n in properties] if properties is not None else \
        [p for p in model.properties.values() if p.kind == "invariant"]
    n_init = len(stepper.init)

    class _Base(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.state: State = stepper.init[0]
            self.steps: list[int] = []
            self.states: list[State] = [self.state]
            self.adapter: Adapter | None = adapter() if adapter is not None else None
            self.monitor = Monitor(stepper, invs)

        @initialize(k=st.integers(0, n_init - 1))
        def start(self, k: int) -> None:
            self.state = stepper.init[k]
            self.states = [self.state]
            self.steps = []
            if self.adapter is not None:
                self.adapter.reset(model.decode(self.state))
                self._compare("in the initial state")

        def _take(self, i: int) -> None:
            before = self.state
            after = stepper.apply(i, before, self.states, self.steps)
            self.state = after
            self.steps.append(i)
            self.states.append(after)
            if self.adapter is not None:
                inst = model.instances[i]
                self.adapter.perform(Step(inst.action, inst.params, inst.kind), model.decode(before), model.decode(after))
                self._compare(f"after step {len(self.steps)} ({inst.label})")

        def _compare(self, when: str) -> None:
            assert self.adapter is not None
            seen = self.adapter.observe() or {}
            if not seen:
                return
            expect_vars = model.decode(self.state)
            expect = flatten(expect_vars)
            diffs = []
            for key, value in seen.items():
                if key in expect_vars and not isinstance(expect_vars[key], dict):
                    want = expect_vars[key]
                elif key in expect:
                    want = expect[key]
                elif key in expect_vars:
                    want = expect_vars[key]
                else:
                    raise Disagreement(f"the adapter reports {key!r}, which is no variable or field of model "
                                       f"{model.name}", self.steps, self.states, model)
                if _norm(value) != _norm(want):
                    diffs.append(f"{key}: implementation {value!r}, model {want!r}")
            if diffs:
                raise Disagreement(f"implementation and model {model.name} differ {when}: " + "; ".join(diffs),
                                   self.steps, self.states, model)

        @invariant()
        def model_invariants(self) -> None:
            f: Failure | None = self.monitor.see(len(self.states) - 1, self.state)
            if f is not None:
                raise Disagreement(f"model invariant {f.prop} is violated after {len(self.steps)} steps",
                                   self.steps, self.states, model)

        def teardown(self) -> None:
            if self.adapter is not None:
                self.adapter.close()

    namespace: dict[str, Any] = {}
    for decl in model.actions:
        if not decl.instances:
            continue
        rule_name = decl.name if decl.kind == "protocol" else f"{decl.kind}_{decl.name}"
        namespace[rule_name] = _make_rule(stepper, list(decl.instances), rule_name)
    namespace["nothing_enabled"] = _stay_rule(stepper)
    cls = type(name or f"{model.name.title().replace('_', '')}Machine", (_Base,), namespace)
    return cls  # type: ignore[return-value]


def _stay_rule(stepper: Stepper) -> Any:
    def nothing_enabled(self: Any) -> None:
        """No action is enabled: the model stays where it is (a deadlock is no error here)."""

    return rule()(precondition(lambda self: not stepper.enabled(self.state))(nothing_enabled))


def _make_rule(stepper: Stepper, instances: list[int], rule_name: str) -> Any:
    wanted = set(instances)

    def enabled_here(self: Any) -> list[int]:
        return [i for i in stepper.enabled(self.state) if i in wanted]

    def can(self: Any) -> bool:
        return bool(enabled_here(self))

    def fire(self: Any, data: Any) -> None:
        options = enabled_here(self)
        labels = [stepper.model.instances[i].label for i in options]
        label = data.draw(st.sampled_from(labels)) if len(labels) > 1 else labels[0]
        self._take(options[labels.index(label)])

    fire.__name__ = fire.__qualname__ = rule_name
    return rule(data=st.data())(precondition(can)(fire))


def _norm(v: Any) -> Any:
    if isinstance(v, (set, frozenset, list, tuple)):
        return sorted(map(str, v))
    if isinstance(v, dict):
        return {str(k): _norm(x) for k, x in v.items()}
    return v
