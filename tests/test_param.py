"""Proofs for every number of hosts (hacheck/symbolic/param.py, issue 20 item 7).

The parametric verdict is a promise for every N, so the tests below pin both directions: a
correct protocol is proved with an invariant printed in the model's names, a broken one is
reported with its smallest N, and nothing that only holds for small N (or that the quantified
encoding cannot express) ever reads "holds for every N".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.loader import load_spec
from hacheck.replay import replay
from hacheck.result import HOLDS, UNKNOWN, VIOLATED
from hacheck.symbolic.param import Prover, Settings, build_at, prove_every
from hacheck.symbolic.param_lift import NotParametric, lift_model
from hacheck.symbolic.param_mine import mine, reachable_values
from hacheck.symbolic.param_lift import Lifter

ROOT = Path(__file__).resolve().parent.parent
TOKEN = str(ROOT / "examples/parametric/lease_token.py")
FAILS_AT_4 = str(ROOT / "tests/data/param_fails_at_4.py")


def test_lease_token_holds_for_every_number_of_hosts():
    r = prove_every(load_spec(TOKEN), {}, "no_dual_run", ["hosts"])
    assert r.verdict == HOLDS, r.explanation
    assert r.explanation.startswith("for every N: inductive invariant with forall, re-checked")
    inv = r.extra["invariant"]
    assert "count(H1 in Host: run[H1]) <= 1" in inv  # the property itself, readably
    assert "forall H1 in Host: lease == H1 | ~run[H1]" in inv  # the lease guards the VM
    assert r.extra["sorts"] == {"Host": "hosts"}
    assert r.extra["fixed"] == {"broken": False, "max_faults": 1}


def test_broken_lease_token_reports_the_smallest_n():
    r = prove_every(load_spec(TOKEN), {"broken": True}, "no_dual_run", ["hosts"])
    assert r.verdict == VIOLATED
    assert r.extra["sizes"] == {"hosts": 2} and r.extra["checked"] == ["hosts=1"]
    m = build_at(load_spec(TOKEN), {"broken": True}, {"hosts": 2}, None)
    replay(m, r.trace)  # the counterexample is a run of the model with 2 hosts
    assert r.trace.length == 5


def test_property_true_up_to_3_hosts_is_not_proved_for_every_n():
    """Candidates mined from 1..3 hosts include the property; it is not inductive for every N, so
    the answer is the explicit engine's counterexample at 4 hosts, never 'holds for every N'."""
    r = prove_every(load_spec(FAILS_AT_4), {}, "nobody_enters", ["hosts"])
    assert r.verdict == VIOLATED
    assert r.extra["sizes"] == {"hosts": 4}
    assert r.extra["checked"] == ["hosts=1", "hosts=2", "hosts=3"]
    assert "no inductive invariant" in r.extra["no_proof"]


def test_recheck_refuses_every_clause_true_for_small_n_when_one_fails_at_4():
    """The unsoundness guard at the level of the final check: the conjunction of everything true
    in the reachable states of 1..3 hosts (the property included) is refused for every N."""
    spec = load_spec(FAILS_AT_4)
    pm = lift_model(build_at(spec, {}, {"hosts": 4}, None), {"Host"})
    samples = []
    for n in (1, 2, 3):
        m = build_at(spec, {}, {"hosts": n}, None)
        samples.append((m, Lifter(m, {"Host"}), reachable_values(m, 10_000)[0]))
    cands = mine(pm, samples)
    prop = pm.prop("nobody_enters")
    assert any("crit" in repr(c) for c in cands)
    prover = Prover(pm, Settings(), None)
    assert prover.recheck([prop] + cands, prop) is not None
    assert prover.recheck(prover.houdini([prop] + cands), prop) is not None


def test_a_count_beyond_one_is_unsupported_not_guessed():
    r = prove_every(load_spec(FAILS_AT_4), {}, "at_most_two_enter", ["hosts"], settings=Settings(max_n=5))
    assert r.verdict == UNKNOWN
    assert "only <= 1, == 0 and >= 1 are first-order" in r.explanation


def test_a_model_naming_one_host_is_not_read_for_every_n():
    r = prove_every(load_spec(str(ROOT / "tests/data/param_names_h1.py")), {}, "one_token", ["hosts"])
    assert r.verdict == UNKNOWN
    assert "not a model for every N: action take: it exists for 1 of 4 element choices" in r.explanation
    with pytest.raises(NotParametric):
        spec = load_spec(str(ROOT / "tests/data/param_names_h1.py"))
        lift_model(build_at(spec, {}, {"hosts": 4}, None), {"Host"})


def test_a_model_that_branches_on_its_size_is_caught():
    """From 5 hosts on the model allows a second token: its readings at 4 and 5 hosts differ, so
    no proof is attempted and the counterexample search finds the violation at 5."""
    spec = load_spec(str(ROOT / "tests/data/param_size_branch.py"))
    r = prove_every(spec, {}, "one_token", ["hosts"])
    assert r.verdict == VIOLATED and r.extra["sizes"] == {"hosts": 5}
    assert "reads differently with 4 and 5" in r.extra["no_proof"]


