"""The tables of docs/availability.md are what scripts/gen_availability_table.py computes from fresh
``hacheck availability`` runs of the deployment files (slow: several chains of 10^4..10^5 states)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_availability_tables_are_current():
    r = subprocess.run([sys.executable, "scripts/gen_availability_table.py", "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stderr + "\nrun: .venv/bin/python scripts/gen_availability_table.py"
