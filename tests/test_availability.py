"""hacheck availability: the solver on chains whose answer is known in closed form, the CLI's exit
codes and JSON, and bad input (rates of 0, negative or non-numeric; a time-lock; a chain too large)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hacheck.avail.chain import ChainTooLarge, Rates, build_chain
from hacheck.avail.solve import PRECISION, long_run
from hacheck.lang.errors import ModelError
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent

ONE = '''
import attrs
from hacheck.lang import Bool, Model, Spec, param

@attrs.frozen
class Params:
    mttf: int = param(1000)
    mttr: int = param(10)

def build(p):
    m = Model("one")
    up = m.var("up", Bool, init=True)
    m.fault_budget(1)
    @m.action(fault=True, rate=1 / p.mttf)
    def fail():
        return up, {up: False}
    @m.action(env=True, rate=1 / p.mttr, repairs="fail")
    def repair():
        return ~up, {up: True}
    m.invariant("trivial", up | ~up)
    m.availability("up", up)
    return m

SPEC = Spec("one", Params, build)
'''

TWO = '''
import attrs
from hacheck.lang import Bool, Map, Model, Spec, exists, param

@attrs.frozen
class Params:
    k: int = param(2)

def build(p):
    m = Model("two")
    C = m.sort("C", ["a", "b"])
    up = m.var("up", Map(C, Bool), init=True)
    m.fault_budget(p.k)
    @m.action(c=C, fault=True, rate=0.01)
    def fail(c):
        return up[c], {up[c]: False}
    @m.action(c=C, env=True, rate=0.5, repairs="fail")
    def repair(c):
        return ~up[c], {up[c]: True}
    m.invariant("trivial", up["a"] | ~up["a"])
    m.availability("any_up", exists(C, lambda c: up[c]))
    m.availability("a_up", up["a"])
    return m

SPEC = Spec("two", Params, build)
'''


def _model(tmp_path: Path, text: str, name: str, **params):
    f = tmp_path / f"{name}.py"
    f.write_text(textwrap.dedent(text))
    return build_model(load_spec(f), params), f


def test_single_component_is_mttf_over_mttf_plus_mttr(tmp_path):
    """One component failing at 1/MTTF and repaired at 1/MTTR: A = MTTF / (MTTF + MTTR) exactly."""
    m, _ = _model(tmp_path, ONE, "one", mttf=1000, mttr=10)
    [a] = long_run(build_chain(m))
    assert abs(a.low - 1000 / 1010) < 1e-12 and abs(a.high - 1000 / 1010) < 1e-12


def test_two_redundant_components(tmp_path):
    """Two independent components (failure l, repair u, independent repairmen): the pair is down only
    when both are, 1 - (l/(l+u))^2; with at most one concurrent failure (budget 1) the second
    cannot fail while the first is down, so the pair is never down."""
    lam, mu = 0.01, 0.5
    m, _ = _model(tmp_path, TWO, "two", k=2)
    res = {a.measure: a for a in long_run(build_chain(m))}
    q = lam / (lam + mu)
    assert abs(res["any_up"].low - (1 - q * q)) < 1e-12
    assert abs(res["a_up"].low - (1 - q)) < 1e-12
    m1, _ = _model(tmp_path, TWO, "two", k=1)
    res1 = {a.measure: a for a in long_run(build_chain(m1))}
    assert res1["any_up"].low == pytest.approx(1.0, abs=1e-15)
    # a: down at rate lam only while b is up; birth-death chain over {both up, a down, b down}
    pa_down = lam / mu / (1 + 2 * lam / mu)
    assert abs(res1["a_up"].low - (1 - pa_down)) < 1e-12


def test_rates_override_by_action(tmp_path):
    m, _ = _model(tmp_path, ONE, "one")
    [a] = long_run(build_chain(m, Rates(by_action={"fail": 0.1, "repair": 0.1})))
    assert abs(a.low - 0.5) < 1e-12


def test_standalone_engine_is_the_engine_nodes_mttf_over_mttf_plus_mttr():
    """The standalone engine's node has no failover (models/standalone_engine.py): its availability is
    that of one component with the host-crash defaults, MTTF/(MTTF+MTTR), whatever the hypervisors do."""
    from hacheck.avail.defaults import DEFAULTS

    spec = load_spec(ROOT / "models" / "standalone_engine.py")
    m = build_model(spec, {"availability": True})
    res = {a.measure: a for a in long_run(build_chain(m))}
    mttf, mttr = DEFAULTS["host-crash"]
    # the engine node cannot fail while a hypervisor is down (one concurrent failure): within 1e-6
    assert res["engine_up"].low == pytest.approx(mttf / (mttf + mttr), abs=1e-6)
    assert res["vm_v1_running"].low > res["engine_up"].low


@pytest.mark.parametrize("bad", ["0", "-1", "'fast'", "float('inf')"])
def test_bad_rate_in_model_is_exit_2_with_its_line(tmp_path, bad):
    text = ONE.replace("rate=1 / p.mttf", f"rate={bad}")
    f = tmp_path / "bad.py"
    f.write_text(textwrap.dedent(text))
    r = _run("availability", str(f))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    line = next(i for i, ln in enumerate(textwrap.dedent(text).splitlines(), 1) if f"rate={bad}" in ln)
    assert f"bad.py:{line}" in r.stderr and "rate" in r.stderr


@pytest.mark.parametrize("bad", ["fail=0", "fail=-2", "fail=x", "nosuch=1", "fail"])
def test_bad_rate_option_is_exit_2(tmp_path, bad):
    _, f = _model(tmp_path, ONE, "one")
    r = _run("availability", str(f), "--rate", bad)
    assert r.returncode == 2, r.stderr
    assert "--rate" in r.stderr and "Traceback" not in r.stderr


def test_time_lock_is_exit_2(tmp_path):
    """A state no rate leaves (here: the repair has no rate, so a failed component stays failed while
    time cannot pass: nothing is enabled) is a time-lock."""
    text = ONE.replace("rate=1 / p.mttr, ", "").replace("m = Model(\"one\")", "m = Model(\"one\")")
    text = text.replace("m.fault_budget(1)", "m.fault_budget(1)\n    late = m.var('late', Bool, init=False)")
    f = tmp_path / "lock.py"
    f.write_text(textwrap.dedent(text))
    r = _run("availability", str(f))
    assert r.returncode == 2, r.stderr
    assert "time-lock" in r.stderr and "after fail" in r.stderr and "Traceback" not in r.stderr


def test_cli_exit_codes_and_json(tmp_path):
    _, f = _model(tmp_path, ONE, "one")
    ok = _run("availability", str(f), "--require", "99", "--json", str(tmp_path / "a.json"))
    assert ok.returncode == 0, ok.stderr
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["schema"] == "hacheck-availability/1" and data["met"] is True and data["exit_code"] == 0
    [meas] = data["measures"]
    assert set(meas) == {"part", "name", "min", "max", "downtime_minutes_per_year", "states", "nondeterministic",
                         "recovery", "exact"}
    assert meas["exact"] is True  # one chain's min and max (bounds only for a volume of several replica sets)
    [rec] = meas["recovery"]
    assert rec["action"] == "fail" and abs(rec["mttr_hours"] - 10) < 1e-9
    assert abs(meas["min"] - 1000 / 1010) < PRECISION
    assert "99.0099" in ok.stdout
    low = _run("availability", str(f), "--require", "99.5")
    assert low.returncode == 1 and "BELOW 99.5 %" in low.stdout
    bad = _run("availability", str(f), "--require", "abc")
    assert bad.returncode == 2 and "--require" in bad.stderr
    big = _run("availability", str(f), "--max-states", "1")
    assert big.returncode == 3 and "more than 1 states" in big.stderr and "Traceback" not in big.stderr


def test_unknown_measure_is_exit_2(tmp_path):
    _, f = _model(tmp_path, ONE, "one")
    r = _run("availability", str(f), "--property", "nosuch")
    assert r.returncode == 2 and "no availability measure 'nosuch'" in r.stderr


def test_deployment_rate_settings_are_checked(tmp_path):
    """mttf_hours of 0, negative or not a number: exit 2 naming the file's line."""
    base = (ROOT / "examples" / "star-standalone.toml").read_text()
    for bad in ("0", "-5", '"soon"'):
        text = base.replace('name = "ovirt1"\n', f'name = "ovirt1"\nmttf_hours = {bad}\n', 1)
        f = tmp_path / "d.toml"
        f.write_text(text)
        r = _run("availability", str(f))
        line = text.splitlines().index(f"mttf_hours = {bad}") + 1
        assert r.returncode == 2, r.stderr
        assert f"d.toml:{line}" in r.stderr and "mttf_hours" in r.stderr


