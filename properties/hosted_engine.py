"""Properties of the oVirt self-hosted engine model (``models/hosted_engine.py``).

Each function takes the model's variable handles (and the Host sort) and returns a state
predicate. The model registers them in ``build()``; the liveness issue reuses ``engine_up``
and ``engine_running``.
"""

from __future__ import annotations

from hacheck.lang import and_, count, exists, forall, implies, or_

#: local engine VM states in which a qemu process for the engine VM exists on the host
RUNNING_VM = ("starting", "up_good", "up_bad", "paused")


def vm_running(vm_h):
    """The engine VM is starting, up (good or bad health) or paused on this host."""
    return or_(*(vm_h == s for s in RUNNING_VM))


#: local engine VM states in which the VM can write to its disks: a paused VM cannot
WRITING_VM = ("starting", "up_good", "up_bad")


def vm_writing(vm_h):
    """The engine VM runs on this host and can write (starting or up; not paused)."""
    return or_(*(vm_h == s for s in WRITING_VM))


def no_dual_writer(vm, Host):
    """At most one host where the engine VM can write (a paused copy does not count): what the
    lease guarantees, since a VM paused on an I/O error released its lease and cannot resume
    without re-acquiring it."""
    return count(Host, lambda h: vm_writing(vm[h])) <= 1


# -- stated lemmas of no_dual_writer (m.lemma; hacheck prove --method lemmas proves them inductive with it) ----
# Why only one copy can write: a copy writes only while it holds the sanlock lease, and the lease
# names one host. The lease passes to another host only when it is free on disk or its owner's host
# id is dead (paxos_lease_acquire), and an owner whose copy writes renews its host id: it is up and
# reaches the storage (losing the storage pauses the copy at once, which releases the lease:
# qemuProcessHandleIOError -> virDomainLockProcessPause), so its renewals never lapse.


def writer_holds_lease(vm, lease, Host):
    """A copy that can write (starting or up) runs on the host the lease names: START_VM needs the
    lease (sanlock acquire), and a paused copy resumes only by re-acquiring it
    (virDomainLockProcessResume)."""
    return forall(Host, lambda h: implies(vm_writing(vm[h]), lease == h))


def writer_reaches_storage(vm, up, storage, Host):
    """A copy that can write runs on a live host that reaches the storage: a crash takes the copy
    down, a storage loss pauses it (qemu's EIO pause)."""
    return forall(Host, lambda h: implies(vm_writing(vm[h]), up[h] & storage[h]))


def connected_host_renews(up, storage, renew, Host):
    """A live host that reaches the storage has renewed its host id in the current tick (sanlock
    renews every 20 s, well inside a tick pair): its lease is never 'dead' to a peer
    (owner_dead, properties/lease.py)."""
    return forall(Host, lambda h: implies(up[h] & storage[h], renew[h] == 0))


def paused_copy_beside_engine(vm, storage, Host):
    """Some host reaches the storage and has a paused engine VM while another host runs the engine
    (can write): the stale copy that BZ 1393839 stops."""
    return exists(Host, lambda h: and_(
        storage[h], vm[h] == "paused",
        exists(Host, lambda q: vm_writing(vm[q]) if q != h else False)))


def no_dual_engine(vm, Host):
    """At most one host where the engine VM is starting, up or paused."""
    return count(Host, lambda h: vm_running(vm[h])) <= 1


def engine_up(state, vm, Host):
    """Some host's agent is in EngineUp and its engine VM is up with good health."""
    return exists(Host, lambda h: (state[h] == "EngineUp") & (vm[h] == "up_good"))


def engine_recovered(state, vm, lease, Host):
    """Some host runs the engine with good health: its agent is in EngineUp, its engine VM is up
    with good health and, when the model has the sanlock lease (``lease`` not None), it holds it."""
    def here(h):
        ok = (state[h] == "EngineUp") & (vm[h] == "up_good")
        return ok & (lease == h) if lease is not None else ok
    return exists(Host, here)


def engine_running(vm, Host):
    """Some host runs the engine VM (starting, up or paused): someone started it."""
    return exists(Host, lambda h: vm_running(vm[h]))


def fresh_start_race(state, hist, vm, Host, lonely_cycle):
    """A freshly (re)started agent decided, in its one blind cycle, to start the engine VM
    (it is in EngineStart, entered by NOWAIT from the cycle whose history count is ``lonely_cycle``)
    while the engine VM runs on another host."""
    return exists(Host, lambda h: and_(
        state[h] == "EngineStart", hist[h] == lonely_cycle,
        exists(Host, lambda p: vm_running(vm[p]) if p != h else False)))


def start_refused_by_lease(state, vm, Host):
    """A host's START_VM went through but sanlock refused the lease: its agent is in
    EngineStarting with the local VM down while the engine VM runs elsewhere."""
    return exists(Host, lambda h: and_(
        state[h] == "EngineStarting", vm[h] == "down",
        exists(Host, lambda p: vm_running(vm[p]) if p != h else False)))
