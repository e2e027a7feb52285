"""A token that starts on h1 and is passed on: the initial state names a host in particular, so the
parametric reading takes it as every state satisfying the clauses true of the initial states built."""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Map, Model, Spec, count, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=6)


def build(p: Params) -> Model:
    m = Model("placed")
    Host = m.sort("Host", p.hosts)
    tok = m.var("tok", Map(Host, Bool), init={h.name: h.index == 0 for h in Host})

    @m.action(h=Host, g=Host)
    def pass_on(h, g):
        if h == g:
            return None
        return tok[h], {tok[h]: False, tok[g]: True}

    m.invariant("one_token", count(Host, lambda x: tok[x]) <= 1)
    return m


SPEC = Spec("placed", Params, build)
