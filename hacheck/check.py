"""One entry point for checking a model with the explicit engine, safety and liveness together."""

from __future__ import annotations

from typing import Iterable

import attrs

from .explain import annotate
from .explicit.liveness import Liveness
from .explicit.search import Bounds, Explorer, ProgressFn
from .lang.errors import HacheckError
from .lang.model import Model
from .lang.props import Property
from .result import CheckResult


def run_check(model: Model, properties: Iterable[Property] | None = None, bounds: Bounds | None = None,
              progress: ProgressFn | None = None, symmetry: bool = True) -> CheckResult:
    """Safety properties on a (symmetry-reduced) search; temporal ones on the full state graph.

    When temporal properties are asked for, one exploration without symmetry reduction serves
    both: the safety properties are checked on it while the graph is recorded.
    """
    props = list(properties) if properties is not None else list(model.properties.values())
    safety = [p for p in props if p.is_safety]
    temporal = [p for p in props if not p.is_safety]
    if not temporal:
        return annotate(model, props, Explorer(model, symmetry=symmetry).run(safety, bounds, progress))
    ex = Explorer(model, symmetry=False)
    result = ex.run(safety, bounds, progress, record_edges=True)
    by_name = {p.name: p for p in result.properties}
    try:
        live = Liveness(ex, ex.graph, result.stats)
        for p in temporal:
            by_name[p.name] = live.check(p)
    except MemoryError:
        g = ex.graph
        raise HacheckError(
            f"out of memory in the liveness check of {model.name}: its state graph ({g.states:,} states, "
            f"{len(g.src):,} transitions) does not fit with the working arrays; lower the bounds (--param), "
            "or check the safety properties alone (--property)"
        ) from None
    ordered = tuple(by_name[p.name] for p in props)
    return annotate(model, props, attrs.evolve(result, properties=ordered))
