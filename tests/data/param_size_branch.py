"""A model whose code branches on the number of hosts beyond the explored sizes: from 5 hosts on,
a second token appears. The parametric reading must notice that the model reads differently."""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Map, Model, Spec, count, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=8)


def build(p: Params) -> Model:
    m = Model("size_branch")
    Host = m.sort("Host", p.hosts, symmetric=True)
    tok = m.var("tok", Map(Host, Bool), init=False)

    @m.action(h=Host)
    def take(h):
        limit = 0 if p.hosts < 5 else 1
        return count(Host, lambda x: tok[x]) <= limit if limit else count(Host, lambda x: tok[x]) == 0, {tok[h]: True}

    m.invariant("one_token", count(Host, lambda x: tok[x]) <= 1)
    return m


SPEC = Spec("size_branch", Params, build)
