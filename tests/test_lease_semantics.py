"""The fencing and hosted-engine models share one sanlock lease semantics (``properties/lease.py``):
both take their rules from there, and both behave alike on the same scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

import hacheck.models.fencing as fencing_model
import hacheck.models.hosted_engine as he_model
import hacheck.properties.lease as lease
from hacheck.explicit.search import check
from hacheck.lang import exists
from hacheck.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
FENCING = load_spec(ROOT / "models" / "fencing.py")
HE = load_spec(ROOT / "models" / "hosted_engine.py")
F_LEASES = {"vm_leases": True, "resume_behaviour": "kill", "manual_confirm_allowed": False, "operator_actions": False}
HE_LEASE = {"start": "engine_up", "maintenance_steps": 0, "host_alive_timeout": 6, "vm_boot_ticks": 18,
            "engine_starting_timeout": 60, "lease_host_dead": he_model.UPSTREAM_TIMERS["lease_host_dead"],
            "lease_kill_after": he_model.UPSTREAM_TIMERS["lease_kill_after"]}


def extra(spec, params, faults, kind, make):
    """Check one extra predicate, built from the model's variables, on a fresh model."""
    p = spec.make_params(params)
    m = spec.build(p)
    prop = (m.invariant if kind == "invariant" else m.reachable)("extra", make(m.vars, m.sorts))
    m.params = p
    m.freeze()
    if faults:
        m.restrict_faults(faults)
    return check(m, [prop]).properties[0]


def test_one_set_of_rules_and_timings():
    """Both models read the lease rules from properties/lease.py (no copy of them elsewhere), and
    their upstream timings are sanlock's (src/timeouts.c: calc_id_renewal_fail_seconds 80 s,
    calc_host_dead_seconds 80 + 60 = 140 s)."""
    for name in ("lease_acquirable", "owner_after_release", "owner_after_storage_back", "kill_due", "owner_dead"):
        assert getattr(fencing_model, name) is getattr(lease, name)
        assert getattr(he_model, name) is getattr(lease, name)
    assert (lease.KILL_SECONDS, lease.HOST_DEAD_SECONDS) == (80, 140)
    assert fencing_model.HID_EXPIRE == lease.KILL_TICKS and fencing_model.HOST_DEAD == lease.HOST_DEAD_TICKS
    assert he_model.UPSTREAM_TIMERS["lease_kill_after"] == lease.KILL_TICKS
    assert he_model.UPSTREAM_TIMERS["lease_host_dead"] == lease.HOST_DEAD_TICKS


def _f_taken(v, s):
    H = s["Host"]
    return (v.lease_holder[s["VM"][0]] == H[1]) | (v.lease_holder[s["VM"][0]] == H[2])


def _he_taken(v, s):
    """h2 holds the lease and took it in this tick (the model forgets an ex-owner's renewal age at the
    next tick, so the age is read before)."""
    h2 = s["Host"][1]
    return (v.lease == h2) & (v.vm[h2] == "starting") & (v.tmr[h2] == 0)


@pytest.mark.parametrize("model", ["fencing", "hosted_engine"])
def test_crashed_owner_lease_taken_exactly_at_host_dead(model):
    """sanlock paxos_lease_acquire: the lease of a crashed host (not rebooted) can be taken only
    once its host id has not been renewed for host_dead_seconds (140 s), and then it can: in both
    models, the same bound."""
    dead = lease.HOST_DEAD_TICKS
    if model == "fencing":
        spec, params, faults = FENCING, F_LEASES, ["crash"]
        gone = lambda v, s: v.health[s["Host"][0]] != "ok"  # noqa: E731
        age = lambda v, s: v.hid_age[s["Host"][0]]  # noqa: E731
        taken = _f_taken
    else:
        spec, params, faults = HE, HE_LEASE, ["host_crash"]
        gone = lambda v, s: ~v.up[s["Host"][0]]  # noqa: E731
        age = lambda v, s: v.renew[s["Host"][0]]  # noqa: E731
        taken = _he_taken
    never_early = extra(spec, params, faults, "invariant",
                        lambda v, s: ~(taken(v, s) & gone(v, s)) | (age(v, s) >= dead))
    assert never_early.verdict == "holds"
    at_dead = extra(spec, params, faults, "reachable", lambda v, s: taken(v, s) & gone(v, s) & (age(v, s) == dead))
    assert at_dead.verdict == "holds"


@pytest.mark.parametrize("model", ["fencing", "hosted_engine"])
def test_paused_copy_survives_beside_the_new_holder(model):
    """libvirt qemuProcessHandleIOError -> virDomainLockProcessPause: a VM paused on an I/O error
    released its lease, so sanlock does not kill it; another host takes the lease and runs the VM
    while the paused copy exists, and the paused copy cannot write. Both models."""
    if model == "fencing":
        H, V = "Host", "VM"
        # with upstream's manual-confirm rules the paused copy needs an engine step that lags (the
        # lease path before STOP: urgent_steps off, a superset of the timings)
        found = extra(FENCING, {"vm_leases": True, "resume_behaviour": "kill", "max_faults": 2, "urgent_steps": False},
                      [], "reachable",
                      lambda v, s: exists(s[H], lambda h: (v.qemu[s[V][0]][h] == "paused")
                                          & (v.lease_holder[s[V][0]] != h) & v.lease_holder[s[V][0]].is_some()))
        writers = extra(FENCING, {"vm_leases": True, "resume_behaviour": "kill", "max_faults": 2, "urgent_steps": False},
                        [], "invariant",
                        lambda v, s: ~exists(s[H], lambda h: exists(s[H], lambda q: (v.qemu[s[V][0]][h] == "running")
                                                                    & (v.qemu[s[V][0]][q] == "running")
                                                                    if q != h else False)))
    else:
        found = extra(HE, {}, [], "reachable",
                      lambda v, s: exists(s["Host"], lambda h: (v.vm[h] == "paused") & (v.lease != h)
                                          & v.lease.is_some()))
        writers = extra(HE, {}, [], "invariant",
                        lambda v, s: he_model.no_dual_writer(v.vm, s["Host"]))
    assert found.verdict == "holds"
    assert writers.verdict == "holds"
