"""Clauses learned by blocking counterexamples to induction against the reachable set."""

from __future__ import annotations

import numpy as np

from hacheck.lang import Bool, Model
from hacheck.symbolic import blocking as BL
from hacheck.symbolic import houdini as H
from hacheck.symbolic.common import Context

from test_symbolic import tutorial


def three_bits() -> Model:
    """x, y, z may each be set unless the other two are, and cleared; ``alarm`` goes off when all
    three are set, which never happens. Every pair of the bits is reachable, so no clause of two
    literals excludes x = y = z = 1: Houdini cannot prove ~alarm, a learned 3-literal clause can."""
    m = Model("three_bits")
    x, y, z = (m.var(n, Bool, init=False) for n in "xyz")
    alarm = m.var("alarm", Bool, init=False)
    for me, a, b in ((x, y, z), (y, z, x), (z, x, y)):
        m._add_action(f"set_{me.name}", lambda me=me, a=a, b=b: (~me & ~(a & b), {me: True}), {}, "protocol", None, "", None)
        m._add_action(f"clear_{me.name}", lambda me=me: (me, {me: False}), {}, "protocol", None, "", None)
    m._add_action("raise_alarm", lambda: (x & y & z, {alarm: True}), {}, "protocol", None, "", None)
    m.invariant("quiet", ~alarm)
    return m.freeze()


def test_houdini_fails_where_a_learned_clause_proves_it():
    m = three_bits()
    assert H.houdini(Context(m), m.properties["quiet"], None).verdict == "unknown"
    r = BL.block(Context(m), m.properties["quiet"], None)
    assert r.verdict == "holds", r.line
    assert r.extra["learned"] >= 1 and "re-checked by z3" in r.explanation


def test_generalize_keeps_only_what_excludes_every_reachable_state():
    reach = np.array([[0, 0, 0, 1], [1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0]])
    assert BL.generalize((1, 1, 1, 0), reach, [0, 1, 2, 3]) == [0, 1, 2]
    assert BL.generalize((1, 1, 0, 0), reach, [0, 1, 2, 3]) is None  # reachable: nothing to block


def test_needs_the_whole_reachable_set():
    m = tutorial(quorum="majority")
    r = BL.block(Context(m), m.properties["no_split_brain"], None, max_samples=3)
    assert r.verdict == "unknown" and "needs every reachable state" in r.explanation
    assert BL.block(Context(m), m.properties["no_split_brain"], None).verdict == "holds"