def test_standalone_deployment_figures():
    r = _run("availability", "examples/star-standalone.toml", "--require", "99.9")
    assert r.returncode == 0, r.stderr
    for name in ("engine_up", "vm_Webserver_running", "vm_Database_running", "vm_IDP_running"):
        assert name in r.stdout


def test_check_does_not_see_the_availability_parameter():
    """The availability-only repair step is off for check: the state count is the one without it."""
    spec = load_spec(ROOT / "models" / "standalone_engine.py")
    assert spec.make_params().availability is False


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_export_drn_is_the_chain(tmp_path):
    """hacheck export --drn writes the Markov automaton: one state line per chain state, the exit
    rate of a Markovian state, the labels of the measures, the initial state."""
    _, f = _model(tmp_path, ONE, "one", mttf=1000, mttr=10)
    out = tmp_path / "one.drn"
    r = _run("export", str(f), "--drn", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "@type: Markov Automaton" in text and "@nr_states\n2\n" in text
    assert "state 0 !0.001 init up\n\taction 0\n\t\t1 : 1.0\n" in text
    assert "state 1 !0.1\n\taction 0\n\t\t0 : 1.0\n" in text


def test_deployment_table_gains_an_availability_column_when_rates_are_given(tmp_path):
    base = (ROOT / "examples" / "star-standalone.toml").read_text()
    plain = _run("check", "examples/star-standalone.toml", "-q", "--out", str(tmp_path / "a"))
    assert "long-run up" not in plain.stdout
    f = tmp_path / "rated.toml"
    f.write_text(base.replace('name = "ovirt1"\n', 'name = "ovirt1"\nmttf_hours = 17532\n', 1))
    rated = _run("check", str(f), "-q", "--out", str(tmp_path / "b"))
    assert "long-run up (min)" in rated.stdout, rated.stdout + rated.stderr
    line = next(ln for ln in rated.stdout.splitlines() if ln.strip().startswith("engine_recovers"))
    assert "99.9544 %" in line


def test_concurrent_is_checked():
    r = _run("availability", "examples/star-standalone.toml", "--concurrent", "0")
    assert r.returncode == 2 and "--concurrent" in r.stderr and "Traceback" not in r.stderr


def test_cli_precision_is_the_solvers():
    from hacheck.avail import cli, solve

    assert cli.PRECISION == solve.PRECISION


ZENO = '''
import attrs
from hacheck.lang import Bool, Model, Spec

@attrs.frozen
class Params:
    pass

def build(p):
    m = Model("zeno")
    x = m.var("x", Bool, init=False)
    @m.action(fair="weak")
    def flip():
        return x | ~x, {x: ~x}
    m.invariant("trivial", x | ~x)
    m.availability("x", x)
    return m

SPEC = Spec("zeno", Params, build)
'''


def test_immediate_loop_is_exit_2(tmp_path):
    """Protocol steps that repeat forever with no time passing (a Zeno loop): the long run is not
    defined; exit 2 naming the steps and how the loop is reached."""
    f = tmp_path / "zeno.py"
    f.write_text(textwrap.dedent(ZENO))
    r = _run("availability", str(f))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Zeno loop" in r.stderr and "flip" in r.stderr and "Traceback" not in r.stderr


def test_json_follows_its_schema(tmp_path):
    """--json output (computed and not computed) validates against docs/schema/availability.schema.json."""
    import jsonschema

    schema = json.loads((ROOT / "docs" / "schema" / "availability.schema.json").read_text())
    _, f = _model(tmp_path, TWO, "two", k=2)
    ok = _run("availability", str(f), "--json", str(tmp_path / "ok.json"))
    assert ok.returncode == 0, ok.stderr
    jsonschema.validate(json.loads((tmp_path / "ok.json").read_text()), schema)
    big = _run("availability", str(f), "--max-states", "2", "--json", str(tmp_path / "big.json"))
    assert big.returncode == 3
    data = json.loads((tmp_path / "big.json").read_text())
    jsonschema.validate(data, schema)
    assert data["computed"] is False and data["exit_code"] == 3


def test_two_failure_kinds_of_one_fault_action_add_their_rates(tmp_path):
    """A host crash and a power cycle are the same fault of the hosted-engine model (host_crash; the
    deployment mapping's HE_FAULTS): naming power-cycle in [failures.rates] makes hosts go down at the
    sum of the two rates. So MTTF 1000 h per host plus a power cycle every 3000 h gives the engine the
    availability of hosts with MTTF 750 h (1/1000 + 1/3000 = 1/750) and no power-cycle rate. Before,
    the kind named last replaced the host's own crash rate."""
    from deploy_files import active_standby, host, write
    from hacheck.avail.chain import Rates
    from hacheck.avail.deployment import deployment_rows

    def engine(mttf: float, extra: str) -> float:
        hosts = "".join(host(n, hosted_engine=True, power_management=True, mttf_hours=mttf, mttr_hours=10)
                        for n in ("ovirt1", "ovirt2"))
        f = write(tmp_path, f"d{mttf}.toml", active_standby(hosts=hosts, extra=extra))
        rows, _ = deployment_rows(str(f), Rates(), 100_000, ["engine_up"], 1)
        (r,) = [r for r in rows if r.part == "hosted_engine"]
        return r.low

    both = engine(1000, "\n[failures.rates]\npower-cycle = 3000\n")
    combined = engine(750, "")
    crash_only = engine(1000, "")
    assert both == pytest.approx(combined, abs=1e-12)
    assert both < crash_only
