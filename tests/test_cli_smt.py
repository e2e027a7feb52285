"""End-to-end tests of the z3 engine's commands: ``prove`` (every method), ``check --engine``.

Exit codes as everywhere: 0 holds, 1 violated, 2 bad input, 3 unknown, 4 engines disagree.
"""

from __future__ import annotations

import json

from test_cli import TUTORIAL, assert_bad_input, run

T = str(TUTORIAL)
RLIMIT = 200_000_000  # z3 resource units per query: with --timeout 0 the verdicts do not depend on machine speed


def prove(*args: str):
    """``hacheck prove`` without the wall clock (--timeout 0), every z3 query bounded by --rlimit."""
    return run("prove", *args, "--timeout", "0", "--rlimit", str(RLIMIT))


def check_smt(*args: str):
    """``hacheck check --engine smt|both`` without the wall clock (BMC to a fixed depth ends by itself)."""
    return run("check", *args, "--timeout", "0")


def test_prove_bmc_names_the_back_end_and_writes_the_trace(tmp_path):
    for sat, name in (("cadical", "CaDiCaL"), ("z3", "z3 bv")):
        r = prove(T, "--property", "no_split_brain", "--method", "bmc", "--sat-solver", sat, "--out", str(tmp_path))
        assert r.returncode == 1, r.stderr
        assert f"no_split_brain  invariant  violated (BMC ({name}), 4 steps, shortest)" in r.stdout
        assert "FAULT cut(" in r.stdout
    for ext in ("itf.json", "dot", "svg"):
        assert (tmp_path / f"two_replicas.no_split_brain.{ext}").exists()
    itf = json.loads((tmp_path / "two_replicas.no_split_brain.itf.json").read_text())
    assert len(itf["states"]) == 5


def test_prove_each_unbounded_method_on_a_holding_property(tmp_path):
    expect = {"kind": "holds (k-induction, k=", "chc": "holds (CHC invariant, re-checked)",
              "houdini": "clauses inferred (Houdini, 44 sampled states (all reachable)), re-checked by z3)",
              "reach": "holds (inductive invariant: the 44 reachable states as a decision diagram of 68 nodes, proved inductive by z3)",
              "auto": "holds (inductive invariant: the 44 reachable states as a decision diagram of 68 nodes, proved inductive by z3)",
              "bmc": "holds (BMC (CaDiCaL) complete: no execution is longer than 4 steps)",
              "blocking": "learned by blocking counterexamples to induction against all 44 reachable states), re-checked by z3)"}
    for method, text in expect.items():
        r = prove(T, "--param", "quorum=majority", "--property", "no_split_brain", "--method", method,
                "--out", str(tmp_path))
        assert r.returncode == 0, (method, r.stdout, r.stderr)
        assert text in r.stdout, r.stdout
    r = prove(T, "--param", "quorum=majority", "--property", "no_split_brain", "--method", "chc", "--out", str(tmp_path))
    assert "invariant found: " in r.stdout and "data[r1][w2]" in r.stdout


