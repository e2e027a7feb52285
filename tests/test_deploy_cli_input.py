"""Issue 15 P6: command-line and naming details of deployment checks, each from a file the test writes."""

from __future__ import annotations

import json

import pytest

from deploy_files import active_standby, hacheck, host, table, vm, write


@pytest.mark.parametrize("flag", ["--json", "--junit", "--sarif", "--html", "--out"])
def test_an_empty_report_path_is_refused_naming_the_flag(tmp_path, flag):
    """``--json ""`` (a CI variable left empty) wrote no report and said nothing: now exit 2, before
    any work, naming the flag; for a model file as for a deployment file."""
    f = write(tmp_path, "pair.toml", active_standby())
    for target in (str(f), "fencing"):
        r = hacheck("check", target, flag, "")
        assert r.returncode == 2, (target, r.stdout, r.stderr)
        assert r.stderr.startswith(f"hacheck: error: {flag} '': empty") and "Traceback" not in r.stderr


def test_fail_with_an_empty_kind_is_refused(tmp_path):
    """``--fail ovirt1:`` was taken as ``--fail ovirt1`` (every kind): a typo'd kind must not widen the run."""
    f = write(tmp_path, "pair.toml", active_standby())
    r = hacheck("check", str(f), "--fail", "ovirt1:")
    assert r.returncode == 2 and "--fail ovirt1:: no failure kind after ':'" in r.stderr, r.stderr


@pytest.mark.parametrize("args", [["--depth", "5"], ["--timeout", "5"], ["--sat-solver", "z3"]])
def test_z3_flags_are_refused_with_a_deployment_file(tmp_path, args):
    """A deployment is checked by the explicit engine: the z3 engine's flags did nothing, silently."""
    f = write(tmp_path, "pair.toml", active_standby())
    r = hacheck("check", str(f), *args)
    assert r.returncode == 2, r.stderr
    assert f"{args[0]}: not used with a deployment file" in r.stderr


def test_a_folder_is_named_as_a_folder(tmp_path):
    """``hacheck check /tmp --workers 1`` said "--workers: only for deployment files"."""
    r = hacheck("check", str(tmp_path), "--workers", "1")
    assert r.returncode == 2 and f"{tmp_path}: is a folder" in r.stderr, r.stderr


def test_non_ascii_names_give_visible_distinct_trace_files_and_sarif_says_toml(tmp_path):
    """``name = "日日"`` made trace files named ``.fencing.no_dual_running_vm...``: hidden, and shared by
    every deployment whose name has no ASCII letter. The slug falls back on a short hash of the name.
    The SARIF message of the setting involved is in TOML (``pm_trusted = false``), not Python (``False``)."""
    from hacheck.deploy.run import name_slug

    text = active_standby(kinds=("host-hang",), pm_trusted=(True, False), vms=vm("db", "ovirt1") + vm("web", "ovirt2"),
                          properties=("no_dual_running_vm",))
    f = write(tmp_path, "cjk.toml", 'name = "日日"\n' + text)
    sarif = tmp_path / "r.sarif"
    r = hacheck("check", str(f), "-q", "--out", str(tmp_path / "out"), "--sarif", str(sarif), "--workers", "1")
    assert r.returncode == 1, r.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files and not any(n.startswith(".") for n in files), files
    assert all(n.startswith(name_slug("日日") + ".") for n in files)
    assert name_slug("日日") != name_slug("月月") and name_slug("star") == "star"
    msgs = [loc.get("message", {}).get("text", "") for res in json.loads(sarif.read_text())["runs"][0]["results"]
            for loc in res.get("relatedLocations", []) + res.get("locations", [])]
    assert "setting hosts[ovirt2].pm_trusted = false" in msgs, msgs
    assert not any("= False" in m or "= True" in m for m in msgs)


def test_gluster_mounts_are_in_the_names_legend(tmp_path):
    """The Gluster model's mounts (client0, client1) appear in its traces; the names legend now says
    whose mount each is: client<k> is the mount of the k-th host cut off from the storage network
    (mapping.storage_loss_group), the others mounts on hosts that keep their network."""
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import loads

    text = (host("a") + host("b") + host("c", cpus=8, memory_gb=32, hypervisor=False)
            + table("engine", mode="standalone", host="c")
            + '[[volumes]]\nname = "data"\nreplica = 3\narbiter = 1\nbricks = ["a:/b1", "b:/b1", "c:/b1"]\n\n'
            + table("failures", count=1, kinds=["storage-loss"]))
    f = write(tmp_path, "g.toml", text)
    p = plan(loads(text, str(f)))
    g = next(mp for mp in p.models if mp.model.startswith("gluster"))
    by = {pr.scenario.label: dict(pr.legend) for pr in g.runs}
    assert by["a storage-loss"]["client0"] == "the mount on a"
    assert by["a storage-loss"]["client1"] == "a mount of the volume on a host that keeps its network"
    assert all(k in legend for legend in by.values() for k in ("client0", "client1"))


def test_dask_port_warning_is_not_shown(tmp_path):
    """``--executor dask`` printed Dask's UserWarning "Port 8787 is already in use ... Hosting the HTTP
    server on port N instead" when another cluster (or anything) holds 8787: noise to a user, since
    the run does not use that endpoint. The port is held here so that the warning would be due."""
    import socket

    from hacheck.deploy.executor import dask_available

    if not dask_available():
        pytest.skip("Dask distributed is not installed (pip install 'hacheck[cluster]')")
    s = socket.socket()
    try:
        try:
            s.bind(("", 8787))
            s.listen(1)
        except OSError:
            pass  # held already: the warning is due anyway
        f = write(tmp_path, "pair.toml", active_standby(properties=("no_dual_running_vm",)))
        r = hacheck("check", str(f), "-q", "--executor", "dask", "--workers", "2", "--out", str(tmp_path / "out"))
    finally:
        s.close()
    assert r.returncode in (0, 1), r.stderr
    assert "already in use" not in r.stderr and "UserWarning" not in r.stderr, r.stderr
