"""Fencing ``no_dual_running_vm`` proved by the lemmas of properties/fencing.py, at a fixed size and
for every number of hosts and VMs (issue 20, items 6 and 7). Without the operator's manual confirm,
a VM is restarted elsewhere only after the engine set it Down(exit=Error), which it does only when
its host reports it gone (oVirt ``VmAnalyzer.proceedDisappearedVm``) or after ``RestartVdsCommand``'s
STOP was confirmed OFF (``StopVdsCommand.setup`` sets Reboot first; ``HostFenceActionExecutor.fence``;
``FenceVdsManualyCommand(clearVMs)``); the scheduler starts VMs only on Up hosts
(``SchedulingManager.fetchHosts``). Budgets are z3 resource limits (rlimit), never the clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hacheck.properties.fencing as fencing_props
from hacheck.loader import build_model, load_spec
from hacheck.result import HOLDS, UNKNOWN, VIOLATED
from hacheck.symbolic.common import Context
from hacheck.symbolic.param import Settings, by_stated_lemmas, prove_every
from hacheck.symbolic.stated import prove_by_lemmas

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models/fencing.py"
PROP = "no_dual_running_vm"
RLIMIT = 20_000_000  # z3 resource units per query; the fixed-size proof needs a small part of it
LEMMAS = ["engine_tracks_copy", "fenced_host_is_off", "sent_stop_in_reboot"]
NO_CONFIRM = {"manual_confirm_allowed": False}


def build(**params):
    return build_model(load_spec(MODEL), params)


def prove_lemmas(m):
    return prove_by_lemmas(Context(m, rlimit=RLIMIT), m.properties[PROP], timeout=None, rlimit=RLIMIT)


@pytest.fixture
def lemmas_everywhere(monkeypatch):
    """State the lemmas whatever the parameters: the mutants get the very lemmas the proof uses."""
    monkeypatch.setattr(fencing_props, "lemmas_apply", lambda p: True)


def test_no_dual_running_vm_is_proved_by_the_stated_lemmas_without_the_manual_confirm():
    """Unbounded, at the default size (3 hosts, 3 VMs): the property and the three lemmas are
    inductive and believe.py's re-check passes."""
    m = build(**NO_CONFIRM)
    assert [lm.name for lm in m.lemmas_for(PROP)] == LEMMAS
    r = prove_lemmas(m)
    assert r.verdict == HOLDS, r.explanation
    assert "the property and 3 stated lemmas of properties/fencing.py, re-checked by z3" in r.explanation


def test_lemmas_are_stated_only_where_they_apply():
    """Defaults (manual confirm on), a faulty agent, VM leases: not stated (not inductive there)."""
    assert not build().lemmas
    assert not build(**NO_CONFIRM, pm_reports="faulty").lemmas
    assert not build(**NO_CONFIRM, vm_leases=True, resume_behaviour="kill").lemmas
    assert [lm.name for lm in build(operator_actions=False).lemmas_for(PROP)] == LEMMAS


OPTION_FLIPS = [{"skip_if_sd_active": True}, {"skip_if_connectivity_broken": True}, {"fencing_enabled": False},
                {"power_management": "none"}, {"power_management": "h1,h3"}, {"reboot_heals": True},
                {"availability": True}, {"urgent_steps": False}, {"resume_behaviour": "kill"},
                {"resume_behaviour": "leave_paused"}, {"host_maintenance": False}, {"max_faults": 2},
                {"hosts": 2, "vms": 4}, {"host_free": "6382:8,6382:8,6382:8", "vm_need": "4232:6,2148:2,2148:2"}]


