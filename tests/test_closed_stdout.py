"""``hacheck ... | head -1``: a reader that stops reading is not an error. The rest of the output
is dropped, the command runs to its end (its reports are written) and exits with its own code,
never 5 (an internal error: BrokenPipeError) — for every command (hacheck/failsafe.py
``ClosedStdoutIsQuiet``, installed by hacheck/cli.py ``main``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run_with_closed_stdout(args: list[str]) -> subprocess.CompletedProcess:
    """The command with stdout a pipe whose read end is already closed: every write fails (EPIPE),
    deterministically (no race with a reader that exits after one line)."""
    r, w = os.pipe()
    os.close(r)
    try:
        return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], stdout=w, stderr=subprocess.PIPE,
                              text=True, timeout=600)
    finally:
        os.close(w)


@pytest.mark.parametrize("args,code", [
    (["prove", "models/fencing.py", "--property", "no_dual_running_vm", "--method", "bmc", "--depth", "2"], 3),
    (["check", "models/fencing.py", "--max-states", "1000"], 1),  # a violation within 1,000 states
    (["list", "models/fencing.py"], 0),
    (["models"], 0),
    (["prove", "--help"], 0),
])
def test_a_closed_stdout_keeps_the_commands_exit_code(args, code):
    p = run_with_closed_stdout(args)
    assert "internal error" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr
    assert p.returncode == code, p.stderr


def test_the_reports_are_still_written(tmp_path):
    out = tmp_path / "r.json"
    p = run_with_closed_stdout(["prove", "models/fencing.py", "--property", "no_dual_running_vm", "--method", "bmc",
                                "--depth", "2", "--json", str(out)])
    assert p.returncode == 3, p.stderr
    assert json.loads(out.read_text())["properties"][0]["verdict"] == "unknown"
