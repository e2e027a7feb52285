"""Drive ``store.Store`` with the steps of ``model.py`` and report its state in the model's terms."""

from __future__ import annotations

from typing import Any

from hacheck.fuzz import Adapter
from hacheck.trace import Step

from .store import NoQuorum, Store


class StoreAdapter(Adapter):
    """One model step = one call on the store; ``observe`` reads back what the store holds."""

    store_class: type[Store] = Store

    def reset(self, initial: dict[str, Any]) -> None:
        self.replicas = sorted(initial["data"])
        self.clients = sorted(initial["acked"])
        self.store = self.store_class(self.replicas, self.clients)

    def perform(self, step: Step, before: dict[str, Any], after: dict[str, Any]) -> None:
        p = dict(step.params)
        if step.action in ("write", "write_refused"):
            client = p["c"]
            value = "w" + client[1:]  # client ci writes value wi under its own key, as in the model
            try:
                self.store.put(client, f"key-{client}", value)
            except NoQuorum:
                pass  # refused: observe() shows whether that matches the model
        elif step.action == "crash":
            self.store.crash(p["r"])
        elif step.action == "restart":
            self.store.restart(p["r"])
        elif step.action == "cut":
            self.store.cut(p["c"], p["r"])
        elif step.action == "repair":
            self.store.repair(p["c"], p["r"])
        else:
            raise AssertionError(f"the adapter does not know the action {step.action}")

    def observe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, r in self.store.replicas.items():
            out[f"up[{name}]"] = r.running
            out[f"data[{name}]"] = sorted(set(r.items.values()))
        for c in self.clients:
            out[f"acked[{c}]"] = bool(self.store.acknowledged[c])
        return out
