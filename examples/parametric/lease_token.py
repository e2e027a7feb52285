"""A lease-token protocol over any number of hosts: the toy model of parametric proofs.

A host may run the protected VM only while it holds the one lease (an optional element of the
Host sort, as the sanlock lease is in models/hosted_engine.py): it acquires the lease when it is
free, starts the VM, stops it, and releases the lease. A host crash (a fault) stops its VM and
keeps the lease held. ``no_dual_run`` says at most one host runs the VM; it holds for every
number of hosts, which ``hacheck prove examples/parametric/lease_token.py --property no_dual_run
--for-every hosts`` proves with an invariant over all hosts. With ``--param broken=true`` a host
may release the lease while its VM still runs, and the proof reports the smallest number of hosts
with a counterexample (2).
"""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Elem, Map, Model, Spec, count, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=8, doc="number of hosts")
    broken: bool = param(False, doc="release the lease while the VM still runs (a bug)")
    max_faults: int = param(1, low=0, high=3, doc="host crashes allowed")


def build(p: Params) -> Model:
    m = Model("lease_token", doc=__doc__)
    Host = m.sort("Host", [f"h{i + 1}" for i in range(p.hosts)], symmetric=True)
    lease = m.var("lease", Elem(Host, optional=True), init=None, doc="the host holding the lease, or None")
    run = m.var("run", Map(Host, Bool), init=False, doc="the VM runs on the host")
    m.fault_budget(p.max_faults)

    @m.action(h=Host)
    def acquire(h):
        """The lease is free: h takes it."""
        return lease.is_none(), {lease: h}

    @m.action(h=Host)
    def start(h):
        """h holds the lease and starts the VM."""
        return (lease == h) & ~run[h], {run[h]: True}

    @m.action(h=Host)
    def stop(h):
        return run[h], {run[h]: False}

    @m.action(h=Host)
    def release(h):
        """h gives the lease back (correctly only once its VM stopped)."""
        guard = lease == h
        if not p.broken:
            guard = guard & ~run[h]
        return guard, {lease: None}

    @m.action(h=Host, fault=True)
    def crash(h):
        """h crashes: its VM dies; the lease stays held (it is h's until h releases it)."""
        return run[h], {run[h]: False}

    m.invariant("no_dual_run", count(Host, lambda h: run[h]) <= 1, doc="at most one host runs the VM")
    return m


SPEC = Spec("lease_token", Params, build, doc=__doc__)
