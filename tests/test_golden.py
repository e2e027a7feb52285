"""Golden files: a model, parameter sets, and the verdicts and trace lengths they must give.

Each ``tests/golden/*.json`` names a model file and cases ``{"params", "states", "expect"}`` where
``expect`` maps a property to ``[verdict, trace length or null]`` and ``states`` (when not null) is
the exact number of reachable states (orbit representatives when the model declares a symmetric
sort). Slow cases carry ``"slow": true``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hacheck.explicit.search import check
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.json"))


def _cases():
    for f in GOLDEN:
        doc = json.loads(f.read_text())
        for i, case in enumerate(doc["cases"]):
            marks = [pytest.mark.slow] if case.get("slow") else []
            yield pytest.param(doc["model"], case, id=f"{f.stem}-{i}", marks=marks)


@pytest.mark.parametrize("model_path,case", list(_cases()))
def test_golden(model_path, case):
    spec = load_spec(ROOT / model_path)
    m = build_model(spec, case["params"])
    props = [m.properties[n] for n in case["expect"]]
    r = check(m, props)
    got = {p.name: [p.verdict, p.trace.length if p.trace else None] for p in r.properties}
    want = {n: list(v) for n, v in case["expect"].items()}
    assert got == want
    if case.get("states") is not None:
        assert r.stats.states == case["states"]
