"""Files that only save time: atomic writes, SHA-256-checked blobs, and where they live.

Two caches use this module: the verdicts of deployment checks (:mod:`hacheck.deploy.cache`, in
``.hacheck-cache/``) and the start-up caches of ``hacheck check`` (compiled action code and symmetry
proofs, :mod:`hacheck.explicit.codecache`). The start-up caches live in ``$HACHECK_CACHE_DIR`` when it
is set, else in ``$XDG_CACHE_HOME/hacheck`` (``~/.cache/hacheck``). ``HACHECK_CACHE_DIR=off`` turns
every cache off, and so does ``hacheck check --no-cache`` for one run.

A blob is written to a temporary name and renamed into place (atomic on POSIX), and it carries the
SHA-256 of its payload: a truncated, overwritten or foreign file is a miss, never a wrong answer,
and never an exception for the caller.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from pathlib import Path

OFF_WORDS = ("off", "0", "none", "no")
MAGIC = b"HACHECK-BLOB-2\n"  # then the SHA-256 of the rest, then the payload compressed with zlib
MAX_ENTRIES = 400  # per kind; beyond it the least recently used entries are removed
_PKG = Path(__file__).resolve().parent
_pkg_digest: list[str] = []


def env_disabled() -> bool:
    return os.environ.get("HACHECK_CACHE_DIR", "").strip().lower() in OFF_WORDS


def startup_root() -> Path | None:
    """Where the start-up caches live, or None when they are off."""
    if env_disabled():
        return None
    env = os.environ.get("HACHECK_CACHE_DIR", "").strip()
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "hacheck"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a fresh temporary file beside ``path``, then rename it over ``path``: readers
    see the old file or the whole new one, never part of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def digest_files(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        try:
            h.update(str(f.name).encode())
            h.update(f.read_bytes())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def package_digest() -> str:
    """SHA-256 of hacheck's own source: a cache entry written by other code is never read."""
    if not _pkg_digest:
        _pkg_digest.append(digest_files(sorted(_PKG.rglob("*.py"))))
    return _pkg_digest[0]


class BlobCache:
    """Bytes by key under ``startup_root()/kind`` (compressed: generated source compresses tenfold);
    every failure is a miss (``status`` says which)."""

    def __init__(self, kind: str):
        self.kind = kind

    def folder(self) -> Path | None:
        root = startup_root()
        return None if root is None else root / self.kind

    def get(self, key: str) -> tuple[bytes | None, str]:
        """(payload, status): status is ``hit``, ``miss``, ``corrupt`` (unreadable or not the bytes
        that were written: the caller rebuilds) or ``off``."""
        folder = self.folder()
        if folder is None:
            return None, "off"
        path = folder / key
        try:
            data = path.read_bytes()
        except OSError:
            return None, "miss"
        head = len(MAGIC) + 32
        if len(data) < head or not data.startswith(MAGIC):
            return None, "corrupt"
        packed = data[head:]
        if hashlib.sha256(packed).digest() != data[len(MAGIC):head]:
            return None, "corrupt"
        try:
            payload = zlib.decompress(packed)
        except zlib.error:
            return None, "corrupt"
        try:
            os.utime(path)  # recently used: kept by prune()
        except OSError:
            pass
        return payload, "hit"

    def put(self, key: str, payload: bytes) -> bool:
        """Store ``payload``; False when the folder cannot be written (the cache only costs time)."""
        folder = self.folder()
        if folder is None:
            return False
        try:
            folder.mkdir(parents=True, exist_ok=True)
            packed = zlib.compress(payload, 1)
            write_atomic(folder / key, MAGIC + hashlib.sha256(packed).digest() + packed)
            self.prune(folder)
            return True
        except OSError:
            return False

    @staticmethod
    def prune(folder: Path, keep: int = MAX_ENTRIES) -> None:
        """Remove the least recently used entries beyond ``keep`` (a deployment check builds many
        variants of one model; the folder must not grow without bound)."""
        try:
            entries = [(p.stat().st_mtime, p) for p in folder.iterdir() if not p.name.startswith(".")]
        except OSError:
            return
        if len(entries) <= keep:
            return
        entries.sort()
        for _mtime, p in entries[: len(entries) - keep * 3 // 4]:
            try:
                p.unlink()
            except OSError:
                pass
