"""A deployment's Gluster volume in the availability chain: one chain per replica set, and what the
volume as a whole is shown to have.

Each replica set is the ``gluster_arbiter`` model with the parameters ``hacheck check`` gives it
(hacheck/deploy/mapping.py, ``gluster_plan``). A failure kind strikes the set's bricks as the check
maps it (``GLUSTER_FAULTS``): a crash or power cycle of a host is ``brick_crash`` of the brick the
host holds in the set, at the host's rate, repaired by ``brick_restart`` at the host's repair rate;
``brick-io-error`` is ``op_error`` and ``changelog-loss`` ``post_op_lost`` of that brick;
``client-crash`` is ``client_crash`` of a mount. Two alternatives of the check are not in the chain:

* ``brick_crash_stalled`` (the same crash while AFR waits on a slow brick): the chain's crash is
  ``brick_crash``, one rate per failure; the stalled variant is enabled only while a write is in
  flight, and in the chain no time passes while one is (maximal progress);
* ``storage-loss``: the check maps it to one steady partition of the host (``storage_cut``, model
  parameter ``partitions``), which the model never repairs (the check asks what happens while it
  lasts); the chain needs the repair that restores every link at once, which the model has no step
  for. It is left out, and the report says so.

The volume is writable for a file when that file's replica set has client quorum: DHT places a
file on one subvolume, a replica set, by the hash of its name (``dht_layout_search``,
xlators/cluster/dht/src/dht-layout.c), and AFR on that set checks quorum (``afr_has_quorum``,
xlators/cluster/afr/src/afr-transaction.c). The sets share
hosts (a host crash takes a brick of each), so they are not independent and the chains cannot be
multiplied; the model holds one replica set, so no joint chain is built. What is reported for the
whole volume (every set has quorum) is a pair of sound bounds: its unavailability is at least the
largest set's and at most the sum of the sets' (the union bound).
"""

from __future__ import annotations

from typing import Any

from ..deploy.mapping import GLUSTER_FAULTS
from .chain import Rates
from .defaults import DEFAULTS

# failure kind -> the gluster model's fault actions and the parameter naming the brick (None: any client)
VOLUME_FAULTS: dict[str, list[tuple[str, str | None]]] = {
    k: [(a, p) for a, p in acts if not a.endswith("_stalled")] for k, acts in GLUSTER_FAULTS.items()
}
VOLUME_FAULTS["client-crash"] = [("client_crash", None)]
NOT_IN_CHAIN = {
    "storage-loss": "a host's storage-network partition is one failure cutting several client-brick links at once "
                    "and one repair restoring them; the model's links fail and return one at a time",
}


def volume_actions(kinds: list[str]) -> list[str]:
    """The gluster model's fault actions the kinds strike."""
    return sorted({a for k in kinds for a, _ in VOLUME_FAULTS.get(k, [])})


def _mttf(kind: str, host: tuple[float | None, float | None], kind_mttf: dict[str, float]) -> float | None:
    own = host[0] if kind == "host-crash" else None
    return own or kind_mttf.get(kind) or DEFAULTS.get(kind, (None, None))[0]


def _mttr(kind: str, host: tuple[float | None, float | None]) -> float | None:
    own = host[1] if kind == "host-crash" else None
    return own or DEFAULTS.get(kind, (None, None))[1]


def volume_rates(model: Any, brick_hosts: list[str], kinds: list[str], kind_mttf: dict[str, float],
                 hosts: dict[str, tuple[float | None, float | None]]) -> tuple[Rates, list[str]]:
    """Rates of one replica set's fault and repair instances; ``brick_hosts[i]`` holds ``brick{i}``.

    Kinds that strike the same fault action (host-crash and power-cycle are both ``brick_crash``)
    add their rates; the one repair (``brick_restart``) then takes the rate-weighted mean of their
    repair times. That keeps each brick's own up-time fraction, MTTF / (MTTF + MTTR), exact; where
    such failures overlap on several bricks it is an approximation (the notes say when it is used)."""
    r = Rates()
    notes: list[str] = []
    by_action: dict[str, list[str]] = {}
    for k in kinds:
        for a, _ in VOLUME_FAULTS.get(k, []):
            by_action.setdefault(a, []).append(k)
    repair_of: dict[str, tuple[float, float]] = {}  # brick -> (sum of failure rates, sum of rate * MTTR)
    for inst in model.instances:
        params = dict(inst.params)
        brick = params.get("b")
        host = hosts.get(brick_hosts[int(brick[len("brick"):])], (None, None)) if brick else (None, None)
        if inst.kind == "fault" and inst.action in by_action:
            lam = 0.0
            for k in by_action[inst.action]:
                mttf = _mttf(k, host, kind_mttf)
                if not mttf:
                    continue
                lam += 1.0 / mttf
                mttr = _mttr(k, host)
                if mttr and brick:
                    s, w = repair_of.get(brick, (0.0, 0.0))
                    repair_of[brick] = (s + 1.0 / mttf, w + mttr / mttf)
            if lam:
                r.by_label[inst.label] = lam
    for inst in model.instances:
        brick = dict(inst.params).get("b")
        if inst.kind == "env" and "brick_crash" in inst.repairs and brick in repair_of:
            s, w = repair_of[brick]
            r.by_label[inst.label] = s / w
    shared = [a for a, ks in by_action.items() if len(ks) > 1]
    if shared:
        notes.append(f"{', '.join(shared)}: struck by {', '.join(by_action[shared[0]])}: their rates add, and the repair "
                     "takes their rate-weighted mean time (each brick's up-time exact, overlaps approximate)")
    return r, notes


def volume_bounds(part: str, sets: list[Any], rows_type: Any) -> Any:
    """The whole volume (every replica set has quorum) from its sets' exact figures: unavailability
    between the largest set's and the sum (union bound); over schedulers the low end takes each
    set's minimum, the high end each set's maximum."""
    low = max(0.0, 1.0 - sum(1.0 - s.low for s in sets))
    high = min(s.high for s in sets)
    return rows_type(part, sets[0].measure, low, high, sum(s.states for s in sets),
                     any(s.nondeterministic for s in sets), f"every replica set of the volume has quorum "
                     f"({len(sets)} sets): bounds", (), False)