def test_prove_bounded_bmc_is_unknown_exit_3(tmp_path):
    r = prove("models/gluster_arbiter.py", "--property", "no_split_brain", "--method", "bmc", "--depth", "3",
            "--out", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert r.returncode == 3, r.stderr
    assert "unknown (bounded: no violation up to depth 3 (BMC, CaDiCaL))" in r.stdout
    assert "holds" not in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["exit_code"] == 3 and doc["properties"][0]["verdict"] == "unknown"


def test_prove_invariant_not_inductive_names_action_and_conjunct(tmp_path):
    r = prove(T, "--param", "quorum=majority", "--property", "no_split_brain",
            "--invariant", "data['r1'].size() <= 1", "--out", str(tmp_path))
    assert r.returncode == 3, r.stderr
    assert "not inductive: action write(" in r.stdout
    assert "data[r1]" in r.stdout


def test_check_engine_both_agrees_and_attaches_the_smt_verdict(tmp_path):
    r = check_smt(T, "--engine", "both", "--out", str(tmp_path), "-q")
    assert r.returncode == 1, r.stderr
    assert "[smt: violated (BMC (CaDiCaL), 4 steps, shortest)]" in r.stdout
    assert "DISAGREE" not in r.stdout
    r = check_smt(T, "--engine", "smt", "--sat-solver", "z3", "--out", str(tmp_path), "-q")
    assert r.returncode == 1 and "BMC (z3 bv), 4 steps" in r.stdout


def test_prove_bad_input_exit_2(tmp_path):
    cases = [
        (["--property", "no_split_brain", "--sat-solver", "minisat"], ["--sat-solver", "minisat"]),
        (["--property", "nope"], ["no property 'nope'"]),
        (["--property", "no_split_brain", "--invariant", "data['r1'].size( <="], ["--invariant", "syntax error"]),
        (["--property", "no_split_brain", "--method", "induction"], ["--method induction needs --invariant"]),
        (["--property", "no_split_brain", "--depth", "0"], ["--depth"]),
        (["--property", "no_split_brain", "--timeout", "-1"], ["--timeout"]),
    ]
    for args, needles in cases:
        assert_bad_input(run("prove", T, *args, "--out", str(tmp_path)), *needles)


def test_prove_writes_junit_for_ci_gating_and_refuses_a_missing_folder_first(tmp_path):
    xml = tmp_path / "proof.xml"
    r = prove(T, "--param", "quorum=majority", "--property", "no_split_brain", "--method", "kind",
            "--junit", str(xml), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    text = xml.read_text()
    assert 'tests="1" failures="0" errors="0"' in text and "holds (k-induction, k=" in text
    r = prove(T, "--property", "no_split_brain", "--method", "bmc", "--junit", str(xml), "--out", str(tmp_path))
    assert r.returncode == 1 and "<failure" in xml.read_text()
    assert_bad_input(prove(T, "--property", "no_split_brain", "--junit", str(tmp_path / "no" / "p.xml")),
                     "--junit", "does not exist")


def test_a_deep_range_error_is_never_holds(tmp_path):
    """n leaves Int(0, 25) after 26 steps, deeper than BMC's depth 20; k-induction includes range
    safety, so neither `check --engine smt` nor `prove --method kind` may say holds (issue 20)."""
    r = check_smt("tests/data/deep_range.py", "--engine", "smt", "--out", str(tmp_path))
    assert r.returncode == 2 and "can set n to 26" in r.stderr and "holds" not in r.stdout
    r = prove("tests/data/deep_range.py", "--property", "small", "--method", "kind", "--out", str(tmp_path))
    assert r.returncode == 3 and "unknown (not k-inductive for k <= 6)" in r.stdout


def test_prove_accepts_faults_like_check(tmp_path):
    r = prove("models/fencing.py", "--param", "manual_confirm_allowed=false", "--faults", "crash",
            "--property", "no_dual_running_vm", "--method", "reach", "--out", str(tmp_path))
    assert r.returncode == 0 and "holds (inductive invariant: the " in r.stdout
    assert_bad_input(prove("models/fencing.py", "--faults", "bogus", "--property", "no_dual_running_vm",
                         "--out", str(tmp_path)), "no fault action 'bogus'")


def test_timeout_0_or_none_turns_the_clock_off_and_rlimit_bounds_each_query(tmp_path):
    """--timeout 0 (or none): no wall clock; a tiny --rlimit then gives the same unknown on any machine."""
    for off in ("0", "none"):
        r = run("prove", T, "--param", "quorum=majority", "--property", "no_split_brain", "--method", "chc",
                "--timeout", off, "--rlimit", "1000", "--out", str(tmp_path))
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert "unknown (solver: resource limit 1,000 reached)" in r.stdout, r.stdout
    r = run("lemma", "--timeout", "none")
    assert r.returncode in (0, 1), r.stderr
