"""Start-up of ``hacheck check`` (issue 21 item 5): its phases are reported, the libraries a
safety check does not need are not loaded, and the start-up cache (compiled actions, symmetry
proofs) is used only when it holds exactly what this model instance needs: a missing, damaged or
foreign entry means compiling (or proving) again, never a crash and never another model's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hacheck.explicit import codecache
from hacheck.explicit.compile import compile_model
from hacheck.explicit.pycompile import compile_python
from hacheck.explicit.search import Explorer
from hacheck.lang import Bool, Map, Model, ModelError, count
from hacheck.loader import build_model, load_spec
from hacheck.timing import PHASES

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"  # a symmetric sort (Replica), small
HEAVY = ("z3", "scipy", "hypothesis", "networkx", "graphviz")

# runs hacheck check in a fresh interpreter, then prints which heavy libraries it loaded
PROBE = """
import json, sys
from hacheck.cli import main
code = main(sys.argv[1:])
print("LOADED=" + json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(%r))))
sys.exit(code)
""" % (HEAVY,)


def probe(tmp_path: Path, *args: str, cache: Path | str) -> tuple[subprocess.CompletedProcess, list[str]]:
    env = dict(os.environ, HACHECK_CACHE_DIR=str(cache))
    r = subprocess.run([sys.executable, "-c", PROBE, "check", *args, "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    line = next(x for x in r.stdout.splitlines() if x.startswith("LOADED="))
    return r, json.loads(line[len("LOADED="):])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(folder))
    return folder


def bits(n: int = 3, name: str = "sbits", guard_all: bool = True) -> Model:
    """n symmetric bits; ``guard_all=False`` lets only bit 0 flip back: a broken symmetry."""
    m = Model(name)
    Bit = m.sort("Bit", n, symmetric=True)
    b = m.var("b", Map(Bit, Bool), init=False)

    @m.action(i=Bit)
    def set_(i):
        return ~b[i], {b[i]: True}

    @m.action(i=Bit)
    def clear(i):
        return (b[i] if guard_all or i.index == 0 else b[i] & ~b[i]), {b[i]: False}

    m.invariant("not_all", count(Bit, lambda i: b[i]) < n)
    return m.freeze()


def same_functions(a, b, rows: np.ndarray) -> None:
    """Two compilations of one model give the same successors and the same predicate masks."""
    ca, cb = a.unpack(rows), b.unpack(rows)
    for fa, fb in zip(a.actions, b.actions, strict=True):
        ra, rb = fa(ca, rows, len(rows)), fb(cb, rows, len(rows))
        assert (ra is None) == (rb is None)
        if ra is not None:
            assert np.array_equal(ra[0], rb[0]) and np.array_equal(ra[1], rb[1])
    for name in a.predicates:
        assert np.array_equal(a.mask(name, ca, len(rows)), b.mask(name, cb, len(rows)))


def all_rows(m: Model) -> np.ndarray:
    from hacheck.explicit.pack import Layout

    n = len(m.fields)
    return Layout.of(m).pack_many([[(k >> i) & 1 for i in range(n)] for k in range(2**n)])


def test_a_safety_check_with_a_cached_proof_loads_neither_z3_nor_scipy_nor_hypothesis(tmp_path):
    """The first run proves the declared symmetry with z3 (so it loads z3); the second finds the proof
    in the cache and loads none of z3, scipy, hypothesis, networkx, graphviz (a property that holds
    draws no trace), with the same verdict."""
    cache = tmp_path / "cache"
    args = (str(TUTORIAL), "--param", "quorum=majority", "--property", "no_split_brain", "--json",
            str(tmp_path / "r.json"), "-q")
    first, loaded1 = probe(tmp_path, *args, cache=cache)
    assert first.returncode == 0, first.stderr  # no_split_brain holds with a majority quorum
    assert "z3" in loaded1
    doc1 = json.loads((tmp_path / "r.json").read_text())
    assert doc1["cache"] == {"compiled": "miss", "symmetry_proof": "miss"}
    second, loaded2 = probe(tmp_path, *args, cache=cache)
    assert second.returncode == 0, second.stderr
    assert loaded2 == [], f"loaded {loaded2} on a cached run"
    doc2 = json.loads((tmp_path / "r.json").read_text())
    assert doc2["cache"] == {"compiled": "hit", "symmetry_proof": "hit"}
    assert [p["explanation"] for p in doc2["properties"]] == [p["explanation"] for p in doc1["properties"]]
    assert doc2["stats"]["states"] == doc1["stats"]["states"]


def test_json_report_and_stats_line_give_every_phase_in_order(tmp_path):
    """Phases in the JSON report (validated against docs/schema/report.schema.json by conftest) and
    on the --stats line; with --no-cache nothing is read or written."""
    cache = tmp_path / "cache"
    env = dict(os.environ, HACHECK_CACHE_DIR=str(cache))
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", str(TUTORIAL), "--json", str(out), "--stats",
                        "--no-cache", "--out", str(tmp_path / "o"), "-q"], capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=300)
    assert r.returncode == 1, r.stderr
    doc = json.loads(out.read_text())
    phases = list(doc["phases"])
    assert phases == [p for p in PHASES if p in phases]
    assert {"import", "load", "build", "compile", "symmetry", "search", "properties", "traces"} <= set(phases)
    assert all(v >= 0 for v in doc["phases"].values())
    assert doc["phases"]["search"] >= doc["stats"]["seconds"] - 1e-3  # the search, and the traces of what it found
    assert doc["cache"] == {"compiled": "off", "symmetry_proof": "off"}
    assert not cache.exists()
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("time: "))
    assert "import " in line and "compile " in line and "(cache off)" in line and "; total " in line


def test_compiled_code_cache_miss_hit_and_corrupt_entries(cache):
    m = bits()
    rows = all_rows(m)
    fresh = compile_model(m)
    assert fresh.cache == "miss"
    hit = compile_model(bits())  # a model built again: the same instance, found in the cache
    assert hit.cache == "hit"
    same_functions(fresh, hit, rows)
    (entry,) = (cache / "compiled").iterdir()
    good = entry.read_bytes()
    damaged = [
        good[: len(good) // 2],  # truncated
        good[:-5] + b"xxxxx",  # overwritten: the SHA-256 no longer matches
        b"not a cache entry at all",
        b"",
    ]
    for data in damaged:
        entry.write_bytes(data)
        again = compile_model(bits())
        assert again.cache == "corrupt"
        same_functions(fresh, again, rows)
        assert compile_model(bits()).cache == "hit"  # rewritten whole


def test_a_well_formed_entry_with_other_functions_is_not_used(cache):
    """An entry with a valid checksum but code for another model (e.g. written under this key by a
    different hacheck): the functions do not match this model's, so it is compiled afresh."""
    m = bits(3)
    compile_model(m)
    (entry,) = (cache / "compiled").iterdir()
    key = entry.name
    other = compile_model(bits(2, name="other"))
    doc, status = codecache.load_code(codecache.code_key(bits(2, name="other"), "numpy"))
    assert status == "hit" and other.cache == "miss"
    import marshal

    codecache.COMPILED.put(key, marshal.dumps({**doc, "key": key}))  # other's functions under m's key
    got = compile_model(bits(3))
    assert got.cache == "corrupt" and len(got.actions) == len(m.instances)
    same_functions(compile_model(bits(3)), got, all_rows(m))


