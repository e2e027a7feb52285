"""Stated lemmas (``m.lemma``, issue 20 items 6-7): ``prove --method lemmas`` proves the property
and the lemmas inductive together or shows the counterexample to induction; ``check`` reports a
lemma false in a reachable state as a wrong lemma (exit 2), never as the property violated. The
budgets are deterministic (z3 rlimit), no clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.check import WrongLemma, run_check
from hacheck.lang import ModelError
from hacheck.lang.interp import eval_expr
from hacheck.loader import build_model, load_spec
from hacheck.symbolic.check import prove
from hacheck.symbolic.common import Context
from hacheck.symbolic.stated import prove_by_lemmas

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests/data/lemma_toy.py"
RLIMIT = 50_000_000


def model(path: str, **params):
    return build_model(load_spec(ROOT / path), params)


def lemmas(path: str, prop: str, rlimit: int = RLIMIT, **params):
    m = model(path, **params)
    return prove_by_lemmas(Context(m, rlimit=rlimit), m.properties[prop], timeout=None, rlimit=rlimit)


def cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI; ``prove`` without the wall clock (--timeout 0: bounded by --rlimit, not machine speed)."""
    clock = ["--timeout", "0"] if args and args[0] == "prove" else []
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args, *clock], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_an_inductive_lemma_set_proves_the_property():
    r = lemmas(TOY, "no_dual_run", lemmas="inductive", hosts=3)
    assert (r.verdict, r.method) == ("holds", "lemmas"), r.line
    assert r.explanation == ("inductive invariant: the property and 1 stated lemma of tests/data/lemma_toy.py, "
                             "re-checked by z3")
    assert r.extra["lemmas"] == ["runner_holds_lease"]


def test_a_non_inductive_lemma_set_gives_unknown_with_the_counterexample_to_induction():
    """The weak lemma is true in every reachable state but does not exclude 'h1 runs while h2 holds
    the lease': the CTI names the action and what broke, and comes as a two-state trace."""
    r = lemmas(TOY, "no_dual_run", lemmas="weak")
    assert r.verdict == "unknown", r.line
    assert r.extra["stage"] == "consecution", r.line
    broken = r.extra["broken"]
    assert broken and set(broken) <= {"no_dual_run", "lease_taken_while_running"}
    assert r.trace is not None and r.trace.length == 1 and r.trace.kind == "counterexample to induction"
    # the CTI is real: its first state satisfies the property and the lemma, its step breaks `broken`
    m = model(TOY, lemmas="weak")
    preds = {"no_dual_run": m.properties["no_dual_run"].expr, **{n: lm.expr for n, lm in m.lemmas.items()}}
    before, after = (m.encode_state(s) for s in r.trace.states)
    assert all(eval_expr(e, before, m.fields) for e in preds.values())
    assert sorted(n for n, e in preds.items() if not eval_expr(e, after, m.fields)) == sorted(broken)
    assert f"violating {'lemma ' if broken[0] != 'no_dual_run' else 'the property '}{broken[0]}" in r.explanation


def test_a_wrong_lemma_is_never_assumed():
    """'The lease is never taken' would make anything inductive if assumed; it is refused because it
    is not preserved (acquire breaks it), so the verdict is unknown, never holds."""
    r = lemmas(TOY, "no_dual_run", lemmas="wrong")
    assert r.verdict == "unknown" and r.extra["broken"] == ["lease_never_taken"], r.line


def test_a_lemma_false_initially_is_named():
    r = lemmas(TOY, "no_dual_run", lemmas="not_initial")
    assert r.verdict == "unknown" and r.extra == {"broken": ["lease_taken"], "stage": "initiation"}, r.line
    assert r.explanation.startswith("initiation: an initial state violates lemma lease_taken (state: lease=None")


def test_a_violated_property_is_never_proved_by_lemmas():
    """With the lease released while the VM runs the property is violated: the stated lemma (true of
    the correct protocol) is broken by the release, so no proof."""
    r = lemmas(TOY, "no_dual_run", lemmas="inductive", broken=True)
    assert r.verdict == "unknown" and r.extra["action"].startswith("release("), r.line


def test_an_exhausted_budget_is_unknown_never_holds():
    r = lemmas(TOY, "no_dual_run", rlimit=1, lemmas="inductive")
    assert r.verdict == "unknown" and "resource limit" in r.explanation, r.line


