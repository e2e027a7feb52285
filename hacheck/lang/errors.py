"""Errors raised while a model is built or checked.

A ModelError carries the place in the user's model file that caused it, so the CLI can print
``models/foo.py:42: ...`` instead of a traceback into hacheck.
"""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_location() -> str | None:
    """The innermost stack frame outside the hacheck package, as ``file:line``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PKG_DIR + os.sep) and not filename.startswith("<"):
            return f"{os.path.relpath(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


class HacheckError(Exception):
    """Base class: every error the CLI turns into exit code 2 with a one-line message."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # rebuilt as it is, not by calling __init__ again (subclasses take other arguments, such as a
        # trace, and ModelError would prefix its location twice): a check that fails in a worker process
        # (hacheck check DEPLOYMENT --workers, --cluster) reaches the parent as the same error
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type, args: tuple, state: dict) -> "HacheckError":
    e = cls.__new__(cls)
    e.args = args
    e.__dict__.update(state)
    return e


class ModelError(HacheckError):
    """The model is malformed: a type error, a value out of range, an unknown name."""

    def __init__(self, message: str, location: str | None = None):
        self.location = location if location is not None else user_location()
        self.bare_message = message
        super().__init__(f"{self.location}: {message}" if self.location else message)


class BadInput(HacheckError):
    """Input from the command line or a file is not acceptable."""
