"""hacheck fuzz: finds the shipped models' known violations, shrinks them to near-shortest traces with
their minimal fault sets, finds nothing where the properties hold, and is reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from hacheck.explicit.search import check
from hacheck.fuzz import FuzzOptions, PropertyViolation, check_execution, executions, fuzz, replay_actions
from hacheck.fuzz.stepper import Monitor, Stepper
from hacheck.lang import Bool, Int, Model
from hacheck.loader import build_model, load_spec, parse_params
from hacheck.replay import replay

ROOT = Path(__file__).resolve().parent.parent


def load(path: str, params: list[str] | None = None) -> Model:
    spec = load_spec(ROOT / path)
    return build_model(spec, parse_params(spec, params or []))


def bfs_length(model: Model, prop: str) -> int:
    r = check(model, [model.properties[prop]]).properties[0]
    assert r.verdict == "violated" and r.trace is not None
    return r.trace.length


def fuzz_one(model: Model, prop: str, seed: int = 0, examples: int = 2000, **kw):
    r = fuzz(model, [model.properties[prop]], FuzzOptions(examples=examples, seed=seed, max_steps=30, **kw))
    return r, r.findings.get(prop)


def assert_minimal_faults_by_replay(model: Model, finding) -> None:
    """Each fault listed as needed: the execution without it, replayed (skipping what it disables),
    no longer fails. Checked here independently of the runner's own check."""
    ex = finding.execution
    st = Stepper.of(model)
    prop = model.properties[ex.failure.prop]
    needed = [c for c in finding.faults if c.needed]
    assert needed == list(finding.faults), "a shrunk execution keeps no fault it does not need"
    for c in needed:
        acts = list(ex.actions)
        assert model.instances[acts[c.step - 1]].label == c.action.label
        del acts[c.step - 1]
        again = replay_actions(st, ex.states[0], acts, Monitor(st, [prop]))
        assert again.failure is None, f"{prop.name} still fails without {c.action.label}"
    full = replay_actions(st, ex.states[0], ex.actions, Monitor(st, [prop]), strict=True)
    assert full.failure is not None and full.failure.prop == prop.name


KNOWN = [
    # (model, params, property, final action, fault and environment actions the shrunk trace needs)
    ("docs/tutorial/two_replicas.py", [], "no_split_brain", "write", ["cut", "cut"]),
    ("models/fencing.py", ["pm_reports=faulty", "manual_confirm_allowed=false"], "no_dual_running_vm",
     "ha_restart", ["hang"]),
    ("models/fencing.py", ["power_management=none"], "no_dual_running_vm", "ha_restart", ["hang", "manual_confirm"]),
    ("models/hosted_engine.py", ["sanlock_lease=false"], "no_dual_engine", "engine_start__start_vm", []),
    ("models/gluster_arbiter.py", ["replica=2", "arbiter=false", "quorum_type=none"], "no_split_brain",
     "post_op", ["link_loss", "op_error"]),  # a write failed on brick0 and brick1 unreachable to client 1
]


@pytest.mark.parametrize("path, params, prop, last, faults", KNOWN, ids=[f"{k[0].split('/')[-1]}:{k[2]}:{','.join(k[1])}" for k in KNOWN])
def test_known_violation_is_found_and_shrunk(path, params, prop, last, faults):
    model = load(path, params)
    shortest = bfs_length(model, prop)
    r, f = fuzz_one(model, prop)
    assert f is not None, f"{prop} not found in 2,000 examples"
    assert f.found_at_example <= 2000
    ex = f.execution
    assert ex.failure.prop == prop and ex.failure.kind == "invariant"
    assert shortest <= ex.length <= shortest + 2, (ex.length, shortest, ex.labels)
    assert model.instances[ex.actions[-1]].action == last
    assert sorted(s.action for _, s in ex.faults()) == sorted(faults), ex.labels
    assert [c.action.action for c in f.faults] == [s.action for _, s in ex.faults()]
    assert_minimal_faults_by_replay(model, f)
    replay(model, ex.trace())  # a real execution of the model, step by step
    res = r.result.properties[0]
    assert res.verdict == "violated" and res.engine == "fuzz"
    assert res.explanation.startswith(f"{ex.length} steps, fuzzing; found in example {f.found_at_example}")


