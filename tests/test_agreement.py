"""The explicit and z3 engines must agree: on every verdict, and on shortest counterexample lengths.

Shipped models at small bounds; every z3 trace also replays through the model's own semantics
(the z3 engine refuses to print one that does not).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hacheck.check import run_check
from hacheck.loader import build_model, load_spec
from hacheck.replay import replay
from hacheck.symbolic.bmc import bmc
from hacheck.symbolic.check import agreement, prove, smt_check
from hacheck.symbolic.common import Context

ROOT = Path(__file__).resolve().parent.parent
# deterministic solver budgets (z3 resource units and CaDiCaL conflicts per query), not seconds:
# a verdict in a test is the same on a loaded machine and an idle one
RLIMIT, CONFLICTS = 5_000_000, 500_000

VIOLATED = [
    ("docs/tutorial/two_replicas.py", {}, "no_split_brain"),
    ("docs/tutorial/two_replicas.py", {"replicas": 3, "quorum": "majority"}, "no_split_brain"),
    ("models/gluster_arbiter.py", {"replica": 2, "arbiter": False, "quorum_type": "none"}, "no_split_brain"),
    ("models/fencing.py", {"power_management": "none"}, "no_dual_running_vm"),  # manual confirm, 12 steps
    ("models/fencing.py", {"pm_reports": "faulty", "manual_confirm_allowed": False}, "no_dual_running_vm"),
    ("models/hosted_engine.py", {"sanlock_lease": False}, "no_dual_engine"),
]

HOLDING = [
    ("docs/tutorial/two_replicas.py", {"quorum": "majority"}, "no_split_brain"),
    ("models/fencing.py", {"manual_confirm_allowed": False}, "no_dual_running_vm"),
    ("models/fencing.py", {}, "no_dual_running_vm"),  # manual confirm allowed: upstream's rules, one fault
    ("models/hosted_engine.py", {}, "no_dual_writer"),
]


def _model(path, params):
    return build_model(load_spec(ROOT / path), params)


@pytest.mark.parametrize("sat", ["cadical", "z3"])
@pytest.mark.parametrize("path,params,prop", VIOLATED, ids=lambda x: str(x))
def test_bmc_length_equals_bfs_shortest_length(path, params, prop, sat):
    m = _model(path, params)
    explicit = run_check(m, [m.properties[prop]]).properties[0]
    smt = bmc(Context(m, "bv", sat), m.properties[prop], 20, None)
    assert explicit.verdict == smt.verdict == "violated"
    assert smt.trace.length == explicit.trace.length
    replay(m, smt.trace)
    replay(m, explicit.trace)


@pytest.mark.parametrize("path,params,prop", HOLDING, ids=lambda x: str(x))
def test_holding_properties_are_never_refuted_by_z3(path, params, prop):
    m = _model(path, params)
    explicit = run_check(m, [m.properties[prop]]).properties[0]
    assert explicit.verdict == "holds"
    smt = prove(Context(m, rlimit=RLIMIT, conflicts=CONFLICTS), m.properties[prop], "auto", depth=8, timeout=None)
    assert smt.verdict in ("holds", "unknown")  # unknown is honest; violated would be a bug


def test_agreement_report_flags_disagreements():
    m = _model("docs/tutorial/two_replicas.py", {})
    e = run_check(m)
    s = smt_check(m, list(m.properties.values()), depth=6, timeout=None, rlimit=RLIMIT, conflicts=CONFLICTS)
    assert agreement(e, s) == []
    import attrs

    forged = attrs.evolve(s, properties=tuple(attrs.evolve(p, verdict="holds") if p.name == "no_split_brain" else p
                                              for p in s.properties))
    assert any("no_split_brain" in d for d in agreement(e, forged))


@pytest.mark.slow
@pytest.mark.parametrize("sat", ["cadical", "z3"])
def test_gluster_default_bmc_agrees_with_exhaustive_search(sat):
    m = _model("models/gluster_arbiter.py", {})
    explicit = run_check(m, [m.properties["no_split_brain"]]).properties[0]
    assert explicit.verdict == "holds"
    smt = bmc(Context(m, "bv", sat), m.properties["no_split_brain"], 12, None)
    assert smt.verdict == "unknown" and "no violation up to depth 12" in smt.explanation
