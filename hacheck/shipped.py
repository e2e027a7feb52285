"""Where the shipped models, properties and lemmas are, wherever hacheck is installed, and how a
command-line MODEL argument (a shipped model's name or a path to a user's file) becomes a file.

The shipped folders are found through the import system (``hacheck.models``,
``hacheck.properties``), never through a path relative to this file: the same code works in a
source checkout, an editable install and an installed wheel.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
from pathlib import Path

from .lang.errors import BadInput


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BadInput(f"{name}: not found; hacheck is installed without its shipped models (reinstall it)")
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def models_dir() -> Path:
    """The folder of the shipped models (``models/`` in a checkout, ``hacheck/models`` installed)."""
    return _package_dir("hacheck.models")


def properties_dir() -> Path:
    """The folder of the shipped properties and rules."""
    return _package_dir("hacheck.properties")


def lemma_file() -> Path:
    """The shipped parametric lemmas (``hacheck lemma``)."""
    return properties_dir() / "lemmas.py"


def shipped_models() -> dict[str, Path]:
    """Every shipped model by name, sorted."""
    return {p.stem: p for p in sorted(models_dir().glob("*.py")) if not p.stem.startswith("_")}


def is_shipped(path: Path) -> bool:
    """A file inside the shipped models or properties (imported through ``hacheck.``, so the loader
    puts nothing on ``sys.path`` for it)."""
    parent = path.resolve().parent
    return parent in (models_dir(), properties_dir())


def describe(path: Path) -> str:
    """The first line of a model file's docstring, read without importing it."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError, ValueError):
        return "(unreadable)"
    return doc.strip().splitlines()[0] if doc.strip() else ""


def looks_like_name(arg: str) -> bool:
    """A bare word (no folder, no suffix) names a shipped model; anything else is a path."""
    return "/" not in arg and "\\" not in arg and not Path(arg).suffix


def resolve_model(arg: str | Path) -> Path:
    """The model file for a MODEL argument: a shipped model's name (``gluster_arbiter``) or a path
    (``models/fencing.py``, ``./mine.py``). An unknown name is bad input listing the shipped ones."""
    text = str(arg)
    if isinstance(arg, Path) or not looks_like_name(text):
        return Path(arg)
    models = shipped_models()
    if text in models:
        return models[text]
    if Path(text).exists():  # a file or folder of that name in the working folder: the loader says what is wrong
        return Path(text)
    close = difflib.get_close_matches(text, models, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise BadInput(f"{text}: no such shipped model{hint} and no such file; shipped models: {', '.join(models)} "
                   "('hacheck models' lists them); give a path such as ./my_model.py for your own")
