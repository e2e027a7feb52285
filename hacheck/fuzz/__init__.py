"""Hypothesis-driven fuzzing of failure sequences, and model-based testing of real code.

- :func:`executions`: a Hypothesis strategy drawing executions of any model (faults weighted by
  kind, bounded by the model's fault budget); :func:`check_execution` checks one against the
  model's invariants. For your own ``@given`` tests.
- :func:`fuzz`: what ``hacheck fuzz`` runs: every property, shrinking, minimal fault sets.
- :class:`ModelStateMachine` and :class:`Adapter`: a Hypothesis stateful machine whose rules are the
  model's actions, driving a real implementation through an adapter and comparing what it reports.

See docs/fuzzing.md.
"""

from typing import Any

_EXPORTS = {
    "Adapter": "machine", "Disagreement": "machine", "ModelStateMachine": "machine",
    "FaultCheck": "shrink", "minimal_faults": "shrink", "minimize": "shrink",
    "Coverage": "runner", "Finding": "runner", "FuzzOptions": "runner", "FuzzResult": "runner", "fuzz": "runner",
    "Execution": "stepper", "Failure": "stepper", "Monitor": "stepper", "Stepper": "stepper",
    "replay_actions": "stepper",
    "PropertyViolation": "strategies", "Weights": "strategies", "check_execution": "strategies",
    "executions": "strategies",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # imported lazily: the CLI should not pay for Hypothesis unless it fuzzes
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
