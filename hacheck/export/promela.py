"""A model instance as Promela, so that anyone can cross-check a verdict with SPIN.

One global variable per scalar field, holding its natural value (Int as itself, Bool 0/1, an
Enum or an Elem as its index). One ``d_step`` per action instance inside one ``do`` loop, so a
SPIN state is exactly a hacheck state: SPIN's "states stored" equals hacheck's count without
symmetry reduction (plus one root state when the model has several initial states, where the
process has not yet chosen one). Updates are simultaneous: new values go to hidden temporaries
first. An update that can leave its field's range is asserted, as hacheck reports it as a
model error. Invariants become one never claim (``[] (inv1 && inv2 ...)``), so they are also
checked in the initial state and add no state.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from ..lang.emit import SharingEmitter
from ..lang.errors import BadInput
from ..lang.expr import Arith, Const, Expr
from ..lang.model import Model
from ..lang.props import Property
from ..lang.types import IntT

MAX_INIT_STATES = 10_000  # listed one d_step each


def _natural_range(t: Any) -> tuple[int, int]:
    if isinstance(t, IntT):
        return t.lo, t.hi
    return 0, t.size() - 1


def _ctype(lo: int, hi: int) -> str:
    if 0 <= lo and hi <= 1:
        return "bit"
    if 0 <= lo and hi <= 255:
        return "byte"
    if -32768 <= lo and hi <= 32767:
        return "short"
    return "int"


class _PromelaEmitter(SharingEmitter):
    """Promela's C-like expressions (nothing shared: no ``prepare``)."""

    NOT = "!({})"
    ITE = "({c} -> {t} : {f})"

    def const(self, e: Const) -> str:
        return str(e.value) if e.value >= 0 else f"({e.value})"

    def arith(self, e: Arith, a: str, b: str) -> str:
        if e.op == "min":
            return f"(({a} < {b}) -> {a} : {b})"
        if e.op == "max":
            return f"(({a} > {b}) -> {a} : {b})"
        nonneg = isinstance(e.a.type, IntT) and e.a.type.lo >= 0 and isinstance(e.b.type, IntT) and e.b.type.lo > 0
        if e.op == "//":
            if nonneg:
                return f"({a} / {b})"
            # Python floors; C (and Promela) truncate toward zero
            return f"(({a} / {b}) - ((({a} % {b}) != 0 && (({a} < 0) != ({b} < 0))) -> 1 : 0))"
        if nonneg:
            return f"({a} % {b})"
        return f"(((({a} % {b}) + {b}) % {b}))"  # the divisor is positive (the language requires it)

    def unsupported(self, e: Expr) -> Exception:
        return BadInput(f"cannot write {type(e).__name__} as Promela")


