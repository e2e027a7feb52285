"""Invariants found by CHC (Spacer) are printed in the model's names: an Enum or Elem field is
compared with values by name, never with the integer codes the encodings use (``0 == e``,
``lease >= 1``). Spacer writes such atoms with the code on either side and as order comparisons;
each is said as the set of values it allows (hacheck/symbolic/encode.py ``Encoding.pretty``)."""

from __future__ import annotations

import pytest
import z3

from hacheck.lang import Elem, Enum, Model
from hacheck.symbolic.encode import Encoding


def _model() -> Model:
    m = Model("names")
    host = m.sort("Host", ["h1", "h2", "h3"])
    m.var("e", Enum("x", "y", "z"), init="x")
    m.var("lease", Elem(host, optional=True), init=None)  # codes: h1 0, h2 1, h3 2, None 3
    return m.freeze()


@pytest.mark.parametrize("kind", ["int", "bv"])
def test_enum_and_elem_atoms_are_printed_by_name(kind):
    m = _model()
    enc = Encoding(m, kind)
    e, lease = enc.cur[0], enc.cur[1]
    num = enc.num
    assert m.fields[1].type.none_code == 3
    cases = [
        (num(0) == e, "e == 'x'"),
        (e == num(2), "e == 'z'"),
        (z3.Not(e == num(1)), "e != 'y'"),
        (e != num(0), "e != 'x'"),
        (e >= num(1), "e != 'x'"),
        (e <= num(1), "e != 'z'"),
        (lease == num(3), "lease == None"),
        (z3.Not(lease == num(3)), "lease != None"),
        (lease >= num(1), "lease != h1"),
        (z3.Not(lease >= num(1)), "lease == h1"),
        (num(2) > lease, "lease in {h1, h2}"),
        (lease >= num(2), "lease in {h3, None}"),
        (lease <= num(3), "true"),
        (z3.Or(z3.Not(e >= num(1)), lease == num(0)), "e == 'x' | lease == h1"),
        (z3.Not(z3.And(e == num(0), lease < num(3))), "~(e == 'x' & lease != None)"),
    ]
    for term, want in cases:
        assert enc.pretty(term) == want, (term, enc.pretty(term))


def test_a_chc_invariant_of_the_lease_toy_names_hosts_and_none():
    """tests/data/lemma_toy.py (the lease is an optional Host): Spacer's invariant used to read
    ``~(lease >= 1)``; it must read with h1, h2 and None."""
    from hacheck.loader import build_model, load_spec
    from hacheck.symbolic.chc import chc
    from hacheck.symbolic.common import Context

    m = build_model(load_spec("tests/data/lemma_toy.py"), {"lemmas": "none"})
    r = chc(Context(m, rlimit=50_000_000), m.properties["no_dual_run"], None)
    assert r.verdict == "holds", r.line
    text = r.extra["invariant"]
    assert "lease" in text and not any(op in text for op in (">=", "<=", " < ", " > ")), text
    assert not any(f"lease {op} {n}" in text or f"{n} == lease" in text for op in ("==", "!=") for n in "0123"), text
