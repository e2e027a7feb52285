"""Every console example in README.md and docs/*.md is a test (issue 16 item 13): the command is run
and the output shown must be what it prints (in order, modulo timings; scripts/doc_examples.py says
exactly how). A change that alters an output fails here until the docs follow:
``python scripts/update-doc-examples.py`` rewrites the shown output from real runs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import doc_examples  # noqa: E402

EXAMPLES = doc_examples.all_examples()
RUN = [e for e in EXAMPLES if e.output or e.exit_code is not None]
PARSE = [e for e in EXAMPLES if not (e.output or e.exit_code is not None)]


def test_the_docs_have_console_examples():
    assert len(RUN) >= 10 and any(e.file == "README.md" for e in RUN)


@pytest.mark.parametrize("example", RUN, ids=[e.id for e in RUN])
def test_console_example_prints_what_the_docs_show(example, tmp_path):
    r = doc_examples.run(example, doc_examples.workdir(tmp_path))
    actual = r.stdout.splitlines()
    missing = doc_examples.missing_lines(example.output, actual)
    if missing:
        missing = doc_examples.missing_lines(example.output, actual + r.stderr.splitlines())
    assert not missing, (f"{example.id}: `{example.command}` no longer prints these lines "
                         f"(run scripts/update-doc-examples.py):\n" + "\n".join(missing)
                         + "\n--- it printed:\n" + r.stdout + r.stderr[-2000:])
    if example.exit_code is not None:
        assert r.returncode == example.exit_code, (example.id, r.returncode, r.stderr)
    assert r.returncode in (0, 1, 3), (example.id, r.returncode, r.stderr)


@pytest.mark.parametrize("example", PARSE, ids=[e.id for e in PARSE])
def test_console_example_without_output_is_a_valid_command(example):
    from hacheck.cli import make_parser

    make_parser().parse_args(example.argv)


def test_the_matcher_ignores_timings_and_column_widths_but_not_figures():
    shown = ["  explicit: 95 states, 135 transitions, depth 18, 0.03 s (3,191 states/s, 44 bytes/state)",
             "model fencing (hosts=3, vms=3, ..., max_faults=1)"]
    same = ["  explicit: 95 states, 135 transitions, depth 18, 12.50 s (7 states/s,  44 bytes/state)",
            "model fencing (hosts=3, vms=3, x=1, max_faults=1)"]
    assert doc_examples.missing_lines(shown, same) == []
    other = [same[0].replace("95 states", "96 states"), same[1]]
    assert doc_examples.missing_lines(shown, other) == [shown[0]]
    assert doc_examples.missing_lines(shown[::-1], same) == [shown[0]]  # order matters


@pytest.mark.parametrize("path", doc_examples.doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_link_only_files_in_the_repository(path):
    """The domain and design notes outside the repository are not cited; relative links resolve."""
    text = path.read_text()
    assert not re.search(r"(?<![\w.])(\.\./)*shared/(DESIGN|domain)", text), f"{path}: cites notes outside the repository"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (path.parent / target).exists(), f"{path.relative_to(ROOT)}: link to {target} does not exist"
