"""A model whose property holds with up to 3 hosts and fails with 4: a guard against proofs for
every N that are only generalised from small instances. Three hosts must each advance the shared
stage before a fourth, one that has not advanced, may enter."""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Int, Map, Model, Spec, count, forall, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=6, doc="number of hosts")


def build(p: Params) -> Model:
    m = Model("fails_at_4")
    Host = m.sort("Host", p.hosts, symmetric=True)
    stage = m.var("stage", Int(0, 3), init=0)
    done = m.var("done", Map(Host, Bool), init=False)
    crit = m.var("crit", Map(Host, Bool), init=False)

    @m.action(h=Host)
    def advance(h):
        return ~done[h] & (stage < 3), {done[h]: True, stage: stage + 1}

    @m.action(h=Host)
    def enter(h):
        return (stage == 3) & ~done[h], {crit[h]: True}

    m.invariant("nobody_enters", forall(Host, lambda h: ~crit[h]))
    m.invariant("at_most_two_enter", count(Host, lambda h: crit[h]) <= 2)  # a count that is not first-order
    return m


SPEC = Spec("fails_at_4", Params, build)
