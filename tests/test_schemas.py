"""The published JSON Schemas (issue 16 item 12): docs/schema/report.schema.json describes every
JSON report (tests/conftest.py validates each report a test writes against it) and
docs/schema/deployment.schema.json every deployment file (built from hacheck/deploy/schema.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schema"
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"


@pytest.mark.parametrize("name", ["report.schema.json", "deployment.schema.json"])
def test_schemas_are_valid_json_schemas(name):
    jsonschema.Draft202012Validator.check_schema(json.loads((SCHEMAS / name).read_text()))


def test_deployment_schema_file_is_what_the_key_table_builds():
    sys.path.insert(0, str(ROOT / "scripts"))
    import importlib

    mod = importlib.import_module("write-schemas")
    assert (SCHEMAS / "deployment.schema.json").read_text() == mod.text(), \
        "docs/schema/deployment.schema.json is stale: run scripts/write-schemas.py"


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.toml")))
def test_every_example_deployment_is_valid_against_the_schema(path):
    schema = json.loads((SCHEMAS / "deployment.schema.json").read_text())
    jsonschema.validate(tomllib.loads((ROOT / path).read_text()), schema)


def test_the_schema_rejects_an_unknown_key_and_a_wrong_type():
    schema = json.loads((SCHEMAS / "deployment.schema.json").read_text())
    doc = tomllib.loads((ROOT / "examples" / "star.toml").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "hostz": []}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "failures": {"count": "one"}}, schema)


def test_json_dash_writes_the_report_to_stdout_and_the_text_to_stderr(tmp_path):
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", str(TUTORIAL), "--out", str(tmp_path), "--json", "-"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["model"] == "two_replicas"
    assert "no_split_brain  invariant  violated" in r.stderr
    assert not (ROOT / "-").exists()
    from tests.written_files import check_report

    (tmp_path / "r.json").write_text(r.stdout)
    check_report(tmp_path / "r.json")


def test_the_report_schema_rejects_a_wrong_verdict(tmp_path):
    from tests.written_files import check_report

    doc = {"schema": 1, "hacheck_version": "0", "model": "m", "source": None, "params": {}, "exit_code": 0,
           "stats": {"states": 1, "transitions": 0, "depth": 0, "seconds": 0, "states_per_second": 0,
                     "bytes_per_state": 0, "initial_states": 1, "complete": True, "stop_reason": None, "symmetry": None},
           "properties": [{"name": "p", "kind": "invariant", "verdict": "proved", "method": "x", "engine": "explicit",
                           "explanation": "", "states": 1, "transitions": 0, "depth": 0, "seconds": 0,
                           "trace_length": None, "trace_kind": None, "trace_files": {}}]}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(AssertionError, match="verdict|proved"):
        check_report(tmp_path / "bad.json")
    (tmp_path / "bad.json").unlink()  # the after-test check would fail on it too
