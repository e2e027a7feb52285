"""Ctrl-C and SIGTERM during ``hacheck prove``: the run ends ``interrupted ... nothing decided``,
exit 3, naming the proof it was in; never an internal error, never a "timeout".

The native solvers catch SIGINT themselves while they run (hacheck's handler does not run then):
PySAT's ``cadical195_solve``/``cadical195_solve_lim`` raise ``pysolvers.error("Caught keyboard
interrupt")`` (pysat/solvers.py passes ``MainThread.check()`` so the C module installs its handler),
and z3 cancels the query and answers unknown with the reason ``interrupted from keyboard``
(z3's scoped_ctrl_c, api_solver.cpp). The tests make the solver calls answer as those do, without
timing: no signal is raced against a running solver.
"""

from __future__ import annotations

import signal

import pytest
import z3

from hacheck import cli, failsafe

PROVE = ["prove", "models/gluster_arbiter.py", "--property", "no_split_brain", "--method", "bmc", "--depth", "6",
         "--quiet"]


@pytest.fixture(autouse=True)
def _restore_signal_handlers():
    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGINT, saved[0])
    signal.signal(signal.SIGTERM, saved[1])
    failsafe._received.clear()


def test_ctrl_c_inside_cadical_is_an_interruption_not_an_internal_error(tmp_path, monkeypatch, capsys):
    import pysolvers
    from pysat.solvers import Cadical195

    calls = []

    def caught_by_pysat(self, *a, **k):
        calls.append(1)
        raise pysolvers.error("Caught keyboard interrupt")

    monkeypatch.setattr(Cadical195, "solve_limited", caught_by_pysat)
    monkeypatch.setattr(Cadical195, "solve", caught_by_pysat)
    rc = cli.main([*PROVE, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert calls, "the CaDiCaL back end was not used"
    assert rc == 3, err
    assert "hacheck: interrupted (Ctrl-C) while proving no_split_brain (bmc): nothing decided" in err
    assert "internal error" not in err


def test_ctrl_c_inside_z3_is_an_interruption_not_a_timeout(tmp_path, monkeypatch, capsys):
    def caught_by_z3(self, *a):
        return z3.unknown

    monkeypatch.setattr(z3.Solver, "check", caught_by_z3)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "interrupted from keyboard")
    rc = cli.main([*PROVE, "--sat-solver", "z3", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 3, err
    assert "hacheck: interrupted (Ctrl-C) while proving no_split_brain (bmc): nothing decided" in err
    assert "timeout" not in out + err


def test_sigterm_while_solving_names_the_proof_not_the_imports(tmp_path, monkeypatch, capsys):
    """SIGTERM reaches hacheck's own handler (failsafe.py); the phase it reports is the proof's."""
    from pysat.solvers import Cadical195

    def sigterm_then_solve(self, *a, **k):
        # what failsafe's SIGTERM handler raises (no real signal: a test worker outside the main
        # thread has no handler installed, and the signal would end the worker)
        failsafe._received.append("SIGTERM")
        raise failsafe.Interrupted("SIGTERM")

    monkeypatch.setattr(Cadical195, "solve_limited", sigterm_then_solve)
    rc = cli.main([*PROVE, "--timeout", "600", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert "hacheck: interrupted (SIGTERM) while proving no_split_brain (bmc): nothing decided" in err
