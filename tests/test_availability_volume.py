"""A deployment's Gluster volume in ``hacheck availability``: one chain per replica set, with each host's
failure and repair rates on the brick it holds there, and sound bounds for a volume of several sets.

Upstream behaviour pinned:

* client quorum ``auto`` (``afr_has_quorum``, xlators/cluster/afr/src/afr-transaction.c): a set is
  writable with more than half of its bricks up, and with exactly half only when the first brick is
  among them. Replica 3 with an arbiter keeps quorum with one host down; replica 2 loses it exactly
  when the first brick's host is down, so its availability is that host's MTTF / (MTTF + MTTR);
* a file lives on one replica set (DHT, ``dht_layout_search`` in xlators/cluster/dht/src/dht-layout.c):
  the volume as a whole (every file writable) needs every set's quorum.
"""

from __future__ import annotations

import json

import pytest

from hacheck.avail.chain import Rates
from hacheck.avail.deployment import deployment_rows
from deploy_files import active_standby, hacheck, host, write


def volume(name: str, bricks: list[str], replica: int, arbiter: int = 0, quorum: str = "auto") -> str:
    text = f'[[volumes]]\nname = "{name}"\nreplica = {replica}\narbiter = {arbiter}\nbricks = [' \
           + ", ".join(f'"{b}"' for b in bricks) + "]\n\n"
    return text + f'[volumes.options]\n"cluster.quorum-type" = "{quorum}"\n"cluster.server-quorum-type" = "none"\n\n'


def hosts(rates: dict[str, tuple[float, float]], storage: tuple[str, ...] = ("storage",)) -> str:
    """ovirt1, ovirt2 (hosted-engine hypervisors) and storage-only nodes; ``rates``: host -> (MTTF, MTTR) hours."""
    def extra(n: str) -> dict:
        return dict(zip(("mttf_hours", "mttr_hours"), rates[n])) if n in rates else {}
    out = "".join(host(n, hosted_engine=True, power_management=True, **extra(n)) for n in ("ovirt1", "ovirt2"))
    return out + "".join(host(n, cpus=8, memory_gb=32, hypervisor=False, **extra(n)) for n in storage)


def vol_rows(tmp_path, text: str, concurrent: int = 2) -> dict[str, object]:
    f = write(tmp_path, "d.toml", text)
    rows, _ = deployment_rows(str(f), Rates(), 100_000, ["volume_writable"], concurrent)
    return {r.part: r for r in rows}


def closed_replica3(mttf: float, mttr: float) -> float:
    """Replica 3 (arbiter or not), quorum auto, three hosts with the same rates, at most two unrepaired:
    the birth-death chain over the bricks down (0, 1, 2); unwritable with two down."""
    rho = mttr / mttf
    return 1 - 3 * rho * rho / (1 + 3 * rho + 3 * rho * rho)


def test_replica2_auto_quorum_is_the_first_bricks_host(tmp_path):
    """Replica 2, quorum auto: writable iff the first brick is up (the tie-break of afr_has_quorum), so the
    volume's availability is exactly its host's MTTF / (MTTF + MTTR); the other host's rates do not matter."""
    bricks = ["ovirt1:/b/1", "ovirt2:/b/1"]
    first = vol_rows(tmp_path, active_standby(hosts=hosts({"ovirt1": (1000, 10)}, ()), extra=volume("v", bricks, 2)))
    r = first["gluster_arbiter[v]"]
    assert r.exact and r.low == pytest.approx(1000 / 1010, abs=1e-10) and r.high == pytest.approx(1000 / 1010, abs=1e-10)
    second = vol_rows(tmp_path, active_standby(hosts=hosts({"ovirt2": (1000, 10)}, ()), extra=volume("v", bricks, 2)))
    assert second["gluster_arbiter[v]"].low == pytest.approx(8766 / 8770, abs=1e-10)  # ovirt1 at the defaults


