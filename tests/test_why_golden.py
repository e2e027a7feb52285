"""The "why it fails" text of the shipped counterexamples, compared with tests/golden_why.json.

A change to a model, a property or the explainer that changes what a designer reads under a
counterexample fails here until the golden file is regenerated on purpose
(``HACHECK_UPDATE_GOLDEN=1 pytest tests/test_why_golden.py``) and the diff reviewed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hacheck.check import run_check
from hacheck.cli import load_model

GOLDEN = Path(__file__).resolve().parent / "golden_why.json"  # not in golden/: those are verdict files

CASES = [
    ("gluster_arbiter", [], "no_stale_read"),
    ("fencing", ["max_faults=2"], "no_dual_running_vm"),
    ("fencing", ["power_management=none"], "no_dual_running_vm"),
    ("hosted_engine", [], "no_dual_engine"),
    ("fencing", [], "ha_vm_restarted"),
    ("standalone_engine", [], "engine_recovers"),
    ("docs/tutorial/two_replicas.py", [], "no_split_brain"),
]


def _why(model: str, params: list[str], prop: str) -> list[str]:
    m, _ = load_model(model, params)
    r = run_check(m, [m.properties[prop]])
    (p,) = r.properties
    assert p.verdict == "violated", f"{model} {params}: {prop} is {p.verdict}"
    return list(p.extra["why"])


def _key(model: str, params: list[str], prop: str) -> str:
    return " ".join([model, *params, prop])


@pytest.mark.parametrize("model,params,prop", CASES, ids=[_key(*c) for c in CASES])
def test_why_text_of_shipped_counterexamples(model, params, prop):
    got = _why(model, params, prop)
    if os.environ.get("HACHECK_UPDATE_GOLDEN") == "1":
        doc = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
        doc[_key(model, params, prop)] = got
        GOLDEN.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        return
    want = json.loads(GOLDEN.read_text())[_key(model, params, prop)]
    assert got == want