class PromelaWriter:
    def __init__(self, model: Model):
        self.model = model
        self.names = self._names()
        self.alias: dict[int, str] = {}  # fields read through their saved old value in this action

    def _names(self) -> list[str]:
        used: set[str] = set()
        out = []
        for f in self.model.fields:
            base = re.sub(r"[^A-Za-z0-9_]", "_", f.name.replace("][", "_").replace("[", "_").replace("]", ""))
            base = "v_" + base.strip("_")
            name, k = base, 2
            while name in used:
                name, k = f"{base}_{k}", k + 1
            used.add(name)
            out.append(name)
        return out

    # -- expressions -------------------------------------------------------------------------
    def expr(self, e: Expr) -> str:
        return _PromelaEmitter(lambda i: self.alias.get(i, self.names[i])).emit(e)

    # -- the model ---------------------------------------------------------------------------
    def write(self, invariants: Sequence[Property]) -> str:
        m = self.model
        inits = m.init_states()
        if len(inits) > MAX_INIT_STATES:
            raise BadInput(f"model {m.name} has {len(inits):,} initial states; the Promela export lists them one by one "
                           f"and stops at {MAX_INIT_STATES:,} (fix some initial values with --param)")
        out = [f"/* {m.name}: exported by hacheck export --promela */",
               "/* parameters: " + ", ".join(f"{k}={v}" for k, v in _params(m).items()) + " */",
               "/* build: spin -o2 -a FILE && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -E -m10000000 [-N CLAIM] (-o2 keeps variables that are never read again: SPIN would otherwise merge states hacheck tells apart) */",
               "/* claims: all_invariants (the default), inv_NAME for one invariant; count states with pan built -DNOCLAIM */", ""]
        first = inits[0]
        for f, name, code in zip(m.fields, self.names, first):
            lo, hi = _natural_range(f.type)
            value = f.type.decode(code) if isinstance(f.type, IntT) else code
            out.append(f"{_ctype(lo, hi)} {name} = {int(value)};  /* {f.name}: {f.type} */")
        saved = sorted({fid for inst in m.instances for fid in self._saved(inst)})
        for fid in saved:  # reset to 0 at the end of every step, so they add no state (BFS forbids hidden)
            lo, hi = _natural_range(m.fields[fid].type)
            out.append(f"{_ctype(min(lo, 0), max(hi, 0))} o_{self.names[fid]};  /* old value of {m.fields[fid].name} within a step */")
        out.append("")
        out.append("init {")
        if len(inits) > 1:
            out.append("  if")
            for codes in inits:
                assigns = "; ".join(f"{name} = {self._natural(f, c)}" for f, name, c in zip(m.fields, self.names, codes))
                out.append(f"  :: d_step {{ {assigns} }}")
            out.append("  fi;")
        out.append("  do")
        for inst in m.instances:
            out.append(self._action(inst))
        out.append("  od")
        out.append("}")
        claims = []
        if invariants:
            claims.append(("all_invariants", invariants))
            if len(invariants) > 1:
                claims += [(f"inv_{p.name}", [p]) for p in invariants]
        for name, props in claims:
            conj = " && ".join(f"({self.expr(p.expr)})" for p in props)
            out += ["", f"/* [] {' && '.join(p.name for p in props)} */", f"never {name} {{",
                    "T0_init:", "  do", f"  :: !({conj}) -> goto accept_all", "  :: else -> goto T0_init", "  od;",
                    "accept_all:", "  skip", "}"]
        return "\n".join(out) + "\n"

    @staticmethod
    def _natural(f: Any, code: int) -> int:
        return int(f.type.decode(code)) if isinstance(f.type, IntT) else int(code)

    @staticmethod
    def _saved(inst: Any) -> set[int]:
        """Fields this step writes that another of its updates reads (updates are simultaneous)."""
        from ..lang.expr import fields_of

        pos = {fid: k for k, (fid, _) in enumerate(inst.updates)}
        out: set[int] = set()
        for k, (_fid, ex) in enumerate(inst.updates):
            out |= {r for r in fields_of(ex) if r in pos and pos[r] < k}  # read after it was assigned
        return out

    def _action(self, inst: Any) -> str:
        m = self.model
        saved = self._saved(inst)
        parts = [self.expr(inst.guard) + " ->"]
        parts += [f"o_{self.names[f]} = {self.names[f]};" for f in sorted(saved)]
        self.alias = {f: f"o_{self.names[f]}" for f in saved}
        try:
            for fid, ex in inst.updates:
                value = self.expr(ex)
                if fid in inst.range_checked:
                    lo, hi = _natural_range(m.fields[fid].type)
                    parts.append(f"assert({lo} <= {value} && {value} <= {hi});")
                parts.append(f"{self.names[fid]} = {value};")
        finally:
            self.alias = {}
        parts += [f"o_{self.names[f]} = 0;" for f in sorted(saved)]
        if not inst.updates:
            parts.append("skip;")
        kind = f" [{inst.kind}]" if inst.kind != "protocol" else ""
        return f"  :: d_step {{ /* {inst.label}{kind} */ " + " ".join(parts).rstrip(";") + " }"


def _params(m: Model) -> dict[str, Any]:
    from ..explicit.search import params_dict

    return params_dict(m)


def to_promela(model: Model, invariants: Iterable[Property] = ()) -> str:
    """The model as Promela; ``invariants`` go in the never claim (safety invariants only)."""
    invs = list(invariants)
    for p in invs:
        if p.kind != "invariant":
            raise BadInput(f"--property {p.name}: the Promela export checks invariants; {p.name} is a {p.kind} property")
    return PromelaWriter(model).write(invs)