def test_arbiter_keeps_quorum_with_one_host_down(tmp_path):
    """Replica 3 arbiter 1 over three hosts: one host down keeps quorum, so with the same host rates the
    set is far more available than replica 2 losing quorum whenever the first brick's host is down; and
    it is the closed form of its birth-death chain."""
    rates = {n: (1000, 10) for n in ("ovirt1", "ovirt2", "storage")}
    arb = vol_rows(tmp_path, active_standby(hosts=hosts(rates), extra=volume(
        "v", ["ovirt1:/b/1", "ovirt2:/b/1", "storage:/b/a"], 3, 1)))["gluster_arbiter[v]"]
    rep2 = vol_rows(tmp_path, active_standby(hosts=hosts(rates), extra=volume(
        "v", ["ovirt1:/b/1", "ovirt2:/b/1"], 2)))["gluster_arbiter[v]"]
    assert arb.low == pytest.approx(closed_replica3(1000, 10), abs=1e-10)
    assert arb.low > rep2.high
    assert 1 - arb.low < (1 - rep2.low) / 20


STAR_BRICKS = ["ovirt1:/b/1", "ovirt2:/b/1", "storage:/b/a1", "ovirt2:/b/2", "storage:/b/2", "ovirt1:/b/a2",
               "storage:/b/3", "ovirt1:/b/3", "ovirt2:/b/a3"]


def test_volume_of_sets_sharing_hosts_is_bounded_around_the_exact_value(tmp_path):
    """STAR's layout: three sets, each over all three hosts. With host crashes only, every set loses quorum
    exactly when two hosts are down, so the volume's exact availability is one set's (closed form); the
    reported bounds (union bound below, least available set above) contain it and say they are bounds."""
    rows = vol_rows(tmp_path, active_standby(hosts=hosts({}), extra=volume("engine", STAR_BRICKS, 3, 1)))
    exact = closed_replica3(8766, 4)
    for i in (1, 2, 3):
        r = rows[f"gluster_arbiter[engine] replica set {i}"]
        assert r.exact and r.low == pytest.approx(exact, abs=1e-10)
    whole = rows["gluster_arbiter[engine]"]
    assert not whole.exact
    assert whole.low <= exact + 1e-12 <= whole.high + 2e-12
    assert whole.low == pytest.approx(1 - 3 * (1 - exact), abs=1e-10)


def test_volume_of_independent_sets_is_within_its_bounds(tmp_path):
    """Two sets on disjoint hosts are independent: the volume's availability is the product, which lies
    between the reported bounds."""
    rates = {"ovirt1": (500, 20), "ovirt2": (500, 20), "s1": (500, 20), "s2": (2000, 5), "s3": (2000, 5),
             "s4": (2000, 5)}
    bricks = ["ovirt1:/b/1", "ovirt2:/b/1", "s1:/b/a", "s2:/b/1", "s3:/b/1", "s4:/b/a"]
    rows = vol_rows(tmp_path, active_standby(hosts=hosts(rates, ("s1", "s2", "s3", "s4")),
                                             extra=volume("v", bricks, 3, 1)))
    a1 = rows["gluster_arbiter[v] replica set 1"].low
    a2 = rows["gluster_arbiter[v] replica set 2"].low
    assert a1 == pytest.approx(closed_replica3(500, 20), abs=1e-10)
    assert a2 == pytest.approx(closed_replica3(2000, 5), abs=1e-10)
    whole = rows["gluster_arbiter[v]"]
    assert whole.low <= a1 * a2 <= whole.high
    assert whole.high == pytest.approx(min(a1, a2), abs=1e-12)


def test_stalled_crash_never_happens_while_time_passes():
    """The chain strikes a host crash as brick_crash only, not its check alternative brick_crash_stalled
    (the crash while AFR waits on a slow brick: ping-timeout, rpc-clnt.c). Given a rate, the stalled
    variants (and op_error, post_op_lost, client_crash) take no timed step of STAR's replica set: they are
    enabled only while a write is in flight, and no time passes then (maximal progress)."""
    from hacheck.avail.chain import build_chain
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import load
    from hacheck.deploy.run import load_model_spec
    from hacheck.loader import build_model

    d = load("examples/star.toml")
    mp = next(m for m in plan(d).models if m.model == "gluster_arbiter")
    model = build_model(load_model_spec("gluster_arbiter"), dict(mp.runs[0].spec.params, max_faults=2, shd_links=False))
    idle = ["brick_crash_stalled", "link_loss_stalled", "client_crash", "op_error", "post_op_lost"]
    model.restrict_faults(["brick_crash"] + idle)
    chain = build_chain(model, Rates(by_action={a: 0.01 for a in idle}), 100_000)
    fired = {chain.instances[a].action for a in set(chain.rate_act.tolist())}
    assert fired == {"brick_crash", "brick_restart"}


