"""A value argparse rejects is bad input like any other: one line naming the flag, exit 2, no
usage block (the usage is what --help is for), for every subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("args,needle", [
    (["prove", "models/fencing.py", "--property", "no_dual_running_vm", "--depth", "0"],
     "argument --depth: --depth must be at least 1, got 0 (see hacheck prove --help)"),
    (["check", "models/fencing.py", "--max-depth", "-1"], "argument --max-depth: --max-depth must be at least 1, got -1"),
    (["prove", "models/fencing.py", "--property", "x", "--timeout", "abc"], "--timeout takes a number of seconds, got 'abc'"),
    (["check", "models/fencing.py", "--engine", "spin"], "argument --engine: invalid choice: 'spin'"),
    (["availability"], "the following arguments are required: path (see hacheck availability --help)"),
    (["bogus"], "argument command: invalid choice: 'bogus'"),
])
def test_a_rejected_argument_is_one_line_exit_2(args, needle):
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("hacheck: error: "), r.stderr
    assert needle in r.stderr and "usage:" not in r.stderr and r.stdout == ""
