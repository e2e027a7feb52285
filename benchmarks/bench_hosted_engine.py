"""Time the hosted-engine model's main verdicts: ``.venv/bin/python benchmarks/bench_hosted_engine.py [--three]``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.explicit.search import check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

CASES = [
    ("defaults", {}, "no_dual_engine"),
    ("sanlock_lease=false", {"sanlock_lease": False}, "no_dual_engine"),
    ("ties, <= rule", {"max_faults": 0, "maintenance_steps": 0}, "engine_started"),
    ("ties, < rule", {"max_faults": 0, "maintenance_steps": 0, "start_rule": "lt"}, "engine_started"),
    ("fresh-agent race", {}, "fresh_start_race"),
]


def main() -> None:
    spec = load_spec(ROOT / "models" / "hosted_engine.py")
    cases = list(CASES)
    if "--three" in sys.argv:
        cases.append(("hosts=3", {"hosts": 3}, "no_dual_engine"))
    for name, params, prop in cases:
        m = build_model(spec, params)
        t = time.monotonic()
        r = check(m, [m.properties[prop]])
        p = r.properties[0]
        length = p.trace.length if p.trace else "-"
        print(f"{name:20} {prop:18} {p.verdict:8} states={r.stats.states:>10,} "
              f"seconds={time.monotonic() - t:6.1f} trace={length}")


if __name__ == "__main__":
    main()