@pytest.mark.parametrize("bad", ["0", "-3"])
def test_bad_rate_of_a_gluster_kind_is_exit_2_naming_the_line(tmp_path, bad):
    text = active_standby(hosts=hosts({}), extra=volume("engine", STAR_BRICKS, 3, 1)) \
        + f"[failures.rates]\nbrick-io-error = {bad}\n"
    f = write(tmp_path, "d.toml", text)
    r = hacheck("availability", str(f), "--property", "volume_writable")
    line = text.splitlines().index(f"brick-io-error = {bad}") + 1
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"d.toml:{line}" in r.stderr and "brick-io-error" in r.stderr and "Traceback" not in r.stderr


def test_star_volume_from_the_cli_with_json(tmp_path):
    """hacheck availability examples/star.toml --property volume_writable: each replica set exact, the volume
    as bounds, in the text and in the JSON (exact: false), with storage-loss said to be left out."""
    r = hacheck("availability", "examples/star.toml", "--property", "volume_writable", "--json", "-")
    assert r.returncode == 0, r.stderr
    text, data = r.stderr, json.loads(r.stdout)  # with --json -, the JSON is standard output, the text goes to stderr
    parts = {m["part"]: m for m in data["measures"]}
    assert set(parts) == {"gluster_arbiter[engine]"} | {f"gluster_arbiter[engine] replica set {i}" for i in (1, 2, 3)}
    assert parts["gluster_arbiter[engine]"]["exact"] is False
    assert all(parts[f"gluster_arbiter[engine] replica set {i}"]["exact"] for i in (1, 2, 3))
    assert "gluster_arbiter[engine]: volume_writable (bounds)" in text
    assert "union bound" in text


def test_storage_loss_is_said_to_be_left_out(tmp_path):
    text = active_standby(hosts=hosts({}), extra=volume("engine", STAR_BRICKS, 3, 1)) \
        + "[failures.rates]\nstorage-loss = 4000\n"
    rows, notes = deployment_rows(str(write(tmp_path, "d.toml", text)), Rates(), 100_000, ["volume_writable"], 2)
    assert any("storage-loss not in the chain" in n for n in notes)
    assert rows


def test_deployment_table_shows_the_volume_availability(tmp_path):
    """hacheck check DEPLOYMENT with rates: the volume_writable row of the table gains its long-run figure
    (replica 2, quorum auto: the first brick's host, 1000 / 1010 = 99.0099 %)."""
    text = active_standby(hosts=hosts({"ovirt1": (1000, 10)}, ()), extra=volume("v", ["ovirt1:/b/1", "ovirt2:/b/1"], 2),
                          properties=("volume_writable",))
    f = write(tmp_path, "d.toml", text)
    r = hacheck("check", str(f), "-q", "--out", str(tmp_path / "out"))
    assert "long-run up (min)" in r.stdout, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith("volume_writable"))
    assert "99.0099 %" in line and ">=" not in line, line


def test_require_on_bounds_that_straddle_it_is_undecided():
    """--require judged on a guarantee: STAR's replica sets are each 99.99994 %, the whole volume is between
    99.99981 % and 99.99994 % (bounds). 99.9999 % is met by every set and neither met nor missed by the
    bounds: exit 3 (undecided), never 1; 99.99999 % is missed by the sets themselves: exit 1."""
    r = hacheck("availability", "examples/star.toml", "--property", "volume_writable", "--require", "99.9999")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "UNDECIDED" in r.stdout and "BELOW" not in r.stdout
    r = hacheck("availability", "examples/star.toml", "--property", "volume_writable", "--require", "99.99999")
    assert r.returncode == 1 and "BELOW" in r.stdout


def test_rate_option_overrides_the_files_rates_of_the_volume(tmp_path):
    """--rate brick_restart=mean:H replaces the repair time the file gives the bricks' hosts (the command
    line wins, as for the engine's models): replica 2 with auto quorum follows the first brick's host."""
    bricks = ["ovirt1:/b/1", "ovirt2:/b/1"]
    f = write(tmp_path, "d.toml", active_standby(hosts=hosts({"ovirt1": (1000, 10)}, ()), extra=volume("v", bricks, 2)))
    rows, _ = deployment_rows(str(f), Rates(by_action={"brick_restart": 1 / 40}), 100_000, ["volume_writable"], 2)
    assert rows[0].low == pytest.approx(1000 / 1040, abs=1e-10)
