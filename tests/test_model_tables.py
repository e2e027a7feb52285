"""The verdict tables of docs/models/*.md are what scripts/gen_model_tables.py produces from fresh
runs: a committed table that drifts from the model fails here (regenerate with the script)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gen_model_tables", ROOT / "scripts" / "gen_model_tables.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_every_table_has_its_markers():
    for name in gen.TABLES:
        assert gen.committed(name).startswith("| ")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(gen.TABLES))
def test_committed_table_equals_a_fresh_run(name):
    assert gen.committed(name) == gen.generate(name), \
        f"docs table {name} is stale: run .venv/bin/python scripts/gen_model_tables.py --table {name}"
