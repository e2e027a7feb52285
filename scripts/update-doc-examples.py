#!/usr/bin/env python3
"""Rewrite the output shown in the console examples of README.md and docs/*.md from real runs.

Run it after a change that alters what hacheck prints (tests/test_doc_examples.py fails until
then), and review the diff: an example that still matches is left alone; one that showed the whole
output gets the new whole output; an excerpt keeps its shape, each shown line replaced by the
closest line of the new output (lines with ``...`` elisions are kept when they still match).

    python scripts/update-doc-examples.py [FILE.md ...]
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import doc_examples as d  # noqa: E402


def new_output(e: d.Example, actual: list[str]) -> list[str]:
    shown = [s for s in e.output]
    if not d.missing_lines(shown, actual):
        return shown
    elided = any("..." in s for s in shown)
    if not elided and len([s for s in shown if s.strip()]) >= 0.8 * len([a for a in actual if a.strip()]):
        return actual
    out, j = [], 0
    norm = [d.normalize(a) for a in actual]
    for s in shown:
        if not s.strip():
            out.append(s)
            continue
        if not d.missing_lines([s], actual[j:]):
            out.append(s)
            k = next(i for i in range(j, len(actual)) if not d.missing_lines([s], [actual[i]]))
            j = k + 1
            continue
        k = closest(d.normalize(s), norm, j)
        if k is None:
            continue
        out.append(actual[k])
        j = k + 1
    return out


def closest(shown: str, norm: list[str], start: int) -> int | None:
    """The actual line (from ``start`` on) that a shown line stands for: the most leading words in
    common (a table row is known by its property and model), then the most similar text."""
    words = shown.split()

    def score(k: int) -> tuple[int, float]:
        other = norm[k].split()
        prefix = 0
        while prefix < min(len(words), len(other)) and words[prefix] == other[prefix]:
            prefix += 1
        return prefix, difflib.SequenceMatcher(None, shown, norm[k]).ratio()

    candidates = [k for k in range(start, len(norm)) if norm[k].strip()]
    return max(candidates, key=score) if candidates else None


def update(path: Path) -> int:
    lines = path.read_text().splitlines()
    changed = 0
    work = d.workdir()
    for e in reversed(d.examples(path)):
        if not (e.output or e.exit_code is not None):
            continue
        r = d.run(e, work)
        actual = r.stdout.splitlines()
        new = new_output(e, actual)
        if new != e.output:
            lines[e.out_start:e.out_start + len(e.output)] = new
            changed += 1
            print(f"{e.id}: updated ({len(e.output)} -> {len(new)} lines)")
        if e.exit_code is not None and r.returncode != e.exit_code:
            at = e.out_start + len(new) + 1  # the line after `$ echo $?`
            if at < len(lines) and lines[at].strip() == str(e.exit_code):
                lines[at] = str(r.returncode)
                print(f"{e.id}: exit code {e.exit_code} -> {r.returncode}")
    if changed:
        path.write_text("\n".join(lines) + "\n")
    return changed


def main(argv: list[str]) -> int:
    files = [Path(a).resolve() for a in argv] or d.doc_files()
    total = sum(update(f) for f in files)
    print(f"{total} example(s) updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
