"""Small deployment files written by the tests (issue 15): a test states the few keys it is about."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def host(name: str, cpus: int = 16, memory_gb: float = 64, **keys: Any) -> str:
    """One [[hosts]] table; keys are written as given (hypervisor, hosted_engine, power_management...)."""
    body = {"name": name, "cpus": cpus, "memory_gb": memory_gb, **keys}
    return "[[hosts]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in body.items()) + "\n"


def vm(name: str, host_: str, cpus: int = 4, memory_gb: float = 8, ha: bool = True, **keys: Any) -> str:
    body = {"name": name, "ha": ha, "cpus": cpus, "memory_gb": memory_gb, "host": host_, **keys}
    return "[[vms]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in body.items()) + "\n"


def table(name: str, **keys: Any) -> str:
    return f"[{name}]\n" + "".join(f"{_q(k)} = {_value(v)}\n" for k, v in keys.items()) + "\n"


def _q(k: str) -> str:
    return f'"{k}"' if "." in k else k


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v)
    return str(v)


def active_standby(names: tuple[str, str] = ("ovirt1", "ovirt2"), engine_on: int = 0, kinds: tuple[str, ...] = ("host-crash",),
                   manual_fence_confirm: bool = False, maintenance_steps: int = 0, pm_trusted: tuple[bool, bool] = (True, True),
                   vms: str | None = None, extra: str = "", properties: tuple[str, ...] = (), timers: str = "scaled",
                   hosts: str | None = None) -> str:
    """Two self-hosted-engine hypervisors with PM, one HA VM on the first: the plain active/standby."""
    a, b = names
    text = hosts if hosts is not None else (
        host(a, hosted_engine=True, power_management=True, pm_trusted=pm_trusted[0])
        + host(b, hosted_engine=True, power_management=True, pm_trusted=pm_trusted[1]))
    text += table("engine", mode="self-hosted", host=names[engine_on])
    text += vms if vms is not None else vm("db", a)
    text += table("hosted_engine", timers=timers)
    text += table("operations", manual_fence_confirm=manual_fence_confirm, maintenance_steps=maintenance_steps)
    text += table("failures", count=1, kinds=list(kinds))
    if properties:
        text += table("check", properties=list(properties))
    return text + extra


def write(tmp: Path, name: str, text: str) -> Path:
    f = tmp / name
    f.write_text(text)
    return f


def hacheck(*args: str, cache: Path | str = "off") -> subprocess.CompletedProcess:
    env = dict(os.environ, HACHECK_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, env=env)


def check_json(tmp: Path, f: Path, *args: str, cache: Path | str = "off") -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp / (f.stem + ".json")
    r = hacheck("check", str(f), "-q", "--out", str(tmp / "out"), "--json", str(report), *args, cache=cache)
    assert r.returncode in (0, 1, 3), r.stderr
    doc = json.loads(report.read_text())
    return r, doc


def rows(doc: dict) -> dict[tuple[str, str], dict]:
    return {(r["model"], r["property"]): r for r in doc["rows"]}
