"""hacheck: a model checker for high-availability protocols.

A model is written once with :mod:`hacheck.lang`; every engine reads it.

The shipped models and properties live in the top-level ``models/`` and ``properties/`` folders of
the repository and are installed as :mod:`hacheck.models` and :mod:`hacheck.properties` (the
package-dir mapping in ``setup.py``). Run from a source checkout (or an editable install), the
finder below maps the same two names onto those folders, so ``from hacheck.properties.rules import
...`` means one thing everywhere.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent
# hacheck.models / hacheck.properties -> the checkout's models/ and properties/, when the package
# was not installed with them inside it
_CHECKOUT = {f"hacheck.{name}": _HERE.parent / name for name in ("models", "properties")
             if not (_HERE / name).is_dir() and (_HERE.parent / name / "__init__.py").is_file()}


class _CheckoutFinder(importlib.abc.MetaPathFinder):
    """Finds ``hacheck.models`` and ``hacheck.properties`` in a source checkout; their modules are
    then found through the package's ``__path__`` as usual."""

    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        folder = _CHECKOUT.get(fullname)
        if folder is None:
            return None
        return importlib.util.spec_from_file_location(fullname, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])


if _CHECKOUT and not any(isinstance(f, _CheckoutFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _CheckoutFinder())
