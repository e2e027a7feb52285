"""One counter that counts up to a million, one state per BFS level: a search that runs for minutes
in little memory, for the interruption tests (SIGTERM, Ctrl-C). When HACHECK_TEST_MARKER names a
file, build() creates it, so a test knows the check has started before it sends the signal."""
import os
from pathlib import Path

import attrs
from hacheck.lang import Int, Model, Spec, param


@attrs.frozen
class Params:
    top: int = param(1_000_000, low=1, doc="how far the counter goes")


def build(p):
    m = Model("long_run")
    x = m.var("x", Int(0, p.top), init=0)

    @m.action()
    def inc():
        return x < p.top, {x: x + 1}

    m.invariant("in_range", x <= p.top)
    m.reachable("top_reached", x == p.top)
    marker = os.environ.get("HACHECK_TEST_MARKER")
    if marker:
        Path(marker).write_text("built\n")
    return m


SPEC = Spec("long_run", Params, build)