def test_two_replicas_trace_in_detail():
    model = load("docs/tutorial/two_replicas.py")
    _, f = fuzz_one(model, "no_split_brain")
    labels = f.execution.labels
    cuts = [lb for lb in labels if lb.startswith("cut")]
    assert len(labels) == 4 and len(cuts) == 2 and sorted(lb for lb in labels if lb.startswith("write")) == \
        ["write(c=c1)", "write(c=c2)"]
    # the two cuts are crossed: different clients, different replicas, each before its client's write
    (c1, r1), (c2, r2) = [tuple(p for _, p in model.instances[a].params) for a in f.execution.actions
                          if model.instances[a].action == "cut"]
    assert c1 != c2 and r1 != r2
    for c in (c1, c2):
        assert labels.index(f"write(c={c})") > labels.index(next(lb for lb in cuts if f"c={c}," in lb))


@pytest.mark.parametrize("path, params, props", [
    ("docs/tutorial/two_replicas.py", ["quorum=majority"], ["no_split_brain"]),
    ("models/fencing.py", ["manual_confirm_allowed=false"], ["no_dual_running_vm", "no_dual_writing_vm"]),
    ("models/hosted_engine.py", [], ["no_dual_writer"]),
    ("models/gluster_arbiter.py", [], ["no_split_brain", "no_lost_ack_heal"]),
])
def test_holding_invariants_are_never_violated(path, params, props):
    model = load(path, params)
    exhaustive = check(model, [model.properties[p] for p in props])
    assert all(p.verdict == "holds" for p in exhaustive.properties)  # what the fuzzer must not contradict
    r = fuzz(model, [model.properties[p] for p in props], FuzzOptions(examples=400, seed=3))
    assert r.findings == {}
    assert r.coverage.examples == 400
    assert r.coverage.distinct_states <= exhaustive.stats.states * (1 if not exhaustive.stats.symmetry else 24)
    for p in r.result.properties:
        assert p.verdict == "unknown" and "not a proof" in p.explanation
    assert r.result.exit_code == 3


def test_same_seed_same_result_twice():
    model = load("models/gluster_arbiter.py", ["replica=2", "arbiter=false", "quorum_type=none"])
    runs = [fuzz_one(model, "no_split_brain", seed=4) for _ in range(2)]
    (r1, f1), (r2, f2) = runs
    assert f1.execution.actions == f2.execution.actions and f1.execution.states == f2.execution.states
    assert (f1.found_at_example, f1.first_length, f1.shrunk_length) == (f2.found_at_example, f2.first_length, f2.shrunk_length)
    assert (r1.coverage.examples, r1.coverage.steps, r1.coverage.distinct_states) == \
        (r2.coverage.examples, r2.coverage.steps, r2.coverage.distinct_states)
    assert [p.line for p in r1.result.properties] == [p.line for p in r2.result.properties]


def test_failure_is_replayed_first_from_the_database(tmp_path):
    model = load("models/fencing.py", ["power_management=none"])
    db = tmp_path / "db"
    _, first = fuzz_one(model, "no_dual_running_vm", seed=2, database=db)
    assert first.found_at_example > 1  # found by search the first time
    assert any(db.rglob("*"))
    r, again = fuzz_one(model, "no_dual_running_vm", seed=2, database=db)
    assert again.found_at_example == 1  # the saved example runs first
    assert again.execution.actions == first.execution.actions
    assert r.coverage.examples == 1


def test_deadline_stops_the_search():
    model = load("models/hosted_engine.py")
    r = fuzz(model, [model.properties["no_dual_writer"]], FuzzOptions(examples=10**6, seed=0, deadline=1.0))
    assert "deadline" in r.coverage.stop_reason
    assert 0 < r.coverage.examples < 10**6
    assert r.result.properties[0].verdict == "unknown"


