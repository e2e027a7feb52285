"""One-step formulas as CNF templates, bit-blasted once by z3 and unrolled by renumbering.

On the unrolled Gluster model CaDiCaL solves the same clauses about four times faster than z3's
own incremental SAT solver (docs/symbolic.md has the figures), so BMC with the ``bv`` encoding can
hand its clauses to CaDiCaL. The protocol is still encoded only once, by ``Encoding``: z3's
tactics turn each formula over (x, act, x') into clauses (bit-blasting, cardinality to clauses,
Tseitin); step k's copy renames the state bits to step k's and k+1's, the action indicators to
step k's, and the Tseitin variables to fresh ones. No tactic that eliminates variables is used,
so a template's clauses mean exactly its formula.
"""

from __future__ import annotations

from typing import Sequence

import attrs
import numpy as np
import z3

from ..lang.errors import ModelError
from ..lang.types import BoolT, IntT
from .encode import Encoding

TACTIC = ("simplify", "bit-blast", "card2bv", "tseitin-cnf")
AUX, CUR, NXT, SEL, EXTRA = 0, 1, 2, 3, 4


@attrs.frozen(eq=False)
class Template:
    """A formula's clauses over template variables 1..n, each with a role and an offset."""

    role: np.ndarray  # per template variable (index 0 unused): AUX, CUR, NXT, SEL or EXTRA
    offset: np.ndarray  # its position among the state bits / action indicators / Tseitin variables
    literals: np.ndarray  # every clause's literals, concatenated
    ends: np.ndarray  # where each clause ends in ``literals``
    aux: int  # Tseitin variables a copy needs

    @property
    def clauses(self) -> int:
        return len(self.ends)


class BitBlaster:
    """The state as bits: a Bool field is one bit, a bit-vector field ``width`` bits (LSB first)."""

    def __init__(self, enc: Encoding):
        if enc.kind != "bv":
            raise ModelError("CNF templates need the bit-vector encoding", location="")
        self.enc = enc
        self.fields = enc.model.fields
        self.sizes = [1 if isinstance(f.type, BoolT) else enc.width for f in self.fields]
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.nbits = int(sum(self.sizes))
        self.nsel = len(enc.sel)
        self._roles: dict[str, tuple[int, int]] = {}
        self._subst: list[tuple[z3.ExprRef, z3.ExprRef]] = []
        for tag, role, xs in (("c", CUR, enc.cur), ("n", NXT, enc.nxt)):
            for f, x, start in zip(self.fields, xs, self.starts):
                bits = [z3.Bool(f"!{tag}{f.index}.{i}") for i in range(self.sizes[f.index])]  # "!": no field's name
                for i, b in enumerate(bits):
                    self._roles[str(b)] = (role, int(start) + i)
                if isinstance(f.type, BoolT):
                    self._subst.append((x, bits[0]))
                else:
                    one, zero = z3.BitVecVal(1, 1), z3.BitVecVal(0, 1)
                    self._subst.append((x, z3.Concat(*[z3.If(b, one, zero) for b in reversed(bits)])))
        for i, s in enumerate(enc.sel):
            b = z3.Bool(f"!s{i}")
            self._roles[str(b)] = (SEL, i)
            self._subst.append((s, b))

    def template(self, formula: z3.BoolRef, extra: Sequence[z3.BoolRef] = ()) -> Template:
        """``extra``: Bool constants of the formula that a caller numbers itself (role EXTRA, offset
        = position in the list), e.g. names for candidate literals."""
        goal = z3.Goal()
        goal.add(z3.substitute(formula, *self._subst))
        (cnf,) = z3.Then(*TACTIC)(goal)
        return self._parse(cnf.dimacs(), {str(b): (EXTRA, i) for i, b in enumerate(extra)})

    def _parse(self, text: str, extra: dict[str, tuple[int, int]]) -> Template:
        names: dict[int, str] = {}
        lits: list[int] = []
        ends: list[int] = []
        nvars = 0
        for line in text.splitlines():
            if line.startswith("c "):
                _, num, name = line.split(" ", 2)
                names[int(num)] = name
            elif line.startswith("p "):
                nvars = int(line.split()[2])
            elif line:
                lits.extend(int(t) for t in line.split()[:-1])
                ends.append(len(lits))
        role = np.zeros(nvars + 1, dtype=np.int64)
        offset = np.zeros(nvars + 1, dtype=np.int64)
        aux = 0
        for v in range(1, nvars + 1):
            name = names.get(v, "")
            known = self._roles.get(name) or extra.get(name)
            if known is None:
                offset[v] = aux
                aux += 1
            else:
                role[v], offset[v] = known
        return Template(role, offset, np.array(lits, dtype=np.int64), np.array(ends, dtype=np.int64), aux)


