"""The JSON report: one object per run, one entry per property. Schema: docs/json-report.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..lang.errors import HacheckError
from ..result import CheckResult

SCHEMA_VERSION = 1


def to_json(result: CheckResult, source: str | None = None) -> dict[str, Any]:
    s = result.stats
    return {
        "schema": SCHEMA_VERSION,
        "hacheck_version": __version__,
        "model": result.model,
        "source": source,
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in result.params.items()},
        "exit_code": result.exit_code,
        "stats": {
            "states": s.states, "transitions": s.transitions, "depth": s.depth,
            "seconds": round(s.seconds, 4), "states_per_second": round(s.states_per_second, 1),
            "bytes_per_state": round(s.bytes_per_state, 1), "initial_states": s.initial_states,
            "peak_rss_bytes": s.peak_rss_bytes, "peak_rss_bytes_per_state": round(s.peak_rss_per_state, 1),
            "complete": s.complete, "stop_reason": s.stop_reason or None, "symmetry": s.symmetry or None,
        },
        "properties": [
            {
                "name": p.name, "kind": p.kind, "verdict": p.verdict, "method": p.method, "engine": p.engine,
                "explanation": p.explanation, "states": p.stats.states, "transitions": p.stats.transitions,
                "depth": p.stats.depth, "seconds": round(p.stats.seconds, 4),
                "trace_length": p.trace.length if p.trace else None,
                "trace_kind": p.trace.kind if p.trace else None,
                "trace_files": dict(p.trace_files),
                **({"extra": p.extra} if p.extra else {}),
            }
            for p in result.properties
        ],
        **({"phases": {k: round(v, 4) for k, v in result.phases.items()}} if result.phases else {}),
        **({"cache": dict(result.cache)} if result.cache else {}),
    }


STDOUT: list[Any] = []  # where ``--json -`` writes: the real standard output (the CLI sends its text to stderr)


def write_json(results: list[dict[str, Any]], path: Path | str) -> None:
    doc: Any = results[0] if len(results) == 1 else {"schema": SCHEMA_VERSION, "hacheck_version": __version__, "runs": results}
    if str(path) == "-":
        import sys

        out = STDOUT[-1] if STDOUT else sys.stdout
        out.write(json.dumps(doc, indent=2) + "\n")
        out.flush()
        return
    p = Path(path)
    try:
        p.write_text(json.dumps(doc, indent=2) + "\n")
    except OSError as e:
        raise HacheckError(f"{p}: cannot write the JSON report: {e.strerror}") from None
