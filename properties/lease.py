"""One semantics of a sanlock-guarded VM lease, shared by ``models/fencing.py`` (VM leases of HA
VMs) and ``models/hosted_engine.py`` (the lease on the engine VM disk).

Each function takes hacheck expressions (or plain values) and returns an expression, like
``properties/rules.py``: the models call these and write the rules nowhere else;
``tests/test_lease_semantics.py`` checks that both models behave alike.

What upstream does (sanlock at nirs/sanlock, libvirt at libvirt/libvirt):

- **Owner on disk.** A lease records its owner's host id (and generation) on the shared storage.
  Another host may take it (``paxos_lease_acquire``, src/paxos_lease.c) when it is free on disk,
  when the owner's host id belongs to a newer generation (the owner rebooted and rejoined), or when
  the owner's host id has not been renewed for ``host_dead_seconds`` (``calc_host_dead_seconds``,
  src/timeouts.c: ``8 * io_timeout + watchdog_fire_timeout`` = 80 + 60 = 140 s at the defaults).
- **Release on an I/O-error pause.** When qemu pauses on an I/O error, libvirt releases the VM's
  leases (``qemuProcessHandleIOError`` -> ``virDomainLockProcessPause``, src/qemu/qemu_process.c):
  the paused qemu no longer holds anything, so sanlock will not kill it. The release is an on-disk
  write (``release_token`` -> ``paxos_lease_release``); a host that lost its storage cannot make it.
  sanlock retries it (``R_THREAD_RELEASE``, ``resource_thread_release``) only after an I/O timeout
  (``SANLK_AIO_TIMEOUT``), and gives that up once the lockspace is killing pids; the disk still
  names the old owner. It stops counting once h rejoins the lockspace with a new generation after
  its host id died (``paxos_lease_acquire``: owner generation mismatch) or, for h itself, at once
  (``already local``); see ``owner_after_storage_back``.
- **Resume.** A paused VM resumes only if libvirt re-acquires its lease
  (``qemuProcessStartCPUs`` -> ``virDomainLockProcessResume``); if another host took the lease in
  the meantime the acquire fails and the VM stays paused.
- **Kill.** sanlock kills the processes that still hold a lease on a host whose host id renewal
  failed for ``id_renewal_fail_seconds`` (80 s); a paused (released) process is not among them.
"""

from __future__ import annotations

from hacheck.lang import ite, lift

#: sanlock timing at io_timeout 10 s (src/timeouts.c); the models count 10 s ticks
RENEWAL_SECONDS = 20  # calc_id_renewal_seconds: a host renews its host id every 20 s
KILL_SECONDS = 80  # calc_id_renewal_fail_seconds: lease holders are killed 80 s after the last renewal
HOST_DEAD_SECONDS = 140  # calc_host_dead_seconds: 80 s + watchdog_fire_timeout 60 s
KILL_TICKS = KILL_SECONDS // 10
HOST_DEAD_TICKS = HOST_DEAD_SECONDS // 10


def owner_dead(ticks_since_renewal: object, host_dead_ticks: object):
    """paxos_lease_acquire: the owner's host id has not been renewed for host_dead_seconds."""
    return lift(ticks_since_renewal) >= host_dead_ticks


def lease_acquirable(owner: object, h: object, dead_of: dict):
    """sanlock grants h the lease: free on disk, already h's, or owned by a host id that is dead.
    ``dead_of`` maps each other host to the expression "its host id is dead" (``owner_dead``)."""
    out = lift(owner).is_none() | (lift(owner) == h)
    for q, dead in dead_of.items():
        out = out | ((lift(owner) == q) & dead)
    return out


def owner_after_release(owner: object, h: object, storage_ok: object):
    """The VM on h gives its lease up: it exits, is shut down or powered off, or pauses on an I/O
    error (qemuProcessHandleIOError -> virDomainLockProcessPause). The release is a disk write
    (paxos_lease_release): it reaches the disk only if h reaches the storage. After an I/O error
    caused by losing it, it does not: the disk keeps naming h until h is back with its VM not
    holding the lease (``owner_after_storage_back``, which names the sanlock mechanism) or h's host
    id is dead (``owner_dead``)."""
    return ite((lift(owner) == h) & storage_ok, None, owner)


def owner_after_storage_back(owner: object, h: object, h_holds: object):
    """h reaches the storage again and its VM no longer holds the lease (``h_holds`` false): the
    lease counts as free. Upstream this is not a delayed write of the release: sanlock's
    ``_release_token`` queues a retry (``R_THREAD_RELEASE``, done by ``resource_thread_release``)
    only on ``SANLK_AIO_TIMEOUT``, and ``resource_thread_release`` gives up once the lockspace is
    killing pids (``spi.killing_pids``, after the 80 s renewal failure). What frees the lease is
    ``paxos_lease_acquire``: after an outage long enough for h's host id to die, h rejoins the
    lockspace with a new generation, and a leader whose ``owner_generation`` is older than the
    owner's current one is taken at once by anybody. After a short outage the disk still names the
    live h with its current generation: h itself re-acquires it ("already local"), a peer gets
    ``SANLK_ACQUIRE_IDLIVE``. The model folds both into "free once h is back"; the only acquirer
    that can act before h's host id is dead is h itself (peers wait ``owner_dead``), for whom the
    two are the same."""
    return ite((lift(owner) == h) & ~lift(h_holds), None, owner)


def holds_lease(owner: object, h: object, vm_writing: object):
    """sanlock's view: the VM process on h holds the lease iff the disk names h and the VM runs
    (starting or up). A paused VM released it (virDomainLockProcessPause)."""
    return (lift(owner) == h) & vm_writing


def kill_due(holds: object, ticks_since_renewal: object, kill_ticks: object):
    """sanlock kills a lease holder once its host's renewals failed for id_renewal_fail_seconds."""
    return lift(holds) & (lift(ticks_since_renewal) >= kill_ticks)
