"""Where a check's time went, phase by phase: small instances are dominated by start-up.

``hacheck check`` reports these in its JSON report (``phases``, ``cache``) and, with ``--stats``, in
its text: ``import`` (hacheck and the libraries the check needs, from the start of ``hacheck.cli``),
``load`` (importing the model file), ``build`` (building the instance), ``compile`` (the actions as
numpy code, or from the start-up cache), ``symmetry`` (checking a declared symmetry: random states,
then z3's proof, or the cached proof), ``search`` (the state-space exploration: ``stats.seconds``),
``properties`` (liveness checks and the explanations of violations), ``traces`` (writing the trace
files). A library imported inside a phase counts in that phase (z3 in ``symmetry``, scipy in
``properties``). The interpreter's own start (some 20 ms) and the writing of the reports are not in any.
"""

from __future__ import annotations

import contextlib
import time
from typing import Iterator

import attrs

PHASES = ("import", "load", "build", "compile", "symmetry", "search", "properties", "traces")


@attrs.define
class Clock:
    seconds: dict[str, float] = attrs.field(factory=dict)
    cache: dict[str, str] = attrs.field(factory=dict)  # compiled / symmetry_proof -> hit, miss, corrupt, off

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - t0)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def ordered(self) -> dict[str, float]:
        return {k: self.seconds[k] for k in PHASES if k in self.seconds}


def text(phases: dict[str, float], cache: dict[str, str]) -> str:
    """One line for ``--stats``: every phase, with what the start-up cache gave."""
    notes = {"compile": cache.get("compiled"), "symmetry": cache.get("symmetry_proof")}
    parts = []
    for k, v in phases.items():
        note = notes.get(k)
        parts.append(f"{k} {v:.2f} s" + (f" (cache {note})" if note else ""))
    return "time: " + ", ".join(parts) + f"; total {sum(phases.values()):.2f} s"
