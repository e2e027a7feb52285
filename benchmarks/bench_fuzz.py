"""Fuzzing beyond exhaustive reach: what ``hacheck fuzz`` covers in a fixed time on large model
instances, against what the explicit engine manages in the same time (the table in docs/fuzzing.md).

Run: .venv/bin/python benchmarks/bench_fuzz.py [--seconds S] [--no-explicit]

For each instance: the fuzzer's examples, actions taken, faults injected, distinct states,
examples/s and states/s within ``--seconds`` (default 20), and the explicit engine's states in the
same time (``unknown``: it did not finish). Also the raw speed of the single-state stepper (random
walk without Hypothesis), which bounds what the fuzzer can reach.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.explicit.search import Bounds, check  # noqa: E402
from hacheck.fuzz import FuzzOptions, Stepper, fuzz  # noqa: E402
from hacheck.lang.errors import BadInput  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

UPSTREAM_TIMERS = {  # the hosted-engine agent's real timeouts in 10 s ticks (the model's defaults are scaled down)
    "host_alive_timeout": 6, "engine_starting_timeout": 60, "bad_health_timeout": 30,
    "unexpected_down_timeout": 56, "lease_host_dead": 14, "lease_kill_after": 8,
}

# (title, model file, parameters, fallback parameters if the model refuses the first ones)
CASES = [
    ("fencing, 6 hosts, 8 VMs, 3 faults", "models/fencing.py",
     {"hosts": 6, "vms": 8, "max_faults": 3, "host_capacity": 4, "manual_confirm_allowed": False},
     {"hosts": 4, "vms": 4, "max_faults": 3, "host_capacity": 4, "manual_confirm_allowed": False}),
    ("hosted engine, 4 hosts, upstream timers, 3 faults", "models/hosted_engine.py",
     {"hosts": 4, "max_faults": 3, **UPSTREAM_TIMERS}, None),
    ("gluster arbiter, 3 clients, 4 writes, 4 faults", "models/gluster_arbiter.py",
     {"clients": 3, "writes": 4, "max_faults": 4}, None),
]


def build(path: str, params: dict, fallback: dict | None):
    spec = load_spec(ROOT / path)
    try:
        return build_model(spec, params), params, ""
    except BadInput as e:
        if fallback is None:
            raise
        return build_model(spec, fallback), fallback, f"(the model refuses {params}: {e}; ran {fallback})"


def raw_steps_per_second(model, seconds: float = 2.0) -> float:
    st = Stepper.of(model)
    rnd = random.Random(0)
    s, n, t0 = st.init[0], 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        en = st.enabled(s)
        if not en or rnd.random() < 0.02:
            s = st.init[0]
            continue
        s = st.applies[rnd.choice(en)](s)
        n += 1
    return n / (time.monotonic() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--no-explicit", action="store_true")
    args = ap.parse_args()
    for title, path, params, fallback in CASES:
        model, used, note = build(path, params, fallback)
        print(f"== {title} {note}".rstrip())
        print(f"   {len(model.fields)} fields, {len(model.instances)} action instances")
        safety = [p for p in model.properties.values() if p.kind == "invariant"]
        r = fuzz(model, safety, FuzzOptions(examples=10**7, max_steps=60, seed=0, deadline=args.seconds))
        c = r.coverage
        secs = max(c.seconds, 1e-9)
        print(f"   fuzz {args.seconds:g} s: {c.examples:,} examples, {c.steps:,} actions taken, {c.faults:,} faults, "
              f"{c.env_steps:,} environment steps, {c.distinct_states:,} distinct states, "
              f"{c.examples / secs:,.0f} examples/s, {c.steps / secs:,.0f} states/s; "
              f"{len(c.instances)} of {len(model.instances)} action instances taken")
        for p in r.result.properties:
            print(f"     {p.name}: {p.verdict} ({p.explanation})")
        print(f"   stepper alone (random walk, no Hypothesis): {raw_steps_per_second(model):,.0f} states/s")
        if not args.no_explicit:
            t0 = time.monotonic()
            e = check(model, safety, Bounds(max_seconds=args.seconds))
            print(f"   explicit {args.seconds:g} s: {e.stats.states:,} states, depth {e.stats.depth}, "
                  f"{time.monotonic() - t0:.1f} s: " + ", ".join(f"{p.name} {p.verdict}" for p in e.properties))
        print()


if __name__ == "__main__":
    main()
