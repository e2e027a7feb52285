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


@attrs.frozen(eq=False)
class StatedLemma:
    """A state predicate the model's designer states to make a property inductive (the
    mypyvy/Ivy way). Never believed on the designer's word: ``prove --method lemmas`` assumes it
    only where it also proves it (initiation and consecution together with the property), and
    ``check`` evaluates it on every reachable state (a false one is a wrong lemma, exit 2)."""

    name: str
    expr: Expr
    supports: tuple[str, ...]  # the invariants it is stated for
    doc: str = ""
    location: str | None = None  # file:line of the m.lemma call
