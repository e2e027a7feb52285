"""A cache of verdicts, keyed by the model's source, its parameters, the faults allowed, the bounds and
the hacheck version and source: an unchanged deployment re-checks without exploring anything.

Entries live in ``.hacheck-cache/`` (or ``$HACHECK_CACHE_DIR``; ``HACHECK_CACHE_DIR=off`` disables
the cache). Each entry is a JSON file with the verdicts and figures, plus one ITF file per trace.
Anything unreadable is treated as a miss, never as a verdict: the entry records the size and
SHA-256 of each trace file, so a truncated or overwritten trace is caught when the entry is read.
Every file is written to a temporary name in the same folder and renamed into place (atomic on
POSIX), so parallel workers (``--workers``, a cluster sharing the folder) and an interrupted run
never leave a half-written entry under its final name.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import attrs

from .. import __version__
from ..diskcache import digest_files as _digest_files, env_disabled, write_atomic as _write_atomic
from ..result import CheckResult, PropertyResult, Stats
from ..trace import Trace, read_itf, to_itf

CACHE_FORMAT = 4
_PKG = Path(__file__).resolve().parent.parent
_digests: dict[Path, str] = {}


def cache_dir() -> Path | None:
    env = os.environ.get("HACHECK_CACHE_DIR", "")
    if env_disabled():
        return None
    return Path(env) if env else Path(".hacheck-cache")


def source_digest(model_file: Path) -> str:
    """The model file, the shared properties next to it, and hacheck's own source."""
    model_file = model_file.resolve()
    if model_file not in _digests:
        from ..shipped import properties_dir

        folders = {model_file.parent.parent / "properties", properties_dir()}  # a user's own, the shipped ones
        files = [model_file] + sorted(f for d in folders for f in d.glob("*.py")) + sorted(_PKG.rglob("*.py"))
        _digests[model_file] = _digest_files(files)
    return _digests[model_file]


def key(model_file: Path, identity: dict[str, Any]) -> str:
    doc = {"format": CACHE_FORMAT, "hacheck": __version__, "source": source_digest(model_file), **identity}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:32]


def load(k: str) -> CheckResult | None:
    """The cached result, or None. Traces are not read here (they can be large): a property with one
    carries ``extra["_trace_file"]`` (an ITF file, byte-identical to what ``write_itf`` writes),
    ``_trace_length``, ``_trace_kind`` and ``_trace_actions``; :func:`trace_of` reads it."""
    folder = cache_dir()
    if folder is None:
        return None
    f = folder / f"{k}.json"
    try:
        doc = json.loads(f.read_text())
        props = []
        for i, p in enumerate(doc["properties"]):
            t = p.pop("trace")
            p["stats"] = Stats(**p["stats"])
            if t is not None:
                tf = folder / f"{k}.{i}.itf.json"
                if not _intact(tf, t["size"], t["sha256"]):
                    return None
                p["extra"] = dict(p["extra"], _trace_file=str(tf), _trace_length=t["length"], _trace_kind=t["kind"],
                                  _trace_actions=t["actions"], _trace_env_steps=t["env_steps"],
                                  _trace_sha256=t["sha256"])
            props.append(PropertyResult(trace=None, **p))
        return CheckResult(doc["model"], doc["params"], tuple(props), Stats(**doc["stats"]), doc["engine"])
    except Exception:  # noqa: BLE001 - a damaged entry is a miss
        return None


def trace_of(p: PropertyResult) -> Trace | None:
    if p.trace is not None:
        return p.trace
    f = p.extra.get("_trace_file")
    return read_itf(f) if f else None


def itf_bytes(trace: Trace) -> bytes:
    """A trace as the cache stores it: compact ITF JSON (json's C encoder; an indented file takes the
    pure-Python one, which cost a deployment run several per cent of its time). Its sha256 is the
    fingerprint of the trace files written from it (run.write_trace)."""
    return (json.dumps(to_itf(trace), separators=(",", ":")) + "\n").encode()


def store(k: str, result: CheckResult) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        props = []
        for i, p in enumerate(result.properties):
            t = None
            if p.trace is not None:
                data = itf_bytes(p.trace)
                _write_atomic(folder / f"{k}.{i}.itf.json", data)
                t = {"length": p.trace.length, "kind": p.trace.kind, "actions": [s.action for s in p.trace.steps],
                     "env_steps": sum(1 for s in p.trace.steps if s.kind == "env"),
                     "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                p.extra["_trace_sha256"] = t["sha256"]  # the output files' fingerprint (run.write_trace)
            props.append({"name": p.name, "kind": p.kind, "verdict": p.verdict, "method": p.method, "engine": p.engine,
                          "explanation": p.explanation, "stats": attrs.asdict(p.stats), "trace_files": {},
                          "extra": {x: v for x, v in p.extra.items() if not x.startswith("_")}, "trace": t})
        doc = {"model": result.model, "params": result.params, "engine": result.engine,
               "stats": attrs.asdict(result.stats), "properties": props}
        _write_atomic(folder / f"{k}.json", json.dumps(doc, default=_jsonable).encode())  # last: it commits the entry
    except OSError:
        pass  # a cache that cannot be written only costs time


def _intact(path: Path, size: int, sha256: str) -> bool:
    """The trace file is the one the entry was written with (same size, same digest)."""
    try:
        if path.stat().st_size != size:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _jsonable(v: Any) -> Any:
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    return str(v)