def test_unneeded_fault_is_reported_as_such():
    from hacheck.fuzz import minimal_faults

    model = load("docs/tutorial/two_replicas.py", ["replicas=3", "max_faults=3"])
    st = Stepper.of(model)
    by_label = {i.label: i.index for i in model.instances}
    acts = [by_label[x] for x in ("cut(c=c1, r=r1)", "cut(c=c1, r=r3)", "cut(c=c2, r=r2)", "write(c=c1)", "write(c=c2)")]
    ex = replay_actions(st, st.init[0], acts, Monitor(st, [model.properties["no_split_brain"]]), strict=True)
    assert ex.failure is not None and ex.length == 5
    # c1 writes to {r2}, c2 to {r1, r3}. Without cut(c1, r1), c1 writes to {r1, r2}: r2 still holds w1
    # only and r3 w2 only, a split brain; likewise without cut(c1, r3). Without cut(c2, r2), c2's
    # write reaches every replica: no split brain. Each fault is judged alone (1-minimality).
    checks = minimal_faults(st, ex)
    assert [(c.step, c.action.label, c.needed) for c in checks] == [
        (1, "cut(c=c1, r=r1)", False), (2, "cut(c=c1, r=r3)", False), (3, "cut(c=c2, r=r2)", True)]
    assert checks[1].replay == "still fails after 4 steps"
    assert checks[2].replay == "no longer fails (4 steps replayed)"
    from hacheck.fuzz import minimize

    short = minimize(st, ex)
    assert short.length == 4 and "cut(c=c1, r=r3)" not in short.labels


def _recovery_model(fair: bool, need: int = 4) -> Model:
    """A counter knocked down by a fault must climb back to ``need``: ``leads_to(low, high)``."""
    m = Model("recovery")
    x = m.var("x", Int(0, need), init=need)
    noise = m.var("noise", Bool, init=False)
    m.fault_budget(1)

    @m.action(fair="weak" if fair else None)
    def climb():
        return x < need, {x: x + 1}

    @m.action(env=True)
    def flicker():
        return True, {noise: ~noise}

    @m.action(fault=True)
    def knock():
        return x == need, {x: 0}

    m.leads_to("recovers", x < need, x == need)
    return m.freeze()


def test_bounded_response_holds_within_the_window():
    m = _recovery_model(fair=True)
    r = fuzz(m, None, FuzzOptions(examples=300, seed=1, max_steps=10))
    assert r.findings == {}
    assert r.result.properties[0].verdict == "unknown"
    assert "answered within 10 fair steps" in r.result.properties[0].explanation


def test_bounded_response_fails_when_the_window_is_too_short():
    m = _recovery_model(fair=True, need=6)
    r = fuzz(m, None, FuzzOptions(examples=300, seed=1, max_steps=4))
    f = r.findings["recovers"]
    ex = f.execution
    assert ex.failure.kind == "response"
    # knocked down to 0, then 4 fair climbs in the window: x = 4 < 6
    assert [model_action(m, a) for a in ex.actions] == ["knock", "climb", "climb", "climb", "climb"]
    assert r.result.properties[0].method == "bounded-response"
    assert "not a proof" in r.result.properties[0].explanation


def test_stuttering_counterexample_agrees_with_check():
    m = _recovery_model(fair=False)
    exhaustive = check_liveness(m)
    assert exhaustive.verdict == "violated"
    r = fuzz(m, None, FuzzOptions(examples=300, seed=1, max_steps=6))
    f = r.findings["recovers"]
    assert f.execution.failure.kind == "stutter"
    assert [model_action(m, a) for a in f.execution.actions] == ["knock"]
    t = f.execution.trace()
    assert t.loop == 1 and t.steps[-1].action == "stutter"
    replay(m, t)
    assert [c.action.label for c in f.faults] == ["knock"] and f.faults[0].needed


def model_action(m: Model, i: int) -> str:
    return m.instances[i].action


def check_liveness(m: Model):
    from hacheck.check import run_check

    return run_check(m, [m.properties["recovers"]]).properties[0]


def test_strategy_in_a_users_own_test():
    model = load("docs/tutorial/two_replicas.py", ["quorum=majority"])
    seen = []

    @settings(max_examples=60, database=None, deadline=None)
    @given(executions(model, max_steps=8))
    def test_invariants(ex):
        seen.append(ex.length)
        assert len(ex.states) == ex.length + 1
        assert all(model.instances[a].label in ex.labels for a in ex.actions)
        check_execution(ex)

    test_invariants()
    assert max(seen) >= 4


