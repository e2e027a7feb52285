"""hacheck export --promela, cross-checked by SPIN: the same state count, the same invariant verdicts.

SPIN is an independent checker: its states stored must equal hacheck's count without symmetry
reduction (plus SPIN's root state when a model has several initial states), and its never claim
must fail exactly when hacheck finds an invariant violated. Runs where ``spin`` and a C compiler
are installed (``scripts/setup.sh`` installs spin from Debian); in CI they are required.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.check import run_check
from hacheck.export.promela import to_promela
from hacheck.export.spin import build_pan, run_pan, spin_available
from hacheck.lang import Int, Map, Model, one_of
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent

if os.environ.get("CI") and not spin_available():
    raise RuntimeError("CI: spin or a C compiler is missing; scripts/setup.sh installs spin from Debian")
needs_spin = pytest.mark.skipif(not spin_available(), reason="needs spin and a C compiler")


def hacheck_states(m: Model) -> int:
    r = run_check(m, [], symmetry=False)
    assert r.stats.complete
    return r.stats.states


def spin_agrees(m: Model, work: Path, invariants: list[str] | None = None) -> dict[str, bool]:
    """Build once; count states with the empty claim, then run each invariant's claim. Returns
    {invariant: SPIN found it violated}."""
    props = [m.properties[n] for n in (invariants if invariants is not None else
                                       [p.name for p in m.properties.values() if p.kind == "invariant"])]
    n = hacheck_states(m)
    text = to_promela(m, props)
    extra = 1 if len(m.init_states()) > 1 else 0
    build_pan(text, work / "count", optimize="-O0", noclaim=True)
    count = run_pan(work / "count", expected_states=n + extra)
    assert count.errors == 0, count.output[-1500:]
    assert count.states_stored == n + extra, f"SPIN stored {count.states_stored} states, hacheck explored {n}"
    out = {}
    if props:
        build_pan(text, work / "claims", optimize="-O0")
    for p in props:
        claim = "all_invariants" if len(props) == 1 else f"inv_{p.name}"
        out[p.name] = run_pan(work / "claims", expected_states=n + extra, claim=claim).violated
    return out


def explicit_verdicts(m: Model, names: list[str]) -> dict[str, bool]:
    r = run_check(m, [m.properties[x] for x in names])
    return {p.name: p.verdict == "violated" for p in r.properties}


# ---- small models with the semantics that are easy to get wrong ---------------------------------

def swap_model() -> Model:
    """Simultaneous updates: x, y = y, x + 1 reads both old values."""
    m = Model("swap")
    x = m.var("x", Int(0, 3), init=0)
    y = m.var("y", Int(0, 4), init=1)

    @m.action()
    def step():
        return (x < 3) & (y < 4), {x: y, y: x + 1}

    m.invariant("x_small", x <= 2)
    return m.freeze()


def negative_arith_model() -> Model:
    """Floor division and modulo of negative numbers (Python's, not C's)."""
    m = Model("negarith")
    a = m.var("a", Int(-6, 6), init=-6)
    q = m.var("q", Int(-3, 3), init=0)
    r = m.var("r", Int(0, 3), init=0)

    @m.action()
    def step():
        return a < 6, {a: a + 1, q: a // 2, r: a % 4}

    m.invariant("q_matches", (a == -6) | (q * 2 <= a - 1))
    m.invariant("never_minus_three_one", ~((q == -3) & (r == 2)))
    return m.freeze()


def multi_init_model() -> Model:
    m = Model("multiinit")
    H = m.sort("H", 2)
    c = m.var("c", Map(H, Int(0, 2)), init={"h0": one_of(0, 1), "h1": 0})

    @m.action(h=H)
    def inc(h):
        return c[h] < 2, {c[h]: c[h] + 1}

    m.invariant("not_both_two", ~((c[H["h0"]] == 2) & (c[H["h1"]] == 2)))
    return m.freeze()


def write_only_model() -> Model:
    """A variable written and never read: SPIN's dead-variable elimination would merge states
    that differ only in it (hence ``spin -o2``)."""
    m = Model("writeonly")
    a = m.var("a", Int(0, 1), init=0)
    c = m.var("c", Int(0, 1), init=0)

    @m.action()
    def flip():
        return True, {a: 1 - a}

    @m.action()
    def mark():
        return a == 1, {c: 1}

    m.invariant("c_clear", c == 0)
    return m.freeze()


@needs_spin
@pytest.mark.parametrize("make", [swap_model, negative_arith_model, multi_init_model, write_only_model])
def test_spin_agrees_on_small_models(make, tmp_path):
    m = make()
    names = [p.name for p in m.properties.values() if p.kind == "invariant"]
    assert spin_agrees(m, tmp_path, names) == explicit_verdicts(m, names)


@needs_spin
def test_the_two_semantics_tests_can_fail(tmp_path):
    """The small models are not vacuous: their invariants are violated, and C's division would
    give a different state space than Python's."""
    assert explicit_verdicts(swap_model(), ["x_small"]) == {"x_small": True}
    m = negative_arith_model()
    assert explicit_verdicts(m, ["never_minus_three_one"]) == {"never_minus_three_one": True}
    text = to_promela(m)
    assert "% 4) + 4) % 4)" in text  # Python's modulo, not C's


