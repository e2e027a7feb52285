"""Waiting stretches of a trace, folded for drawings.

A worst-case recovery trace is mostly waiting: the same few steps (each agent's cycle, then a
``tick``) repeated until a timer fires. Drawn one box per step it is a column of 160 boxes;
folded, it is "repeated 21 times: engine_stop__wait, engine_down__engine_up_elsewhere, tick
(21 ticks = 210 s)" between the steps that matter.
"""

from __future__ import annotations

import attrs

from ..trace import Trace

MIN_REPEATS = 3  # a block must repeat at least this often to be folded
MAX_PERIOD = 4  # steps in the repeated block


@attrs.frozen
class Fold:
    first: int  # index of the first folded step (it leads from state first to first + 1)
    last: int  # index of the last folded step
    block: tuple[str, ...]  # the labels of one repetition
    repeats: int

    @property
    def states(self) -> int:
        return self.last - self.first + 1


def folds(trace: Trace) -> list[Fold]:
    """Maximal runs of a repeated block of protocol steps with a tick in it (never across the
    start of a lasso's loop, never over a fault or environment step)."""
    n = len(trace.states) - 1
    labels = [s.label for s in trace.steps[:n]]
    ok = [s.kind == "protocol" for s in trace.steps[:n]]
    ticks = [s.tick for s in trace.steps[:n]]
    boundary = trace.loop if trace.loop is not None else None
    out: list[Fold] = []
    i = 0
    while i < n:
        best: Fold | None = None
        for p in range(1, MAX_PERIOD + 1):
            block = labels[i:i + p]
            if len(block) < p or not all(ok[i:i + p]) or not any(ticks[i:i + p]):
                continue
            r = 1
            while labels[i + r * p:i + (r + 1) * p] == block and all(ok[i + r * p:i + (r + 1) * p]):
                r += 1
            end = i + r * p - 1
            if boundary is not None and i < boundary <= end:
                r = (boundary - i) // p
                end = i + r * p - 1
            if r >= MIN_REPEATS and (best is None or end > best.last):
                best = Fold(i, end, tuple(block), r)
        if best is not None:
            out.append(best)
            i = best.last + 1
        else:
            i += 1
    return out
