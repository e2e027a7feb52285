"""hacheck's availability solver against Storm on the same chain (``hacheck export --drn``).

    python benchmarks/bench_availability.py [--model hosted_engine] [--faults host_crash,vm_crash]

Builds the chain once, then times hacheck's long-run solve (MECs, sparse solves / LP, policy
iteration) and Storm's LRAmin + LRAmax (stormpy, the [storm] extra) per measure, both on the same
DRN file's chain. Timings on a shared machine are noisy: re-run on an idle one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.avail.chain import build_chain  # noqa: E402
from hacheck.avail.drn import to_drn  # noqa: E402
from hacheck.avail.solve import long_run  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="hosted_engine")
    ap.add_argument("--faults", default="host_crash,lose_network")
    # the STAR deployment's hosted-engine instance: upstream timers (hacheck/deploy/mapping.py UPSTREAM_TIMERS)
    ap.add_argument("--param", action="append", default=None)
    a = ap.parse_args()
    if a.param is None and a.model == "hosted_engine":
        from hacheck.deploy.mapping import UPSTREAM_TIMERS

        a.param = [f"{k}={v}" for k, v in UPSTREAM_TIMERS.items()] + ["start=engine_up", "maintenance_steps=0"]
    params = dict(p.split("=", 1) for p in (a.param or []))
    spec = load_spec(ROOT / "models" / f"{a.model}.py")
    from hacheck.loader import parse_params

    model = build_model(spec, parse_params(spec, [f"{k}={v}" for k, v in params.items()]))
    if a.faults:
        model.restrict_faults(a.faults.split(","))
    t = time.perf_counter()
    chain = build_chain(model, max_states=2_000_000)
    build = time.perf_counter() - t
    print(f"{a.model} --faults {a.faults}: {chain.n:,} states, built in {build:.1f} s "
          f"({'nondeterministic' if chain.nondeterministic else 'deterministic'})")
    t = time.perf_counter()
    ours = long_run(chain)
    ours_s = time.perf_counter() - t
    try:
        import stormpy
    except ImportError:
        print(f"hacheck solve: {ours_s:.2f} s; stormpy not installed (pip install 'hacheck[storm]')")
        return 0
    with tempfile.TemporaryDirectory() as d:
        drn = Path(d) / "chain.drn"
        drn.write_text(to_drn(chain))
        t = time.perf_counter()
        m = stormpy.build_model_from_drn(str(drn))
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        storm = {}
        for av in ours:
            vals = []
            for op in ("LRAmin", "LRAmax"):
                r = stormpy.model_checking(m, stormpy.parse_properties(f'{op}=? ["{av.measure}"]')[0])
                vals.append(r.get_value(int(chain.init[0])))
            storm[av.measure] = vals
        storm_s = time.perf_counter() - t
    print(f"hacheck solve (min and max, every measure): {ours_s:.2f} s")
    print(f"Storm: load DRN {load_s:.2f} s, LRAmin+LRAmax of every measure {storm_s:.2f} s")
    for av in ours:
        lo, hi = storm[av.measure]
        print(f"  {av.measure}: hacheck [{av.low:.9f}, {av.high:.9f}]  Storm [{lo:.9f}, {hi:.9f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
