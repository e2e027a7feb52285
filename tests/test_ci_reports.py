"""JUnit and SARIF reports that CI tools read (issue 16 items 10 and 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"
STAR = ROOT / "examples" / "star.toml"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_junit_case_times_share_the_search_and_add_up_to_the_run(tmp_path):
    """Two properties decided by one search: each case gets its share, not the whole search time."""
    run("check", str(TUTORIAL), "--out", str(tmp_path / "o"), "--junit", str(tmp_path / "r.xml"),
        "--json", str(tmp_path / "r.json"), "-q")
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    doc = json.loads((tmp_path / "r.json").read_text())
    times = [float(tc.get("time")) for tc in suite.iter("testcase")]
    assert len(times) == 2
    total = doc["stats"]["seconds"]
    assert abs(sum(times) - total) < 0.01 and float(suite.get("time")) == round(total, 3)


def test_junit_cached_cases_take_no_time_and_say_so(tmp_path):
    env = {"HACHECK_CACHE_DIR": str(tmp_path / "cache")}
    args = ["check", str(STAR), "--fail", "storage:host-crash", "--out", str(tmp_path / "o"), "-q"]
    first = run(*args, "--junit", str(tmp_path / "1.xml"), env=env)
    assert first.returncode in (0, 1, 3), first.stderr
    again = run(*args, "--junit", str(tmp_path / "2.xml"), env=env)
    assert again.returncode == first.returncode
    one = list(ET.parse(tmp_path / "1.xml").getroot().iter("testcase"))
    two = list(ET.parse(tmp_path / "2.xml").getroot().iter("testcase"))
    assert sum(float(tc.get("time")) for tc in one) > 0
    checked = [tc for tc in two if tc.find("error") is None or tc.find("error").get("type") != "not-checked"]
    assert checked and all(tc.get("time") == "0.000" for tc in checked)
    for tc in checked:
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        assert props.get("cached") == "true", ET.tostring(tc)
    assert all(tc.find("properties") is None for tc in one)
