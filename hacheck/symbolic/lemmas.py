"""Parametric lemmas: facts proved for every value of their parameters at once.

A lemma declares symbolic integers and Booleans (an integer may be unbounded above), assumptions,
and either a claim to prove valid or Booleans to enumerate. The rules inside come from
``properties/rules.py``, the same functions the models use, so a lemma speaks about the protocol as
modelled. z3 answers with ``holds for every ...`` or a counterexample assignment.
"""

from __future__ import annotations

import time
from typing import Callable

import attrs
import z3

from ..lang.errors import BadInput
from ..lang.expr import Expr, as_bool
from ..lang.model import Model
from ..lang.types import BoolT, IntT
from ..result import HOLDS, UNKNOWN, VIOLATED, PropertyResult, Stats
from .common import reason
from .encode import Encoding

UNBOUNDED = 2**62  # the range the expression layer sees; z3 gets no upper bound


class LemmaBuilder:
    def __init__(self, name: str):
        self.model = Model(name)
        self.assumptions: list[Expr] = []
        self.claim: Expr | None = None
        self.enumerate: list[Expr] = []
        self.unbounded: set[str] = set()

    def int(self, name: str, lo: int = 0, hi: int | None = None) -> Expr:
        if hi is None:
            self.unbounded.add(name)
        return self.model.var(name, IntT(lo, UNBOUNDED if hi is None else hi), init=lo)

    def bool(self, name: str) -> Expr:
        return self.model.var(name, BoolT(), init=False)

    def assume(self, e: object) -> None:
        self.assumptions.append(as_bool(e))

    def prove(self, e: object) -> None:
        self.claim = as_bool(e)

    def list_all(self, *flags: Expr) -> None:
        """Enumerate every assignment of these Booleans consistent with the assumptions."""
        self.enumerate = list(flags)


@attrs.frozen
class Lemma:
    name: str
    doc: str
    build: Callable[[LemmaBuilder, dict[str, int]], None]
    settings: dict[str, int] = attrs.field(factory=dict)  # constants a user may set: --set NAME=VALUE
    expect: str = ""  # what the lemma is there to show, for docs


def run_lemma(lemma: Lemma, overrides: dict[str, int] | None = None, timeout: float | None = 60.0) -> PropertyResult:
    settings = dict(lemma.settings)
    for k, v in (overrides or {}).items():
        if k not in settings:
            raise BadInput(f"lemma {lemma.name} has no setting {k!r}; it has {', '.join(settings) or 'none'}")
        settings[k] = v
    b = LemmaBuilder(lemma.name)
    lemma.build(b, settings)
    m = b.model.freeze()
    enc = Encoding(m, "int")
    xs = enc.cur
    base = [enc.expr(a, xs) for a in b.assumptions]
    for f, x in zip(m.fields, xs):  # ranges: lower bounds always, upper bounds unless unbounded
        t = f.type
        if isinstance(t, IntT):
            base.append(x >= t.lo)
            if f.name not in b.unbounded:
                base.append(x <= t.hi)
    t0 = time.monotonic()
    s = z3.Solver()
    if timeout is not None:  # None: no wall clock
        s.set(timeout=int(timeout * 1000))
    s.add(*base)
    where = ", ".join(f"{k}={v}" for k, v in settings.items())
    if b.enumerate:
        flags = [enc.expr(f, xs) for f in b.enumerate]
        names = [str(f) for f in b.enumerate]
        found = []
        while s.check() == z3.sat:
            mod = s.model()
            vals = [z3.is_true(mod.eval(f, model_completion=True)) for f in flags]
            found.append(tuple(n for n, v in zip(names, vals) if v))
            s.add(z3.Or(*(f != z3.BoolVal(v) for f, v in zip(flags, vals))))
        text = "; ".join("{" + ", ".join(c) + "}" for c in sorted(found, key=lambda c: (len(c), c))) or "none"
        return PropertyResult(lemma.name, "lemma", HOLDS, "allsat", "smt",
                              f"every case listed ({len(found)}) for every value of the other parameters"
                              + (f" ({where})" if where else ""), Stats(seconds=time.monotonic() - t0),
                              extra={"cases": [list(c) for c in found], "listing": text})
    assert b.claim is not None, f"lemma {lemma.name} has neither a claim nor an enumeration"
    s.add(z3.Not(enc.expr(b.claim, xs)))
    r = s.check()
    secs = time.monotonic() - t0
    if r == z3.unsat:
        quant = ", ".join(f"{f.name} >= {f.type.lo}" if f.name in b.unbounded else f"{f.name} in {f.type.lo}..{f.type.hi}"
                          for f in m.fields if isinstance(f.type, IntT))
        return PropertyResult(lemma.name, "lemma", HOLDS, "parametric", "smt",
                              f"holds for every {quant}" + (f" ({where})" if where else ""), Stats(seconds=secs))
    if r == z3.sat:
        mod = s.model()
        values = {f.name: (z3.is_true(mod.eval(x, model_completion=True)) if isinstance(f.type, BoolT)
                           else mod.eval(x, model_completion=True).as_long()) for f, x in zip(m.fields, xs)}
        shown = ", ".join(f"{k}={'true' if v is True else 'false' if v is False else v}" for k, v in values.items())
        return PropertyResult(lemma.name, "lemma", VIOLATED, "parametric", "smt", f"counterexample: {shown}",
                              Stats(seconds=secs), extra={"counterexample": values})
    return PropertyResult(lemma.name, "lemma", UNKNOWN, "parametric", "smt", f"solver: {reason(s)}",
                          Stats(seconds=secs))
