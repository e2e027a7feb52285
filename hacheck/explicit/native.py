"""Successor generation in machine code: the model's actions as one C function, built with the C compiler.

The numpy functions of :mod:`hacheck.explicit.compile` pay a fixed price per action instance and
per frontier chunk (a dozen numpy calls of a few microseconds each), whatever the chunk's size. A
model with 159 action instances and BFS levels of a few thousand states (hosted_engine at its
defaults) spends most of its search there. This module writes the same guards and updates as C
(as SPIN writes its ``pan.c``), one loop over the rows of a chunk that unpacks each row once, tries
every action instance on it and writes the successors, and builds it with ``cc -O1`` into a shared
library called through :mod:`ctypes` (which releases the GIL: two threads expand two chunks at once).

Exactness: the C code computes the same values as the numpy code (64-bit two's complement with
``-fwrapv``, floor division and modulo as Python's), and the successors it returns are the same set
of (parent, action instance, row) as the numpy code's, in another order (parent, then action),
which the visited set does not depend on (it orders a level by ``okey``: hacheck/explicit/visited.py).
Whatever the C code cannot decide exactly as numpy does (an update leaving its declared range, a
division by zero, an overflowing division) stops it with an error flag, and the chunk is expanded
again by the numpy code, which raises or answers as it always did.

When (``HACHECK_NATIVE``): ``auto`` (the default) uses a library from the start-up cache at once and
otherwise starts the compiler in the background once a search has run ``NATIVE_AFTER`` seconds
(short checks never pay for it; the compiler takes 1-2 s of CPU), switching chunk by chunk once it
is built, and keeps the library in the start-up cache for the next run; ``first`` builds it
before the search (the compile is then start-up time, as SPIN's ``gcc`` is; benchmarks/bench_vs_spin.py
measures this way); ``off`` never. Without a C compiler everything stays numpy.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
import numpy as np

from ..lang.errors import HacheckError, ModelError
from ..lang.expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or
from ..lang.model import ActionInstance, Model
from ..lang.types import BoolT, IntT
from .compile import Compiled, SharingEmitter
from .pack import Layout

NATIVE_AFTER = 1.0  # seconds: with HACHECK_NATIVE=auto and no cached library, a search this long starts the compiler
CFLAGS = ("-O1", "-fwrapv", "-fPIC")  # -O2 takes 1.6-2.5x longer to build hosted_engine (300 kB of C)
NATIVE_LOOKUP = 10_000  # states: with HACHECK_NATIVE=auto, a search this large looks for a library in the start-up cache
MODES = ("auto", "first", "off")

_PRELUDE = r"""#include <stdint.h>
typedef int64_t i64;
typedef uint64_t u64;
static inline i64 hk_div(i64 a, i64 b, int *e) {
    if (b == 0 || (b == -1 && a == INT64_MIN)) { *e = 1; return 0; }
    i64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
static inline i64 hk_mod(i64 a, i64 b, int *e) {
    if (b == 0 || b == -1) { if (b == 0) *e = 1; return 0; }
    i64 r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline i64 hk_min(i64 a, i64 b) { return a < b ? a : b; }
static inline i64 hk_max(i64 a, i64 b) { return a > b ? a : b; }
"""


def native_mode() -> str:
    """``HACHECK_NATIVE``: auto (the default), first or off."""
    mode = os.environ.get("HACHECK_NATIVE", "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise HacheckError(f"HACHECK_NATIVE={mode!r}: expected auto, first or off")
    return mode


def compiler() -> str | None:
    """The C compiler (``CC`` or cc/gcc/clang on the PATH), or None."""
    cc = os.environ.get("CC", "").strip()
    if cc:
        return shutil.which(cc)
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _CEmitter(SharingEmitter):
    """Expression -> C expression over the locals ``f<i>`` (natural values, i64); ``e`` is the error flag."""

    def _emit(self, e: Expr) -> str:
        if isinstance(e, Const):
            if isinstance(e.type, BoolT):
                return "1" if e.value else "0"
            v = int(e.value)
            return f"((i64){v}LL)" if v >= 0 else f"(-(i64){-v}LL)"
        if isinstance(e, Field):
            return self.col(e.index)
        if isinstance(e, Not):
            return f"(!{self.emit(e.arg)})"
        if isinstance(e, And):
            return "(" + " && ".join(self.emit(a) for a in e.args) + ")"
        if isinstance(e, Or):
            return "(" + " || ".join(self.emit(a) for a in e.args) + ")"
        if isinstance(e, Cmp):
            return f"((i64)({self.emit(e.a)} {e.op} {self.emit(e.b)}))"
        if isinstance(e, Arith):
            a, b = self.emit(e.a), self.emit(e.b)
            if e.op in ("+", "-", "*"):
                return f"({a} {e.op} {b})"
            if e.op == "//":
                return f"hk_div({a}, {b}, &e)"
            if e.op == "%":
                return f"hk_mod({a}, {b}, &e)"
            return f"hk_{e.op}({a}, {b})"
        if isinstance(e, Ite):
            return f"({self.emit(e.cond)} ? {self.emit(e.then)} : {self.emit(e.else_)})"
        raise ModelError(f"cannot compile {type(e).__name__} to C")


def c_source(model: Model, layout: Layout) -> str:
    """The whole C text (every translation unit of :func:`c_sources`, one after the other)."""
    return "\n".join(c_sources(model, layout, build_parts()))


def build_parts() -> int:
    """Translation units built at once: the machine's cores, at most 4 (each is a compiler process)."""
    return max(1, min(4, os.cpu_count() or 1))


def c_sources(model: Model, layout: Layout, parts: int = 1) -> list[str]:
    """The C text of ``hk_expand`` for this model instance (see :class:`Native` for its contract),
    as ``parts`` translation units compiled side by side (the last one holds ``hk_expand``).

    Each action instance is a small function of its own, called for every row in instance order:
    the C compiler's time grows with the text (hosted_engine: 300 kB, 1.6 s of CPU at -O1), and
    the units split it over the cores. Unit p holds a contiguous run of instances and
    ``hk_part<p>``, which tries them in order."""
    words = layout.words
    nf = len(model.fields)
    n = len(model.instances)
    parts = max(1, min(parts, n))
    bounds = [n * p // parts for p in range(parts + 1)]
    sig = "(const i64 *F, const u64 *r, u64 *out, i64 *par, int32_t *act, i64 i, int *e, i64 c)"
    units = []
    for p in range(parts):
        lines = [_PRELUDE, f"/* {model.name}: action instances {bounds[p]}..{bounds[p + 1] - 1} of {n} */"]
        for k in range(bounds[p], bounds[p + 1]):
            lines += _instance_source(model, layout, model.instances[k], k)
        lines.append(f"i64 hk_part{p}{sig} {{")
        for k in range(bounds[p], bounds[p + 1]):
            lines.append(f"    c += hk_a{k}(F, r, out + c * {words}, par + c, act + c, i, e);")
        lines += ["    return c;", "}", ""]
        units.append("\n".join(lines))
    lines = [f"/* {model.name}: {n} action instances, {words} words a state */"]
    lines += [f"i64 hk_part{p}{sig};" for p in range(parts)]
    lines += ["i64 hk_expand(const u64 *rows, i64 n, i64 start, u64 *out, i64 *par, int32_t *act, i64 cap,",
              "              i64 *done, i64 *err) {",
              "    i64 c = 0;",
              "    int e = 0;",
              f"    i64 F[{max(1, nf)}];",
              "    i64 i = start;",
              "    for (; i < n; i++) {",
              f"        if (c + {n} > cap) break;",
              f"        const u64 *r = rows + i * {words};"]
    for fid, (f, s) in enumerate(zip(model.fields, layout.slots)):
        lo = f.type.lo if isinstance(f.type, IntT) else 0
        val = f"(i64)((r[{s.word}] >> {s.shift}) & {s.mask}ULL)"
        lines.append(f"        F[{fid}] = {val}{f' + ({lo}LL)' if lo else ''};")
    for p in range(parts):
        lines.append(f"        c = hk_part{p}(F, r, out, par, act, i, &e, c);")
    lines.append("        if (e) break;")
    lines += ["    }",
              "    *done = i;",
              "    *err = e;",
              "    return c;",
              "}",
              ""]
    units[-1] += "\n" + "\n".join(lines)
    return units


def _instance_source(model: Model, layout: Layout, inst: ActionInstance, k_act: int) -> list[str]:
    """``hk_a<k>``: the guard over the fields ``F``; if it holds, the updates computed from the old
    values, range-checked, written into a copy of the row ``r``; returns the successors written (0/1)."""
    words = layout.words
    em = _CEmitter(lambda i: f"F[{i}]", prefix="g")
    em.prepare([inst.guard])
    g = em.emit(inst.guard)
    out = [f"/* {inst.index}: {inst.label.replace('*/', '* /')} */",
           f"static i64 hk_a{k_act}(const i64 *F, const u64 *r, u64 *o, i64 *par, int32_t *act, i64 i, int *ep) {{",
           "    int e = 0;"]
    out += ["    const i64 " + ln + ";" for ln in em.lines]
    out.append(f"    if (!({g})) {{ if (e) *ep = 1; return 0; }}")
    upd = _CEmitter(lambda i: f"F[{i}]", prefix="u")
    upd.prepare([ex for _, ex in inst.updates])
    values = [(fid, upd.emit(ex)) for fid, ex in inst.updates]
    out += ["    const i64 " + ln + ";" for ln in upd.lines]
    for k, (fid, v) in enumerate(values):
        out.append(f"    const i64 v{k} = {v};")
    for k, (fid, _v) in enumerate(values):
        if fid in inst.range_checked:
            ftype = model.fields[fid].type
            lo = ftype.lo if isinstance(ftype, IntT) else 0
            hi = ftype.hi if isinstance(ftype, IntT) else ftype.size() - 1
            out.append(f"    if (v{k} < {lo}LL || v{k} > {hi}LL) e = 1;")
    out.append("    if (e) { *ep = 1; return 0; }")
    for w in range(words):
        out.append(f"    u64 o{w} = r[{w}];")
    for k, (fid, _v) in enumerate(values):
        ftype = model.fields[fid].type
        lo = ftype.lo if isinstance(ftype, IntT) else 0
        s = layout.slots[fid]
        clear = (~(s.mask << s.shift)) & ((1 << 64) - 1)
        code = f"(v{k} - ({lo}LL))" if lo else f"v{k}"
        out.append(f"    o{s.word} = (o{s.word} & {clear}ULL) | (((u64){code}) << {s.shift});")
    for w in range(words):
        out.append(f"    o[{w}] = o{w};")
    out.append(f"    *par = i; *act = {k_act};")
    out.append("    return 1;")
    out.append("}")
    return out


class Native:
    """``hk_expand`` of one model instance, loaded from a shared library.

    ``hk_expand(rows, n, start, out, par, act, cap, &done, &err)`` tries every action instance on
    rows ``start..n-1`` in order, writing successor rows to ``out`` with their row index and action
    instance, and stops before a row whose successors might not fit in ``cap``; it returns how many
    it wrote and sets ``done`` to the first row not expanded, ``err`` to 1 if it met a value it
    cannot compute exactly as the numpy code does."""

    def __init__(self, path: Path, instances: int, words: int):
        self.lib = ctypes.CDLL(str(path))
        fn = self.lib.hk_expand
        p = ctypes.c_void_p
        fn.argtypes = [p, ctypes.c_int64, ctypes.c_int64, p, p, p, ctypes.c_int64, p, p]
        fn.restype = ctypes.c_int64
        self.fn = fn
        self.instances = instances
        self.words = words
        self.branching = 4.0  # successors per row, estimated from the chunks seen (sizes the buffers)

    def expand(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(successor rows, row index of the parent, action instance), parent by parent; None when
        the chunk needs the numpy code (an error flag)."""
        rows = np.ascontiguousarray(rows, dtype=np.uint64)
        n = len(rows)
        done = ctypes.c_int64(0)
        err = ctypes.c_int64(0)
        outs, pars, acts = [], [], []
        start = 0
        total = 0
        while True:
            cap = int((n - start) * self.branching * 1.25) + self.instances + 16
            out = np.empty((cap, self.words), dtype=np.uint64)
            par = np.empty(cap, dtype=np.int64)
            act = np.empty(cap, dtype=np.int32)
            c = self.fn(rows.ctypes.data, n, start, out.ctypes.data, par.ctypes.data, act.ctypes.data, cap,
                        ctypes.byref(done), ctypes.byref(err))
            if err.value:
                return None
            outs.append(out[:c])
            pars.append(par[:c])
            acts.append(act[:c])
            total += c
            if done.value >= n:
                break
            start = done.value
            self.branching *= 2
        if n:
            self.branching = max(1.0, total / n)
        if len(outs) == 1:
            return outs[0], pars[0], acts[0]
        return np.concatenate(outs), np.concatenate(pars), np.concatenate(acts)


@functools.lru_cache(maxsize=8)
def _cc_version(cc: str) -> str:
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"


def _library_key(source: str, cc: str) -> str:
    version = _cc_version(cc)
    h = hashlib.sha256()
    for part in (source, cc, version, " ".join(CFLAGS), "-shared"):
        h.update(part.encode())
        h.update(b"\0")
    return "native-" + h.hexdigest()[:40]


class NativeBuild:
    """The library of one compiled model: from the start-up cache, or built by the C compiler in
    background processes (``start``: one per translation unit, then a link), ready when ``get``
    returns it."""

    def __init__(self, compiled: Compiled):
        self.compiled = compiled
        self.sources = c_sources(compiled.model, compiled.layout, build_parts())
        self.cc = compiler()
        self.key = _library_key("\n".join(self.sources), self.cc) if self.cc else ""
        self.native: Native | None = None
        self.failed = "" if self.cc else "no C compiler (cc, gcc or clang) on the PATH"
        self.status = ""  # hit, built, failed
        self._procs: list[subprocess.Popen] = []
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._lock = threading.Lock()

    @property
    def usable(self) -> bool:
        return not self.failed

    def from_cache(self) -> bool:
        """Load the library from the start-up cache if it is there."""
        if self.failed or self.native is not None:
            return self.native is not None
        from ..diskcache import BlobCache

        data, _status = BlobCache("native").get(self.key)
        if data is None:
            return False
        try:
            self._load_bytes(data)
            self.status = "hit"
            return True
        except OSError:
            return False

    def start(self) -> None:
        """Start the compilers in the background (once)."""
        with self._lock:
            if self._procs or self.native is not None or self.failed:
                return
            self._tmp = tempfile.TemporaryDirectory(prefix="hacheck-native-")
            d = Path(self._tmp.name)
            try:
                for p, text in enumerate(self.sources):
                    (d / f"part{p}.c").write_text(text)
                    self._procs.append(subprocess.Popen(
                        [self.cc, *CFLAGS, "-c", "-o", str(d / f"part{p}.o"), str(d / f"part{p}.c")],  # type: ignore[list-item]
                        cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            except OSError as e:
                self.failed = f"{self.cc}: {e}"
                self.status = "failed"

    def get(self, wait: bool = False) -> Native | None:
        """The loaded library once built (None while the compilers run, or if they failed)."""
        if self.native is not None or self.failed:
            return self.native
        if not self._lock.acquire(blocking=wait):  # another thread is linking or loading it: go on with numpy
            return None
        try:
            if self.native is not None or self.failed or not self._procs:
                return self.native
            if not wait and any(p.poll() is None for p in self._procs):
                return None
            errors = []
            for p in self._procs:
                _out, errtext = p.communicate()
                if p.returncode != 0:
                    errors.append(errtext.decode(errors="replace").strip())
            d = Path(self._tmp.name)  # type: ignore[union-attr]
            if not errors:
                objs = [str(d / f"part{p}.o") for p in range(len(self.sources))]
                link = subprocess.run([self.cc, "-shared", "-o", str(d / "model.so"), *objs],  # type: ignore[list-item]
                                      cwd=d, capture_output=True, text=True)
                if link.returncode != 0:
                    errors.append(link.stderr.strip())
            if errors:
                self.failed = f"{self.cc} failed: {' '.join(errors)[-500:]}"
                self.status = "failed"
                return None
            data = (d / "model.so").read_bytes()
            from ..diskcache import BlobCache

            BlobCache("native").put(self.key, data)
            self._load_bytes(data)
            self.status = "built"
            self._tmp.cleanup()  # type: ignore[union-attr]
            self._tmp = None
            return self.native
        finally:
            self._lock.release()

    def _load_bytes(self, data: bytes) -> None:
        """dlopen a private copy (the file can go once it is mapped)."""
        fd, name = tempfile.mkstemp(prefix="hacheck-native-", suffix=".so")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            self.native = Native(Path(name), len(self.compiled.actions), self.compiled.layout.words)
        finally:
            try:
                os.unlink(name)
            except OSError:
                pass

    def close(self) -> None:
        """Stop a compiler still running (the search ended first); a finished build is linked and
        kept in the start-up cache for the next search."""
        if self._procs and self.native is None and not self.failed and all(p.poll() is not None for p in self._procs):
            self.get(wait=True)
            return
        with self._lock:
            if self.native is None and not self.failed and self._procs:
                for p in self._procs:
                    if p.poll() is None:
                        p.kill()
                    p.wait()
                self._procs = []  # the next search starts them again
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