@pytest.mark.parametrize("params", OPTION_FLIPS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_the_lemmas_prove_it_with_each_other_option(params):
    """Every option lemmas_apply leaves free, flipped alone: the same lemmas prove it."""
    m = build(**NO_CONFIRM, **params)
    assert [lm.name for lm in m.lemmas_for(PROP)] == LEMMAS
    r = prove_lemmas(m)
    assert r.verdict == HOLDS, (params, r.explanation)


@pytest.mark.parametrize("dropped,action", [("engine_tracks_copy", "ha_restart"),
                                            ("fenced_host_is_off", "fence_release"),
                                            ("sent_stop_in_reboot", "fence_stop_delivered")])
def test_each_lemma_is_needed(monkeypatch, dropped, action):
    """Without any one of the three the rest is not inductive; the counterexample to induction is a
    step of the action the dropped lemma is about."""
    monkeypatch.setattr(fencing_props, "LEMMAS", tuple(f for f in fencing_props.LEMMAS if f.__name__ != dropped))
    r = prove_lemmas(build(**NO_CONFIRM))
    assert r.verdict == UNKNOWN
    assert r.extra["stage"] == "consecution"
    assert r.extra["action"].startswith(action + "("), r.explanation


@pytest.mark.parametrize("params,action,broken", [
    ({}, "manual_confirm", "engine_tracks_copy"),  # FenceVdsManualyCommand sets Down, checks no power state
    ({**NO_CONFIRM, "pm_reports": "faulty"}, "fence_stop_delivered", "fenced_host_is_off"),  # OFF, not off
])
def test_a_restart_without_a_real_fence_is_not_proved(lemmas_everywhere, params, action, broken):
    """Mutants of fence-before-restart: the operator's confirm (the VM is queued for restart without a
    fence) or a faulty agent (the STOP is reported OFF but the host runs on). The same lemmas are then
    not inductive: a counterexample to induction, never holds, at a fixed size and for every N."""
    r = prove_lemmas(build(**params))
    assert r.verdict == UNKNOWN
    assert r.extra["action"].startswith(action + "(") and r.extra["broken"] == [broken], r.explanation
    assert r.trace is not None and r.trace.kind == "counterexample to induction"
    stated = [lm.name for lm in build(**params).lemmas_for(PROP)]
    why = by_stated_lemmas(load_spec(MODEL), params, PROP, ["hosts", "vms"], None, Settings(rlimit=RLIMIT), None,
                           stated, {"hosts": 2, "vms": 1})
    assert isinstance(why, str) and f"not inductive for every N (consecution of {action}" in why


def test_no_dual_running_vm_holds_for_every_number_of_hosts_and_vms():
    """Item 7: the lemmas, read as formulas over every host and VM, are inductive on the quantified
    encoding. The initial placement (VM v_i on host h_((i-1) mod hosts + 1)) names elements, so it is
    read as every state satisfying the clauses over qemu and von true at every size built; the
    clause the first lemma needs initially is among them."""
    r = prove_every(load_spec(MODEL), NO_CONFIRM, PROP, ["hosts", "vms"], settings=Settings(rlimit=RLIMIT))
    assert r.verdict == HOLDS, r.explanation
    assert r.extra["lemmas"] == LEMMAS  # the stated lemmas' proof, not mined clauses
    assert r.extra["placed"] == ["qemu", "von"]
    assert "forall H1 in Host, V1 in VM: qemu[V1][H1] == 'none' | von[V1] == H1" in r.extra["init_read"]
    assert "hosts=5, vms=5" in r.extra["init_checked"]
    assert "from every initial state satisfying 17 clauses over qemu, von" in r.explanation
    assert "(forall V1 in VM, H1 in Host: qemu[V1][H1] == 'none' | von[V1] == H1 & vst[V1] != 'down')" \
        in r.extra["invariant"]


def test_defaults_stay_violated_with_the_smallest_size_and_a_trace():
    """Manual confirm on (the upstream default): violated for every-N with 2 hosts and 1 VM, the
    smallest size, with its trace (the explicit engine, exhaustive below it)."""
    r = prove_every(load_spec(MODEL), {}, PROP, ["hosts", "vms"], settings=Settings(rlimit=RLIMIT))
    assert r.verdict == VIOLATED
    assert r.extra["sizes"] == {"hosts": 2, "vms": 1}
    assert r.trace is not None and "manual_confirm" in [s.action for s in r.trace.steps]


def test_defaults_with_the_lemmas_forced_stay_violated(lemmas_everywhere):
    """The lemma route fails on the defaults (manual_confirm breaks the first lemma), and the
    violation with its smallest size is still the answer."""
    r = prove_every(load_spec(MODEL), {}, PROP, ["hosts", "vms"], settings=Settings(rlimit=RLIMIT))
    assert r.verdict == VIOLATED
    assert r.extra["sizes"] == {"hosts": 2, "vms": 1}
    assert "consecution of manual_confirm" in r.extra["lemmas_tried"]


def test_cli_auto_proves_it_by_the_lemmas_first_and_the_defaults_are_violated(tmp_path):
    """`hacheck prove` (auto) tries the stated lemmas before any other method; at 2 hosts and 1 VM with
    the manual confirm it finds the violation (exit 1)."""
    out = subprocess.run([sys.executable, "-m", "hacheck.cli", "prove", "models/fencing.py", "--param",
                          "manual_confirm_allowed=false", "--property", PROP, "--rlimit", str(RLIMIT), "-q"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{PROP}  invariant  holds (inductive invariant: the property and 3 stated lemmas" in out.stdout
    out = subprocess.run([sys.executable, "-m", "hacheck.cli", "prove", "models/fencing.py", "--param", "hosts=2",
                          "--param", "vms=1", "--property", PROP, "-q", "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"{PROP}  invariant  violated" in out.stdout
