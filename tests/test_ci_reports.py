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


def test_sarif_points_at_the_property_and_action_lines_relative_to_the_repository(tmp_path):
    """GitHub code scanning maps a result through uriBaseId %SRCROOT% (the repository root); a path as
    typed (absolute, or relative to another folder) maps to nothing."""
    r = run("check", str(TUTORIAL), "--out", str(tmp_path / "o"), "-q", "--sarif", str(tmp_path / "r.sarif"))
    assert r.returncode == 1
    doc = json.loads((tmp_path / "r.sarif").read_text())
    run0 = doc["runs"][0]
    assert run0["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    lines = TUTORIAL.read_text().splitlines()
    res = next(x for x in run0["results"] if x["ruleId"] == "two_replicas/no_split_brain")
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "docs/tutorial/two_replicas.py", "uriBaseId": "%SRCROOT%"}
    assert "no_split_brain" in "\n".join(lines[loc["region"]["startLine"] - 1:loc["region"]["startLine"] + 1])
    steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(steps) == 4
    for st in steps:
        line = st["location"]["physicalLocation"]["region"]["startLine"]
        action = st["location"]["message"]["text"].split(": ", 1)[1].removeprefix("FAULT ").split("(")[0]
        assert f"def {action}(" in "\n".join(lines[line - 1:line + 2]), (action, line)
    rule = next(x for x in run0["tool"]["driver"]["rules"] if x["id"] == "two_replicas/no_split_brain")
    assert rule["fullDescription"]["text"] == "no two replicas each hold a write the other lacks"
    assert "counterexample" in rule["help"]["text"]
