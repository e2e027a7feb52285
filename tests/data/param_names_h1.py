"""Not the same for every host: only h1 may take the token (the parametric reading must refuse it)."""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Map, Model, Spec, count, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=6)


def build(p: Params) -> Model:
    m = Model("names_h1")
    Host = m.sort("Host", p.hosts)
    tok = m.var("tok", Map(Host, Bool), init=False)

    @m.action(h=Host)
    def take(h):
        if h.index != 0:
            return None
        return count(Host, lambda x: tok[x]) == 0, {tok[h]: True}

    m.invariant("one_token", count(Host, lambda x: tok[x]) <= 1)
    m.invariant("at_most_two", count(Host, lambda x: tok[x]) <= 2)
    return m


SPEC = Spec("names_h1", Params, build)
