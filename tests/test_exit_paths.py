"""Every way out of ``hacheck`` is an exit code of the README's table (issue 16, items 1-6).

A CI gate reads exit 1 as "violated": a bug in a model, a model that calls sys.exit, running out of
memory, a binary file, a bug in hacheck or a cancelled job must never produce it. Each path is a
subprocess test, because exit codes and signals are what a subprocess sees.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"


def run(*args: str, env: dict[str, str] | None = None, preexec_fn=None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, preexec_fn=preexec_fn, timeout=timeout)


def one_line_error(r: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


# 1. an exception in a model's build()

def test_exception_in_build_is_bad_input_naming_the_model_line(tmp_path):
    r = run("check", str(DATA / "build_error.py"), "--out", str(tmp_path))
    one_line_error(r, 2, "tests/data/build_error.py:14:", "NameError", "undefined_name")


def test_debug_shows_the_traceback_of_a_model_error(tmp_path):
    r = run("check", str(DATA / "build_error.py"), "--out", str(tmp_path), "--debug")
    assert r.returncode == 2
    assert "Traceback" in r.stderr and 'build_error.py", line 14' in r.stderr


def test_exception_in_build_under_list_is_bad_input_too():
    one_line_error(run("list", str(DATA / "build_error.py")), 2, "build_error.py:14:")


# 2. sys.exit in a model

@pytest.mark.parametrize("name,needle", [("exit_at_import", "called sys.exit(0) while it was imported"),
                                         ("exit_in_build", "called sys.exit(1) while it was built")])
def test_a_model_cannot_choose_the_exit_code(tmp_path, name, needle):
    one_line_error(run("check", str(DATA / f"{name}.py"), "--out", str(tmp_path)), 2, needle)


# 3. out of memory

def _limit(mb: int):
    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mb * 2**20, mb * 2**20))
    return set_limit


def test_out_of_memory_in_the_search_is_exit_2_with_the_state_count(tmp_path):
    """ulimit -v 400 MB: a 2**26-state space does not fit; the message says how far it got."""
    r = run("check", str(DATA / "many_states.py"), "-q", "--out", str(tmp_path), preexec_fn=_limit(400), timeout=600)
    one_line_error(r, 2, "out of memory")
    assert "states" in r.stderr


def test_out_of_memory_while_importing_is_exit_2_naming_the_phase(tmp_path):
    """ulimit -v 60 MB: numpy cannot even be mapped (ImportError 'failed to map segment'); hacheck
    names the phase instead of a traceback (and OpenBLAS does not spin: failsafe.install). (Since a
    safety-only check no longer imports scipy, 150 MB now gets past numpy: see the known gaps in
    docs/ci.md.)"""
    r = run("check", str(TUTORIAL), "-q", "--out", str(tmp_path), preexec_fn=_limit(60), timeout=600)
    if r.returncode == 1 and "OpenBLAS error: Memory allocation" in r.stderr:
        # the known gap of docs/ci.md: with some numpy builds (Python 3.12's wheel here) OpenBLAS
        # allocates its buffers at import and exits 1 itself before hacheck gets control
        pytest.xfail("known gap (docs/ci.md): OpenBLAS exits 1 at import under this memory limit")
    one_line_error(r, 2, "out of memory", " while ")


# 4. render on a binary file

def test_render_on_a_binary_file_is_bad_input(tmp_path):
    f = tmp_path / "x.itf.json"
    f.write_bytes(bytes(range(256)) * 4)
    one_line_error(run("render", str(f)), 2, str(f), "not UTF-8")


# 5. the last resort

def test_an_internal_error_is_exit_5_with_the_traceback_in_a_file(tmp_path):
    code = ("import sys, hacheck.cli as c\n"
            "def boom(args): raise TypeError('a bug in hacheck')\n"
            "c.cmd_list = boom\n"
            f"raise SystemExit(c.main(['list', {str(TUTORIAL)!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "HACHECK_CRASH_DIR": str(tmp_path)}, timeout=120)
    one_line_error(r, 5, "internal error in hacheck", "TypeError: a bug in hacheck")
    files = list(tmp_path.glob("hacheck-crash-*.txt"))
    assert len(files) == 1 and str(files[0]) in r.stderr
    assert "Traceback" in files[0].read_text() and "a bug in hacheck" in files[0].read_text()


def test_exit_codes_are_in_the_help():
    r = run("check", "--help")
    assert r.returncode == 0
    for line in ("0  every checked property holds", "1  some property is violated", "2  bad input",
                 "3  inconclusive", "4  the explicit and z3 engines disagree", "5  internal error in hacheck"):
        assert line in r.stdout


# 6. SIGTERM and Ctrl-C

def _interrupt(tmp_path: Path, sig: int) -> tuple[subprocess.CompletedProcess, Path]:
    marker = tmp_path / "built"
    out = tmp_path / "o"
    args = [sys.executable, "-m", "hacheck.cli", "check", str(DATA / "long_run.py"), "--out", str(out),
            "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"), "--sarif", str(tmp_path / "r.sarif")]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env={**os.environ, "HACHECK_TEST_MARKER": str(marker)})
    end = time.monotonic() + 120
    while not marker.exists() and p.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(1.0)  # the model is built; let the search start
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=120)
    return subprocess.CompletedProcess(args, p.returncode, stdout, stderr), tmp_path


@pytest.mark.parametrize("sig,how", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_a_signal_stops_the_search_with_unknown_verdicts_and_writes_the_reports(tmp_path, sig, how):
    r, d = _interrupt(tmp_path, sig)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert f"in_range     invariant  unknown (interrupted ({how});" in r.stdout
    assert "Traceback" not in r.stderr
    doc = json.loads((d / "r.json").read_text())
    assert {p["verdict"] for p in doc["properties"]} == {"unknown"}
    assert doc["stats"]["stop_reason"] == f"interrupted ({how})"
    assert "<error" in (d / "r.xml").read_text()
    assert json.loads((d / "r.sarif").read_text())["runs"][0]["results"]


def test_sigterm_during_a_deployment_prints_the_table_of_what_finished(tmp_path):
    args = [sys.executable, "-m", "hacheck.cli", "check", "examples/star.toml", "--out", str(tmp_path / "o"),
            "--json", str(tmp_path / "d.json")]
    env = {**os.environ, "HACHECK_CACHE_DIR": str(tmp_path / "cache")}
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert p.stderr is not None
    log = []
    for line in p.stderr:  # the progress log: one line per model check
        log.append(line)
        if line.lstrip().startswith("[2/"):
            p.send_signal(signal.SIGTERM)
            break
    stdout, rest = p.communicate(timeout=300)
    assert p.returncode in (1, 3), (stdout, rest)  # 1 only if a finished check found a violation
    assert "property" in stdout and "verdict" in stdout, (stdout, "".join(log), rest)  # the table
    assert "interrupted (SIGTERM)" in stdout
    doc = json.loads((tmp_path / "d.json").read_text())
    assert any("interrupted (SIGTERM)" in json.dumps(r) for r in doc["rows"])


def test_the_search_stops_on_the_interruption_flag_even_if_the_exception_was_lost():
    """A library may swallow the KeyboardInterrupt a signal raises (and a second SIGTERM only sets the
    flag): the search still stops at its next check, with unknown verdicts."""
    from hacheck import failsafe
    from hacheck.explicit.search import Explorer
    from hacheck.loader import build_model, load_spec

    model = build_model(load_spec(DATA / "long_run.py"), {"top": 1000})
    failsafe._received[:] = ["SIGTERM"]
    try:
        r = Explorer(model).run()
    finally:
        failsafe._received.clear()
    assert r.stats.stop_reason == "interrupted (SIGTERM)"
    assert {p.verdict for p in r.properties} == {"unknown"}
