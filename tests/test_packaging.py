"""Packaging: shipped models addressed by name from any folder, ``hacheck.models`` and
``hacheck.properties`` meaning the same files in a checkout as in an installed wheel, a user's
model importing the shipped rules, one version, the declared license.

The installed wheel and sdist themselves are exercised by scripts/check-package.sh (run by .ci/run):
built, installed in fresh virtualenvs outside the checkout, compared with the checkout's verdicts."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import hacheck
from hacheck.shipped import models_dir, properties_dir, shipped_models

ROOT = Path(__file__).resolve().parent.parent


def hacheck_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HACHECK_CACHE_DIR="off")
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_the_shipped_folders_are_the_checkouts_models_and_properties():
    assert models_dir() == (ROOT / "models").resolve()
    assert properties_dir() == (ROOT / "properties").resolve()
    import hacheck.properties.rules as rules

    assert Path(rules.__file__).resolve() == (ROOT / "properties" / "rules.py").resolve()
    assert set(shipped_models()) == {p.stem for p in (ROOT / "models").glob("*.py") if not p.stem.startswith("_")}


def test_shipped_modules_import_each_other_through_the_hacheck_namespace():
    """Installed, there is no top-level 'models' or 'properties' package: a shipped file that
    imports one works in the checkout and breaks in the wheel. (After a merge, a new
    'from properties.x import' line fails here.)"""
    offenders = []
    for f in sorted((ROOT / "models").glob("*.py")) + sorted((ROOT / "properties").glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for n in names:
                if n.split(".")[0] in ("models", "properties"):
                    offenders.append(f"{f.relative_to(ROOT)}:{node.lineno}: {n}")
    assert offenders == [], "use hacheck.models / hacheck.properties: " + ", ".join(offenders)


def test_hacheck_models_lists_one_line_per_shipped_model(tmp_path):
    res = hacheck_cli("models", cwd=tmp_path)
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert [line.split()[0] for line in lines] == sorted(shipped_models())
    gluster = next(line for line in lines if line.startswith("gluster_arbiter "))
    assert gluster.split(None, 1)[1] == "GlusterFS AFR replicate (one replica set, optionally with an arbiter): quorum and the changelog."


def test_a_shipped_model_by_name_from_any_folder(tmp_path):
    res = hacheck_cli("check", "gluster_arbiter", "--param", "replica=2", "--param", "arbiter=false",
                      "--param", "quorum_type=none", "--property", "no_split_brain", "-q", cwd=tmp_path)
    assert res.returncode == 1
    assert "no_split_brain  invariant  violated (11 steps, shortest)" in res.stdout
    listed = hacheck_cli("list", "fencing", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.startswith("model fencing")


def test_unknown_names_are_bad_input_with_the_shipped_names(tmp_path):
    res = hacheck_cli("check", "glusterarbiter", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("hacheck: error: glusterarbiter: no such shipped model (did you mean gluster_arbiter?)")
    assert "shipped models: fencing, gluster_arbiter, hosted_engine, standalone_engine" in res.stderr
    assert "Traceback" not in res.stderr
    res = hacheck_cli("check", "gluster_arbiter.py", cwd=tmp_path)
    assert res.returncode == 2
    assert "gluster_arbiter.py: no such model file (the shipped model is addressed by name: hacheck check gluster_arbiter)" \
        in res.stderr


def test_a_path_still_wins_for_a_users_own_file(tmp_path):
    shutil.copy(ROOT / "docs" / "tutorial" / "two_replicas.py", tmp_path / "two_replicas.py")
    res = hacheck_cli("check", "two_replicas.py", "-q", cwd=tmp_path)
    assert res.returncode == 1 and "model two_replicas" in res.stdout


def test_a_users_model_imports_the_shipped_rules_from_another_folder(tmp_path):
    """docs/language.md: docs/tutorial/quorum_rule.py decides its writes with the shipped
    afr_client_quorum. With the tie-break (auto), two replicas cannot split; without it they can."""
    shutil.copy(ROOT / "docs" / "tutorial" / "quorum_rule.py", tmp_path / "quorum_rule.py")
    auto = hacheck_cli("check", "quorum_rule.py", "-q", cwd=tmp_path)
    assert auto.returncode == 0, auto.stderr
    assert "no_split_brain  invariant  holds (exhaustive, 61 states)" in auto.stdout
    half = hacheck_cli("check", "quorum_rule.py", "--param", "quorum_type=half", "-q", cwd=tmp_path)
    assert half.returncode == 1 and "violated (4 steps, shortest)" in half.stdout


def test_deployments_and_lemmas_work_from_any_folder(tmp_path):
    shutil.copy(ROOT / "examples" / "star.toml", tmp_path / "star.toml")
    res = hacheck_cli("check", "star.toml", "--fail", "ovirt1", "--property", "no_lost_ack_heal", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no_such" not in res.stderr and "no such model file" not in res.stderr
    lm = hacheck_cli("lemma", "quorum_intersection_auto", cwd=tmp_path)
    assert lm.returncode == 0, lm.stderr
    assert lm.stdout.startswith("quorum_intersection_auto: holds (holds for every N >= 1")


def test_one_version_and_the_declared_license():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hacheck.__version__"}
    res = subprocess.run([sys.executable, "-m", "hacheck.cli", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert res.stdout.strip() == f"hacheck {hacheck.__version__}"
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and "END OF TERMS AND CONDITIONS" in text
    assert not any(c.startswith("License ::") for c in project["project"]["classifiers"])  # SPDX expression instead
