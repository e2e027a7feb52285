"""The visited-state set and the state store of the explicit engine (hacheck/explicit/visited.py,
store.py): the compiled hash set, its numpy fallback, the partitioned (multi-thread) hash set and
the spill of stored states to files must all give the same states, in the same order, with the
same parent links as each other, so that counts and shortest counterexamples never depend on
which one ran. No timing here: speed is measured by benchmarks/bench_vs_spin.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from benchmarks.models import flips, lease_hosts
from hacheck.explicit import visited as vmod
from hacheck.explicit.pack import Layout
from hacheck.explicit.search import Bounds, Explorer
from hacheck.explicit.store import StateStore
from hacheck.explicit.visited import HashVisited, SortedVisited
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent
needs_numba = pytest.mark.skipif(not vmod.numba_available(), reason="numba is not usable here")


def _levels(words: int, seed: int, levels: int = 6, chunk: int = 700, values: int = 40):
    """Random successor chunks over a small value range: many duplicates within and across levels."""
    rng = np.random.default_rng(seed)
    out = []
    values = values if words > 1 else values ** 2
    for _ in range(levels):
        chunks = []
        okeys = rng.permutation(10 * chunk)[:3 * chunk].astype(np.int64)  # unique in a level, like action * size + parent
        for c in range(3):
            succ = rng.integers(0, values, size=(chunk, words)).astype(np.uint64)
            okey = okeys[c * chunk:(c + 1) * chunk]
            parent = rng.integers(0, 1000, size=chunk).astype(np.int64)
            action = rng.integers(0, 30, size=chunk).astype(np.int32)
            chunks.append((succ, okey, parent, action))
        out.append(chunks)
    return out


def _run(make, words: int, seed: int, limit: int | None = None):
    """Feed the same chunks to a fresh set; the store it builds, and every reference resolved to an id."""
    store = StateStore(words, reserve=1024)
    store.add(np.zeros((1, words), dtype=np.uint64), np.full(1, -1), np.full(1, -1))
    v = make(store)
    resolved = []
    for chunks in _levels(words, seed):
        refs = [v.add(*c, refs=True) for c in chunks]
        kept, final, cut = v.close_level(store, limit)
        for r in refs:
            ids = r.copy()
            ids[r < 0] = final[-r[r < 0] - 1]
            resolved.append(ids)
        if cut:
            break
    n = store.count
    return (store.all_rows[:n].copy(), np.concatenate(store.parents), np.concatenate(store.actions),
            np.concatenate(resolved), list(store.offsets))


def _same(a, b) -> None:
    for x, y in zip(a, b):
        if isinstance(x, list):
            assert x == y
        else:
            np.testing.assert_array_equal(x, y)


def _sorted(words):
    return lambda store: SortedVisited(store, Layout(tuple(), words))


@needs_numba
@pytest.mark.parametrize("words", [1, 2, 3])
def test_hash_set_matches_the_numpy_fallback(words):
    """Same new states per level, in the same (okey) order, with the same parent and action, and
    every successor resolved to the same id, whichever implementation ran."""
    want = _run(_sorted(words), words, seed=words)
    got = _run(lambda s: HashVisited(s), words, seed=words)
    _same(want, got)
    assert len(want[0]) > 100  # the data really has new states and duplicates
    assert len(np.unique(want[3])) < len(want[3])


@needs_numba
@pytest.mark.parametrize("mask", [0x0, 0x3, 0xFF])
def test_fingerprint_collisions_are_told_apart_by_the_exact_key(mask):
    """With the 64-bit hash cut to 0, 2 or 8 bits nearly every state shares its fingerprint (and its
    first slot) with others: the full-row comparison still keeps every distinct state."""
    want = _run(_sorted(2), 2, seed=7)
    got = _run(lambda s: HashVisited(s, hash_mask=mask, capacity=16), 2, seed=7)
    _same(want, got)


@needs_numba
def test_table_growth_keeps_every_state():
    """A table started at 16 slots doubles many times (rehashing stored and tentative states)."""
    store_want = _run(_sorted(1), 1, seed=3)
    got = _run(lambda s: HashVisited(s, capacity=16), 1, seed=3)
    _same(store_want, got)
    v = HashVisited(StateStore(1, reserve=64), capacity=16)
    rows = np.arange(5000, dtype=np.uint64).reshape(-1, 1)
    v.add(rows, np.arange(5000, dtype=np.int64), np.zeros(5000, np.int64), np.zeros(5000, np.int32))
    assert v.nt == 5000 and len(v.parts[0].table) >= 10000


@needs_numba
@pytest.mark.parametrize("parts", [2, 3])
def test_partitioned_hash_set_gives_the_same_level(parts):
    want = _run(_sorted(2), 2, seed=11)
    with ThreadPoolExecutor(parts - 1) as pool:
        got = _run(lambda s: HashVisited(s, parts=parts, pool=pool), 2, seed=11)
    _same(want, got)


@needs_numba
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_partitioned_table_growth_rebuilds_each_partition_from_its_rows(parts):
    """Tables started at 16 slots grow mid-level many times; each is rebuilt from the stored rows of
    its partition and the level's tentative rows (hacheck/explicit/_hashset_numba.py ``rebuild``),
    also with the hash cut to 2 bits (long probe runs): the same levels as the numpy set."""
    want = _run(_sorted(2), 2, seed=13)
    for mask in (0xFFFFFFFFFFFFFFFF, 0x3 << 40 | 0x3):
        with ThreadPoolExecutor(2) as pool:
            got = _run(lambda s: HashVisited(s, hash_mask=mask, capacity=16, parts=parts, pool=pool), 2, seed=13)
        _same(want, got)


@needs_numba
def test_level_cut_by_a_limit_keeps_the_first_states_in_bfs_order():
    want = _run(_sorted(1), 1, seed=5, limit=50)
    got = _run(lambda s: HashVisited(s, parts=2), 1, seed=5, limit=50)
    _same(want, got)
    assert want[4][-1] - want[4][-2] == 50


def _model(path, params):
    return build_model(load_spec(ROOT / path), params)


def _explore(m, **kw):
    bounds = kw.pop("bounds", None)
    edges = kw.pop("edges", False)
    ex = Explorer(m, symmetry=kw.pop("symmetry", False), **kw)
    r = ex.run(bounds=bounds, record_edges=edges)
    st = ex.store
    out = [st.all_rows[:st.count].copy(), np.concatenate(st.parents), np.concatenate(st.actions), list(st.offsets)]
    if edges:
        out += [ex.graph.src, ex.graph.dst, ex.graph.act]
    verdicts = [(p.name, p.verdict, p.trace.length if p.trace else None, p.line) for p in r.properties]
    traces = [p.trace.states for p in r.properties if p.trace is not None]
    return out, verdicts, traces, r.stats


MODELS = [
    ("gluster max_faults 2", lambda: _model("models/gluster_arbiter.py", {"max_faults": 2})),
    ("hosted_engine defaults", lambda: _model("models/hosted_engine.py", {})),
    ("lease3", lambda: lease_hosts(3, timer=2)),
]


@needs_numba
@pytest.mark.parametrize("name,make", MODELS, ids=[n for n, _ in MODELS])
def test_engine_is_identical_with_1_or_2_workers_and_either_set(name, make, monkeypatch):
    """States, ids, parent links, verdicts and the shortest traces themselves are the same for the
    numpy fallback on one thread and for the hash set split over 2 workers (chunks of 64 parents,
    so levels are really split)."""
    monkeypatch.setattr("hacheck.explicit.search.SEARCH_CHUNK", 64)
    m = make()
    base = _explore(m, workers=1, visited="sorted")
    for workers in (1, 2):
        got = _explore(m, workers=workers, visited="hash")
        _same(base[0], got[0])
        assert got[1] == base[1] and got[2] == base[2]
        assert got[3].states == base[3].states and got[3].transitions == base[3].transitions


@needs_numba
def test_state_graph_for_liveness_is_identical():
    m = _model("models/gluster_arbiter.py", {"max_faults": 1})
    base = _explore(m, workers=1, visited="sorted", edges=True)
    got = _explore(m, workers=2, visited="hash", edges=True)
    _same(base[0], got[0])


@needs_numba
def test_max_states_cut_is_identical():
    m = lease_hosts(3, timer=2)
    b = Bounds(max_states=777)
    base = _explore(m, workers=1, visited="sorted", bounds=b)
    got = _explore(m, workers=2, visited="hash", bounds=b)
    _same(base[0], got[0])
    assert base[3].states == got[3].states == 777 and "max-states" in got[3].stop_reason


def test_fallback_without_numba_gives_the_same_run(monkeypatch):
    """When numba cannot be loaded the engine runs on the numpy set, with the same answers."""
    m = lease_hosts(3, timer=2)
    base = _explore(m, workers=1, visited="sorted")
    monkeypatch.setattr(vmod, "_KERNELS", None)
    monkeypatch.setattr(vmod, "_NUMBA_ERROR", "numba made unavailable by the test")
    monkeypatch.setattr("hacheck.explicit.search.HASH_FROM", 10)
    assert not vmod.numba_available()
    ex = Explorer(m, symmetry=False, workers=2, visited="auto")
    r = ex.run()
    assert isinstance(ex.visited, SortedVisited)
    assert r.stats.states == base[3].states
    np.testing.assert_array_equal(ex.store.all_rows[:ex.store.count], base[0][0])


@needs_numba
def test_auto_switches_to_the_hash_set_midway_with_the_same_run(monkeypatch):
    monkeypatch.setattr("hacheck.explicit.search.HASH_FROM", 100)
    m = lease_hosts(3, timer=2)
    base = _explore(m, workers=1, visited="sorted")
    ex = Explorer(m, symmetry=False, workers=2, visited="auto")
    ex.run()
    assert isinstance(ex.visited, HashVisited)
    np.testing.assert_array_equal(ex.store.all_rows[:ex.store.count], base[0][0])


def test_symmetry_reduced_counts_do_not_depend_on_workers():
    m = _model("models/hosted_engine.py", {})
    one = _explore(m, workers=1, visited="sorted", symmetry=True)
    two = _explore(m, workers=2, symmetry=True)
    assert one[3].states == two[3].states and one[1] == two[1] and one[2] == two[2]


def test_store_spills_to_files_under_a_tiny_memory_budget(tmp_path, monkeypatch):
    """With a budget of 1 KiB the stored states move to memory-mapped files in HACHECK_SPILL_DIR;
    the run is the same and the files go away with the store."""
    monkeypatch.setenv("HACHECK_SPILL_DIR", str(tmp_path))
    m = flips(10)
    base = _explore(m, workers=1, spill_bytes=1 << 40)
    ex = Explorer(m, symmetry=False, workers=2, spill_bytes=1024)
    r = ex.run()
    assert ex.store.spilled
    files = list(tmp_path.glob("hacheck-states-*.bin"))
    assert len(files) == 3  # rows, parents, actions
    assert r.stats.states == 1024 == base[3].states
    np.testing.assert_array_equal(ex.store.all_rows[:ex.store.count], base[0][0])
    np.testing.assert_array_equal(np.concatenate(ex.store.parents), base[0][1])
    ex.store.close()
    assert not list(tmp_path.glob("hacheck-states-*.bin"))


def test_store_grows_past_its_reservation_in_memory_and_spilled(tmp_path):
    for budget in (1 << 40, 100):
        st = StateStore(2, reserve=4, spill_bytes=budget, spill_dir=str(tmp_path))
        want = []
        for k in range(10):
            rows = np.full((k + 3, 2), k, dtype=np.uint64)
            parents = np.arange(k + 3) + (st.count - 1)  # each state's parent: the one before it
            st.add(rows, parents, np.full(k + 3, k))
            want.append(rows)
        assert st.spilled == (budget == 100)
        np.testing.assert_array_equal(st.all_rows[:st.count], np.concatenate(want))
        path = st.path(st.count - 1)
        assert [sid for sid, _ in path] == list(range(st.count)) and path[-1] == (st.count - 1, 9)
        st.close()


def test_bad_spill_folder_is_a_clear_error(monkeypatch, tmp_path):
    from hacheck.lang.errors import HacheckError

    monkeypatch.setenv("HACHECK_SPILL_DIR", str(tmp_path / "missing"))
    with pytest.raises(HacheckError, match="HACHECK_SPILL_DIR=.*not a folder"):
        StateStore(1)


@needs_numba
def test_cli_threads_option_gives_the_same_report(tmp_path, capsys, monkeypatch):
    """``hacheck check MODEL --threads N``: the same verdict lines (states, shortest trace lengths)
    for 1 and 2 threads; a bad N is a one-line error (exit 2)."""
    from hacheck.cli import main

    monkeypatch.setattr("hacheck.explicit.search.SEARCH_CHUNK", 256)
    out = {}
    for n in ("1", "2"):
        code = main(["check", "models/gluster_arbiter.py", "--param", "max_faults=2", "--property", "no_split_brain",
                     "--property", "no_stale_read", "--threads", n, "-q", "--out", str(tmp_path / n)])
        text = capsys.readouterr().out.replace(str(tmp_path / n), "OUT")
        out[n] = (code, [ln for ln in text.splitlines() if "states/s" not in ln])  # timings differ
    assert out["1"] == out["2"]
    text = "\n".join(out["1"][1])
    assert "40,085 states" in text and "5 steps, shortest" in text
    with pytest.raises(SystemExit) as e:
        main(["check", "models/fencing.py", "--threads", "0"])
    assert e.value.code == 2 and "--threads must be at least 1" in capsys.readouterr().err
