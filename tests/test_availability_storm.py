"""Storm agrees with hacheck's availability solver on every shipped model's chain (small bounds).

Each chain is written with ``to_drn`` (what ``hacheck export --drn`` writes) and solved by Storm
(stormpy, the optional ``[storm]`` extra) with ``LRAmin=? ["m"]`` and ``LRAmax=? ["m"]``: its
long-run average on the Markov automaton. Tolerance 1e-6: Storm's default precision for long-run
averages (value iteration, relative 1e-6; stormpy 2.0 does not expose the setting). hacheck's own
figures are checked against closed forms to 1e-12 in tests/test_availability.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

stormpy = pytest.importorskip("stormpy")

from hacheck.avail.chain import build_chain  # noqa: E402
from hacheck.avail.drn import to_drn  # noqa: E402
from hacheck.avail.solve import long_run  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STORM_TOL = 1e-6

# every shipped model, with the faults and parameters that keep its chain small
CASES = {
    "standalone_engine": ({"availability": True, "max_faults": 2}, None),
    "hosted_engine": ({"max_faults": 1, "maintenance_steps": 0}, ["host_crash", "vm_crash", "lose_network"]),
    "fencing": ({"availability": True, "hosts": 2, "vms": 1}, ["crash", "power_cycle"]),
    "gluster_arbiter": ({}, None),
}


def storm_lra(drn: Path, label: str, inits: list[int]) -> tuple[float, float]:
    model = stormpy.build_model_from_drn(str(drn))
    out = []
    for op in ("LRAmin", "LRAmax"):
        prop = stormpy.parse_properties(f'{op}=? ["{label}"]')[0]
        res = stormpy.model_checking(model, prop)
        vals = [res.get_value(s) for s in inits]
        out.append(min(vals) if op == "LRAmin" else max(vals))
    return out[0], out[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_storm_agrees(name, tmp_path):
    params, faults = CASES[name]
    model = build_model(load_spec(ROOT / "models" / f"{name}.py"), params)
    if faults:
        model.restrict_faults(faults)
    chain = build_chain(model)
    drn = tmp_path / f"{name}.drn"
    drn.write_text(to_drn(chain))
    ours = {a.measure: a for a in long_run(chain)}
    assert ours, name
    for label, a in ours.items():
        lo, hi = storm_lra(drn, label, [int(s) for s in chain.init])
        assert abs(min(a.low, a.high) - lo) <= STORM_TOL, (name, label, a, lo)
        assert abs(max(a.low, a.high) - hi) <= STORM_TOL, (name, label, a, hi)


@pytest.mark.slow
def test_storm_agrees_on_a_deployments_volume_chains(tmp_path):
    """The Gluster volume of a deployment (hacheck/avail/deployment.py ``volume_chains``): STAR's three
    replica sets with a different MTTF/MTTR on each host and the Gluster failure kinds rated, each set's
    chain written for Storm and solved there; the same figures to Storm's precision."""
    from hacheck.avail.deployment import _host_rates, volume_chains
    from hacheck.deploy.mapping import plan
    from hacheck.deploy.parse import load

    text = (ROOT / "examples" / "star.toml").read_text()
    for name, mttf, mttr in (("ovirt1", 2000, 12), ("ovirt2", 5000, 3), ("storage", 800, 30)):
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\nmttf_hours = {mttf}\nmttr_hours = {mttr}\n', 1)
    text += "\n[failures.rates]\npower-cycle = 3000\nbrick-io-error = 4000\nclient-crash = 1000\n"
    f = tmp_path / "star-rated.toml"
    f.write_text(text)
    d = load(str(f))
    mp = next(m for m in plan(d).models if m.model == "gluster_arbiter")
    kinds = ["host-crash", "power-cycle", "brick-io-error", "client-crash"]
    kind_mttf = {"power-cycle": 3000, "brick-io-error": 4000, "client-crash": 1000}
    sets = volume_chains(d, mp, kinds, kind_mttf, _host_rates(d), 2)
    assert len(sets) == 3
    for label, model, rates, _ in sets:
        chain = build_chain(model, rates)
        drn = tmp_path / "set.drn"
        drn.write_text(to_drn(chain))
        (a,) = long_run(chain, ["volume_writable"])
        lo, hi = storm_lra(drn, "volume_writable", [int(s) for s in chain.init])
        assert abs(min(a.low, a.high) - lo) <= STORM_TOL, (label, a, lo)
        assert abs(max(a.low, a.high) - hi) <= STORM_TOL, (label, a, hi)