def test_auto_tries_the_stated_lemmas_first_and_falls_through():
    m = model(TOY, lemmas="inductive")
    r = prove(Context(m, rlimit=RLIMIT, conflicts=1_000_000), m.properties["no_dual_run"], "auto", 4, None)
    assert r.method == "lemmas" and r.verdict == "holds", r.line
    m = model(TOY, lemmas="weak")
    r = prove(Context(m, rlimit=RLIMIT, conflicts=1_000_000), m.properties["no_dual_run"], "auto", 4, None)
    assert r.verdict == "holds" and r.method != "lemmas", r.line  # the reachable set proves it


def test_check_reports_a_wrong_lemma_with_its_trace_not_as_a_violation():
    m = model(TOY, lemmas="wrong")
    with pytest.raises(WrongLemma) as e:
        run_check(m)
    assert "stated lemma lease_never_taken" in str(e.value) and "not a violation" in str(e.value)
    assert e.value.trace.length == 1 and e.value.trace.steps[0].action == "acquire"


def test_check_keeps_true_lemmas_out_of_the_verdicts():
    r = run_check(model(TOY, lemmas="weak"))
    assert [p.name for p in r.properties] == ["no_dual_run"] and r.properties[0].verdict == "holds"


def test_a_lemma_supporting_an_unknown_property_is_a_model_error():
    from hacheck.lang import Bool, Model

    m = Model("bad")
    x = m.var("x", Bool, init=False)
    m.invariant("p", ~x)
    m.lemma("l", ~x, supports=["q"])
    with pytest.raises(ModelError, match="lemma 'l' supports 'q', which is not an invariant"):
        m.freeze()


