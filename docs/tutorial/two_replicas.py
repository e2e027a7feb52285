"""Tutorial: two replicas that accept writes without a quorum reach split-brain.

Each client sends one write to every replica it can reach. Links between clients and replicas
can fail (the faults). With ``quorum = none`` a replica applies a write even when the other
replica cannot get it, so the replicas can end up holding writes the other one lacks: a
split-brain. With ``quorum = majority`` a write needs a majority of replicas reachable.
"""

import attrs

from hacheck.lang import Bool, Map, Model, Set, Spec, count, exists, param


@attrs.frozen
class Params:
    replicas: int = param(2, low=2, high=5, doc="number of replicas")
    clients: int = param(2, low=1, high=3, doc="number of clients; client i issues write i")
    quorum: str = param("none", choices=("none", "majority"), doc="how many reachable replicas a write needs")
    max_faults: int = param(2, low=0, high=6, doc="link failures allowed")


def build(p: Params) -> Model:
    m = Model("two_replicas", doc=__doc__)
    Replica = m.sort("Replica", [f"r{i + 1}" for i in range(p.replicas)], symmetric=True)
    Client = m.sort("Client", [f"c{i + 1}" for i in range(p.clients)])
    Write = m.sort("Write", [f"w{i + 1}" for i in range(p.clients)])

    data = m.var("data", Map(Replica, Set(Write)), init=set(), doc="writes applied on each replica")
    link = m.var("link", Map(Client, Map(Replica, Bool)), init=True, doc="client can reach replica")
    sent = m.var("sent", Map(Client, Bool), init=False, doc="client has issued its write")
    m.fault_budget(p.max_faults)

    def reachable(c):
        return count(Replica, lambda r: link[c][r])

    @m.action(c=Client)
    def write(c):
        """The client writes to every replica it can reach, if the quorum rule lets it."""
        w = Write[c.index]
        need = 1 if p.quorum == "none" else p.replicas // 2 + 1
        guard = ~sent[c] & (reachable(c) >= need)
        updates = {sent[c]: True}
        for r in Replica:
            updates[data[r]] = data[r].vector() | _only_if(link[c][r], Write, w)
        return guard, updates

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
    m.reachable("both_written", exists(Replica, lambda r: data[r].size() == p.clients),
                doc="some replica holds every write")
    return m


def _only_if(cond, sort, element):
    from hacheck.lang import set_where

    return set_where(sort, lambda e: cond if e == element else False)


SPEC = Spec("two_replicas", Params, build, doc=__doc__)
