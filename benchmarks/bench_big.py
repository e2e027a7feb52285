"""A large exhaustive run of the explicit engine: time, states/s and peak resident memory.

The model is ``lease_hosts`` of benchmarks/models.py (4 hosts, one lease, crashes, renewal timer);
the timer sets the size: timer 1 = 878,800 states, 3 = 13,250,000, 6 = about 1.2 * 10^8.

    .venv/bin/python benchmarks/bench_big.py --timer 6               # the 10^8-state run (minutes)
    .venv/bin/python benchmarks/bench_big.py --timer 3 --threads 1   # one thread
    .venv/bin/python benchmarks/bench_big.py --timer 4 --spill-bytes 1e8  # stored states in files past 100 MB

``--spill-bytes`` is the memory budget of the state store (default: half the machine's memory;
``HACHECK_SPILL_BYTES`` sets it too): past it the stored states live in memory-mapped files in
``HACHECK_SPILL_DIR`` (default the temporary folder), so a run larger than memory slows down
instead of failing. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.models import lease_hosts  # noqa: E402
from hacheck.explicit.search import Explorer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--timer", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="search threads (default: the cores, at most 4)")
    ap.add_argument("--spill-bytes", type=float, default=None, help="state-store memory budget in bytes")
    args = ap.parse_args()
    t0 = time.monotonic()
    m = lease_hosts(args.hosts, timer=args.timer, epochs=args.epochs)
    ex = Explorer(m, symmetry=False, workers=args.threads,
                  spill_bytes=int(args.spill_bytes) if args.spill_bytes is not None else None)

    def progress(p: dict) -> None:
        print(f"  ... {p['states']:,.0f} states, depth {p['depth']:.0f}, {p['seconds']:.0f} s, "
              f"peak RSS {p['peak_rss'] / 2**30:.2f} GiB", file=sys.stderr, flush=True)

    r = ex.run(progress=progress)
    wall = time.monotonic() - t0
    s = r.stats
    print(f"model lease{args.hosts} timer={args.timer} epochs={args.epochs}, {ex.workers} thread(s), "
          f"visited set: {type(ex.visited).__name__}, store {'spilled to files' if ex.store.spilled else 'in memory'}")
    print(f"states {s.states:,}  transitions {s.transitions:,}  depth {s.depth}")
    print(f"search {s.seconds:.1f} s  ({s.states / s.seconds:,.0f} states/s)  process {wall:.1f} s")
    print(f"peak RSS {s.peak_rss_bytes / 2**30:.2f} GiB  = {s.peak_rss_bytes / s.states:.1f} bytes/state  "
          f"(store + hash set: {s.bytes_per_state:.1f} bytes/state)")
    print("; ".join(f"{p.name}: {p.line}" for p in r.properties))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