def test_cli_wrong_lemma_exit_2_and_cti_exit_3(tmp_path):
    r = cli("check", TOY, "--param", "lemmas=wrong", "--out", str(tmp_path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "stated lemma lease_never_taken" in r.stderr and "acquire(h=h1)" in r.stderr
    assert "Traceback" not in r.stderr
    r = cli("prove", TOY, "--property", "no_dual_run", "--method", "lemmas", "--param", "lemmas=weak",
            "--out", str(tmp_path), "--rlimit", str(RLIMIT))
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "not inductive: action start(h=h" in r.stdout and "counterexample to induction" in r.stdout
    r = cli("prove", TOY, "--property", "no_dual_run", "--method", "lemmas", "--out", str(tmp_path),
            "--rlimit", str(RLIMIT))
    assert r.returncode == 0 and "holds (inductive invariant: the property and 1 stated lemma" in r.stdout


def test_check_reports_the_property_not_the_lemma_when_both_are_false():
    """A broken protocol breaks the property and its lemma alike: that is a violation (exit 1), not a
    wrong lemma."""
    r = run_check(model(TOY, lemmas="inductive", broken=True))
    assert [(p.name, p.verdict) for p in r.properties] == [("no_dual_run", "violated")]


# -- the hosted engine: no_dual_writer by its three lease lemmas (properties/hosted_engine.py) -------------

HE = "models/hosted_engine.py"


@pytest.mark.parametrize("params", [{}, {"hosts": 3}, {"start": "engine_up"}, {"stop_paused_elsewhere": False},
                                    {"retry_penalty_bug": False}, {"lease_host_dead": 14, "lease_kill_after": 8}],
                         ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
def test_hosted_engine_no_dual_writer_is_proved_by_its_lemmas(params):
    """At most one engine VM copy can write, for every reachable state (not to a depth): a writing
    copy holds the sanlock lease (START_VM acquires it, paxos_lease_acquire; a paused copy resumes
    only by re-acquiring it, virDomainLockProcessResume), runs on a live host with storage (EIO
    pauses it, qemuProcessHandleIOError), whose host id is renewed, so no peer sees the lease dead."""
    r = lemmas(HE, "no_dual_writer", **params)
    assert (r.verdict, r.method) == ("holds", "lemmas"), r.line
    assert r.extra["lemmas"] == ["writer_holds_lease", "writer_reaches_storage", "connected_host_renews"]


def test_hosted_engine_auto_proves_no_dual_writer_by_the_lemmas_first():
    m = model(HE)
    r = prove(Context(m, rlimit=RLIMIT, conflicts=1_000_000), m.properties["no_dual_writer"], "auto", 4, None)
    assert (r.verdict, r.method) == ("holds", "lemmas"), r.line


def _mutant(monkeypatch, name, fn):
    """The hosted-engine model with one of its lease rules replaced (the module's own reference)."""
    spec = load_spec(ROOT / HE)
    monkeypatch.setitem(spec.build.__globals__, name, fn)
    return build_model(spec, {})


def test_hosted_engine_mutant_without_the_lease_check_is_not_proved(monkeypatch):
    """START_VM without sanlock's acquire check (lease_acquirable true whenever START_VM asks, i.e.
    with the peers' host-id liveness given): the lemmas fail at engine_start__start_vm, breaking
    writer_holds_lease and the property itself: unknown, never holds."""
    from hacheck.properties.lease import lease_acquirable

    m = _mutant(monkeypatch, "lease_acquirable", lambda owner, h, dead: True if dead else lease_acquirable(owner, h, dead))
    r = prove_by_lemmas(Context(m, rlimit=RLIMIT), m.properties["no_dual_writer"], None, RLIMIT)
    assert r.verdict == "unknown" and r.extra["action"].startswith("engine_start__start_vm("), r.line
    assert "no_dual_writer" in r.extra["broken"]


def test_hosted_engine_mutant_resuming_without_the_lease_is_not_proved(monkeypatch):
    """A paused copy that resumes when storage returns without re-acquiring the lease (libvirt's
    virDomainLockProcessResume skipped): the CTI is regain_storage."""
    from hacheck.properties.lease import lease_acquirable

    m = _mutant(monkeypatch, "lease_acquirable", lambda owner, h, dead: lease_acquirable(owner, h, dead) if dead else True)
    r = prove_by_lemmas(Context(m, rlimit=RLIMIT), m.properties["no_dual_writer"], None, RLIMIT)
    assert r.verdict == "unknown" and r.extra["action"].startswith("regain_storage("), r.line


# -- for every N (issue 20 item 7): the stated lemmas on the quantified encoding -----------------------------

def every(path: str, prop: str, **overrides):
    from hacheck.symbolic.param import Settings, prove_every

    return prove_every(load_spec(ROOT / path), overrides, prop, ["hosts"], settings=Settings())


def test_for_every_n_by_the_stated_lemma():
    r = every(TOY, "no_dual_run")
    assert r.verdict == "holds" and r.extra["lemmas"] == ["runner_holds_lease"], r.line
    assert r.extra["invariant"] == ["(forall H1 in Host: ~run[H1] | lease == H1)", "count(H1 in Host: run[H1]) <= 1"]


def test_for_every_n_hosted_engine_no_dual_writer_by_its_lemmas():
    """The hosted engine's lease lemmas are quantified over Host: with the agents' score comparisons
    (a max_ over the other hosts) read as free choices of the step, z3 proves them inductive on the
    quantified encoding, i.e. for any number of hosts."""
    r = every(HE, "no_dual_writer")
    assert r.verdict == "holds", r.line
    assert r.extra["lemmas"] == ["writer_holds_lease", "writer_reaches_storage", "connected_host_renews"]
    assert "engine_down__best_score" in r.extra["abstracted"]
    assert r.extra["invariant"][0] == ("(forall H1 in Host: ~(vm[H1] == 'starting' | vm[H1] == 'up_good' | "
                                       "vm[H1] == 'up_bad') | lease == H1)")


def test_a_free_choice_for_a_fold_never_proves_what_rests_on_the_fold():
    """fold_guard: only the host with the strictly best priority enters. Its lemma is inductive for
    each N (z3 on the built model) but rests on the max_ in the guard, which the reading for every N
    replaces by a free choice: that proof fails (never holds), and the answer says so."""
    m = model("tests/data/fold_guard.py", hosts=3)
    assert lemmas("tests/data/fold_guard.py", "one_inside", hosts=3).verdict == "holds"
    r = every("tests/data/fold_guard.py", "one_inside")
    assert r.verdict == "unknown", r.line
    assert "stated lemmas: the property and its 1 stated lemma are not inductive for every N (consecution of enter)" \
        in r.explanation
    assert m.lemmas["inside_is_best"].supports == ("one_inside",)


def test_the_verdict_goes_through_believes_recheck(monkeypatch):
    """holds only after believe.py's re-check: a re-check that fails turns the proof into unknown."""
    from hacheck.symbolic import believe

    monkeypatch.setattr(believe, "recheck", lambda ctx, inv, goal, timeout: (False, "consecution: a counterexample"))
    r = lemmas(TOY, "no_dual_run", lemmas="inductive")
    assert r.verdict == "unknown" and "failed z3's re-check" in r.explanation and "not believed" in r.explanation
