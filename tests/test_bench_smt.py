"""benchmarks/bench_smt.py: its options do what --help says, and its rows quote the CLI's verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = [sys.executable, str(ROOT / "benchmarks" / "bench_smt.py")]


def test_help_prints_the_usage_and_runs_nothing():
    r = subprocess.run([*BENCH, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: bench_smt.py")
    assert "--lemmas" in r.stdout and "--parametric" in r.stdout and "--proofs-only" in r.stdout
    assert not any(ln.startswith(("proofs by stated lemmas (", "unbounded proofs (")) for ln in r.stdout.splitlines())


def test_proofs_only_runs_only_the_proofs():
    r = subprocess.run([*BENCH, "--proofs-only", "--proof", "tests/data/lemma_toy.py:no_dual_run", "--budget", "300"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    sections = [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")]
    assert len(sections) == 1 and sections[0].startswith("unbounded proofs"), r.stdout
    assert "no_dual_run" in r.stdout and "holds (" in r.stdout


def test_an_every_n_row_quotes_what_hacheck_prove_prints():
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "prove", "examples/parametric/lease_token.py",
                        "--property", "no_dual_run", "--for-every", "hosts", "--quiet", "--out", "out"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    first = r.stdout.splitlines()[0]
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_smt import cli_verdict
    from hacheck.loader import load_spec
    from hacheck.symbolic.param import Settings, prove_every

    got = prove_every(load_spec(ROOT / "examples/parametric/lease_token.py"), {}, "no_dual_run", ["hosts"],
                      settings=Settings())
    assert first == f"lease_token: no_dual_run: {cli_verdict(got)}"


@pytest.mark.slow
def test_an_unknown_for_every_n_says_the_stated_lemmas_reason_once():
    """Gluster for every number of clients (about 20 s): the stated lemmas are not a model for
    every N, and the search ends for the same reason; hacheck/symbolic/param.py says it once."""
    from hacheck.loader import load_spec
    from hacheck.symbolic.param import Settings, prove_every

    r = prove_every(load_spec(ROOT / "models/gluster_arbiter.py"), {}, "no_split_brain", ["clients"], settings=Settings())
    if r.verdict != "unknown" or "lemmas_tried" not in r.extra:
        pytest.skip(f"the Gluster model is now decided for every N: {r.line}")
    assert r.explanation.count(r.extra["lemmas_tried"]) == 1, r.explanation
