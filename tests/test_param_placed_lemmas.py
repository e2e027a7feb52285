"""The lemma route of ``prove --for-every`` on a model whose initial state names elements
(tests/data/param_placed_lemma.py: the VM starts on h1). The initial state is read as the mining
route reads it (``read_placed_init``): every state satisfying the clauses over the placed variables
that hold in the initial states at every size built. That is a superset of the model's initial
states, so the proof's initiation covers them; the verdict names the clauses."""

from __future__ import annotations

from pathlib import Path

from hacheck.loader import load_spec
from hacheck.result import HOLDS
from hacheck.symbolic.param import Settings, by_stated_lemmas, prove_every

ROOT = Path(__file__).resolve().parent.parent
MODEL = str(ROOT / "tests/data/param_placed_lemma.py")
RLIMIT = 20_000_000


def test_the_lemma_route_reads_a_placed_initial_state_by_clauses():
    r = prove_every(load_spec(MODEL), {}, "one_runs", ["hosts"], settings=Settings(rlimit=RLIMIT))
    assert r.verdict == HOLDS, r.explanation
    assert r.extra["lemmas"] == ["runner_is_on"]  # the lemma route, not the mined clauses
    assert r.extra["placed"] == ["run", "on"]
    # the clause the lemma needs initially, read from the initial states at every size built
    assert "forall H1 in Host: on == H1 | ~run[H1]" in r.extra["init_read"]
    assert r.extra["init_checked"] == ["hosts=1", "hosts=2", "hosts=3", "hosts=4", "hosts=5"]
    assert "from every initial state satisfying 7 clauses over run, on, as the model's own do with 5 sizes" \
        in r.explanation
    assert "(forall H1 in Host: ~run[H1] | on == H1)" in r.extra["invariant"]


def test_a_weak_lemma_is_refused_with_the_step_and_the_mining_route_runs():
    """A lemma true in every reachable state that does not make the property inductive: the lemma
    route names the step that breaks it (never holds on its word), then the usual pipeline runs."""
    spec = load_spec(MODEL)
    why = by_stated_lemmas(spec, {"lemma": "weak"}, "one_runs", ["hosts"], None, Settings(rlimit=RLIMIT), None,
                           ["on_runs"], {"hosts": 1})
    assert isinstance(why, str)
    assert why.startswith("the property and its 1 stated lemma are not inductive for every N (consecution of start")
    r = prove_every(spec, {"lemma": "weak"}, "one_runs", ["hosts"], settings=Settings(rlimit=RLIMIT))
    assert r.verdict == HOLDS and "lemmas" not in r.extra
    assert "consecution of start" in r.extra["lemmas_tried"]


def test_the_cli_prints_the_clauses_read_for_the_initial_state():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "hacheck.cli", "prove", "tests/data/param_placed_lemma.py",
                          "--property", "one_runs", "--for-every", "hosts"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "placed_lemma: one_runs: holds for every N (inductive invariant with forall, re-checked)" in out.stdout
    assert "  initial states: run, on start on particular elements" in out.stdout
    assert "    forall H1 in Host: on == H1 | ~run[H1]" in out.stdout
    assert "invariant (the stated lemmas runner_is_on and one_runs;" in out.stdout
