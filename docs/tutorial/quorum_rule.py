"""Tutorial: a model of your own that imports a rule shipped with hacheck.

Two clients write to replicas they can reach; links fail (the faults). Whether a client may write
is GlusterFS's client quorum, imported from the shipped rules (``hacheck.properties.rules``,
``afr_client_quorum``: upstream ``afr_has_quorum``), not written again here. With
``quorum_type = auto`` a client that reaches exactly half of the replicas may write only if it
reaches the first one (the tie-break), which keeps even two replicas free of split-brain; the
strawman ``half`` (no tie-break) and ``none`` are not.
"""

import attrs

from hacheck.lang import Bool, Map, Model, Set, Spec, count, exists, param, set_where
from hacheck.properties.rules import afr_client_quorum


@attrs.frozen
class Params:
    replicas: int = param(2, low=2, high=4, doc="number of replicas")
    quorum_type: str = param("auto", choices=("auto", "half", "none"), doc="the client-quorum rule")
    max_faults: int = param(2, low=0, high=4, doc="link failures allowed")


def build(p: Params) -> Model:
    m = Model("quorum_rule", doc=__doc__)
    Replica = m.sort("Replica", [f"r{i + 1}" for i in range(p.replicas)])  # not symmetric: r1 breaks ties
    Client = m.sort("Client", ["c1", "c2"])
    Write = m.sort("Write", ["w1", "w2"])
    data = m.var("data", Map(Replica, Set(Write)), init=set(), doc="writes applied on each replica")
    link = m.var("link", Map(Client, Map(Replica, Bool)), init=True, doc="client can reach replica")
    sent = m.var("sent", Map(Client, Bool), init=False, doc="client has issued its write")
    m.fault_budget(p.max_faults)

    @m.action(c=Client)
    def write(c):
        """The client writes to every replica it reaches, if it has client quorum."""
        w = Write[c.index]
        up = count(Replica, lambda r: link[c][r])
        quorum = afr_client_quorum(up, p.replicas, link[c][Replica[0]], p.quorum_type)
        updates = {sent[c]: True}
        for r in Replica:
            updates[data[r]] = data[r].vector() | set_where(Write, lambda e: link[c][r] if e == w else False)
        return ~sent[c] & (up >= 1) & quorum, updates

    @m.action(c=Client, r=Replica, fault=True)
    def cut(c, r):
        """A link between a client and a replica fails."""
        return link[c][r], {link[c][r]: False}

    m.invariant(
        "no_split_brain",
        ~exists(Replica, lambda r: exists(Replica, lambda s: exists(
            Write, lambda w: exists(Write, lambda v: data[r].has(w) & ~data[s].has(w) & data[s].has(v) & ~data[r].has(v))))),
        doc="no two replicas each hold a write the other lacks",
    )
    return m


SPEC = Spec("quorum_rule", Params, build, doc=__doc__)
