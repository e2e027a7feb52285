"""Range safety inside the unbounded proofs (CHC, Houdini), not only in the re-check afterwards.

hacheck's transition relation leaves out a step whose update leaves its field's declared range
(the explicit engine reports such a step as a model error), so an invariant inductive over the
in-range steps can still contain a state that enables one. CHC asks Spacer for an invariant that
excludes those states; Houdini keeps "no update leaves its range" as an obligation beside the
property; the re-check's words say what a failure means (a state satisfying the invariant, which
may be unreachable), never "a counterexample".
"""

from __future__ import annotations

import pytest

from hacheck.explicit.search import ModelRangeError
from hacheck.lang import Bool, Int, Map, Model
from hacheck.symbolic.chc import chc
from hacheck.symbolic.common import Context
from hacheck.symbolic.houdini import houdini


def joins(hosts: int) -> Model:
    """Each host joins once and counts itself in ``cnt: Int(0, 5)``: in range for up to 5 hosts.
    Whether cnt stays in range depends on how many hosts have joined (cnt == #joined), which no
    clause of one or two literals says."""
    m = Model("joins")
    host = m.sort("Host", [f"h{i + 1}" for i in range(hosts)])
    joined = m.var("joined", Map(host, Bool), init=False)
    cnt = m.var("cnt", Int(0, 5), init=0)
    bad = m.var("bad", Bool, init=False)

    @m.action(h=host)
    def join(h):
        return ~joined[h], {joined[h]: True, cnt: cnt + 1}

    m.invariant("never_bad", ~bad)
    return m.freeze()


def test_chc_finds_a_range_safe_invariant_when_no_range_error_is_reachable():
    """3 hosts: cnt never exceeds 3. Spacer's invariant must exclude a state with cnt = 5 and a
    host still to join, else z3's re-check rejects it (it used to: unknown, "not believed")."""
    m = joins(3)
    r = chc(Context(m, rlimit=50_000_000), m.properties["never_bad"], None)
    assert r.verdict == "holds", r.line
    assert "re-checked" in r.explanation


def test_chc_with_a_reachable_range_error_reports_the_model_error():
    """6 hosts: the sixth join sets cnt to 6. Spacer refutes the range clause and the explicit
    engine replays it into the model error with its trace (exit 2 at the command line)."""
    m = joins(6)
    with pytest.raises(ModelRangeError, match="sets cnt to 6, outside its declared type") as e:
        chc(Context(m, rlimit=50_000_000), m.properties["never_bad"], None)
    assert e.value.trace.length == 5


def test_houdini_says_what_it_could_not_show_about_ranges():
    """Houdini's clauses cannot say cnt == #joined: it ends unknown, and says that the states its
    invariant fails to exclude may be unreachable (not "a counterexample", not a solver error)."""
    m = joins(3)
    r = houdini(Context(m, conflicts=2_000_000), m.properties["never_bad"], None)
    assert r.verdict == "unknown", r.line
    assert "do not exclude every state from which an update leaves its declared range" in r.explanation
    assert "may be unreachable" in r.explanation and "counterexample" not in r.explanation
