"""States, seconds and verdicts of the Gluster runs of examples/star.toml under storage loss.

Run from the root of a checkout (it imports that checkout's hacheck, so an older tree can be measured
the same way): ``.venv/bin/python scripts/measure_storage_loss.py [single|double|both] [N]`` (N: replica set N only).
``single``: ovirt1 storage-loss (failures.count = 1); ``double``: ovirt1 and ovirt2 storage-loss
together (failures.count = 2). One line per replica set: states, seconds (noisy: wall clock of this
machine), the verdict letter of every property (H holds, V violated, U unknown).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())

from hacheck.deploy.mapping import plan  # noqa: E402
from hacheck.deploy.parse import loads  # noqa: E402
from hacheck.deploy.run import Bounds, check_spec  # noqa: E402

STAR = Path("examples/star.toml").read_text()
CASES = {"single": (STAR, ["ovirt1:storage-loss"]),
         "double": (STAR.replace("count = 1 ", "count = 2 ", 1), ["ovirt1:storage-loss", "ovirt2:storage-loss"])}


def main(which: str, only: str = "") -> None:
    for name in (["single", "double"] if which == "both" else [which]):
        text, fail = CASES[name]
        for mp in plan(loads(text), fail=fail).models:
            if not mp.model.startswith("gluster"):
                continue
            for r in mp.runs:
                if only and r.part != f"replica set {only}":
                    continue
                t0 = time.monotonic()
                res = check_spec(r.spec, Bounds(), None)
                verdicts = " ".join(f"{p.name}={p.verdict[0].upper()}" for p in res.properties)
                print(f"{name} {r.part}: {res.stats.states:,} states, {time.monotonic() - t0:.1f} s; {verdicts}",
                      flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both", sys.argv[2] if len(sys.argv) > 2 else "")
