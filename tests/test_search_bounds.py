"""--max-seconds is checked within a BFS level, and memory figures are honest (issue 16 items 7, 8)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hacheck.explicit.search import Explorer
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def _explorer(bits: int) -> Explorer:
    return Explorer(build_model(load_spec(DATA / "many_states.py"), {"bits": bits}), symmetry=False)


def test_a_frontier_expanded_in_chunks_gives_the_same_successors_in_the_same_order():
    ex = _explorer(10)
    rows = ex.initial_rows()
    for _ in range(4):  # a level of C(10, 4) = 210 states
        succ, _p, _a, _n = ex.expand(rows)
        keys = ex.layout.keys(succ)
        _u, first = np.unique(keys, return_index=True)
        rows = succ[np.sort(first)]
    whole = ex.expand(rows)
    calls: list[int] = []
    parts = ex.expand(rows, tick=calls.append, chunk=37)
    assert whole is not None and parts is not None
    for a, b in zip(whole, parts):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    assert calls == [min(len(rows), k) for k in range(37, len(rows) + 37, 37)]  # one tick per chunk


def test_the_deadline_is_checked_between_chunks_of_one_level():
    """The deadline passes while the first chunk is expanded: the level is abandoned there,
    not after the whole level (which is what made --max-seconds 30 stop at 52.8 s)."""
    ex = _explorer(10)
    rows = np.repeat(ex.initial_rows(), 100, axis=0)
    seen: list[int] = []

    def slow(done: int) -> None:
        seen.append(done)
        time.sleep(0.3)

    assert ex.expand(rows, deadline=time.monotonic() + 0.2, tick=slow, chunk=10) is None
    assert seen == [10]


def test_memory_is_reported_as_stored_bytes_and_peak_resident_set_per_state(tmp_path):
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", str(DATA / "many_states.py"), "--param", "bits=14",
                        "--out", str(tmp_path), "--json", str(tmp_path / "r.json"), "-q"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    st = json.loads((tmp_path / "r.json").read_text())["stats"]
    assert st["states"] == 2**14
    assert st["peak_rss_bytes"] > 10 * 2**20  # an interpreter with numpy: tens of MB at least
    assert st["peak_rss_bytes_per_state"] == round(st["peak_rss_bytes"] / st["states"], 1)
    assert st["peak_rss_bytes_per_state"] > st["bytes_per_state"] > 0
    assert "bytes/state stored, peak RSS" in r.stdout
