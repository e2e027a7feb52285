"""Issue 15, item 9: what makes a deployment with several failures at once cheaper must not change
what it shows. Each reduction is checked against the plain run on a small deployment: the same
rows, verdicts, scenarios, trace lengths, recovery times and settings involved. The figure itself
(``failures.count = 2`` on examples/star.toml) is a benchmark, benchmarks/bench_deploy.py, not a
test: no test here depends on speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_files import active_standby, host, vm, write


def _checked(f: Path, tmp: Path):  # type: ignore[no-untyped-def]
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import load
    from hacheck.deploy.run import Bounds, run

    return run(plan(load(f)), Bounds(), tmp / "out", log=None, use_cache=False)


def _involved(res) -> dict[tuple[str, str], list[tuple[str, object, object, str]]]:  # type: ignore[no-untyped-def]
    return {(r.model, r.property): [(i.setting, i.value, i.changed_to, i.verdict, tuple(i.breaks)) for i in r.involved]
            for r in res.rows if r.verdict == "violated"}


def test_blame_reruns_ask_only_for_the_blamed_properties_and_find_the_same_settings(tmp_path, monkeypatch):
    """The re-runs that find the settings involved in a violation (hacheck/deploy/blame.py) check only
    the properties of the violated rows that need them (and those that held in the row's scenario,
    for the trade-offs): the verdict of a property on a model instance
    does not depend on the other properties checked with it. Pinned against re-runs of every
    property: the same settings, values and verdicts for every violated row, an invariant row and a
    liveness row among them; and a re-run that is the deployment's own check (a setting of another
    model) is not checked again, also without a cache."""
    from hacheck.deploy import blame as blame_mod
    from hacheck.deploy.run import Bounds

    monkeypatch.setenv("HACHECK_CACHE_DIR", "off")
    # ovirt1 has no power management (its hang is never fenced: ha_vm_restarted, a liveness row),
    # ovirt2's agent is not trusted (a dual run: no_dual_running_vm, an invariant row)
    hosts = host("ovirt1", hosted_engine=True, power_management=False) \
        + host("ovirt2", hosted_engine=True, power_management=True, pm_trusted=False)
    text = active_standby(kinds=("host-hang",), hosts=hosts, vms=vm("db", "ovirt1") + vm("web", "ovirt2"))
    f = write(tmp_path, "pm.toml", text)

    asked: list = []

    def spy(verdict_of):  # type: ignore[no-untyped-def]
        def wrapped(spec):  # type: ignore[no-untyped-def]
            asked.append(spec)
            return verdict_of(spec)
        for name in ("counts", "prefetch", "known", "seed"):
            if hasattr(verdict_of, name):
                setattr(wrapped, name, getattr(verdict_of, name))
        return wrapped

    narrow = _checked(f, tmp_path)
    v = blame_mod.rerun(Bounds())
    blame_mod.blame(narrow, spy(v), Bounds())
    narrowed_asks = list(asked)

    plain = _checked(f, tmp_path)
    asked.clear()
    monkeypatch.setattr(blame_mod, "narrowed", lambda tries, need, verdict_of: tries)
    w = blame_mod.rerun(Bounds())
    w.seed = lambda outcomes: None  # type: ignore[attr-defined]  # the plain re-runs: every one checked
    blame_mod.blame(plain, spy(w), Bounds())

    got, want = _involved(narrow), _involved(plain)
    assert got == want
    kinds = {r.kind for r in narrow.rows if r.verdict == "violated"}
    assert "invariant" in kinds and "leads_to" in kinds, kinds
    assert any(got.values()), "no setting involved anywhere: the comparison shows nothing"
    # a narrowed re-run asks for its row's property and the ones that held in that scenario (the
    # trade-offs of the fix hints), so the same breaks are found as with every property re-run
    assert all(s.properties is None or s.properties for s in narrowed_asks)
    assert all(s.properties is None for s in asked)
    assert v.counts["checked"] < w.counts["checked"]


STAR = Path(__file__).resolve().parent.parent / "examples" / "star.toml"


def test_two_partitioned_hosts_are_two_mounts_each_keeping_its_own_brick():
    """Each host mounts the volume with a glusterfs client of its own (vdsm lib/vdsm/storage/
    storageServer.py, GlusterFSConnection: one mount per host under /rhev/data-center/mnt/glusterSD):
    when ovirt1 and ovirt2 both lose the storage network, each is one steady partition of its own
    mount and the bricks it holds: ovirt1's mount (client0) with ovirt1's brick, ovirt2's mount
    (client1) with ovirt2's brick. Before, both partitions named client0: one mount lost every brick,
    its own included, and the other kept the storage node's brick as if it ran there. One storage
    loss is client0 with the failing host's bricks."""
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import load

    p = plan(load(STAR), fail=["ovirt1:storage-loss", "ovirt2:storage-loss"])
    runs = {r.part: r.spec for r in p.models[0].runs}
    s1 = runs["replica set 1"]  # brick0 = ovirt1:.../brick1, brick1 = ovirt2:.../brick1, brick2 = storage (arbiter)
    assert dict(s1.params)["max_faults"] == 2
    assert dict(s1.params)["partitions"] == "client0+brick0/client1+brick1"
    assert {f.action for f in s1.faults} == {"storage_cut"}
    # replica set 3: brick0 = storage, brick1 = ovirt1, brick2 = ovirt2's arbiter
    assert dict(runs["replica set 3"].params)["partitions"] == "client0+brick1/client1+brick2"
    single = plan(load(STAR), fail=["ovirt2:storage-loss"])
    s1 = {r.part: r.spec for r in single.models[0].runs}["replica set 1"]
    assert dict(s1.params)["partitions"] == "client0+brick1"


def _threads_seen(job):  # type: ignore[no-untyped-def]
    import os

    from hacheck.deploy.executor import Done

    return Done(None, os.environ.get("HACHECK_WORKERS"), 0.0)


def test_pool_workers_share_the_cores_instead_of_each_taking_all(monkeypatch):
    """N worker processes each search with cores / N threads (hacheck/explicit/search.py reads
    HACHECK_WORKERS): N workers of N threads each on N cores only add switching. A user's
    HACHECK_WORKERS is left as set."""
    from hacheck.deploy import executor
    from hacheck.deploy.mapping import RunSpec
    from hacheck.deploy.run import Bounds

    jobs = [executor.Job(RunSpec("fencing", (("max_faults", i),), ()), Bounds(), "") for i in range(4)]
    monkeypatch.setattr(executor, "default_workers", lambda: 4)
    monkeypatch.delenv("HACHECK_WORKERS", raising=False)
    seen = {done.limitation for _, done in executor.run_jobs(jobs, "local", 2, fn=_threads_seen)}
    assert seen == {"2"}
    monkeypatch.setenv("HACHECK_WORKERS", "3")
    seen = {done.limitation for _, done in executor.run_jobs(jobs, "local", 2, fn=_threads_seen)}
    assert seen == {"3"}
