"""Replay a trace through the model's own semantics, step by step.

Every engine's counterexample is checked this way in the tests (and the z3 engine checks each of
its traces before printing it): a state sequence is only a trace if each step is the named action
applied to the state before it.
"""

from __future__ import annotations

from .lang.errors import HacheckError
from .lang.interp import successors
from .lang.model import Model
from .trace import Trace


class ReplayError(HacheckError):
    """The trace is not an execution of the model."""


def replay(model: Model, trace: Trace) -> list[tuple[int, ...]]:
    """Check ``trace`` against ``model``; return the field codes of its states."""
    states = [model.encode_state(s) for s in trace.states]
    if states[0] not in set(model.init_states()):
        raise ReplayError(f"trace of {trace.model}: state 0 is not an initial state of {model.name}")
    n = len(states)
    for i, step in enumerate(trace.steps):
        src = states[i]
        dst = states[i + 1] if i + 1 < n else states[trace.loop] if trace.loop is not None else None
        if dst is None:
            raise ReplayError(f"trace of {trace.model}: step {i + 1} has no target state")
        if step.action == "stutter":
            if src != dst:
                raise ReplayError(f"step {i + 1}: a stutter must stay in the same state")
            continue
        options = {(model.instances[a].label, t) for a, t in successors(model, src)}
        if (step.label, dst) not in options:
            enabled = sorted({label for label, _ in options})
            raise ReplayError(
                f"trace of {trace.model}: step {i + 1} ({step.label}) is not a transition of {model.name} from "
                f"state {i}; enabled there: {', '.join(enabled) or 'nothing'}"
            )
    return states
