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
from ..lang.expr import Arith, Const, Expr
from ..lang.model import ActionInstance, Model
from ..lang.types import BoolT, IntT
from ..lang.emit import SharingEmitter
from .compile import Compiled
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

    CMP = "((i64)({a} {op} {b}))"

    def const(self, e: Const) -> str:
        if isinstance(e.type, BoolT):
            return "1" if e.value else "0"
        v = int(e.value)
        return f"((i64){v}LL)" if v >= 0 else f"(-(i64){-v}LL)"

    def arith(self, e: Arith, a: str, b: str) -> str:
        if e.op == "//":
            return f"hk_div({a}, {b}, &e)"
        if e.op == "%":
            return f"hk_mod({a}, {b}, &e)"
        return f"hk_{e.op}({a}, {b})"

    def unsupported(self, e: Expr) -> Exception:
        return ModelError(f"cannot compile {type(e).__name__} to C")


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
    ``hk_part<p>``, which tries them in order, those the mask ``m`` keeps (one byte per instance: a
    restriction of the model to some of its fault instances is served by this model's library)."""
    words = layout.words
    nf = len(model.fields)
    n = len(model.instances)
    parts = max(1, min(parts, n))
    bounds = [n * p // parts for p in range(parts + 1)]
    sig = "(const i64 *F, const u64 *r, u64 *out, i64 *par, int32_t *act, i64 i, int *e, i64 c, const uint8_t *m)"
    units = []
    for p in range(parts):
        lines = [_PRELUDE, f"/* {model.name}: action instances {bounds[p]}..{bounds[p + 1] - 1} of {n} */"]
        for k in range(bounds[p], bounds[p + 1]):
            lines += _instance_source(model, layout, model.instances[k], k)
        lines.append(f"i64 hk_part{p}{sig} {{")
        for k in range(bounds[p], bounds[p + 1]):
            lines.append(f"    if (m[{k}]) c += hk_a{k}(F, r, out + c * {words}, par + c, act + c, i, e);")
        lines += ["    return c;", "}", ""]
        units.append("\n".join(lines))
    lines = [f"/* {model.name}: {n} action instances, {words} words a state */"]
    lines += [f"i64 hk_part{p}{sig};" for p in range(parts)]
    lines += ["i64 hk_expand(const u64 *rows, i64 n, i64 start, u64 *out, i64 *par, int32_t *act, i64 cap,",
              "              i64 *done, i64 *err, const uint8_t *m) {",
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
        lines.append(f"        c = hk_part{p}(F, r, out, par, act, i, &e, c, m);")
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

    ``hk_expand(rows, n, start, out, par, act, cap, &done, &err, mask)`` tries every action instance
    the mask keeps on rows ``start..n-1`` in order, writing successor rows to ``out`` with their row
    index and action instance, and stops before a row whose successors might not fit in ``cap``; it
    returns how many it wrote and sets ``done`` to the first row not expanded, ``err`` to 1 if it met
    a value it cannot compute exactly as the numpy code does.

    A library built for a model serves its restrictions too (``Model.restricted_from``: the model
    with some fault instances left out, as each check of a deployment is): ``mask`` keeps the
    restriction's instances and ``to_local`` renumbers them as the restriction numbers them."""

    def __init__(self, path: Path, instances: int, words: int, mask: np.ndarray | None = None,
                 to_local: np.ndarray | None = None):
        self.lib = ctypes.CDLL(str(path))
        fn = self.lib.hk_expand
        p = ctypes.c_void_p
        fn.argtypes = [p, ctypes.c_int64, ctypes.c_int64, p, p, p, ctypes.c_int64, p, p, p]
        fn.restype = ctypes.c_int64
        self.fn = fn
        self.instances = instances
        self.words = words
        self.mask = np.ascontiguousarray(mask if mask is not None else np.ones(instances, dtype=np.uint8), dtype=np.uint8)
        self.to_local = to_local
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
                        ctypes.byref(done), ctypes.byref(err), self.mask.ctypes.data)
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
            succ, parent, action = outs[0], pars[0], acts[0]
        else:
            succ, parent, action = np.concatenate(outs), np.concatenate(pars), np.concatenate(acts)
        if self.to_local is not None:
            action = self.to_local[action]
        return succ, parent, action


def served_by(model: Model) -> tuple[Model, np.ndarray | None]:
    """The model whose library serves ``model`` and the indices of ``model``'s instances in it
    (None: its own). A restriction keeps instances unchanged and in order (Model.restricted_from)."""
    base = getattr(model, "restricted_from", None)
    if base is None:
        return model, None
    origin, index = base
    if len(index) != len(model.instances) or any(
            origin.instances[j].guard is not i.guard or origin.instances[j].updates is not i.updates
            for j, i in zip(index, model.instances)) or origin.fields is not model.fields:
        return model, None  # changed since (a copy given other instances): its own library
    return origin, np.asarray(index, dtype=np.int64)


class _Compile:
    """The compiler processes building one library (by key), shared by the searches of this
    process: a deployment runs many short checks of one model, each keeping other fault instances;
    the first that runs long enough starts the build and the later ones pick it up. A lock file in
    the start-up cache keeps two processes (a deployment's workers) from building the same library:
    the one that does not hold it waits for the library to appear in the cache."""

    running: dict[str, "_Compile"] = {}

    def __init__(self, key: str, sources: list[str], cc: str):
        self.key = key
        self.sources = sources
        self.cc = cc
        self.procs: list[subprocess.Popen] = []
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.lockf = None
        self.elsewhere = False  # another process holds the lock: its library will appear in the cache
        self.failed = ""
        self.data: bytes | None = None
        self.lock = threading.Lock()
        self._polled = 0.0

    @classmethod
    def of(cls, key: str, sources: list[str], cc: str) -> "_Compile":
        c = cls.running.get(key)
        if c is None or c.failed:
            c = cls.running[key] = cls(key, sources, cc)
        return c

    def start(self) -> None:
        with self.lock:
            if self.procs or self.data is not None or self.failed or (self.elsewhere and not self._retake()):
                return
            if self.lockf is None and not self._take():
                self.elsewhere = True
                return
            self.tmp = tempfile.TemporaryDirectory(prefix="hacheck-native-")
            d = Path(self.tmp.name)
            try:
                for p, text in enumerate(self.sources):
                    (d / f"part{p}.c").write_text(text)
                    self.procs.append(subprocess.Popen(
                        [self.cc, *CFLAGS, "-c", "-o", str(d / f"part{p}.o"), str(d / f"part{p}.c")],
                        cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            except OSError as e:
                self.failed = f"{self.cc}: {e}"

    def _take(self) -> bool:
        """The build lock of this key (False: another process holds it)."""
        from ..diskcache import BlobCache

        folder = BlobCache("native").folder()
        if folder is None:
            return True
        try:
            import fcntl

            folder.mkdir(parents=True, exist_ok=True)
            f = open(folder / f".{self.key}.lock", "w")
        except (OSError, ImportError):
            return True  # no lock to be had: build (at worst twice)
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        self.lockf = f
        return True

    def _retake(self) -> bool:
        """The other process let go of the lock without leaving a library (it stopped): build here."""
        if self._take():
            self.elsewhere = False
            return True
        return False

    def _release(self) -> None:
        if self.lockf is not None:
            self.lockf.close()
            self.lockf = None

    def result(self, wait: bool) -> bytes | None:
        """The library's bytes once built (None while building or waiting for another process, or failed)."""
        if self.data is not None or self.failed:
            return self.data
        if self.elsewhere:
            return self._from_elsewhere(wait)
        if not self.lock.acquire(blocking=wait):  # another thread is linking it: go on with numpy
            return None
        try:
            if self.data is not None or self.failed or not self.procs:
                return self.data
            if not wait and any(p.poll() is None for p in self.procs):
                return None
            errors = []
            for p in self.procs:
                _out, errtext = p.communicate()
                if p.returncode != 0:
                    errors.append(errtext.decode(errors="replace").strip())
            d = Path(self.tmp.name)  # type: ignore[union-attr]
            if not errors:
                objs = [str(d / f"part{p}.o") for p in range(len(self.sources))]
                link = subprocess.run([self.cc, "-shared", "-o", str(d / "model.so"), *objs],
                                      cwd=d, capture_output=True, text=True)
                if link.returncode != 0:
                    errors.append(link.stderr.strip())
            if errors:
                self.failed = f"{self.cc} failed: {' '.join(errors)[-500:]}"
            else:
                self.data = (d / "model.so").read_bytes()
                from ..diskcache import BlobCache

                if BlobCache("native").put(self.key, self.data):
                    self.running.pop(self.key, None)  # the later searches load it from the cache
            self.tmp.cleanup()  # type: ignore[union-attr]
            self.tmp = None
            self._release()
            return self.data
        finally:
            self.lock.release()

    def _from_elsewhere(self, wait: bool) -> bytes | None:
        import time

        from ..diskcache import BlobCache

        while True:
            now = time.monotonic()
            if now - self._polled >= 0.2 or wait:
                self._polled = now
                data, _status = BlobCache("native").get(self.key)
                if data is not None:
                    self.data = data
                    self.running.pop(self.key, None)
                    return data
                if self._retake():  # the other one stopped without it: build here
                    self.start()
                    return self.result(wait)
            if not wait:
                return None
            time.sleep(0.1)

    def stop(self) -> None:
        """Kill the compilers (the search that wanted them ended first); the next one starts them again."""
        with self.lock:
            if self.data is None and self.procs:
                for p in self.procs:
                    if p.poll() is None:
                        p.kill()
                    p.wait()
                self.procs = []
            if self.tmp is not None:
                self.tmp.cleanup()
                self.tmp = None
            self._release()
            self.running.pop(self.key, None)


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
    returns it. A restriction of a model (``Model.restricted_from``) uses the library of the model
    it was restricted from, with a mask: a deployment's checks of one model share one library."""

    def __init__(self, compiled: Compiled):
        self.compiled = compiled
        base, self.index = served_by(compiled.model)
        self.shared = self.index is not None
        self.instances = len(base.instances)
        self.mask = np.zeros(self.instances, dtype=np.uint8)
        self.to_local: np.ndarray | None = None
        if self.index is None:
            self.mask[:] = 1
        else:
            self.mask[self.index] = 1
            self.to_local = np.full(self.instances, -1, dtype=np.int32)
            self.to_local[self.index] = np.arange(len(self.index), dtype=np.int32)
        self.sources = c_sources(base, compiled.layout, build_parts())
        self.cc = compiler()
        self.key = _library_key("\n".join(self.sources), self.cc) if self.cc else ""
        self.native: Native | None = None
        self.failed = "" if self.cc else "no C compiler (cc, gcc or clang) on the PATH"
        self.status = ""  # hit, built, failed
        self._compile: _Compile | None = None
        self._lock = threading.Lock()

    @property
    def usable(self) -> bool:
        return not self.failed

    @property
    def building(self) -> bool:
        """A build of this library is under way in this process (another search started it)."""
        c = _Compile.running.get(self.key)
        return c is not None and not c.failed and c.data is None and bool(c.procs or c.elsewhere)

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
        """Start the compilers in the background (once; a build of the same library already under
        way in this process is joined)."""
        with self._lock:
            if self.native is not None or self.failed:
                return
            if self._compile is None:
                self._compile = _Compile.of(self.key, self.sources, self.cc)  # type: ignore[arg-type]
            self._compile.start()
            if self._compile.failed:
                self.failed, self.status = self._compile.failed, "failed"

    def get(self, wait: bool = False) -> Native | None:
        """The loaded library once built (None while the compilers run, or if they failed)."""
        if self.native is not None or self.failed or self._compile is None:
            return self.native
        if not self._lock.acquire(blocking=wait):  # another thread is loading it: go on with numpy
            return None
        try:
            if self.native is not None or self.failed:
                return self.native
            data = self._compile.result(wait)
            if self._compile.failed:
                self.failed, self.status = self._compile.failed, "failed"
                return None
            if data is None:
                return None
            self._load_bytes(data)
            self.status = "built"
            return self.native
        finally:
            self._lock.release()

    def _load_bytes(self, data: bytes) -> None:
        """dlopen a private copy (the file can go once it is mapped)."""
        fd, name = tempfile.mkstemp(prefix="hacheck-native-", suffix=".so")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            self.native = Native(Path(name), self.instances, self.compiled.layout.words, self.mask, self.to_local)
        finally:
            try:
                os.unlink(name)
            except OSError:
                pass

    def close(self) -> None:
        """The search ended. A finished build is linked and kept in the start-up cache for the next
        search; one still running is stopped, unless it serves restrictions of a model (the next
        check of a deployment picks it up)."""
        c = self._compile
        if c is None or self.native is not None or self.failed:
            return
        if c.procs and all(p.poll() is not None for p in c.procs):
            self.get(wait=True)
            return
        if not self.shared:
            c.stop()
