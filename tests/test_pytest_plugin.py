"""The pytest plugin (hacheck/pytest_plugin.py): a failing property is a failing test whose report
carries the counterexample; a holding one passes and returns the result.

The inner sessions load the plugin with ``-p`` and entry-point autoloading off, so they test this
checkout's plugin whether or not an installed hacheck registered its entry point; that the entry
point itself works is shown by scripts/check-package.sh on the built wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

# pytester's in-process runs drop the modules imported during them, and numpy cannot be imported
# twice in one process: import what the fixture uses before any inner run
import hacheck.check  # noqa: E402,F401
import hacheck.cli  # noqa: E402,F401
import hacheck.deploy.cli  # noqa: E402,F401
import hacheck.deploy.run  # noqa: E402,F401
import hacheck.render.dot  # noqa: E402,F401

pytest_plugins = ("pytester",)

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def go(source: str) -> pytest.RunResult:
        pytester.makepyfile(test_model=source)
        return pytester.runpytest("-p", "hacheck.pytest_plugin", "-p", "no:cacheprovider")

    return go


def test_a_violated_property_fails_the_test_with_the_counterexample(run):
    res = run(f"def test_replicas(hacheck_check):\n    hacheck_check({str(TUTORIAL)!r}, ['no_split_brain'])\n")
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "no_split_brain violated" in out
    assert "Counterexample for no_split_brain (4 steps)" in out
    assert "FAULT cut(" in out and "write(c=" in out
    assert "two_replicas.no_split_brain.itf.json" in out
    assert "Traceback" not in out and "pytest_plugin.py" not in out  # the report is the trace, not hacheck's code


def test_a_holding_property_passes_and_returns_the_result(run):
    res = run(
        "def test_fixed(hacheck_check):\n"
        f"    r = hacheck_check({str(TUTORIAL)!r}, ['no_split_brain'], params={{'quorum': 'majority'}})\n"
        "    assert r.exit_code == 0\n"
        "    (p,) = r.properties\n"
        "    assert (p.name, p.verdict, p.method) == ('no_split_brain', 'holds', 'exhaustive')\n"
    )
    res.assert_outcomes(passed=1)


def test_a_shipped_model_by_name_shows_the_gluster_split_brain(run):
    res = run(
        "def test_two_way_replica(hacheck_check):\n"
        "    hacheck_check('gluster_arbiter', ['no_split_brain'],\n"
        "                  params={'replica': 2, 'arbiter': False, 'quorum_type': 'none'})\n"
    )
    res.assert_outcomes(failed=1)
    assert "Counterexample for no_split_brain" in res.stdout.str()


def test_must_hold_false_returns_the_violation_to_assert_on(run):
    res = run(
        "def test_known_bug(hacheck_check):\n"
        f"    r = hacheck_check({str(TUTORIAL)!r}, ['no_split_brain'], must_hold=False)\n"
        "    assert r.exit_code == 1 and r.properties[0].trace.length == 4\n"
    )
    res.assert_outcomes(passed=1)


def test_a_deployment_file_is_checked_like_the_cli(run):
    star = ROOT / "examples" / "star.toml"
    res = run(
        "def test_star(hacheck_check):\n"
        f"    r = hacheck_check({str(star)!r}, ['no_lost_ack_heal'], fail='ovirt1')\n"
        "    assert {row.property for row in r.rows} == {'no_lost_ack_heal'}\n"
    )
    res.assert_outcomes(passed=1)


def test_bad_input_fails_with_one_line_not_a_traceback(run):
    res = run(f"def test_typo(hacheck_check):\n    hacheck_check({str(TUTORIAL)!r}, ['no_split_brian'])\n")
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    assert "has no property 'no_split_brian' (did you mean no_split_brain?)" in out
    assert "Traceback" not in out


def test_the_entry_point_is_declared_and_the_plugin_imports_nothing_heavy():
    """Loaded into every pytest session of an environment with hacheck: it must not import the
    engines (numpy, z3) until a test asks for the fixture."""
    eps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    assert eps == {"hacheck": "hacheck.pytest_plugin"}
    code = "import sys, hacheck.pytest_plugin; print(sorted(m for m in ('numpy', 'z3', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"
