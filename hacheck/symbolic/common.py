"""What the z3 algorithms share: solvers with timeouts, traces from z3 models, verdicts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

import attrs
import z3

from ..explicit.search import Explorer
from ..lang.errors import BadInput, HacheckError
from ..lang.model import Model
from ..lang.props import Property
from ..replay import replay
from ..result import PropertyResult, Stats
from ..trace import Trace
from . import SAT_SOLVERS
from .encode import Encoding

if TYPE_CHECKING:
    from .cnf import BitBlaster, Template


class SmtModelError(HacheckError):
    """The z3 engine found an update leaving its range (a model error), with the trace to it."""

    def __init__(self, message: str, trace: Trace):
        super().__init__(message)
        self.trace = trace


@attrs.frozen
class StepTemplates:
    """One property's formulas as CNF templates (``cnf.py``), built once per context."""

    blaster: "BitBlaster"
    init: "Template"
    trans: "Template"
    bad: "Template"
    good: "Template"
    range_error: "Template | None"


class Context:
    """A model, its encoding, and an explorer used only to decode and label states.

    ``sat`` picks BMC's back end with the bv encoding: CaDiCaL on z3's bit-blasted clauses
    (default, faster) or z3's own incremental solver. The int encoding always uses z3.
    """

    def __init__(self, model: Model, encoding: str = "bv", sat: str = "cadical", rlimit: int | None = None,
                 conflicts: int | None = None):
        if sat not in SAT_SOLVERS:
            raise BadInput(f"unknown SAT solver {sat!r} (use {' or '.join(SAT_SOLVERS)})")
        self.model = model
        # deterministic budgets (tests, reproducible CI): z3 resource units per query and CaDiCaL
        # conflicts per query; a query that exhausts one is "unknown", the same on any machine
        self.rlimit = rlimit
        self.conflicts = conflicts
        self.enc = Encoding(model, encoding)
        self.sat = sat if encoding == "bv" else "z3"
        self.explorer = Explorer(model, symmetry=False)
        self._int: "Context | None" = None
        self._blaster: "BitBlaster | None" = None
        self._templates: dict[str, StepTemplates] = {}

    @property
    def bmc_solver_name(self) -> str:
        return "CaDiCaL" if self.sat == "cadical" else f"z3 {self.enc.kind}"

    def templates(self, p: Property) -> StepTemplates:
        from .cnf import BitBlaster

        if p.name not in self._templates:
            if self._blaster is None:
                self._blaster = BitBlaster(self.enc)
            b, enc = self._blaster, self.enc
            errs = enc.range_errors
            self._templates[p.name] = StepTemplates(
                b, b.template(enc.init), b.template(enc.trans), b.template(self.bad(p, enc.cur)),
                b.template(z3.Not(self.bad(p, enc.cur))),
                b.template(z3.Or(*(c for _, _, c in errs))) if errs else None)
        return self._templates[p.name]

    def as_int(self) -> "Context":
        """The same model with the integer encoding (what Spacer needs)."""
        if self.enc.kind == "int":
            return self
        if self._int is None:
            self._int = self.with_encoding("int")
        return self._int

    def with_encoding(self, kind: str) -> "Context":
        """The same model and budgets with another encoding."""
        return Context(self.model, kind, self.sat if kind == "bv" else "cadical", self.rlimit, self.conflicts)

    def solver(self, timeout: float | None) -> z3.Solver:
        s = z3.SolverFor("QF_FD") if self.enc.kind == "bv" else z3.Solver()
        if self.enc.kind == "bv":
            # the one-hot action choice is a cardinality constraint; z3's dedicated cardinality
            # solver is slower here than plain clauses (Gluster BMC to depth 20: 135 s -> 87 s)
            s.set("sat.cardinality.solver", False)
        self.limit(s, timeout)
        return s

    def limit(self, s: z3.Solver, timeout: float | None) -> None:
        """A wall-clock timeout (the CLI's --timeout) and the deterministic resource limit."""
        if timeout is not None:
            s.set(timeout=max(1, int(timeout * 1000)))
        if self.rlimit is not None:
            s.set(rlimit=self.rlimit)
            s.hacheck_rlimit = self.rlimit  # type: ignore[attr-defined] - read by reason()

    def prop_formula(self, p: Property, xs: Sequence[z3.ExprRef]) -> z3.BoolRef:
        return self.enc.at(self.enc.expr(p.expr, self.enc.cur), xs)

    def bad(self, p: Property, xs: Sequence[z3.ExprRef]) -> z3.BoolRef:
        """The states that refute (invariant) or witness (reachable) the property."""
        f = self.prop_formula(p, xs)
        return z3.Not(f) if p.kind == "invariant" else f

    def trace_from(self, m: z3.ModelRef, steps: Sequence[Sequence[z3.ExprRef]], acts: Sequence[z3.ExprRef],
                   prop: str | None, kind: str) -> Trace:
        codes = [tuple(self.enc.value(m, x, i) for i, x in enumerate(xs)) for xs in steps]
        instances = [self.enc.act_value(m, a) for a in acts]  # each a list of selectors
        return self.trace_from_codes(codes, instances, prop, kind)

    def trace_from_codes(self, codes: Sequence[tuple[int, ...]], instances: Sequence[int], prop: str | None,
                         kind: str) -> Trace:
        states = tuple(self.model.decode(c) for c in codes)
        trace = self.explorer.make_trace(states, tuple(self.explorer.step(i) for i in instances), prop, kind)
        replay(self.model, trace)  # a z3 trace is believed only once the model's own semantics replays it
        return trace


def stats(seconds: float, depth: int = 0) -> Stats:
    return Stats(states=0, transitions=0, depth=depth, seconds=seconds, complete=False)


def unknown(p: Property, method: str, why: str, t0: float, depth: int = 0) -> PropertyResult:
    return PropertyResult(p.name, p.kind, "unknown", method, "smt", why, stats(time.monotonic() - t0, depth))


def reason(s: z3.Solver) -> str:
    """Why z3 answered unknown. Ctrl-C during a query is caught by z3's own SIGINT handler (ours
    never runs): z3 says "interrupted from keyboard", which is an interruption, not a timeout."""
    r = s.reason_unknown()
    if "keyboard" in r:
        from .. import failsafe

        raise failsafe.keyboard_interrupt()
    if getattr(s, "hacheck_rlimit", None) is not None and ("canceled" in r or "resource" in r):
        return f"resource limit {s.hacheck_rlimit:,} reached"  # type: ignore[attr-defined]
    return "timeout" if "timeout" in r or "canceled" in r or "interrupted" in r else r
