"""Run SPIN on an exported model: ``spin -a``, gcc, ``pan``; read what pan printed.

Used by the agreement tests and ``benchmarks/bench_vs_spin.py``. pan is built for safety with
partial-order reduction off (``-DSAFETY -DNOREDUCE``), so its states are the model's states, and
depth-first with a depth limit it cannot hit (``-m100000000``), or breadth-first (``-DBFS``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import attrs

from ..lang.errors import HacheckError


@attrs.frozen
class SpinRun:
    states_stored: int
    transitions: int
    errors: int
    violated: bool  # an assertion or the never claim failed
    compile_seconds: float  # spin -a and gcc
    search_seconds: float  # pan, as pan reports it (0 when it says nothing)
    wall_seconds: float  # pan's process
    memory_mb: float  # pan's "total actual memory usage"
    output: str


def spin_available() -> bool:
    return shutil.which("spin") is not None and (shutil.which("gcc") or shutil.which("cc")) is not None


def build_pan(pml: str, workdir: Path, dfs: bool = True, extra_cflags: tuple[str, ...] = (), memlim_mb: int = 16384,
               optimize: str = "-O2", noclaim: bool = False) -> float:
    """``spin -a`` and the C compiler; returns the seconds they took. ``noclaim`` leaves the never
    claims out (-DNOCLAIM): with a claim, SPIN stores a state where the model has no move only
    as a violation, so the count of states must be taken without one."""
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "model.pml"
    src.write_text(pml)
    cc = shutil.which("gcc") or shutil.which("cc") or "cc"
    t0 = time.monotonic()
    for cmd in (["spin", "-o2", "-a", "model.pml"],  # -o2: no dead-variable elimination (it merges states)
                [cc, optimize, "-DSAFETY", "-DNOREDUCE", f"-DMEMLIM={memlim_mb}", *([] if dfs else ["-DBFS"]),
                 *(["-DNOCLAIM"] if noclaim else []), *extra_cflags, "-w", "-o", "pan", "pan.c"]):
        r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
        if r.returncode != 0:
            raise HacheckError(f"{' '.join(cmd)} failed in {workdir}:\n{(r.stdout + r.stderr)[-2000:]}")
    return time.monotonic() - t0


def run_pan(workdir: Path, dfs: bool = True, expected_states: int | None = None, claim: str | None = None,
            compile_seconds: float = 0.0) -> SpinRun:
    """Run a built pan (with never claim ``claim`` when the model has several)."""
    compiled = compile_seconds
    t1 = time.monotonic()
    n = expected_states or 10_000_000
    w = max(16, min(32, (2 * n).bit_length()))
    args = ["./pan", "-E", f"-w{w}"] + ([f"-m{n + 10}"] if dfs else []) + ([f"-N{claim}"] if claim else [])
    r = subprocess.run(args, cwd=workdir, capture_output=True, text=True)
    wall = time.monotonic() - t1
    out = r.stdout + r.stderr
    states = _int(r"([0-9.e+]+) states, stored", out)
    trans = _int(r"([0-9.e+]+) transitions", out)
    errors = _int(r"errors: (\d+)", out)
    m = re.search(r"pan: elapsed time ([0-9.e+]+) seconds", out)
    mem = re.search(r"([0-9.]+)\s+total actual memory usage", out)
    if states is None or errors is None:
        raise HacheckError(f"pan in {workdir} printed no state count:\n{out[-2000:]}")
    violated = errors > 0 and any(x in out for x in ("assertion violated", "claim violated", "end state in claim reached"))
    return SpinRun(states, trans or 0, errors, violated, compiled, float(m.group(1)) if m else 0.0, wall,
                   float(mem.group(1)) if mem else 0.0, out)


def run_spin(pml: str, workdir: Path, dfs: bool = True, optimize: str = "-O2", expected_states: int | None = None,
             claim: str | None = None, noclaim: bool = False) -> SpinRun:
    """Build and run pan. Depth-first by default: SPIN's breadth-first search does not report a
    never claim that reaches its end. ``optimize="-O0"`` compiles large models far faster.
    ``expected_states`` sizes pan's hash table and its depth-first stack (a search can be no
    deeper than the number of states); without it they are sized for 10 million states."""
    secs = build_pan(pml, workdir, dfs=dfs, optimize=optimize, noclaim=noclaim)
    return run_pan(workdir, dfs=dfs, expected_states=expected_states, claim=claim, compile_seconds=secs)


def _int(pattern: str, text: str) -> int | None:
    m = re.search(pattern, text)
    return int(float(m.group(1))) if m else None
