"""A quorum-guarded replicated store, as a hacheck model (the *rules* the implementation follows).

Each client writes one value, to every replica it can reach, but only if it reaches a quorum
(a majority) of live replicas; otherwise the store refuses the write and the client may retry.
Replicas crash and restart (their data survives, on disk), links between a client and a replica
are cut and repaired. The invariant: an acknowledged write is held by a quorum of replicas, so any
later quorum read meets it.

``store.py`` is an implementation written as ordinary Python; ``adapter.py`` drives it with this
model's steps (``hacheck.fuzz.ModelStateMachine``) and compares what it reports with the model.
"""

import attrs

from hacheck.lang import Bool, Map, Model, Set, Spec, count, forall, implies, param, set_where


@attrs.frozen
class Params:
    replicas: int = param(3, low=1, high=5, doc="number of replicas r1..rN")
    clients: int = param(2, low=1, high=3, doc="number of clients c1..cM; client ci writes value wi")
    max_faults: int = param(2, low=0, high=6, doc="crashes and link cuts allowed")


def quorum(p: Params) -> int:
    return p.replicas // 2 + 1


def build(p: Params) -> Model:
    m = Model("mbt_store", doc=__doc__)
    Replica = m.sort("Replica", [f"r{i + 1}" for i in range(p.replicas)], symmetric=True)
    Client = m.sort("Client", [f"c{i + 1}" for i in range(p.clients)])
    Value = m.sort("Value", [f"w{i + 1}" for i in range(p.clients)])

    up = m.var("up", Map(Replica, Bool), init=True, doc="replica process running")
    link = m.var("link", Map(Client, Map(Replica, Bool)), init=True, doc="client reaches replica")
    data = m.var("data", Map(Replica, Set(Value)), init=set(), doc="values stored on each replica")
    acked = m.var("acked", Map(Client, Bool), init=False, doc="the client's write was acknowledged")
    m.fault_budget(p.max_faults)

    def live(c):
        return count(Replica, lambda r: up[r] & link[c][r])

    @m.action(c=Client)
    def write(c):
        """The write reaches a quorum of live replicas: stored on each one it reaches, acknowledged."""
        w = Value[c.index]
        updates = {acked[c]: True}
        for r in Replica:
            updates[data[r]] = data[r].vector() | set_where(Value, lambda v: (up[r] & link[c][r]) if v == w else False)
        return ~acked[c] & (live(c) >= quorum(p)), updates

    @m.action(c=Client)
    def write_refused(c):
        """Too few live replicas reachable: the store refuses the write; nothing changes."""
        return ~acked[c] & (live(c) < quorum(p)), {}

    @m.action(r=Replica, fault=True)
    def crash(r):
        """A replica crashes (its data stays on disk)."""
        return up[r], {up[r]: False}

    @m.action(r=Replica, env=True)
    def restart(r):
        """A crashed replica starts again."""
        return ~up[r], {up[r]: True}

    @m.action(c=Client, r=Replica, fault=True)
    def cut(c, r):
        """The link between a client and a replica fails."""
        return link[c][r], {link[c][r]: False}

    @m.action(c=Client, r=Replica, env=True)
    def repair(c, r):
        """The link comes back."""
        return ~link[c][r], {link[c][r]: True}

    m.invariant(
        "acked_on_quorum",
        forall(Client, lambda c: implies(acked[c], count(Replica, lambda r: data[r].has(Value[c.index])) >= quorum(p))),
        doc="every acknowledged write is stored on a quorum of replicas",
    )
    m.reachable("all_acked", forall(Client, lambda c: acked[c]), doc="every client's write was acknowledged")
    return m


SPEC = Spec("mbt_store", Params, build, doc=__doc__)