class Unrolling:
    """Variable numbers across steps: step k's state bits and action indicators, fresh Tseitin
    variables for each copy of a template."""

    def __init__(self, blaster: BitBlaster):
        self.blaster = blaster
        self.top = 0
        self._state: list[int] = []
        self._sel: list[int] = []

    def fresh(self, n: int = 1) -> int:
        first = self.top + 1
        self.top += n
        return first

    def state(self, k: int) -> int:
        while len(self._state) <= k:
            self._state.append(self.fresh(self.blaster.nbits))
        return self._state[k]

    def sel(self, k: int) -> int:
        while len(self._sel) <= k:
            self._sel.append(self.fresh(self.blaster.nsel))
        return self._sel[k]

    def clauses(self, t: Template, k: int, guard: int | None = None, extra: int = 0) -> list[list[int]]:
        """Template t at step k (current state k, next state k+1, step k's action, EXTRA variables
        from number ``extra`` on); with a guard literal g every clause gets -g, so the copy only
        binds when g is assumed."""
        base = np.zeros(len(t.role), dtype=np.int64)
        base[t.role == AUX] = self.fresh(t.aux) if t.aux else 0
        base[t.role == CUR] = self.state(k)
        if (t.role == NXT).any():
            base[t.role == NXT] = self.state(k + 1)
        if (t.role == SEL).any():
            base[t.role == SEL] = self.sel(k)
        base[t.role == EXTRA] = extra
        ids = base + t.offset
        lits = np.where(t.literals > 0, ids[np.abs(t.literals)], -ids[np.abs(t.literals)])
        out = [c.tolist() for c in np.split(lits, t.ends[:-1])] if len(t.ends) else []
        if guard is not None:
            for c in out:
                c.append(-guard)
        return out

    # -- reading a satisfying assignment ---------------------------------------------------------
    def codes(self, values: np.ndarray, k: int) -> tuple[int, ...]:
        """Step k's state as the explicit engine's codes (``values[v]`` is variable v's truth)."""
        b = self.blaster
        first = self.state(k)
        out = []
        for f, start, size in zip(b.fields, b.starts, b.sizes):
            bits = values[first + start: first + start + size]
            if isinstance(f.type, BoolT):
                out.append(int(bits[0]))
                continue
            n = sum(int(bit) << i for i, bit in enumerate(bits))
            if bits[-1]:
                n -= 1 << size  # two's complement, as the bv encoding's signed comparisons read it
            out.append(n - f.type.lo if isinstance(f.type, IntT) else n)
        return tuple(out)

    def state_literals(self, codes: Sequence[int], k: int) -> list[int]:
        """Unit literals fixing step k's state to these codes (the inverse of ``codes``)."""
        b = self.blaster
        first = self.state(k)
        out = []
        for f, start, size, c in zip(b.fields, b.starts, b.sizes, codes):
            n = int(c) if isinstance(f.type, BoolT) else int(c) + (f.type.lo if isinstance(f.type, IntT) else 0)
            n &= (1 << size) - 1
            out += [(first + int(start) + i) * (1 if (n >> i) & 1 else -1) for i in range(size)]
        return out

    def action(self, values: np.ndarray, k: int) -> int:
        first = self.sel(k)
        chosen = np.flatnonzero(values[first: first + self.blaster.nsel])
        if len(chosen) != 1:
            raise ModelError(f"SAT model names {len(chosen)} actions at step {k}", location="")
        return int(chosen[0])


def assignment(model: Sequence[int], top: int) -> np.ndarray:
    """A SAT solver's model (signed literals) as truth values indexed by variable (unset: false)."""
    values = np.zeros(top + 1, dtype=bool)
    lits = np.asarray(model, dtype=np.int64)
    lits = lits[(lits > 0) & (lits <= top)]
    values[lits] = True
    return values
