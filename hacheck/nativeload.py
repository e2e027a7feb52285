"""Loading numpy, scipy and z3 under a memory limit (``ulimit -v``) without a crash.

Under a virtual-memory limit these native libraries can fail where Python never gets control back:
OpenBLAS (inside numpy and scipy) prints "Memory allocation still failed" and calls ``exit(1)``
(which a CI gate reads as "violated"), and z3's context creation returns NULL so that its next call
segfaults. Neither can be caught in the process that loads them, so the command line checks first:
when a limit is set, the first import of each of these packages is preceded by a probe, a child
Python process that keeps this process's headroom (the limit minus the address space already
mapped here, minus a margin) and does exactly that import. If the child does not report success,
the import raises :class:`NotLoadable` (a MemoryError: exit 2, one line naming the package, the
limit and the phase) instead of loading the library. Without a limit, or with more than
``PROBE_BELOW`` of headroom, nothing is probed and nothing costs anything.

The check is installed by the command line (``failsafe.install``) and the pytest fixture; a
program that imports hacheck as a library is left alone.
"""

from __future__ import annotations

import importlib.abc
import os
import resource
import subprocess
import sys

# what hacheck imports from each package, and what makes the library allocate what it needs at
# once (z3: a context and a query, since a failed context creation is the segfault)
PROBES: dict[str, tuple[str, str]] = {
    "numpy": ("numpy (and its OpenBLAS)", "import numpy"),
    "scipy": ("scipy (and its OpenBLAS)", "import scipy.sparse.csgraph"),
    "z3": ("z3", "import z3\ns = z3.Solver()\ns.add(z3.Bool('p'))\nassert s.check() == z3.sat"),
}
MARGIN = 8 * 2**20  # what this process may allocate between the probe and its own import
PROBE_BELOW = 1024 * 2**20  # more headroom than this: numpy, scipy and z3 together need far less
# scipy's OpenBLAS does not give up when its 32 MB buffer cannot be allocated: it retries for ever
# (one thread at 100% CPU). The probe's import takes well under a second of CPU; a child that has
# used PROBE_CPU_SECONDS is stuck, and the kernel stops it (RLIMIT_CPU), however loaded the machine.
PROBE_CPU_SECONDS = 5
PROBE_SECONDS = 600  # wall clock, for a child blocked without using CPU

_probed: dict[str, str] = {}  # package -> "" (loadable) or why not
children: list[str] = []  # the packages probed in a child process (for the tests)


class NotLoadable(MemoryError):
    """A native library cannot be loaded under the memory limit (found by the probe)."""


def memory_limit() -> int | None:
    """The address-space limit of this process in bytes (``ulimit -v``), or None."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def limit_text() -> str:
    """``ulimit -v 80 MB`` (for messages), or "" when no limit is set."""
    limit = memory_limit()
    return "" if limit is None else f"ulimit -v {limit / 2**20:.0f} MB"


def address_space() -> int | None:
    """The address space this process maps now (VmSize, what RLIMIT_AS counts), or None where
    /proc is not available."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _child_code(name: str, headroom: int) -> str:
    """The probe: load what this process already has of the probed packages (so that only the new
    import is measured), keep ``headroom`` above the address space mapped then, import ``name``."""
    loaded = [PROBES[p][1].splitlines()[0] for p in PROBES if p != name and p in sys.modules]
    return "\n".join([
        "import resource, sys",
        f"sys.path[:0] = {[p for p in sys.path if p]!r}",
        *loaded,
        "vm = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize:'))",
        f"limit = vm + {headroom}",
        "resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))",
        f"resource.setrlimit(resource.RLIMIT_CPU, ({PROBE_CPU_SECONDS}, {PROBE_CPU_SECONDS} + 1))",
        PROBES[name][1],
        "sys.stdout.write('loaded')",
    ])


def probe(name: str) -> None:
    """Raise NotLoadable if ``name`` (a key of PROBES) cannot be loaded under the memory limit."""
    limit, used = memory_limit(), address_space()
    if limit is None or used is None or limit - used > PROBE_BELOW:
        return
    what = PROBES[name][0]
    headroom = limit - used - MARGIN
    left = f"{max(limit - used, 0) / 2**20:.0f} MB left"
    if headroom <= 0:
        raise NotLoadable(f"{what} cannot be loaded under the memory limit ({limit_text()}, {left})")
    children.append(name)
    try:
        r = subprocess.run([sys.executable, "-c", _child_code(name, headroom)], capture_output=True,
                           text=True, timeout=PROBE_SECONDS, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        ok = r.returncode == 0 and r.stdout.endswith("loaded")
    except subprocess.TimeoutExpired:
        ok = False
    except OSError:  # not even a child process could start: no room for the library either
        ok = False
    if not ok:
        raise NotLoadable(f"{what} cannot be loaded under the memory limit ({limit_text()}, {left})")


class _Guard(importlib.abc.MetaPathFinder):
    """Probes each package of PROBES at its first import (then lets the usual finders find it)."""

    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname in PROBES and fullname not in sys.modules:
            if fullname not in _probed:
                try:
                    probe(fullname)
                    _probed[fullname] = ""
                except NotLoadable as e:
                    _probed[fullname] = str(e)
            if _probed[fullname]:  # every later import fails the same way (a pytest session goes on)
                raise NotLoadable(_probed[fullname])
        return None


def install() -> None:
    """Under a memory limit: one OpenBLAS thread (a thread that cannot start under ``ulimit -v``
    makes OpenBLAS spin; hacheck does no BLAS work worth threads), and the probe before the first
    import of numpy, scipy and z3."""
    if memory_limit() is None:
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if not any(isinstance(f, _Guard) for f in sys.meta_path):
        sys.meta_path.insert(0, _Guard())
