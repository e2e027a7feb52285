"""End-to-end tests of the command line: exit codes, messages, files written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"
DATA = ROOT / "tests" / "data"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def assert_bad_input(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    for n in needles:
        assert n in r.stderr, r.stderr


def test_violation_exit_1_prints_trace_and_writes_files(tmp_path):
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    r = run("check", str(TUTORIAL), "--out", str(out), "--json", str(report))
    assert r.returncode == 1, r.stderr
    assert "no_split_brain  invariant  violated (4 steps, shortest)" in r.stdout
    assert "FAULT cut(" in r.stdout
    for ext in ("itf.json", "dot", "svg"):
        assert (out / f"two_replicas.no_split_brain.{ext}").exists()
    assert (out / "two_replicas.both_written.witness.itf.json").exists()
    svg = (out / "two_replicas.no_split_brain.svg").read_text()
    assert "<svg" in svg and "VIOLATION" in svg and "FAULT cut" in svg
    doc = json.loads(report.read_text())
    props = {p["name"]: p for p in doc["properties"]}
    assert props["no_split_brain"]["verdict"] == "violated"
    assert props["no_split_brain"]["trace_length"] == 4
    assert props["no_split_brain"]["trace_files"]["itf"].endswith("two_replicas.no_split_brain.itf.json")
    assert props["both_written"]["verdict"] == "holds"
    assert doc["exit_code"] == 1
    assert doc["params"]["quorum"] == "none"
    for key in ("states", "transitions", "depth", "seconds"):
        assert key in props["no_split_brain"]


def test_holds_exit_0(tmp_path):
    r = run("check", str(TUTORIAL), "--param", "quorum=majority", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "no_split_brain  invariant  holds (exhaustive, 28 states up to symmetry)" in r.stdout
    r = run("check", str(TUTORIAL), "--param", "quorum=majority", "--out", str(tmp_path), "--no-symmetry")
    assert "no_split_brain  invariant  holds (exhaustive, 44 states)" in r.stdout


def test_bound_hit_exit_3_never_says_holds(tmp_path):
    r = run("check", str(TUTORIAL), "--param", "quorum=majority", "--max-states", "10", "--out", str(tmp_path),
            "--property", "no_split_brain")
    assert r.returncode == 3, r.stderr
    assert "unknown (stopped at 10 states" in r.stdout
    assert "holds" not in r.stdout


def test_property_selection(tmp_path):
    r = run("check", str(TUTORIAL), "--property", "both_written", "--out", str(tmp_path))
    assert r.returncode == 0
    assert "no_split_brain" not in r.stdout


def test_list_shows_everything():
    r = run("list", str(TUTORIAL), "--param", "replicas=3")
    assert r.returncode == 0, r.stderr
    for needle in ("parameters:", "replicas: int = 3", "Replica = {r1, r2, r3} symmetric", "data: Map(Replica -> Set(Write))",
                   "cut(c: Client, r: Replica) [fault]", "no_split_brain [invariant]", "fault budget: at most 2"):
        assert needle in r.stdout


def test_render_redraws_a_saved_trace(tmp_path):
    run("check", str(TUTORIAL), "--out", str(tmp_path), "-q")
    drawn = tmp_path / "drawn"
    r = run("render", str(tmp_path / "two_replicas.no_split_brain.itf.json"), "--out", str(drawn))
    assert r.returncode == 0, r.stderr
    assert (drawn / "two_replicas.no_split_brain.svg").read_text().count("<svg") == 1
    assert "cut(c=" in (drawn / "two_replicas.no_split_brain.dot").read_text()


@pytest.mark.parametrize(
    "args,needles",
    [
        (["check", "tests/data/bad_syntax.py"], ["bad_syntax.py:5", "syntax error"]),
        (["check", "tests/data/bad_import.py"], ["bad_import.py:3", "does not import", "no_such_module_anywhere"]),
        (["check", "tests/data/no_spec.py"], ["no_spec.py", "SPEC"]),
        (["check", "tests/data/missing.py"], ["no such model file"]),
        (["check", "tests/data/type_error.py"], ["type_error.py:17", "cannot assign"]),
        (["check", "tests/data/const_range_error.py"], ["const_range_error.py:16", "outside"]),
        (["check", "tests/data/unknown_element.py"], ["unknown_element.py:14", "no element 'h3'"]),
        (["check", "tests/data/bad_enum.py"], ["bad_enum.py:13", "'sideways' is not one of"]),
        (["check", str(TUTORIAL), "--param", "nosuch=1"], ["no parameter 'nosuch'"]),
        (["check", str(TUTORIAL), "--param", "replica=1"], ["did you mean replicas?"]),
        (["check", str(TUTORIAL), "--param", "replicas=two"], ["replicas=two: expected an integer"]),
        (["check", str(TUTORIAL), "--param", "quorum=most"], ["parameter quorum: 'most' is not one of"]),
        (["check", str(TUTORIAL), "--param", "replicas"], ["expected NAME=VALUE"]),
        (["check", str(TUTORIAL), "--property", "split"], ["no property 'split'"]),
        (["check", str(TUTORIAL), "--max-states", "0"], ["--max-states must be at least 1"]),
        (["check", str(TUTORIAL), "--max-seconds", "-1"], ["--max-seconds must be more than 0"]),
        (["check", str(TUTORIAL), "--out", "/proc/hacheck-cannot-write"], ["--out", "cannot write"]),
        (["render", "tests/data/no-such.itf.json"], ["cannot read"]),
        (["frobnicate"], ["invalid choice"]),
    ],
)
def test_bad_input_exit_2(args, needles):
    assert_bad_input(run(*args), *needles)


def test_range_error_reports_trace_and_exit_2():
    r = run("check", "tests/data/runtime_range.py")
    assert_bad_input(r, "action inc sets n to 4, outside its declared type Int(0..3)", "reached after 3 steps")
    assert "initial state" in r.stderr


def test_corrupt_itf_given_to_render(tmp_path):
    bad = tmp_path / "bad.itf.json"
    bad.write_text('{"vars": ["x"], "states": [{"x": 1}, 7]}')
    assert_bad_input(run("render", str(bad)), "states[1]: a state must be a JSON object")


def test_unwritable_out_folder_as_non_root(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; /proc is covered above")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    assert_bad_input(run("check", str(TUTORIAL), "--out", str(ro / "x")), "cannot write")
