"""Deployment checks a sysadmin can trust with odd input (issue 15, items 8 and 11-13): several
failures at once on a self-hosted deployment, a damaged cache, very long names, and input checks.
Every test writes its own deployment file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from hacheck.lang.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent


def deployment(name: str = "small", h1: str = "ovirt1", h2: str = "ovirt2", h3: str = "storage", count: int = 1,
               kinds: str = '["host-crash"]', extra: str = "", gluster: str = '"3.12"') -> str:
    """A self-hosted engine on two hosts over a replica 3 arbiter volume with the third node, one HA VM,
    timers scaled (a few seconds to check)."""
    return f'''name = "{name}"

[[hosts]]
name = "{h1}"
cpus = 16
memory_gb = 64
hosted_engine = true
power_management = true

[[hosts]]
name = "{h2}"
cpus = 16
memory_gb = 64
hosted_engine = true
power_management = true

[[hosts]]
name = "{h3}"
cpus = 8
memory_gb = 32
hypervisor = false

[engine]
mode = "self-hosted"
host = "{h1}"
storage = "engine"

[[vms]]
name = "Database"
ha = true
cpus = 4
memory_gb = 8
host = "{h1}"

[[volumes]]
name = "engine"
replica = 3
arbiter = 1
bricks = ["{h1}:/b/engine", "{h2}:/b/engine", "{h3}:/b/arbiter"]

[gluster]
version = {gluster}

[operations]
manual_fence_confirm = false

[failures]
count = {count}
kinds = {kinds}
{extra}'''


def run(*args: str, cache: Path | str = "off", env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ, HACHECK_CACHE_DIR=str(cache), **(env or {}))
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, env=e)


def write(tmp: Path, text: str, name: str = "d.toml") -> Path:
    f = tmp / name
    f.write_text(text)
    return f


def report_rows(path: Path) -> dict[tuple[str, str], dict]:
    return {(r["model"], r["property"]): r for r in json.loads(path.read_text())["rows"]}


# ---- item 8: several failures at once -------------------------------------------------------------
@pytest.mark.parametrize("count", [2, 3])
def test_two_and_three_failures_at_once_run_on_a_self_hosted_deployment(tmp_path, count):
    """A crash of a hosted-engine host costs the fencing model two faults (the host's and the engine
    restart that comes with it): with both hosted-engine hosts crashing (and the engine service
    restarting on top with count 3) the budget is 4 or 5. Every model is checked; none is refused."""
    kinds = '["host-crash", "engine-restart"]' if count == 3 else '["host-crash"]'
    f = write(tmp_path, deployment(count=count, kinds=kinds))
    r = run("check", str(f), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"), "-q")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert all(row["verdict"] != "not checked" for row in doc["rows"]), doc["rows"]
    both = [s for s in doc["failures"]["scenarios"] if "ovirt1 host-crash" in s and "ovirt2 host-crash" in s]
    assert both, doc["failures"]["scenarios"]
    fencing = report_rows(tmp_path / "r.json")[("fencing", "no_dual_running_vm")]
    assert {x["scenario"] for x in fencing["runs"]} >= set(both)


def test_every_count_the_schema_accepts_fits_every_models_budget():
    """The largest deployment the models take (four hosted-engine hypervisors with PM, failure kinds
    that cost the most), for every failures.count the schema accepts: no parameter is out of range."""
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import loads
    from hacheck.deploy.run import preflight

    hosts = "".join(f'''
[[hosts]]
name = "n{i}"
cpus = 32
memory_gb = 128
hosted_engine = true
power_management = true
''' for i in range(4))
    vms = "".join(f'''
[[vms]]
name = "vm{i}"
ha = true
cpus = 2
memory_gb = 4
host = "n{i}"
''' for i in range(4))
    for count in (0, 1, 2, 3):
        text = hosts + vms + f'''
[engine]
mode = "self-hosted"
host = "n0"
storage = "engine"

[[volumes]]
name = "engine"
replica = 3
bricks = ["n0:/b", "n1:/b", "n2:/b"]

[failures]
count = {count}
kinds = ["host-crash", "storage-loss", "network-loss", "engine-restart", "client-crash", "brick-io-error"]
'''
        p = plan(loads(text, "big.toml"))
        preflight(p)  # raises BadInput when a model cannot take a budget
        budgets = {(mp.model, dict(r.spec.params)["max_faults"]) for mp in p.models for r in mp.runs}
        if count == 3:
            assert max(b for m, b in budgets if m == "fencing") == 6  # three hosted-engine hosts crash


def test_a_budget_a_model_cannot_take_is_refused_before_any_work_naming_key_and_line(tmp_path):
    """Should a mapping ever ask a model for more faults than it takes, the check stops before any
    model check, naming failures.count and its line (not a message from deep inside the model)."""
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import load
    from hacheck.deploy.run import preflight

    f = write(tmp_path, deployment(count=2))
    p = plan(load(f))
    fencing = next(mp for mp in p.models if mp.model == "fencing")
    pr = fencing.runs[0]
    too_many = attrs.evolve(pr.spec, params=tuple((k, 7 if k == "max_faults" else v) for k, v in pr.spec.params))
    fencing.runs[0] = attrs.evolve(pr, spec=too_many)
    with pytest.raises(BadInput) as e:
        preflight(p)
    line = f.read_text().splitlines().index("count = 2") + 1
    assert str(e.value).startswith(f"{f}:{line}: failures.count: scenario ")
    assert "fault budget of 7 in model fencing" in str(e.value) and "above its maximum 6" in str(e.value)


# ---- item 11: a damaged cache ----------------------------------------------------------------------
def test_a_damaged_cached_trace_is_a_miss_and_is_rewritten(tmp_path):
    """A truncated and a garbage trace file in the cache: the next run checks those again (the same
    table, no traceback), and repairs the entries; no temporary file is left behind."""
    f = write(tmp_path, deployment())
    cache = tmp_path / "cache"
    first = run("check", str(f), "--out", str(tmp_path / "o1"), "--json", str(tmp_path / "r1.json"), "-q", cache=cache)
    assert first.returncode in (0, 1), first.stderr
    # every cached trace damaged (the cache also holds the re-runs that find the settings involved,
    # so which entries the table's checks use is not known here): half truncated, half garbage
    traces = sorted(cache.glob("*.itf.json"))
    assert len(traces) >= 2
    for k, t in enumerate(traces):
        if k % 2:
            t.write_text("garbage, not JSON")
        else:
            t.write_bytes(t.read_bytes()[:40])  # truncated
    for b in cache.glob("blame-*.json"):  # the settings involved are cached too: without them the
        b.unlink()  # re-runs are read again, so every damaged entry is read (and must be a miss)
    again = run("check", str(f), "--out", str(tmp_path / "o2"), "--json", str(tmp_path / "r2.json"), "-q", cache=cache)
    assert again.returncode == first.returncode, again.stderr
    assert "Traceback" not in again.stderr and "error" not in again.stderr
    r1, r2 = json.loads((tmp_path / "r1.json").read_text()), json.loads((tmp_path / "r2.json").read_text())
    assert [(x["model"], x["property"], x["verdict"]) for x in r1["rows"]] == \
        [(x["model"], x["property"], x["verdict"]) for x in r2["rows"]]
    assert r2["cached"] < r2["model_checks"]  # the entries with a damaged trace were checked again
    for t in traces:  # and their traces rewritten whole
        if t.exists():
            json.loads(t.read_text())
    third = run("check", str(f), "--out", str(tmp_path / "o3"), "--json", str(tmp_path / "r3.json"), "-q", cache=cache)
    assert third.returncode == first.returncode
    r3 = json.loads((tmp_path / "r3.json").read_text())
    assert r3["cached"] == r3["model_checks"]  # repaired
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_cache_entries_are_written_atomically(tmp_path, monkeypatch):
    """A write that fails half-way (disk full) leaves no entry under its final name: readers see the
    old entry or none, never part of one."""
    from hacheck.deploy import cache

    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    target = tmp_path / "k.json"
    target.write_text('{"old": true}')

    class Full(OSError):
        pass

    real_fdopen = os.fdopen

    def failing_fdopen(fd, mode):
        fobj = real_fdopen(fd, mode)

        class F:
            def __enter__(self):
                return self

            def __exit__(self, *a):
                fobj.close()

            def write(self, data):
                fobj.write(data[:3])
                raise Full(28, "No space left on device")
        return F()

    monkeypatch.setattr(cache.os, "fdopen", failing_fdopen)
    with pytest.raises(Full):
        cache._write_atomic(target, b'{"new": true}')
    assert target.read_text() == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json"]


# ---- item 12: long names ------------------------------------------------------------------------------
def test_very_long_host_and_deployment_names_still_print_the_table_and_write_traces(tmp_path):
    """Host names of 170 characters and a 200-character deployment name: trace file names are cut
    and end with a hash of the whole name; the table is printed and every trace file is written."""
    long1, long2 = "a" * 169 + "1", "b" * 169 + "2"
    f = write(tmp_path, deployment(name="d" * 200, h1=long1, h2=long2))
    r = run("check", str(f), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"))
    assert r.returncode in (0, 1), r.stderr
    assert "property" in r.stdout and "no_dual_engine" in r.stdout  # the table
    files = [Path(p) for row in json.loads((tmp_path / "r.json").read_text())["rows"]
             for p in row["trace_files"].values()]
    assert files and all(p.exists() and len(p.name.encode()) <= 255 for p in files)
    assert len({p.name for p in files}) == len(files)  # distinct traces keep distinct names


def test_bounded_stem_keeps_short_names_and_hashes_long_ones():
    from hacheck.deploy.run import MAX_STEM, bounded_stem

    assert bounded_stem("star.fencing.ha_vm_restarted") == "star.fencing.ha_vm_restarted"
    a, b = bounded_stem("x" * 300 + "a"), bounded_stem("x" * 300 + "b")
    assert len(a) <= MAX_STEM and len(b) <= MAX_STEM and a != b


# ---- item 13: input checks -------------------------------------------------------------------------------
@pytest.mark.parametrize("version, ok", [('"3.12"', True), ('"10"', True), ('"3.12.15"', True),
                                         ('"banana"', False), ('"3.x"', False), ('""', False)])
def test_gluster_version_is_validated(tmp_path, version, ok):
    from hacheck.deploy.parse import load

    f = write(tmp_path, deployment(gluster=version))
    if ok:
        load(f)
        return
    with pytest.raises(BadInput) as e:
        load(f)
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1) if t.startswith("version ="))
    assert str(e.value).startswith(f"{f}:{line}: gluster.version: {version.strip(chr(34))!r} is not a GlusterFS version")


@pytest.mark.parametrize("name, why", [("", "is empty"), ("a:b", "contains ':'"), ("a,b", "contains ','"),
                                       (" ovirt1", "starts or ends with a space")])
def test_bad_host_names_are_refused(tmp_path, name, why):
    f = write(tmp_path, deployment().replace('name = "ovirt2"', f'name = "{name}"').replace('"ovirt2:/b', f'"{name}:/b'))
    r = run("check", str(f), "-q")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = f.read_text().splitlines().index(f'name = "{name}"') + 1
    assert f"{f}:{line}: hosts[1].name: host name {name!r} {why}" in r.stderr


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    from hacheck.deploy.parse import load

    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + deployment().encode())
    d = load(f)
    assert d.name == "small" and [h.name for h in d.hosts] == ["ovirt1", "ovirt2", "storage"]
    assert d.line(("engine", "host")) == deployment().splitlines().index('host = "ovirt1"') + 1


def test_empty_fail_option_is_an_error(tmp_path):
    f = write(tmp_path, deployment())
    r = run("check", str(f), "--fail", "", "-q")
    assert r.returncode == 2 and "--fail '': names no host" in r.stderr and "[1/" not in r.stderr


@pytest.mark.parametrize("option", ["--json", "--junit", "--sarif"])
def test_report_paths_are_checked_writable_before_any_work(tmp_path, option):
    """A report in a place it cannot be written (its folder is a file; it is a folder) is refused
    before the first model check, not after the whole run."""
    f = write(tmp_path, deployment())
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    r = run("check", str(f), option, str(blocker / "r.out"))
    assert r.returncode == 2 and f"{option} {blocker / 'r.out'}: cannot write in {blocker}" in r.stderr
    assert "[1/" not in r.stderr  # nothing was checked
    (tmp_path / "dir").mkdir()
    r = run("check", str(f), option, str(tmp_path / "dir"))
    assert r.returncode == 2 and "is a folder" in r.stderr and "[1/" not in r.stderr


def test_traces_name_the_deployments_hosts_vms_and_bricks(tmp_path):
    """The trace files and the printed traces say ovirt1 and Database, not h1 and v1; the DOT drawing
    labels an environment step (the brick restarting) ENV, as the text does, not FAULT."""
    f = write(tmp_path, deployment(h1="alpha", h2="beta"))
    r = run("check", str(f), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"))
    assert r.returncode in (0, 1), r.stderr
    rows = report_rows(tmp_path / "r.json")
    restart = rows[("fencing", "ha_vm_restarted")]
    doc = json.loads(Path(restart["trace_files"]["itf"]).read_text())
    text = json.dumps(doc)
    assert '"alpha"' in text and '"Database"' in text
    assert '"h1"' not in text and '"v1"' not in text and '"h2"' not in text
    crash = next(s["#meta"] for s in doc["states"][1:] if s["#meta"]["kind"] == "fault")
    assert crash["params"]["h"] == "alpha"
    assert "FAULT crash(h=alpha)" in r.stdout and "qemu[Database][alpha]" in r.stdout
    lost = rows[("gluster_arbiter[engine]", "no_stale_read")]
    assert lost["verdict"] == "violated"
    dot = Path(lost["trace_files"]["dot"]).read_text()
    assert "ENV brick_restart(b=alpha:/b/engine)" in dot and "FAULT brick_restart" not in dot
    assert "FAULT brick_crash(b=alpha:/b/engine)" in dot


def test_the_settings_involved_are_cached_with_the_verdicts(tmp_path):
    """blame.py caches the settings involved in each violation (keyed by every setting, the scenario
    and the model source): an unchanged deployment re-checked from the cache re-plans and re-runs
    nothing, and the cache holds nothing but its entries (a key shadowed by a loop variable once
    stored them under names such as "('setting', 'value').json" that no later run looked up)."""
    f = write(tmp_path, deployment())
    cache = tmp_path / "cache"
    first = run("check", str(f), "--out", str(tmp_path / "o1"), "--json", str(tmp_path / "r1.json"), cache=cache)
    assert "settings involved:" in first.stderr  # the re-runs
    again = run("check", str(f), "--out", str(tmp_path / "o2"), "--json", str(tmp_path / "r2.json"), cache=cache)
    assert again.returncode == first.returncode and "settings involved:" not in again.stderr, again.stderr
    names = [p.name for p in cache.iterdir() if p.is_file()]  # the start-up cache keeps its own folders
    assert any(n.startswith("blame-") for n in names)
    assert all(re.fullmatch(r"(blame-)?[0-9a-f]{32}(\.\d+\.itf)?\.json", n) for n in names), names
    r1, r2 = json.loads((tmp_path / "r1.json").read_text()), json.loads((tmp_path / "r2.json").read_text())
    assert [x["involved"] for x in r1["rows"]] == [x["involved"] for x in r2["rows"]]