def test_an_exhausted_budget_is_never_holds():
    """Deterministic budgets: with a z3 resource limit too small for any query, every candidate is
    dropped and the verdict is unknown, on any machine."""
    r = prove_every(load_spec(TOKEN), {}, "no_dual_run", ["hosts"], settings=Settings(rlimit=1, max_n=4))
    assert r.verdict == UNKNOWN
    assert "holds exhaustively for hosts=1; hosts=2; hosts=3; hosts=4" in r.explanation


def test_the_lifted_model_uses_the_model_names():
    pm = lift_model(build_at(load_spec(TOKEN), {}, {"hosts": 4}, None), {"Host"})
    assert [a.name for a in pm.actions] == ["acquire", "start", "stop", "release", "crash"]
    assert {f.name for f in pm.families} == {"lease", "run[*]", "faults"}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``hacheck prove`` without the wall clock (--timeout 0): --for-every's z3 queries are bounded by
    its rlimit (default 20M units), so the verdicts do not depend on machine speed."""
    clock = ["--timeout", "0"] if args and args[0] == "prove" else []
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args, *clock], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_cli_prove_for_every(tmp_path):
    p = run_cli("prove", TOKEN, "--property", "no_dual_run", "--for-every", "hosts", "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "lease_token: no_dual_run: holds for every N (inductive invariant with forall, re-checked)"
    assert lines[1] == "  N: hosts (the size of sort Host), every N >= 1"
    assert lines[2] == "  fixed: broken=false, max_faults=1"
    p = run_cli("prove", TOKEN, "--property", "no_dual_run", "--for-every", "hosts", "--param", "broken=true",
                "--out", str(tmp_path), "-q")
    assert p.returncode == 1
    assert p.stdout.startswith("lease_token: no_dual_run: violated for hosts=2 (the smallest N with a counterexample; "
                               "holds exhaustively for hosts=1)")
    assert (tmp_path / "lease_token.no_dual_run.every-N.itf.json").exists()


def test_cli_for_every_with_an_owner_function(tmp_path):
    """The verdict says the proof is for every assignment of jobs to clients and names the function."""
    owner = str(ROOT / "tests/data/param_owner.py")
    p = run_cli("prove", owner, "--property", "served_has_done", "--for-every", "clients,jobs", "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == ("param_owner: served_has_done: holds for every N and every assignment of jobs to clients "
                        "(inductive invariant with forall, re-checked)")
    assert lines[3] == ("  functions: client_of: Job -> Client (the model chooses one element by another), uninterpreted: "
                        "proved for every such function, the model's own among them; read with clients=3, jobs=7 and "
                        "clients=4, jobs=9")
    p = run_cli("prove", owner, "--property", "all_done_all_served", "--for-every", "clients,jobs", "--max-n", "3",
                "--out", str(tmp_path), "-q")
    assert p.returncode == 3, p.stdout + p.stderr
    assert p.stdout.startswith("param_owner: all_done_all_served: unknown (")


@pytest.mark.parametrize("args, message", [
    (["--for-every", "nosuch"], "--for-every nosuch: model lease_token has no parameter 'nosuch'"),
    (["--for-every", "broken"], "--for-every broken: parameter broken is not an integer size"),
    (["--for-every", "max_faults"], "--for-every max_faults: parameter max_faults sets the size of no sort"),
    (["--for-every", "hosts", "--param", "hosts=3"], "--for-every hosts: do not also set hosts with --param"),
    (["--for-every", "hosts", "--method", "chc"], "--for-every finds its own invariant"),
])
def test_cli_for_every_bad_input(args, message, tmp_path):
    p = run_cli("prove", TOKEN, "--property", "no_dual_run", "--out", str(tmp_path), *args)
    assert p.returncode == 2
    assert message in p.stderr and "Traceback" not in p.stderr


# -- the shipped models ------------------------------------------------------------------------------


def test_fencing_with_manual_confirm_is_violated_with_two_hosts_and_one_vm():
    """The operator's "Confirm 'Host has been Rebooted'" (FenceVdsManualyCommand, clearVMs=true in
    ovirt-engine; nothing checks the power state) restarts the VM elsewhere while it still runs: the
    smallest cluster where that happens has 2 hosts and 1 VM."""
    spec = load_spec("fencing")
    r = prove_every(spec, {}, "no_dual_running_vm", ["hosts", "vms"], settings=Settings(mine_max=2, max_n=2))
    assert r.verdict == VIOLATED and r.extra["sizes"] == {"hosts": 2, "vms": 1}
    assert any("manual_confirm" in s.label for s in r.trace.steps)
    replay(build_at(spec, {}, {"hosts": 2, "vms": 1}, None), r.trace)


def test_a_best_score_is_a_fold_not_a_formula_for_every_n():
    """A guard comparing with the best priority of the other hosts (as ovirt-ha-agent compares its
    score with the best remote score: the maximum over the live peers' metadata slots) is not
    first-order: without stated lemmas no proof for every N is attempted, and the verdict says why
    (and what was checked exhaustively). The hosted engine's no_dual_writer is proved for every N by
    its stated lemmas (tests/test_stated_lemmas.py), with that comparison read as a free choice."""
    r = prove_every(load_spec(str(ROOT / "tests/data/fold_guard.py")), {"lemma": False}, "one_inside", ["hosts"],
                    settings=Settings(mine_max=2, max_n=2))
    assert r.verdict == UNKNOWN
    assert "a max_ over the elements of Host (e.g. the best score of the other hosts) is a fold" in r.explanation
    assert "holds exhaustively for hosts=1; hosts=2" in r.explanation


OWNER = str(ROOT / "tests/data/param_owner.py")


def test_an_owner_function_is_read_as_an_uninterpreted_function():
    """Job j is issued by client j mod clients (as Gluster's writes). Read with 3 clients and 7 jobs
    (every client owns two or more jobs, so "the jobs of client c" is a real group), the owner is a
    function symbol client_of: Job -> Client; ``served_has_done`` holds for every assignment, so it is
    proved, and the verdict says it is for every assignment, not only the model's own."""
    r = prove_every(load_spec(OWNER), {}, "served_has_done", ["clients", "jobs"])
    assert r.verdict == HOLDS, r.explanation
    assert r.extra["functions"] == ["client_of: Job -> Client"]
    assert r.extra["assignment"] == "every assignment of jobs to clients"
    assert "for every N and every assignment of jobs to clients" in r.explanation
    assert r.extra["read_at"] == ["clients=3, jobs=7", "clients=4, jobs=9"]
    assert "(forall C1 in Client: ~served[C1] | (exists J1 in Job: client_of(J1) == C1 & done[J1]))" in r.extra["invariant"]


def test_a_property_true_only_for_the_models_own_assignment_is_not_proved():
    """The soundness guard of the function reading: ``all_done_all_served`` holds at every size the model
    accepts (jobs >= clients, so j mod clients leaves no client without a job: exhaustive below) but not
    for every assignment of jobs to clients (a client owning no job is never served). It must never
    read "holds for every N"."""
    r = prove_every(load_spec(OWNER), {}, "all_done_all_served", ["clients", "jobs"],
                    settings=Settings(mine_max=2, max_n=3))
    assert r.verdict == UNKNOWN, r.explanation
    assert "holds exhaustively for" in r.explanation and "clients=3, jobs=3" in r.explanation


def test_two_different_maps_from_jobs_to_clients_are_refused_not_guessed():
    """run(j) serves client j mod clients, audit(j) client (j+1) mod clients: no one function gives both,
    so the model is not read for every N (with the reason), and the answer is not holds."""
    r = prove_every(load_spec(OWNER), {"audit": True}, "served_has_done", ["clients", "jobs"],
                    settings=Settings(mine_max=2, max_n=2))
    assert r.verdict != HOLDS
    assert r.verdict == UNKNOWN
    assert "not a model for every N: action run(j=job0): the updates of served[*] are not the same" in r.explanation
    assert "read again with one sort larger" in r.explanation


def test_the_owner_functions_reading_covers_exactly_the_fibres():
    """At 3 clients and 7 jobs the reading of run(j) marks client_of(j) served, and the fibres are
    exact: the group "jobs of client c" of served_has_done is restricted by client_of(J) == c."""
    ps = {"Client", "Job"}
    pm = lift_model(build_at(load_spec(OWNER), {}, {"clients": 3, "jobs": 7}, None), ps)
    (run,) = pm.actions
    assert [u.args for u in run.updates] == [("j",), (("fn", "client_of", "j"),)]
    # with as many jobs as clients the owner is a bijection: no function, the reading is refused
    with pytest.raises(NotParametric, match="updates of served"):
        lift_model(build_at(load_spec(OWNER), {}, {"clients": 4, "jobs": 4}, None), ps)


def test_initial_values_naming_a_host_are_read_by_clauses_and_printed():
    """The token starts on h1: no formula over every N says that, so the verdict is for every initial
    state satisfying the clauses true of the initial states at every size built, and names them."""
    r = prove_every(load_spec(str(ROOT / "tests/data/param_placed.py")), {}, "one_token", ["hosts"])
    assert r.verdict == HOLDS, r.explanation
    assert r.extra["placed"] == ["tok"]
    assert "forall H1, H2 in Host (distinct): ~tok[H1] | ~tok[H2]" in r.extra["init_read"]
    assert "hosts=5" in r.extra["init_checked"]
    assert "from every initial state satisfying" in r.explanation
