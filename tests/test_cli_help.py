"""Help and listings say what the commands take and what the model says (issue 16 item 14)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.cli import make_parser

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    p = make_parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_option_and_positional_has_help_text(command):
    parser = _subparsers()[command]
    missing = [a.option_strings[0] if a.option_strings else a.dest for a in parser._actions
               if not a.help and not isinstance(a, argparse._HelpAction)]
    assert not missing, f"hacheck {command}: no help text for {', '.join(missing)}"
    assert "exit codes:" in (parser.epilog or "") and "5  internal error in hacheck" in parser.epilog


def test_check_says_it_takes_deployment_files_too():
    check = _subparsers()["check"]
    path = next(a for a in check._actions if a.dest == "path")
    assert ".toml" in path.help


def test_list_prints_each_property_as_written_with_its_source_line():
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "list", str(TUTORIAL)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("properties:"):]
    lines = TUTORIAL.read_text().splitlines()
    decl = next(i for i, line in enumerate(lines, 1) if '"no_split_brain"' in line)
    start = next(i for i in range(decl, 0, -1) if "m.invariant(" in lines[i - 1])
    assert f"two_replicas.py:{start}:" in text
    for line in lines[start - 1:decl + 3]:  # the whole statement, not a formula cut mid-expression
        assert line.strip() in text
    assert "always" not in text  # not the expanded formula


def test_list_points_at_the_predicate_function_of_a_property():
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "list", "models/gluster_arbiter.py"], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert '(def no_split_brain at properties/gluster.py:' in r.stdout
