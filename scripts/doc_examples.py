"""Console examples in README.md and docs/*.md, as data: find them, run them, compare them.

A console block is a fenced ```console block. ``$ CMD`` starts a command (``\\`` continues it on the
next line; ``# ...`` is a comment); the lines up to the next ``$`` are what it prints. ``$ echo $?``
shows the previous command's exit code. A shown line may elide text with ``...`` (anything), and
what follows ``...`` and two spaces is a comment. Shown lines must appear in the real output in
order (an excerpt is allowed), compared modulo timings (``0.03 s``, ``3,191 states/s``) and runs of
spaces (table columns widen with timings). A command with no output shown is only parsed.

Used by tests/test_doc_examples.py (every example is a test) and scripts/update-doc-examples.py
(rewrites the shown output from real runs).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = (".venv/bin/hacheck", "hacheck")
LINKED = ("docs", "models", "examples", "properties", "benchmarks", "tests")


@dataclass
class Example:
    file: str  # relative to ROOT
    line: int  # 1-based line of the ``$`` line
    command: str  # as shown, continuation lines joined
    output: list[str] = field(default_factory=list)  # lines shown after it
    out_start: int = 0  # 0-based index in the file of the first output line
    exit_code: int | None = None  # from a following ``$ echo $?``

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def argv(self) -> list[str]:
        words = shlex.split(self.command, comments=True)
        if not words or words[0] not in PROGRAMS:
            raise ValueError(f"{self.id}: not a hacheck command: {self.command}")
        return words[1:]


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def examples(path: Path) -> list[Example]:
    lines = path.read_text().splitlines()
    out: list[Example] = []
    i, inside = 0, False
    current: Example | None = None
    while i < len(lines):
        text = lines[i]
        if text.strip().startswith("```"):
            inside = text.strip() == "```console" if not inside else False
            current = None
            i += 1
            continue
        if inside and text.startswith("$ "):
            start = i
            cmd = text[2:]
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1].rstrip() + " " + lines[i].strip()
            if cmd.strip() == "echo $?":
                if current is not None and i + 1 < len(lines) and lines[i + 1].strip().isdigit():
                    current.exit_code = int(lines[i + 1].strip())
                    i += 1
                current = None
            else:
                current = Example(str(path.relative_to(ROOT)), start + 1, cmd.strip(), out_start=i + 1)
                out.append(current)
        elif inside and current is not None:
            current.output.append(text)
        i += 1
    return out


def all_examples() -> list[Example]:
    return [e for f in doc_files() for e in examples(f)]


_TIMINGS = [(re.compile(r"\b\d[\d,]*\.\d+ s\b"), "T s"), (re.compile(r"\b\d[\d,.]* (\w+)/s\b"), r"N \1/s"),
            (re.compile(r"\b\d+\.\d+x\b"), "Nx"),
            (re.compile(r", peak RSS [\d.]+ \w+ = [\d.]+ \w+/state"), "")]  # memory varies from run to run


def normalize(line: str) -> str:
    for pat, rep in _TIMINGS:
        line = pat.sub(rep, line)
    line = re.sub(r"-{3,}", "---", line)  # a table's rule: its width follows the widest cell, a timing perhaps
    return " ".join(line.split())


def _pattern(shown: str) -> re.Pattern[str] | None:
    text = re.split(r"\.\.\.\s{2,}", shown, maxsplit=1)[0] + ("..." if re.search(r"\.\.\.\s{2,}", shown) else "")
    text = normalize(text).replace(" ...", "...").replace("... ", "...")
    if not text:
        return None
    return re.compile(".*".join(re.escape(part) for part in text.split("...")))


def missing_lines(shown: list[str], actual: list[str]) -> list[str]:
    """The shown lines not found, in order, in the actual output (empty: the example is right)."""
    norm = [normalize(a) for a in actual]
    j = 0
    missing = []
    for s in shown:
        pat = _pattern(s)
        if pat is None:
            continue
        k = j
        while k < len(norm) and not pat.fullmatch(norm[k]):
            k += 1
        if k == len(norm):
            missing.append(s)
        else:
            j = k + 1
    return missing


def workdir(d: Path | None = None) -> Path:
    """A folder that looks like the repository (links to its folders), so the examples' relative
    paths work and their output files (hacheck-out/) do not land in the checkout."""
    d = d or Path(tempfile.mkdtemp(prefix="hacheck-doc-"))
    for name in LINKED:
        (d / name).symlink_to(ROOT / name)
    return d


def run(e: Example, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "HACHECK_CACHE_DIR": "off", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *e.argv], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=900)
