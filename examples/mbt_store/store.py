"""A small replicated key-value store with quorum writes, written as ordinary Python.

Nothing here knows about hacheck: it is the kind of code a team writes and wants to test against
its design (``model.py``). ``BuggyStore`` plants a classic bug, an off-by-one quorum.
"""

from __future__ import annotations


class NoQuorum(Exception):
    """Too few live replicas are reachable for this write."""


class Replica:
    def __init__(self, name: str):
        self.name = name
        self.running = True
        self.items: dict[str, str] = {}  # survives a crash: it stands for the replica's disk

    def store(self, key: str, value: str) -> None:
        if not self.running:
            raise ConnectionError(f"{self.name} is down")
        self.items[key] = value


class Store:
    """Replicas, the network between clients and replicas, and the write path."""

    def __init__(self, replicas: list[str], clients: list[str]):
        self.replicas = {name: Replica(name) for name in replicas}
        self.clients = list(clients)
        self.broken: set[tuple[str, str]] = set()  # (client, replica) links that are down
        self.acknowledged: dict[str, list[str]] = {c: [] for c in clients}  # keys acked per client

    # -- the failure surface -------------------------------------------------------------------
    def crash(self, replica: str) -> None:
        self.replicas[replica].running = False

    def restart(self, replica: str) -> None:
        self.replicas[replica].running = True

    def cut(self, client: str, replica: str) -> None:
        self.broken.add((client, replica))

    def repair(self, client: str, replica: str) -> None:
        self.broken.discard((client, replica))

    # -- the protocol --------------------------------------------------------------------------
    def quorum_size(self) -> int:
        return len(self.replicas) // 2 + 1

    def reachable(self, client: str) -> list[Replica]:
        return [r for r in self.replicas.values() if r.running and (client, r.name) not in self.broken]

    def put(self, client: str, key: str, value: str) -> None:
        """Store ``key = value`` on every live replica the client reaches, if they are a quorum."""
        targets = self.reachable(client)
        if len(targets) < self.quorum_size():
            raise NoQuorum(f"{client} reaches {len(targets)} of {len(self.replicas)} replicas")
        for r in targets:
            r.store(key, value)
        self.acknowledged[client].append(key)


class BuggyStore(Store):
    """The planted bug: an off-by-one quorum (half the replicas instead of a majority)."""

    def quorum_size(self) -> int:
        return max(1, len(self.replicas) // 2)