def test_off_and_an_unwritable_folder_compile_as_without_a_cache(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("HACHECK_CACHE_DIR", "off")
    assert compile_model(bits()).cache == "off" and not cache.exists()
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("HACHECK_CACHE_DIR", str(blocked))  # mkdir fails: a miss, nothing raised
    assert compile_model(bits()).cache == "miss"


def test_the_cache_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.delenv("HACHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compile_model(bits()).cache == "miss"
    assert len(list((tmp_path / "xdg" / "hacheck" / "compiled").iterdir())) == 1


def test_the_key_is_the_model_instance_not_its_name(cache):
    """Two instances with one name and different guards get different entries (the key hashes every
    guard, update and property); parameters and fault kinds change the key the same way."""
    assert codecache.model_digest(bits(3)) == codecache.model_digest(bits(3))
    assert codecache.model_digest(bits(3)) != codecache.model_digest(bits(3, guard_all=False))
    assert codecache.model_digest(bits(3)) != codecache.model_digest(bits(4))
    spec = load_spec(TUTORIAL)
    a, b = build_model(spec, {}), build_model(spec, {"quorum": "majority"})
    assert codecache.model_digest(a) != codecache.model_digest(b)
    c = build_model(spec, {}).restrict_faults([])
    assert codecache.model_digest(c) != codecache.model_digest(a)


def test_a_symmetry_proof_is_cached_only_for_the_model_it_proved(cache):
    """A proved symmetry is stored and found again; a model of the same name whose symmetry is
    broken is still refused (its key differs), and a failed proof is never stored."""
    ok = Explorer(bits(3), symmetry=True)
    assert ok.symmetry.validate(list(ok.model.properties.values())) == "miss"
    again = Explorer(bits(3), symmetry=True)
    assert again.symmetry.validate(list(again.model.properties.values())) == "hit"
    liar = Explorer(bits(3, guard_all=False), symmetry=True)
    with pytest.raises(ModelError, match="declares Bit symmetric"):
        liar.symmetry.validate(list(liar.model.properties.values()))
    assert len(list((cache / "proofs").iterdir())) == 1
    (entry,) = (cache / "proofs").iterdir()
    entry.write_bytes(entry.read_bytes()[:-3])  # damaged: proved again, then rewritten
    third = Explorer(bits(3), symmetry=True)
    assert third.symmetry.validate(list(third.model.properties.values())) == "corrupt"
    fourth = Explorer(bits(3), symmetry=True)
    assert fourth.symmetry.validate(list(fourth.model.properties.values())) == "hit"


def test_python_compiler_cache_gives_the_same_functions(cache):
    """The one-state compiler of the fuzzer (pycompile) is cached the same way."""
    m = bits(3)
    a = compile_python(m)
    b = compile_python(bits(3))
    states = [tuple((k >> i) & 1 for i in range(3)) for k in range(8)]
    for s in states:
        assert a.successors(s) == b.successors(s)
        assert a.predicates["not_all"](s) == b.predicates["not_all"](s)
    (entry,) = (cache / "compiled").iterdir()
    entry.write_bytes(b"garbage")
    c = compile_python(bits(3))
    assert [c.successors(s) for s in states] == [a.successors(s) for s in states]
    assert c.guard_reads == a.guard_reads


def test_no_cache_holds_for_one_command_only(cache, tmp_path, capsys):
    """--no-cache is HACHECK_CACHE_DIR=off for the command (and the worker processes it starts); the
    environment is as it was afterwards, so the next command in the process uses the cache again."""
    from hacheck.cli import main

    args = ["check", str(TUTORIAL), "--param", "quorum=majority", "-q", "--out", str(tmp_path / "o")]
    assert main([*args, "--no-cache"]) == 0
    assert os.environ["HACHECK_CACHE_DIR"] == str(cache) and not cache.exists()
    assert main(args) == 0
    assert (cache / "compiled").is_dir()