@needs_spin
def test_range_error_is_an_assertion(tmp_path):
    m = build_model(load_spec(ROOT / "tests" / "data" / "runtime_range.py"), {})
    secs = build_pan(to_promela(m), tmp_path, optimize="-O0")
    r = run_pan(tmp_path, expected_states=100, compile_seconds=secs)
    assert r.violated and "assertion violated" in r.output


def test_one_d_step_per_action_instance_and_unique_names():
    m = build_model(load_spec(ROOT / "docs" / "tutorial" / "two_replicas.py"), {})
    text = to_promela(m, [m.properties["no_split_brain"]])
    assert text.count(":: d_step {") == len(m.instances)
    decls = [line.split()[1] for line in text.splitlines() if line.split() and line.split()[0] in ("bit", "byte", "short", "int")]
    assert len(decls) == len(set(decls)) == len(m.fields)
    assert "never all_invariants {" in text


# ---- the CLI -------------------------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_cli_export_to_stdout_and_file(tmp_path):
    r = run("export", "docs/tutorial/two_replicas.py", "--promela")
    assert r.returncode == 0 and r.stdout.startswith("/* two_replicas: exported by hacheck")
    r = run("export", "docs/tutorial/two_replicas.py", "--promela", "--param", "quorum=majority", "-o", str(tmp_path / "m.pml"))
    assert r.returncode == 0 and "never claim over no_split_brain" in r.stdout
    assert "quorum=majority" in (tmp_path / "m.pml").read_text()


@pytest.mark.parametrize("args, needle", [
    (["--property", "both_written"], "checks invariants"),
    (["--property", "nope"], "has no property"),
    (["-o", "/nonexistent/dir/m.pml"], "does not exist"),
    (["--faults", "explode"], "no fault action"),
])
def test_cli_export_bad_input(args, needle):
    r = run("export", "docs/tutorial/two_replicas.py", "--promela", *args)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


# ---- every shipped model at its documented parameters, and the benchmark models -------------------

def _golden_cases():
    for f in sorted((ROOT / "tests" / "golden").glob("*.json")):
        doc = json.loads(f.read_text())
        for i, case in enumerate(doc["cases"]):
            if case.get("slow"):
                continue
            yield pytest.param(doc["model"], case, id=f"{f.stem}-{i}")


@needs_spin
@pytest.mark.slow
@pytest.mark.parametrize("model_path,case", list(_golden_cases()))
def test_spin_agrees_on_shipped_models(model_path, case, tmp_path):
    m = build_model(load_spec(ROOT / model_path), case["params"])
    names = [n for n in case["expect"] if m.properties[n].kind == "invariant"]
    if not names:
        pytest.skip("no invariant in this case")
    assert spin_agrees(m, tmp_path, names) == explicit_verdicts(m, names)


@needs_spin
@pytest.mark.slow
def test_spin_agrees_on_benchmark_models(tmp_path):
    from benchmarks.models import flips, lease_hosts

    for k, m in enumerate((lease_hosts(3), flips(12))):
        names = [p.name for p in m.properties.values() if p.kind == "invariant"]
        assert spin_agrees(m, tmp_path / str(k), names) == explicit_verdicts(m, names)
