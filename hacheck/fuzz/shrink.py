"""After Hypothesis has shrunk a failing execution: delete what it does not need, and name the
faults it does need.

Both work by *replay*: the execution's actions are taken again from its initial state, in order,
skipping any action that the change has disabled, and the property is checked on every state
(:func:`hacheck.fuzz.stepper.replay_actions`).

- :func:`minimize` deletes single steps, last first, as long as the replay still fails the same
  property, until no single deletion keeps it failing (the result is *1-minimal*), and tries
  replacing one step by another enabled action when that makes the failing replay shorter.
- :func:`minimal_faults` lists the fault and environment steps of an execution and, for each, what
  the replay without it gives. On a 1-minimal execution every one of them is needed: without it the
  property no longer fails along what remains. This is the set *this* trace needs, checked by
  replay; it does not prove that no other execution fails with fewer faults.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs

from ..lang.props import Property
from ..trace import Step
from .stepper import Execution, Monitor, Stepper, replay_actions


@attrs.frozen
class FaultCheck:
    """One fault (or environment step) of a failing execution, and the replay without it."""

    step: int  # its step number (1-based) in the execution
    action: Step
    needed: bool  # without it the property no longer fails
    replay: str  # what the replay without it showed


def _same(e: Execution, target: Execution) -> bool:
    f, g = e.failure, target.failure
    return f is not None and g is not None and f.prop == g.prop and f.is_violation == g.is_violation


def _replay(stepper: Stepper, ex: Execution, actions: Sequence[int], phase_a: int | None,
            prop: Property, response_steps: int | None) -> Execution:
    mon = Monitor(stepper, [prop], response_steps)
    return replay_actions(stepper, ex.states[0], actions, mon, phase_a)


def minimize(stepper: Stepper, ex: Execution, response_steps: int | None = None,
             max_replays: int = 20_000) -> Execution:
    """A shorter execution failing the same property as ``ex`` (``ex`` itself if none is found).

    Alternates two passes until neither helps or ``max_replays`` replays are spent:
    *deletion* removes single steps, last first, while the replay still fails (the result is
    1-minimal: no single step can go); *substitution* replaces one step by another action enabled
    in the same state and keeps the result when the replay, skipping what the change disabled,
    still fails and is shorter (a brick crash plus its restart becomes one lost link, say)."""
    assert ex.failure is not None
    prop = stepper.model.properties[ex.failure.prop]
    phased = ex.response_from is not None
    budget = [max_replays]

    def run(acts: Sequence[int], pa: int | None) -> Execution:
        budget[0] -= 1
        return _replay(stepper, ex, acts, pa, prop, response_steps)

    best = run(ex.actions, ex.response_from)
    if not _same(best, ex):  # cannot reproduce alone (should not happen): keep what we have
        return ex
    while budget[0] > 0:
        best = _delete_steps(best, ex, phased, run, budget)
        better = _substitute_one(stepper, best, ex, phased, run, budget)
        if better is None:
            break
        best = better
    return attrs.evolve(best, choices=ex.choices)


def _frozen_window(best: Execution, k: int) -> bool:
    """A step inside the response window of a bounded-response failure: the window needs it."""
    f = best.failure
    return f is not None and f.kind == "response" and best.response_from is not None and k >= best.response_from


def _delete_steps(best: Execution, ex: Execution, phased: bool, run: Any, budget: list[int]) -> Execution:
    changed = True
    while changed and budget[0] > 0:
        changed = False
        acts = list(best.actions)
        k = len(acts) - 1
        while k >= 0 and budget[0] > 0:
            pa = best.response_from if phased else None
            if _frozen_window(best, k):
                k -= 1
                continue
            cand = acts[:k] + acts[k + 1:]
            r = run(cand, None if pa is None else (pa - 1 if k < pa else pa))
            if _same(r, ex) and r.length < best.length:
                best = r
                acts = list(best.actions)
                changed = True
                k = min(k, len(acts)) - 1
                continue
            k -= 1
    return best


def _substitute_one(stepper: Stepper, best: Execution, ex: Execution, phased: bool, run: Any,
                    budget: list[int]) -> Execution | None:
    acts = list(best.actions)
    pa = best.response_from if phased else None
    for k in range(len(acts)):
        if _frozen_window(best, k) or (pa is not None and k >= pa):
            continue  # the response phase takes fair actions only: leave its choices alone
        for j in stepper.enabled(best.states[k]):
            if j == acts[k]:
                continue
            if budget[0] <= 0:
                return None
            r = run(acts[:k] + [j] + acts[k + 1:], pa)
            if _same(r, ex) and r.length < best.length:
                return r
    return None


def minimal_faults(stepper: Stepper, ex: Execution, response_steps: int | None = None) -> list[FaultCheck]:
    """Each fault and environment step of the failing ``ex``, replayed without it."""
    assert ex.failure is not None
    prop = stepper.model.properties[ex.failure.prop]
    out = []
    acts = list(ex.actions)
    for k, a in enumerate(acts):
        inst = stepper.model.instances[a]
        if inst.kind not in ("fault", "env"):
            continue
        cand = acts[:k] + acts[k + 1:]
        pa = ex.response_from
        cpa = None if pa is None else (pa - 1 if k < pa else pa)
        r = _replay(stepper, ex, cand, cpa, prop, response_steps)
        skipped = len(cand) - r.length
        if _same(r, ex):
            text = f"still fails after {r.length} steps"
        else:
            text = f"no longer fails ({r.length} steps replayed" + (f", {skipped} skipped as disabled" if skipped else "") + ")"
        out.append(FaultCheck(k + 1, stepper.step_of(a), not _same(r, ex), text))
    return out
