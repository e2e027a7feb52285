"""Issue 15 P5: a deployment check that is interrupted (or whose check errs) part-way keeps what the
checks that finished found.

The signal is delivered at a patched point (after the check that finds the violation), never by the
clock: the flag hacheck/failsafe.py sets is set there, and the run stops before its next check."""

from __future__ import annotations

import json

from deploy_files import active_standby, hacheck, vm, write


def _interrupt_after_a_violation(monkeypatch):  # type: ignore[no-untyped-def]
    from hacheck import failsafe
    from hacheck.deploy import run

    real = run.check_spec

    def check_spec(spec, bounds, progress):  # type: ignore[no-untyped-def]
        res = real(spec, bounds, progress)
        if any(p.verdict == "violated" for p in res.properties):
            failsafe._received[:] = ["SIGTERM"]  # as the signal handler does (its exception may be lost)
        return res

    monkeypatch.setattr(run, "check_spec", check_spec)


def test_violations_found_before_an_interruption_are_kept(tmp_path, monkeypatch, capsys):
    """ovirt1's fence agent is on the wrong outlet (pm_trusted = false): its hang lets its VM run
    twice. The run is interrupted right after that check, before ovirt2's hang is checked. Before,
    fold() made the whole fencing model one row "- fencing not checked: interrupted (SIGTERM)",
    hiding the violation and its trace, and the exit code was 3. Now the violation stands with its
    trace, the row says which run was not checked and why, and the exit code is 1 (a violation was
    found; docs/deployment.md, exit codes)."""
    from hacheck import failsafe
    from hacheck.cli import main

    text = active_standby(kinds=("host-hang",), pm_trusted=(False, True),
                          vms=vm("db", "ovirt1") + vm("web", "ovirt2"),
                          properties=("no_dual_running_vm", "ha_vm_restarted"))
    f = write(tmp_path, "pm.toml", text)
    _interrupt_after_a_violation(monkeypatch)
    monkeypatch.setenv("HACHECK_CACHE_DIR", "off")
    report = tmp_path / "r.json"
    try:
        code = main(["check", str(f), "-q", "--workers", "1", "--out", str(tmp_path / "out"), "--json", str(report)])
    finally:
        failsafe._received.clear()
    out = capsys.readouterr().out
    assert code == 1, out
    doc = json.loads(report.read_text())
    rows = {(r["model"], r["property"]): r for r in doc["rows"]}
    dual = rows[("fencing", "no_dual_running_vm")]
    assert dual["verdict"] == "violated" and dual["scenario"] == "ovirt1 host-hang"
    assert dual["trace_files"]["itf"]
    assert "not checked in 1 run (ovirt2 host-hang): interrupted (SIGTERM)" in dual["explanation"]
    runs = {r["scenario"]: r["verdict"] for r in dual["runs"]}
    assert runs == {"ovirt1 host-hang": "violated", "ovirt2 host-hang": "not checked"}
    restarted = rows[("fencing", "ha_vm_restarted")]
    if restarted["verdict"] != "violated":  # held where it was checked: not shown to hold
        assert restarted["verdict"] == "unknown" and "not checked in 1 run" in restarted["explanation"]
    assert ("fencing", "-") not in rows
    assert "interrupted (SIGTERM)" in out


def test_a_holding_property_with_a_run_not_checked_is_unknown_exit_3(tmp_path, monkeypatch, capsys):
    """The same interruption where nothing is violated: the property held in the runs that finished,
    which does not show it holds (unknown, exit 3; never "holds")."""
    from hacheck import failsafe
    from hacheck.cli import main
    from hacheck.deploy import run

    real = run.check_spec
    n = []

    def check_spec(spec, bounds, progress):  # type: ignore[no-untyped-def]
        n.append(spec)
        res = real(spec, bounds, progress)
        if spec.model == "fencing":
            failsafe._received[:] = ["SIGTERM"]
        return res

    monkeypatch.setattr(run, "check_spec", check_spec)
    monkeypatch.setenv("HACHECK_CACHE_DIR", "off")
    f = write(tmp_path, "ok.toml", active_standby(kinds=("host-crash",), vms=vm("db", "ovirt1") + vm("web", "ovirt2"),
                                                  properties=("no_dual_running_vm",)))
    report = tmp_path / "r.json"
    try:
        code = main(["check", str(f), "-q", "--workers", "1", "--out", str(tmp_path / "out"), "--json", str(report)])
    finally:
        failsafe._received.clear()
    doc = json.loads(report.read_text())
    row = next(r for r in doc["rows"] if r["property"] == "no_dual_running_vm")
    assert code == 3
    assert row["verdict"] == "unknown", row
    assert row["explanation"].startswith("held in the 1 run that finished; not checked in 1 run (")
