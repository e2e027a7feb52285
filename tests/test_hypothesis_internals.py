"""The Hypothesis internals the fuzzer uses (hacheck/fuzz/internals.py) are still there and still
do what the fuzzer relies on. A Hypothesis upgrade that changes one fails here, naming it, instead
of leaving the fuzzer on its slower fall-back or with colliding database keys unnoticed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as hs
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from hacheck.fuzz import runner
from hacheck.fuzz.internals import SUPPORTED, problems

ROOT = Path(__file__).resolve().parent.parent


def test_the_supported_range_is_what_pyproject_requires_and_what_is_installed():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (req,) = [d for d in deps if d.startswith("hypothesis")]
    assert req == f"hypothesis{SUPPORTED}"
    assert Version(hypothesis.__version__) in SpecifierSet(SUPPORTED), (
        f"Hypothesis {hypothesis.__version__} is outside the supported range {SUPPORTED}")


def test_every_internal_the_fuzzer_uses_is_as_expected():
    assert problems() == [], f"Hypothesis {hypothesis.__version__} changed: " + "; ".join(problems())


def test_the_runner_takes_the_choice_level_path():
    """``_drawing`` gets ConjectureData's draw_integer and spans, not the strategy fall-back, and
    the draws stay within their bounds."""
    seen: list[tuple[int, bool]] = []

    @settings(max_examples=5, database=None)
    @given(hs.data())
    def probe(data):
        draw, spans = runner._drawing(data)
        assert spans is not None
        start, stop = spans
        start()
        v = draw(3, 7)
        stop()
        seen.append((v, 3 <= v <= 7))

    probe()
    assert seen and all(ok for _, ok in seen)


def test_local_constants_are_emptied_while_fuzzing_and_restored_after():
    from hypothesis.internal.conjecture import providers as hp

    original = hp._get_local_constants
    with runner._no_local_constants():
        assert hp._get_local_constants is not original
        empty = hp._get_local_constants()
        assert isinstance(empty, hp.Constants) and not any(len(getattr(empty, k)) for k in vars(empty)
                                                           if hasattr(getattr(empty, k), "__len__"))
    assert hp._get_local_constants is original
