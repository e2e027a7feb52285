"""Machine-code successor generation (hacheck/explicit/native.py): the C function built from a model
must give exactly the successors the numpy code gives (same parents, action instances and rows, as
sets), so that a search on it stores the same states with the same ids, parents and traces; whatever
it cannot compute exactly (a range error, a division by zero) goes back to the numpy code. No timing
here: speed is measured by benchmarks/bench_vs_spin.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.models import flips, lease_hosts
from hacheck.explicit import native as nmod
from hacheck.explicit.search import Explorer, ModelRangeError
from hacheck.lang import HacheckError, Int, Model, ite, max_, min_
from hacheck.loader import build_model, load_spec

ROOT = Path(__file__).resolve().parent.parent
needs_cc = pytest.mark.skipif(nmod.compiler() is None, reason="no C compiler")


def _model(path: str, params: dict):
    return build_model(load_spec(str(ROOT / path)), params)


def arithmetic(lo: int = -7, hi: int = 7) -> Model:
    """Counters over negative and positive values and every operator the C code writes: floor
    division of negative values by positive and negative divisors and modulo of negative values
    (Python's rounding, not C's truncation; the language allows no divisor range holding 0, and
    only positive ones for '%'), min and max."""
    m = Model("arith")
    x = m.var("x", Int(lo, hi), init=3)
    y = m.var("y", Int(lo, hi), init=-2)
    p = m.var("p", Int(1, 3), init=2)
    d = m.var("d", Int(-3, -1), init=-2)

    @m.action()
    def down():
        return x > lo, {x: x - 1}

    @m.action()
    def up_y():
        return y < hi, {y: y + 1}

    @m.action()
    def turn():
        return True, {p: ite(p == 3, 1, p + 1), d: ite(d == -1, -3, d + 1)}

    @m.action()
    def div():
        return (x // d != y) & (x // d <= hi), {y: x // d, x: x // p}

    @m.action()
    def mod():
        return (y % p != x) | (x % p != y), {x: y % p, y: x % p}

    @m.action()
    def mix():
        v = min_(x, y) - max_(x, -y) // 3
        return (v >= lo) & (v <= hi) & (v != y), {y: v}

    return m.freeze()


def overflow() -> Model:
    """A counter whose update leaves its declared range after 3 steps (a model error with a trace)."""
    m = Model("overflow")
    n = m.var("n", Int(0, 3), init=0)

    @m.action()
    def inc():
        return True, {n: n + 1}

    return m.freeze()


MODELS = [
    ("hosted_engine defaults", lambda: _model("models/hosted_engine.py", {})),
    ("gluster max_faults 2", lambda: _model("models/gluster_arbiter.py", {"max_faults": 2})),
    ("fencing", lambda: _model("models/fencing.py", {})),
    ("standalone_engine", lambda: _model("models/standalone_engine.py", {})),
    ("lease3", lambda: lease_hosts(3, timer=2)),
    ("flips8", lambda: flips(8)),
    ("arith", arithmetic),
]


def _native_for(m) -> tuple[Explorer, nmod.Native]:
    ex = Explorer(m, symmetry=False, workers=1)
    build = nmod.NativeBuild(ex.compiled)
    build.start()
    nat = build.get(wait=True)
    assert nat is not None, build.failed
    return ex, nat


def _as_set(succ, par, act) -> list[tuple]:
    return sorted(zip(par.tolist(), act.tolist(), map(tuple, succ.tolist())))


@needs_cc
@pytest.mark.parametrize("name,make", MODELS, ids=[n for n, _ in MODELS])
def test_native_successors_are_the_numpy_ones(name, make, monkeypatch, tmp_path):
    """On every state of a (bounded) search of the shipped and benchmark models, the C function
    returns the same (parent, action instance, successor row) triples as the numpy actions."""
    monkeypatch.setenv("HACHECK_NATIVE", "off")
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    from hacheck.explicit.search import Bounds

    m = make()
    ex, nat = _native_for(m)
    ex.run([], Bounds(max_states=20_000))
    rows = ex.store.all_rows[:ex.store.count]
    want = ex.expand(rows)
    got = nat.expand(rows)
    assert got is not None
    assert len(got[0]) == want[3] > 0
    assert _as_set(*got) == _as_set(want[0], want[1], want[2])


def _explore(m, monkeypatch, mode: str, workers: int = 2):
    monkeypatch.setenv("HACHECK_NATIVE", mode)
    monkeypatch.setattr("hacheck.explicit.search.SEARCH_CHUNK", 64)  # levels really split into chunks
    ex = Explorer(m, symmetry=False, workers=workers)
    r = ex.run()
    n = ex.store.count
    out = (ex.store.all_rows[:n].copy(), np.concatenate(ex.store.parents), np.concatenate(ex.store.actions))
    verdicts = [(p.name, p.verdict, p.trace.states if p.trace else None) for p in r.properties]
    return out, verdicts, r.stats, ex


@needs_cc
@pytest.mark.parametrize("name,make", MODELS[:5] + MODELS[6:], ids=[n for n, _ in MODELS[:5] + MODELS[6:]])
def test_search_on_native_code_is_identical(name, make, monkeypatch, tmp_path):
    """States, ids, parent links, verdicts and shortest traces are the same whether the successors
    come from the C function (built before the search: HACHECK_NATIVE=first) or from numpy."""
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    m = make()
    base = _explore(m, monkeypatch, "off", workers=1)
    got = _explore(m, monkeypatch, "first")
    assert got[3].native_chunks > 0 and base[3].native_chunks == 0
    for a, b in zip(base[0], got[0]):
        np.testing.assert_array_equal(a, b)
    assert got[1] == base[1]
    assert got[2].states == base[2].states and got[2].transitions == base[2].transitions


@needs_cc
def test_range_error_is_the_same_model_error_with_the_same_trace(monkeypatch, tmp_path):
    """An update leaving its declared range stops the C code; numpy then reports the model error
    (hacheck/explicit/compile.py) with its message and trace, as without native code."""
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    errors = []
    for mode in ("off", "first"):
        monkeypatch.setenv("HACHECK_NATIVE", mode)
        with pytest.raises(ModelRangeError) as e:
            Explorer(overflow(), symmetry=False).run()
        errors.append((str(e.value), e.value.trace.states))
    assert errors[0] == errors[1]
    assert "sets n to 4" in errors[0][0]


@needs_cc
def test_library_is_kept_in_the_start_up_cache(monkeypatch, tmp_path):
    """Built once, then loaded from the cache (no compiler run) by a search of the same model;
    HACHECK_CACHE_DIR=off keeps nothing."""
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    m = lease_hosts(3)
    ex = Explorer(m, symmetry=False)
    first = nmod.NativeBuild(ex.compiled)
    assert not first.from_cache()
    first.start()
    assert first.get(wait=True) is not None and first.status == "built"
    again = nmod.NativeBuild(Explorer(m, symmetry=False).compiled)
    assert again.from_cache() and again.status == "hit"
    monkeypatch.setenv("HACHECK_CACHE_DIR", "off")
    assert not nmod.NativeBuild(ex.compiled).from_cache()


@needs_cc
def test_auto_mode_loads_a_cached_library_midway(monkeypatch, tmp_path):
    """HACHECK_NATIVE=auto: a search past NATIVE_LOOKUP states picks up the cached library and
    goes on with it; the run is the numpy run."""
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("hacheck.explicit.search.NATIVE_LOOKUP", 50)
    m = lease_hosts(3)
    base = _explore(m, monkeypatch, "off", workers=1)
    _native_for(m)  # now in the cache
    got = _explore(m, monkeypatch, "auto")
    assert got[3].native_build is not None and got[3].native_build.status == "hit"
    assert 0 < got[3].native_chunks
    for a, b in zip(base[0], got[0]):
        np.testing.assert_array_equal(a, b)


def test_without_a_compiler_the_search_stays_on_numpy(monkeypatch, tmp_path):
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    assert nmod.compiler() is None
    m = lease_hosts(3)
    base = _explore(m, monkeypatch, "off", workers=1)
    got = _explore(m, monkeypatch, "first")
    assert got[3].native_chunks == 0 and "no C compiler" in got[3].native_build.failed
    for a, b in zip(base[0], got[0]):
        np.testing.assert_array_equal(a, b)


def test_bad_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HACHECK_NATIVE", "fast")
    with pytest.raises(HacheckError, match=r"HACHECK_NATIVE='fast': expected auto, first or off"):
        Explorer(flips(3), symmetry=False)


def test_c_source_names_every_action_instance():
    """One function per action instance (the compiler's time grows faster than a function's size)."""
    m = lease_hosts(2)
    src = nmod.c_source(m, Explorer(m, symmetry=False).layout)
    for k in range(len(m.instances)):
        assert f"static i64 hk_a{k}(" in src


def test_a_failing_compiler_leaves_the_search_on_numpy(monkeypatch, tmp_path):
    """A compiler that fails (here ``false``) is reported in ``native_build.failed``; the run is the
    numpy run."""
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "false")
    if nmod.compiler() is None:
        pytest.skip("no 'false' command")
    m = lease_hosts(3)
    base = _explore(m, monkeypatch, "off", workers=1)
    got = _explore(m, monkeypatch, "first")
    assert got[3].native_chunks == 0 and "failed" in got[3].native_build.failed
    for a, b in zip(base[0], got[0]):
        np.testing.assert_array_equal(a, b)


@needs_cc
def test_auto_mode_starts_the_compilers_in_the_background(monkeypatch, tmp_path):
    """HACHECK_NATIVE=auto past NATIVE_AFTER seconds (0 here) starts the build and goes on with numpy
    until it is done; whether it is done before the search ends depends on the machine, the run
    does not."""
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("hacheck.explicit.search.NATIVE_AFTER", 0.0)
    m = lease_hosts(3)
    base = _explore(m, monkeypatch, "off", workers=1)
    got = _explore(m, monkeypatch, "auto")
    assert got[3].native_build is not None and got[3].native_build.key
    for a, b in zip(base[0], got[0]):
        np.testing.assert_array_equal(a, b)


# -- one library for the restrictions of a model (a deployment's checks) ------------------------------

def _restricted(m, patterns):
    """A copy of ``m`` keeping the fault instances ``patterns`` match, as a deployment's check does
    (hacheck/deploy/run.py _built_model + restrict_instances)."""
    import copy

    from hacheck.deploy.mapping import restrict_instances

    return restrict_instances(copy.copy(m), patterns)


@needs_cc
def test_a_restrictions_successors_from_the_whole_models_library(monkeypatch, tmp_path):
    """A restriction (some fault instances left out) is served by the library of the model it was
    restricted from, with a mask: on every state of its search the C function returns the numpy
    code's (parent, action instance, row) triples, the instances numbered as the restriction
    numbers them."""
    from hacheck.deploy.mapping import FaultPattern
    from hacheck.explicit.search import Bounds

    monkeypatch.setenv("HACHECK_NATIVE", "off")
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    whole = _model("models/hosted_engine.py", {"max_faults": 2})
    r = _restricted(whole, [FaultPattern("host_crash", (("h", "h1"),)), FaultPattern("lose_storage", (("h", "h2"),))])
    assert len(r.instances) < len(whole.instances) and nmod.served_by(r)[0] is not r
    ex, nat = _native_for(r)
    assert nat.instances == len(whole.instances) and nat.mask.sum() == len(r.instances)
    ex.run([], Bounds(max_states=20_000))
    rows = ex.store.all_rows[:ex.store.count]
    want = ex.expand(rows)
    got = nat.expand(rows)
    assert got is not None and len(got[0]) == want[3] > 0
    assert _as_set(*got) == _as_set(want[0], want[1], want[2])


def test_restrictions_share_one_library_unless_a_guard_changed():
    """Two checks keeping other fault instances of one built model have the same library key; a
    restriction that adds a condition to a fault's guard (a fault only at a given moment) and a
    model restricted twice are handled: the first gets its own library, the second maps to the
    original instances."""
    from hacheck.deploy.mapping import FaultPattern

    whole = _model("models/fencing.py", {})
    faults = sorted({i.action for i in whole.instances if i.kind == "fault"})
    assert len(faults) >= 2
    a = _restricted(whole, [FaultPattern(faults[0])])
    b = _restricted(whole, [FaultPattern(faults[1])])
    lay = Explorer(whole, symmetry=False).layout
    assert nmod.served_by(a)[0].instances is whole.instances
    assert nmod.c_sources(nmod.served_by(a)[0], lay) == nmod.c_sources(nmod.served_by(b)[0], lay)
    ia, ib = nmod.served_by(a)[1], nmod.served_by(b)[1]
    assert [whole.instances[j].label for j in ia] == [i.label for i in a.instances]
    assert [whole.instances[j].label for j in ib] == [i.label for i in b.instances]
    field = whole.fields[0]
    timed = _restricted(whole, [FaultPattern(faults[0], (), ((field.name, "==", field.type.decode(0)),))])
    assert nmod.served_by(timed) == (timed, None)
    twice = _restricted(_restricted(whole, [FaultPattern(faults[0]), FaultPattern(faults[1])]), [FaultPattern(faults[1])])
    base, idx = nmod.served_by(twice)
    assert base.instances is whole.instances
    assert [whole.instances[j].label for j in idx] == [i.label for i in twice.instances]


@needs_cc
def test_auto_mode_restrictions_add_up_their_time_and_share_the_build(monkeypatch, tmp_path):
    """HACHECK_NATIVE=auto: the searches of restrictions of one model add up their time; once it
    passes NATIVE_AFTER the build starts, and the next restriction's search runs on it. Every run
    is the numpy run."""
    from hacheck.deploy.mapping import FaultPattern
    from hacheck.explicit import search as smod

    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("hacheck.explicit.search.NATIVE_AFTER", 1e-9)
    monkeypatch.setattr("hacheck.explicit.search.NATIVE_LOOKUP", 10**12)
    monkeypatch.setattr(smod, "SHARED_SPENT", {})
    whole = _model("models/fencing.py", {})
    runs = []
    for _ in range(3):
        r = _restricted(whole, [FaultPattern("crash", (("h", "h1"),))])
        base = _explore(r, monkeypatch, "off", workers=1)
        got = _explore(r, monkeypatch, "auto", workers=1)
        for x, y in zip(base[0], got[0]):
            np.testing.assert_array_equal(x, y)
        runs.append(got[3])
    assert sum(smod.SHARED_SPENT.values()) > 0
    last = runs[-1]
    assert last.native_build is not None and last.native_build.shared
    last.native_build.get(wait=True)
    assert last.native_build.status in ("hit", "built")


@needs_cc
def test_a_build_held_by_another_process_is_waited_for_in_the_cache(monkeypatch, tmp_path):
    """Two worker processes of a deployment want the same library: the one that cannot take the
    build lock does not compile it again; it loads the library once it is in the start-up cache."""
    import fcntl

    monkeypatch.setenv("HACHECK_CACHE_DIR", str(tmp_path))
    m = lease_hosts(3)
    ex = Explorer(m, symmetry=False)
    build = nmod.NativeBuild(ex.compiled)
    folder = tmp_path / "startup" / "native"
    from hacheck.diskcache import BlobCache

    folder = BlobCache("native").folder()
    folder.mkdir(parents=True, exist_ok=True)
    other = open(folder / f".{build.key}.lock", "w")  # as another process holding it
    fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    build.start()
    assert build._compile is not None and build._compile.elsewhere and not build._compile.procs
    assert build.get() is None
    maker = nmod.NativeBuild(Explorer(m, symmetry=False).compiled)  # the other process's build, done
    nmod._Compile.running.pop(maker.key, None)
    c = nmod._Compile(maker.key, maker.sources, maker.cc)
    c.lockf = other  # it holds the lock
    c.start()
    assert c.result(wait=True) is not None  # built and put into the cache; lock released
    assert build.get(wait=True) is not None and build.status == "built"
