"""The Hypothesis internals the fuzzer uses, in one place, with a check that they are still what
the fuzzer expects.

Hypothesis' public API draws integers through strategies, several times slower than its
choice-level ``ConjectureData.draw_integer``; and no public switch turns off the constants it
collects from the source of the modules loaded in the process (which make a seed give another run
in a process that loaded other modules). So the runner uses, when present:

- ``ConjectureData.draw_integer(min_value, max_value)``, ``start_span(label)``, ``stop_span()``
  (through ``data.conjecture_data`` of ``st.data()``): fast draws, one span per step;
- ``hypothesis.internal.conjecture.providers``: ``_get_local_constants``, ``Constants``,
  ``CONSTANTS_CACHE``: an empty pool of local constants while fuzzing;
- ``inner_test._hypothesis_internal_add_digest``: the example-database key of a run (model,
  parameters, properties, options), read by ``hypothesis.internal.reflection.function_digest``.

Without them the runner falls back to public API (correct, slower; seeds then depend on the
modules loaded). The supported range is pinned in pyproject.toml (``SUPPORTED`` below, kept equal
by a test), and tests/test_hypothesis_internals.py fails, naming the internal, as soon as an
installed Hypothesis changes any of them: a silent fall-back is never what CI tests.
"""

from __future__ import annotations

import inspect

SUPPORTED = ">=6.135,<7"  # the hypothesis requirement in pyproject.toml; 6.135 is the first with all of these


def problems() -> list[str]:
    """What is missing or changed in the installed Hypothesis, one line each ([] when all is as expected)."""
    out: list[str] = []
    try:
        from hypothesis.internal.conjecture.data import ConjectureData
    except ImportError as e:
        return [f"hypothesis.internal.conjecture.data.ConjectureData: {e}"]
    for name, needed in (("draw_integer", ("min_value", "max_value")), ("start_span", ("label",)), ("stop_span", ())):
        fn = getattr(ConjectureData, name, None)
        if fn is None:
            out.append(f"ConjectureData.{name}: missing")
            continue
        params = inspect.signature(fn).parameters
        names = [p for p in params if p != "self"]
        if list(needed) != names[: len(needed)]:
            out.append(f"ConjectureData.{name}: takes ({', '.join(names)}), expected ({', '.join(needed)}, ...)")
        required = [p for p, v in params.items() if p != "self" and p not in needed and v.default is inspect.Parameter.empty
                    and v.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
        if required:
            out.append(f"ConjectureData.{name}: now requires {', '.join(required)}")
    try:
        from hypothesis.internal.conjecture import providers as hp
    except ImportError as e:
        return out + [f"hypothesis.internal.conjecture.providers: {e}"]
    if not callable(getattr(hp, "_get_local_constants", None)):
        out.append("providers._get_local_constants: missing")
    if not callable(getattr(hp, "Constants", None)):
        out.append("providers.Constants: missing")
    cache = getattr(getattr(hp, "CONSTANTS_CACHE", None), "cache", None)
    if not callable(getattr(cache, "clear", None)):
        out.append("providers.CONSTANTS_CACHE.cache.clear: missing")
    try:
        from hypothesis.internal.reflection import function_digest

        def probe() -> None:
            """A function whose digest must change with the extra digest."""

        before = function_digest(probe)
        probe._hypothesis_internal_add_digest = b"hacheck"  # type: ignore[attr-defined]
        if function_digest(probe) == before:
            out.append("reflection.function_digest: ignores _hypothesis_internal_add_digest (database keys would collide)")
    except ImportError as e:
        out.append(f"hypothesis.internal.reflection.function_digest: {e}")
    return out

