"""The command line's last lines of defence, so that no failure ever reads as a verdict.

* signals: SIGTERM (a CI cancel, ``timeout``) is handled like Ctrl-C: the search in progress stops,
  undecided properties are ``unknown``, the reports asked for are written (exit 3);
* phases: what hacheck was doing, so that running out of memory names it (exit 2);
* internal errors: an unexpected exception is written to a file and reported in one line (exit 5).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Iterator

from . import __version__, nativeload

_phase: list[str] = ["starting hacheck"]
_received: list[str] = []  # the signals received during this run, in order


class Interrupted(KeyboardInterrupt):
    """Raised by the signal handler; ``str()`` is how the interruption is reported."""

    def __init__(self, how: str):
        super().__init__(how)
        self.how = how

    def __str__(self) -> str:
        return self.how


def _handler(signum: int, _frame: object) -> None:
    how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    first = not _received
    _received.append(how)
    if first or signum == signal.SIGINT:  # a second Ctrl-C still interrupts; a second SIGTERM waits
        raise Interrupted(how)


def install() -> None:
    """Handle SIGTERM like SIGINT (main thread only; tests that call main() from a thread skip it)."""
    # OpenBLAS (loaded by numpy and scipy) starts a thread per core at import and, when a memory
    # limit (ulimit -v) stops one from starting, spins forever instead of failing: hacheck does no
    # BLAS work worth threads, so one thread, unless the user chose otherwise.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    nativeload.install()  # under ulimit -v: numpy, scipy and z3 are probed before they load
    _received.clear()
    _phase[:] = ["importing hacheck's libraries"]
    try:
        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread
        pass


def keyboard_interrupt() -> Interrupted:
    """The interruption to raise when a native solver caught Ctrl-C itself (its own SIGINT
    handler, so ours never ran): recorded as if ours had."""
    _received.append("Ctrl-C")
    return Interrupted(_received[0])


def interrupted() -> str | None:
    """How this run was interrupted (``SIGTERM`` or ``Ctrl-C``), or None."""
    return _received[0] if _received else None


def how(e: BaseException) -> str:
    """How a KeyboardInterrupt came: a signal we handled, or Ctrl-C under the default handler."""
    return e.how if isinstance(e, Interrupted) else (interrupted() or "Ctrl-C")


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Name what hacheck does inside the block (for the out-of-memory message)."""
    _phase.append(name)
    try:
        yield
    finally:
        _phase.pop()


def set_phase(name: str) -> None:
    """Name the step the command is at (the outermost phase)."""
    _phase[0] = name


def current_phase() -> str:
    return _phase[-1]


_OOM_WORDS = ("cannot allocate memory", "failed to map segment", "out of memory", "std::bad_alloc")


def is_out_of_memory(e: BaseException) -> bool:
    """MemoryError, or an import/OS error that a memory limit caused (a shared library that
    could not be mapped, a thread that could not start)."""
    if isinstance(e, MemoryError):
        return True
    text = str(e).lower()
    z3_error = type(e).__name__ == "Z3Exception"  # z3 reports its own allocation failures so
    return (isinstance(e, (ImportError, OSError, RuntimeError)) or z3_error) and any(w in text for w in _OOM_WORDS)


def out_of_memory_line(e: BaseException) -> str:
    """The one line for running out of memory: the phase, the memory limit if one is set, and
    what to change (a library that cannot be loaded needs a higher limit, not lower bounds)."""
    if isinstance(e, nativeload.NotLoadable):
        return f"hacheck: error: out of memory while {current_phase()}: {e}; raise the memory limit\n"
    limit = nativeload.limit_text()
    under = f" under the memory limit ({limit})" if limit else ""
    detail = next((line.strip() for line in str(e).splitlines() if line.strip()), "no details")[:200]
    return (f"hacheck: error: out of memory while {current_phase()}{under} ({type(e).__name__}: {detail}); "
            "lower the bounds (--param, --max-states) or raise the memory limit\n")


def crash_file(e: BaseException, argv: list[str]) -> Path | None:
    """Write the traceback of an internal error to a file; return its path (None if unwritable)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"hacheck {__version__} internal error, {stamp}\n"
            f"command: hacheck {' '.join(argv)}\npython: {sys.version.split()[0]}\n\n"
            + "".join(traceback.format_exception(e)))
    for folder in (os.environ.get("HACHECK_CRASH_DIR"), tempfile.gettempdir(), "."):
        if not folder:
            continue
        path = Path(folder) / f"hacheck-crash-{stamp}-{os.getpid()}.txt"
        try:
            path.write_text(text)
            return path
        except OSError:
            continue
    return None


class ClosedStdoutIsQuiet:
    """sys.stdout for one command: once its reader has gone (``hacheck check ... | head -1``), the
    rest of the output is dropped and the command runs to its end, so it still writes its reports
    and exits with its verdict's code (a closed pipe is neither a verdict nor an internal error)."""

    def __init__(self, out: object):
        self._out = out
        self.closed_by_reader = False

    def _gone(self) -> None:
        self.closed_by_reader = True
        try:  # what the buffer still holds goes nowhere, also at the interpreter's exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._out.fileno())  # type: ignore[attr-defined]
            os.close(devnull)
        except (AttributeError, OSError, ValueError):  # not a file descriptor (a test's capture)
            pass

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            return len(text)
        try:
            return self._out.write(text)  # type: ignore[attr-defined]
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        if self.closed_by_reader:
            return
        try:
            self._out.flush()  # type: ignore[attr-defined]
        except BrokenPipeError:
            self._gone()

    def __getattr__(self, name: str) -> object:
        return getattr(self._out, name)
