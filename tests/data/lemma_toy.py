"""A lease-token toy with a choice of stated lemmas, for tests of ``m.lemma`` (tests/test_stated_lemmas.py).

``no_dual_run`` (at most one host runs the VM) holds but is not inductive alone: a state where h2
runs while h1 holds the lease is not reachable. ``lemmas`` picks what the designer states:
``inductive`` (a running host holds the lease: with the property, inductive), ``weak`` (a running
host sees the lease taken: true in every reachable state, not inductive), ``wrong`` (the lease is
never taken: false after one step), ``not_initial`` (the lease is taken: false initially), ``none``. ``broken=true`` releases the lease while the VM runs
(the property is then violated).
"""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Elem, Map, Model, Spec, count, forall, implies, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=4, doc="number of hosts")
    lemmas: str = param("inductive", choices=("inductive", "weak", "wrong", "not_initial", "none"), doc="the stated lemmas")
    broken: bool = param(False, doc="release the lease while the VM still runs (a bug)")


def build(p: Params) -> Model:
    m = Model("lemma_toy", doc=__doc__)
    Host = m.sort("Host", [f"h{i + 1}" for i in range(p.hosts)], symmetric=True)
    lease = m.var("lease", Elem(Host, optional=True), init=None, doc="the host holding the lease, or None")
    run = m.var("run", Map(Host, Bool), init=False, doc="the VM runs on the host")

    @m.action(h=Host)
    def acquire(h):
        return lease.is_none(), {lease: h}

    @m.action(h=Host)
    def start(h):
        return (lease == h) & ~run[h], {run[h]: True}

    @m.action(h=Host)
    def stop(h):
        return run[h], {run[h]: False}

    @m.action(h=Host)
    def release(h):
        guard = lease == h
        if not p.broken:
            guard = guard & ~run[h]
        return guard, {lease: None}

    m.invariant("no_dual_run", count(Host, lambda h: run[h]) <= 1, doc="at most one host runs the VM")
    if p.lemmas == "inductive":
        m.lemma("runner_holds_lease", forall(Host, lambda h: implies(run[h], lease == h)),
                supports=["no_dual_run"], doc="a host runs the VM only while it holds the lease")
    elif p.lemmas == "weak":
        m.lemma("lease_taken_while_running", forall(Host, lambda h: implies(run[h], lease.is_some())),
                supports=["no_dual_run"], doc="while some host runs the VM the lease is taken")
    elif p.lemmas == "wrong":
        m.lemma("lease_never_taken", lease.is_none(), supports=["no_dual_run"], doc="(wrong) nobody takes the lease")
    elif p.lemmas == "not_initial":
        m.lemma("lease_taken", lease.is_some(), supports=["no_dual_run"], doc="(wrong) the lease is taken")
    return m


SPEC = Spec("lemma_toy", Params, build, doc=__doc__)
