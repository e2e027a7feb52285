"""Independent model checks of a deployment run in parallel (issue 15, items 9 and 10): local worker
processes (``--workers N``) and a real Dask distributed cluster (``--cluster ADDRESS``). Each gives
the same table, the same cache entries and the same exit code as one process. No test here depends
on speed: benchmarks/bench_deploy.py measures that."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_deploy_robustness import deployment

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cache: Path | str = "off", env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ, HACHECK_CACHE_DIR=str(cache), **(env or {}))
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=900, env=e)


def table(stdout: str, out_dir: Path) -> str:
    """The printed report without what differs between runs of the same checks (times, the output folder)."""
    text = stdout.replace(str(out_dir), "OUT")
    text = re.sub(r"\d+\.\d+ s\b", "T s", text)
    text = re.sub(r"\(\d+ cached\)", "(N cached)", text)
    text = "\n".join(line for line in text.splitlines() if set(line) - {"-", " "})  # the rule's width follows the paths
    return re.sub(r" +", " ", text)


def check(tmp: Path, f: Path, tag: str, *extra: str) -> tuple[subprocess.CompletedProcess, str, set[str]]:
    cache = tmp / f"cache-{tag}"
    out = tmp / f"out-{tag}"
    r = run("check", str(f), "--out", str(out), "--json", str(tmp / f"{tag}.json"), *extra, cache=cache)
    assert r.returncode in (0, 1), r.stderr
    return r, table(r.stdout, out), {p.name for p in cache.iterdir() if p.is_file()}  # verdicts; start-up caches sit in folders


@pytest.fixture(scope="module")
def two_failures(tmp_path_factory):
    """Two failures at once (host crash, network loss): 11 scenarios, about 30 distinct model checks."""
    tmp = tmp_path_factory.mktemp("parallel")
    f = tmp / "two.toml"
    f.write_text(deployment(count=2, kinds='["host-crash", "network-loss"]'))
    return tmp, f, check(tmp, f, "one", "--workers", "1")


def test_workers_give_the_same_table_cache_and_exit_code(two_failures):
    tmp, f, (one, one_table, one_cache) = two_failures
    two, two_table, two_cache = check(tmp, f, "two", "--workers", "2")
    assert two.returncode == one.returncode
    assert two_table == one_table
    assert two_cache == one_cache and any(n.endswith(".itf.json") for n in one_cache)
    assert "model checks to run on 2 worker processes" in two.stderr
    doc = json.loads((tmp / "two.json").read_text())
    assert doc["model_checks"] >= 20 and doc["cached"] == 0


def test_parallel_runs_share_one_cache_safely(two_failures, tmp_path):
    """Two runs with two workers each, at the same time, on one cache folder: both finish with the
    table of a single run, and the cache they leave is the one a single run leaves."""
    tmp, f, (one, one_table, one_cache) = two_failures
    cache = tmp_path / "shared"
    env = dict(os.environ, HACHECK_CACHE_DIR=str(cache))
    procs = [subprocess.Popen([sys.executable, "-m", "hacheck.cli", "check", str(f), "--out", str(tmp_path / f"o{i}"),
                               "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    for i, (p, (out, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == one.returncode, err
        assert table(out, tmp_path / f"o{i}") == one_table
    assert {p.name for p in cache.iterdir() if p.is_file()} == one_cache
    again = run("check", str(f), "--out", str(tmp_path / "o3"), "--json", str(tmp_path / "again.json"), cache=cache)
    doc = json.loads((tmp_path / "again.json").read_text())
    assert doc["cached"] == doc["model_checks"] and again.returncode == one.returncode


def test_dask_local_cluster_gives_the_same_table_cache_and_exit_code(two_failures, tmp_path):
    """A real Dask cluster: a scheduler and two worker processes started here, the deployment sent to
    it with --cluster; the table, the cache entries and the exit code are those of the local run."""
    distributed = pytest.importorskip("distributed")
    tmp, f, (one, one_table, one_cache) = two_failures
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            r, dask_table, dask_cache = check(tmp_path, f, "dask", "--cluster", cluster.scheduler_address)
            ran_on = {w["id"] for w in client.scheduler_info()["workers"].values()}
    assert f"model checks to run on the Dask cluster at {cluster.scheduler_address}" in r.stderr
    assert r.returncode == one.returncode
    assert dask_table == one_table
    assert dask_cache == one_cache
    assert len(ran_on) == 2


def test_dask_executor_without_dask_installed_is_a_clear_error(tmp_path):
    """Without the optional dependency, --executor dask and --cluster stop before any work, exit 2,
    saying what to install."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "distributed.py").write_text("raise ImportError('no distributed here')\n")
    f = tmp_path / "d.toml"
    f.write_text(deployment())
    env = {"PYTHONPATH": os.pathsep.join([str(blocker), str(ROOT)])}
    for flags in (["--executor", "dask"], ["--cluster", "tcp://127.0.0.1:8786"]):
        r = run("check", str(f), *flags, env=env)
        assert r.returncode == 2, r.stderr
        assert "needs Dask distributed, an optional dependency: pip install 'hacheck[cluster]'" in r.stderr
        assert "[1/" not in r.stderr and "Traceback" not in r.stderr


def test_cluster_address_nobody_listens_on_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    f = tmp_path / "d.toml"
    f.write_text(deployment())
    r = run("check", str(f), "--cluster", "tcp://127.0.0.1:9", env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert r.returncode == 2 and "--cluster tcp://127.0.0.1:9: cannot reach a Dask scheduler there" in r.stderr


def test_executor_flags_are_for_deployment_files_only():
    r = run("check", "models/fencing.py", "--workers", "2")
    assert r.returncode == 2 and "--workers: only for deployment files" in r.stderr


def test_a_worker_with_other_model_sources_refuses_the_job(tmp_path):
    """A worker whose hacheck or models differ from the caller's (a cluster on another version) would
    fill the cache, keyed by the caller's sources, with its own verdicts: it refuses instead."""
    from hacheck.deploy.executor import Job, work
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import load
    from hacheck.deploy.run import Bounds
    from hacheck.lang.errors import HacheckError

    f = tmp_path / "d.toml"
    f.write_text(deployment())
    spec = plan(load(f)).models[-1].runs[0].spec
    with pytest.raises(HacheckError, match="has another hacheck or model fencing"):
        work(Job(spec, Bounds(), "0" * 64))
