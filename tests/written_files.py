"""Checks on every file a test writes (issue 16 items 9 and 12), run by tests/conftest.py after each
test on its tmp_path: every ITF trace is parsed by itf-py (the Informal Systems library) and by
hacheck's reader; every JSON report is valid against docs/schema/report.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = ROOT / "docs" / "schema" / "report.schema.json"
_validator = None


def report_validator():
    global _validator
    if _validator is None:
        import jsonschema

        schema = json.loads(REPORT_SCHEMA.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def check_trace(path: Path) -> None:
    import itf_py

    from hacheck.trace import read_itf

    data = json.loads(path.read_text())
    try:
        t = itf_py.trace_from_json(data)
    except Exception as e:  # noqa: BLE001 - the message names the file
        raise AssertionError(f"{path}: itf-py cannot read this trace: {type(e).__name__}: {e}") from e
    assert len(t.states) == len(data["states"]), path
    read_itf(path)


def check_report(path: Path) -> None:
    doc = json.loads(path.read_text())
    errors = sorted(report_validator().iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        raise AssertionError(f"{path}: not valid against {REPORT_SCHEMA.name}: at {'/'.join(map(str, e.path))}: {e.message}")


def is_report(path: Path) -> bool:
    if path.name.endswith((".itf.json", ".sarif")) or path.suffix != ".json":
        return False
    try:
        doc = json.loads(path.read_text())
    except (ValueError, OSError):
        return False
    return isinstance(doc, dict) and "hacheck_version" in doc and "schema" in doc


def check_folder(folder: Path) -> int:
    """Check every trace and report under ``folder``; return how many files were checked."""
    n = 0
    for p in sorted(folder.rglob("*.json")):
        if ".hacheck-cache" in p.parts or "cache" in p.parts:
            continue
        if p.name.endswith(".itf.json"):
            if _written_by_hacheck(p):  # not the corrupt inputs some tests write on purpose
                check_trace(p)
                n += 1
        elif is_report(p):
            check_report(p)
            n += 1
    return n


def _written_by_hacheck(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (ValueError, OSError):
        return False
    return isinstance(data, dict) and isinstance(data.get("#meta"), dict) and "hacheck" in data["#meta"]
