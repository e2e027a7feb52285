"""Issue 20 item 6: unbounded proofs of the protocols' safety properties by the default ``prove``
path (``--method auto``), with deterministic budgets (z3 rlimit, CaDiCaL conflicts) and no clock,
and what keeps them honest: an invariant that is not inductive is not believed, and a broken model
variant is never proved. (The hosted engine's ``no_dual_writer`` is proved by its stated lemmas,
the first step of ``auto`` for it: tests/test_stated_lemmas.py.)"""

from __future__ import annotations

import pytest
import z3

from hacheck.symbolic import believe
from hacheck.symbolic import blocking as BL
from hacheck.symbolic.check import prove
from hacheck.symbolic.common import Context

from test_agreement import _model
from test_blocking import three_bits
from test_symbolic import counter_model

RLIMIT, CONFLICTS = 50_000_000, 2_000_000


def auto(path: str, params: dict, prop: str, rlimit: int = RLIMIT):
    m = _model(path, params)
    return prove(Context(m, rlimit=rlimit, conflicts=CONFLICTS), m.properties[prop], "auto", depth=4, timeout=None)


@pytest.mark.parametrize("manual_confirm", [False, True])
def test_fencing_no_dual_running_vm_holds_unbounded(manual_confirm):
    """Fencing before restart (models/fencing.py, manual confirm off and the default): manual confirm
    off, the three stated lemmas of properties/fencing.py are tried first and prove it (z3, re-checked);
    with the default (manual confirm on, no lemmas stated: not inductive there) the reachable set is an
    inductive invariant, proved by z3."""
    r = auto("models/fencing.py", {"manual_confirm_allowed": manual_confirm}, "no_dual_running_vm")
    if manual_confirm:
        assert (r.verdict, r.method) == ("holds", "reach"), r.line
        assert "proved inductive by z3" in r.explanation
    else:
        assert (r.verdict, r.method) == ("holds", "lemmas"), r.line
        assert "3 stated lemmas of properties/fencing.py, re-checked by z3" in r.explanation, r.line


def test_gluster_no_split_brain_holds_unbounded():
    """AFR replica 3 arbiter 1: no split-brain for every reachable state, not just to a depth. auto
    tries the model's stated lemmas first (properties/gluster.py; tests/test_gluster_lemmas.py): the
    property and seven lemmas are inductive, about a second of CPU."""
    r = auto("models/gluster_arbiter.py", {}, "no_split_brain")
    assert (r.verdict, r.method) == ("holds", "lemmas"), r.line
    assert r.explanation.endswith("re-checked by z3")


@pytest.mark.slow
def test_gluster_no_split_brain_holds_unbounded_by_blocking():
    """The same without the lemmas, by blocking alone: about 100 s of CPU (docs/symbolic.md); z3's
    re-check of the 3,715 clauses gets a large, fixed budget."""
    m = _model("models/gluster_arbiter.py", {})
    r = BL.block(Context(m, rlimit=4_000_000_000, conflicts=CONFLICTS), m.properties["no_split_brain"], None)
    assert (r.verdict, r.method) == ("holds", "blocking"), r.line
    assert r.explanation.startswith("inductive invariant of ") and r.explanation.endswith("re-checked by z3")


def test_the_recheck_refuses_an_invariant_that_is_not_inductive():
    """x counts up to 5 and ``below`` (x <= 5) holds; ``x <= 3`` holds initially and implies
    nothing wrong, but a step from x = 3 leaves it: the verdict must not be holds."""
    m = counter_model(limit=5, bad=99)
    ctx = Context(m, rlimit=RLIMIT)
    p = m.properties["below"]
    x = ctx.enc.cur[m.fields[0].index]
    r = believe.believed(ctx, p, "test", x <= ctx.enc.num(3), 0.0, None, "a deliberately weak invariant")
    assert r.verdict == "unknown" and "consecution" in r.explanation and "not believed" in r.explanation
    ok = believe.believed(ctx, p, "test", z3.And(x >= ctx.enc.num(0), x <= ctx.enc.num(5)), 0.0, None, "the range")
    assert ok.verdict == "holds" and ok.explanation == "the range, re-checked by z3"


def test_the_kept_clauses_are_the_support_of_the_property():
    """Blocking learns a 3-literal clause for three_bits; the invariant handed to z3 is the part of
    the inductive conjunction the property needs (unsat cores), and it is still inductive."""
    m = three_bits()
    r = BL.block(Context(m, rlimit=RLIMIT), m.properties["quiet"], None)
    assert r.verdict == "holds", r.line
    assert r.extra["learned"] >= 1 and r.extra["invariant_clauses"] >= 2


@pytest.mark.parametrize("path, params, prop", [
    ("models/gluster_arbiter.py", {"replica": 2, "arbiter": False, "quorum_type": "none"}, "no_split_brain"),
    ("models/hosted_engine.py", {}, "no_dual_engine"),  # a paused copy beside a started one (20 steps)
    ("models/fencing.py", {"pm_reports": "faulty", "manual_confirm_allowed": False}, "no_dual_running_vm"),
])
def test_a_broken_variant_is_never_proved(path, params, prop):
    """Mutants: a variant where the property is violated. Blocking stops at once (an enumerated
    state refutes the property) and is never the method of a holds."""
    m = _model(path, params)
    r = BL.block(Context(m, rlimit=RLIMIT, conflicts=CONFLICTS), m.properties[prop], None)
    assert r.verdict == "unknown" and "a reachable state violates the property" in r.explanation, r.line