def test_strategy_finds_and_explains_a_violation():
    model = load("docs/tutorial/two_replicas.py")

    @settings(max_examples=1000, database=None, deadline=None)
    @given(executions(model, max_steps=8, fault_rate=0.5))
    def test_invariants(ex):
        check_execution(ex)

    with pytest.raises(PropertyViolation) as e:
        test_invariants()
    assert e.value.failure.prop == "no_split_brain"
    assert "no_split_brain violated after" in str(e.value) and "FAULT cut" in str(e.value)


def test_bad_options_are_bad_input():
    from hacheck.lang.errors import BadInput

    model = load("docs/tutorial/two_replicas.py")
    with pytest.raises(BadInput, match="no action 'crash'"):
        fuzz(model, None, FuzzOptions(weights=__import__("hacheck.fuzz", fromlist=["Weights"]).Weights(actions={"crash": 2})))
    with pytest.raises(BadInput, match="no property 'nope'"):
        executions(model, stop_on=["nope"])


# -- the command line --------------------------------------------------------------------------

def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_cli_violation_files_and_json(tmp_path):
    out = tmp_path / "out"
    p = run_cli("fuzz", str(ROOT / "docs/tutorial/two_replicas.py"), "--examples", "2000", "--seed", "1",
                "--out", str(out), "--db", str(tmp_path / "db"), "--json", str(tmp_path / "r.json"), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    text = p.stdout
    assert "examples/s" in text and "states/s" in text and "distinct states" in text and "actions taken" in text
    assert "no_split_brain  invariant  violated (4 steps, fuzzing; found in example" in text
    assert "minimal faults: each one removed in turn, the replay no longer fails:" in text
    assert text.count("without it, no longer fails") == 2
    from hacheck.render.dot import dot_available

    for ext in ("itf.json", "dot") + (("svg",) if dot_available() else ()):
        assert (out / f"two_replicas.no_split_brain.fuzz.{ext}").exists(), ext
    itf = json.loads((out / "two_replicas.no_split_brain.fuzz.itf.json").read_text())
    assert len(itf["states"]) == 5 and "minimal faults" in itf["#meta"]["hacheck"]["note"]
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["fuzz"]["findings"]["no_split_brain"]["length"] == 4
    assert [x["kind"] for x in doc["fuzz"]["findings"]["no_split_brain"]["minimal_faults"]] == ["fault", "fault"]
    assert doc["exit_code"] == 1
    # the second run replays the saved failure first
    p2 = run_cli("fuzz", str(ROOT / "docs/tutorial/two_replicas.py"), "--seed", "1", "-q",
                 "--out", str(out), "--db", str(tmp_path / "db"), cwd=tmp_path)
    assert p2.returncode == 1 and "found in example 1," in p2.stdout.split("no_split_brain")[1]


def test_cli_nothing_found_exits_3(tmp_path):
    p = run_cli("fuzz", str(ROOT / "docs/tutorial/two_replicas.py"), "--param", "quorum=majority",
                "--property", "no_split_brain", "--examples", "200", "--no-db", cwd=tmp_path)
    assert p.returncode == 3, p.stderr
    assert "unknown (no violation in 200 examples" in p.stdout


@pytest.mark.parametrize("args, message", [
    (["--property", "nope"], "no property 'nope'"),
    (["--param", "replicas=9"], "above its maximum"),
    (["--examples", "0"], "--examples must be at least 1"),
    (["--weight", "crash=2"], "no action 'crash'"),
    (["--faults", "crash"], "no fault action 'crash'"),
    (["--seed", "x"], "--seed takes a whole number"),
])
def test_cli_bad_input(tmp_path, args, message):
    p = run_cli("fuzz", str(ROOT / "docs/tutorial/two_replicas.py"), "--no-db", *args, cwd=tmp_path)
    assert p.returncode == 2
    assert message in p.stderr and "Traceback" not in p.stderr
