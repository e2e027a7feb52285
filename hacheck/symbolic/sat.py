"""CaDiCaL (through PySAT) as an incremental SAT solver with a wall-clock deadline.

PySAT cannot interrupt CaDiCaL, but it can bound its conflicts: a query runs in slices of
conflicts, and the deadline is checked between slices (a slice takes well under a second on the
shipped models). Learnt clauses survive from slice to slice and from query to query.
"""

from __future__ import annotations

import contextlib
import time
from typing import Iterable, Iterator, Sequence

from .. import failsafe

SOLVER = "cadical195"
SLICE = 5_000  # conflicts between two looks at the clock


@contextlib.contextmanager
def _keyboard_interrupt() -> Iterator[None]:
    """PySAT installs its own SIGINT handler while CaDiCaL runs in the main thread and reports
    Ctrl-C by raising ``pysolvers.error("Caught keyboard interrupt")``: make it the interruption
    it is (hacheck/failsafe.py), so that the run ends ``unknown`` (exit 3), not as an internal error."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - pysolvers.error is a plain Exception subclass
        if type(e).__name__ == "error" and "keyboard interrupt" in str(e).lower():
            raise failsafe.keyboard_interrupt() from e
        raise


class SatSolver:
    def __init__(self, deadline: float | None = None, conflicts: int | None = None):
        from pysat.solvers import Solver

        self._s = Solver(name=SOLVER)
        self.deadline = deadline
        self.conflicts = conflicts  # per query: a deterministic budget (tests); None = unbounded

    def add(self, clauses: Iterable[Sequence[int]]) -> None:
        add = self._s.add_clause
        for c in clauses:
            add(c)

    def solve(self, assumptions: Sequence[int]) -> bool | None:
        """True (sat), False (unsat), or None when the deadline or the conflict budget ran out first."""
        if self.deadline is None and self.conflicts is None:
            with _keyboard_interrupt():
                return bool(self._s.solve(assumptions=assumptions))
        spent = 0
        while True:
            if self.deadline is not None and time.monotonic() > self.deadline:
                return None
            if self.conflicts is not None and spent >= self.conflicts:
                return None
            step = SLICE if self.conflicts is None else min(SLICE, self.conflicts - spent)
            self._s.conf_budget(step)
            with _keyboard_interrupt():
                r = self._s.solve_limited(assumptions=assumptions)
            if r is not None:
                return bool(r)
            spent += step

    def model(self) -> list[int]:
        return self._s.get_model() or []

    def core(self) -> list[int]:
        """After an unsat answer: the assumptions the refutation used (a subset, not always minimal)."""
        return self._s.get_core() or []

    def __del__(self) -> None:
        try:
            self._s.delete()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
