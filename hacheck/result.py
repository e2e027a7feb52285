"""Results of a check: what was shown, by which engine, with which figures.

A verdict is a promise: its text says exactly how it was established, so a bounded or
interrupted search can never read as a proof.
"""

from __future__ import annotations

from typing import Any

import attrs

from .trace import Trace

HOLDS, VIOLATED, UNKNOWN = "holds", "violated", "unknown"


@attrs.frozen
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    initial_states: int = 0
    bytes_per_state: float = 0.0  # bytes of the state store (rows, parents, actions, visited keys) per state
    complete: bool = False  # the whole reachable state space was explored
    stop_reason: str = ""  # why the search stopped early, if it did
    symmetry: str = ""  # the symmetry reduction used, if any (states are then orbit representatives)
    peak_rss_bytes: int = 0  # the process's peak resident set when the search (and liveness) ended

    @property
    def peak_rss_per_state(self) -> float:
        return self.peak_rss_bytes / self.states if self.states else 0.0

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen
class PropertyResult:
    name: str
    kind: str
    verdict: str  # holds | violated | unknown
    method: str  # e.g. "exhaustive", "bounded", "witness", "k-induction"
    engine: str  # "explicit" | "smt" | "fuzz"
    explanation: str  # the verdict line's parenthesis: "exhaustive, 18,432 states"
    stats: Stats
    trace: Trace | None = None
    trace_files: dict[str, str] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def line(self) -> str:
        return f"{self.verdict} ({self.explanation})"


@attrs.frozen
class CheckResult:
    model: str
    params: dict[str, Any]
    properties: tuple[PropertyResult, ...]
    stats: Stats
    engine: str = "explicit"
    phases: dict[str, float] = attrs.field(factory=dict, eq=False)  # seconds per phase (hacheck/timing.py)
    cache: dict[str, str] = attrs.field(factory=dict, eq=False)  # start-up cache status per kind

    @property
    def exit_code(self) -> int:
        verdicts = {p.verdict for p in self.properties}
        if VIOLATED in verdicts:
            return 1
        if UNKNOWN in verdicts:
            return 3
        return 0

    def with_trace_files(self, name: str, files: dict[str, str]) -> "CheckResult":
        props = tuple(attrs.evolve(p, trace_files=files) if p.name == name else p for p in self.properties)
        return attrs.evolve(self, properties=props)


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
