"""A model whose safety rests on a guard comparing a fold (the best priority of the other hosts):
``prove --for-every`` reads such a comparison as a free choice of the step (an over-approximation),
so its stated lemma cannot be proved for every N that way, and the answer must not be ``holds``
(tests/test_stated_lemmas.py). Only the host with the strictly best priority may enter."""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Int, Map, Model, Spec, and_, count, forall, implies, max_, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=6, doc="number of hosts")
    lemma: bool = param(True, doc="state the lemma inside_is_best")


def build(p: Params) -> Model:
    m = Model("fold_guard", doc=__doc__)
    Host = m.sort("Host", [f"h{i + 1}" for i in range(p.hosts)], symmetric=True)
    prio = m.var("prio", Map(Host, Int(0, 2)), doc="the host's priority (any, fixed)")
    inside = m.var("inside", Map(Host, Bool), init=False, doc="the host entered")

    def best_other(h):
        vals = [prio[q] for q in Host if q != h]
        if not vals:
            return -1
        out = vals[0]
        for v in vals[1:]:
            out = max_(out, v)
        return out

    @m.action(h=Host)
    def enter(h):
        return ~inside[h] & (prio[h] > best_other(h)), {inside[h]: True}

    m.invariant("one_inside", count(Host, lambda h: inside[h]) <= 1, doc="at most one host entered")
    if p.lemma:
        m.lemma("inside_is_best", forall(Host, lambda h: implies(inside[h], and_(*(prio[h] > prio[q] for q in Host if q != h)))),
                supports=["one_inside"], doc="a host inside has a priority above every other host's")
    return m


SPEC = Spec("fold_guard", Params, build, doc=__doc__)
