"""Properties as plain data: what to check, not how.

Invariant and Reachable are state predicates; the temporal kinds (Eventually, LeadsTo,
AlwaysEventually) are checked by the liveness engine under the actions' fairness.
"""

from __future__ import annotations

import attrs

from .expr import Expr

SAFETY_KINDS = ("invariant", "reachable")


@attrs.frozen(eq=False)
class Property:
    name: str
    kind: str  # "invariant" | "reachable" | "eventually" | "leads_to" | "always_eventually"
    expr: Expr  # the state predicate (for leads_to: the trigger P)
    doc: str = ""
    target: Expr | None = None  # leads_to: the response Q
    location: str | None = None  # file:line where it was declared

    @property
    def is_safety(self) -> bool:
        return self.kind in SAFETY_KINDS

    def describe(self) -> str:
        from .expr import show

        if self.kind == "leads_to":
            assert self.target is not None
            return f"{show(self.expr)} ~> {show(self.target)}"
        prefix = {"invariant": "always", "reachable": "reachable", "eventually": "eventually",
                  "always_eventually": "always eventually"}[self.kind]
        return f"{prefix} {show(self.expr)}"
