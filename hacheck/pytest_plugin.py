"""pytest plugin (entry point ``pytest11``, loaded wherever hacheck is installed): the
``hacheck_check`` fixture turns "this model / deployment must hold these properties" into a test.

    def test_volume_is_safe(hacheck_check):
        hacheck_check("deploy/star.toml", properties=["no_split_brain"])

A violated property fails the test with the verdict table and the counterexample in the failure
message; a bound hit (nothing shown either way) fails it too. hacheck is imported only when the
fixture is used, so the plugin costs nothing to test sessions that do not use it (docs/ci.md).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pytest


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (tuple, list)):
        return ",".join(_value(x) for x in v)
    return str(v)


def _param_list(params: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [f"{k}={_value(v)}" for k, v in params.items()]
    return [str(p) for p in params]


def _locate(target: str | Path, base: Path) -> str:
    """A relative path is taken from the working folder, else from the test file's folder; a bare
    name is a shipped model."""
    text = str(target)
    p = Path(text)
    if p.is_absolute() or p.exists():
        return text
    beside = base / p
    if beside.exists():
        return str(beside)
    return text


def check_model(target: str, properties: list[str], params: list[str], max_states: int | None,
                max_seconds: float | None, out_dir: Path) -> tuple[Any, str]:
    """Check a model file (or shipped model) with the explicit engine; the result and the text the
    CLI would print, counterexamples included."""
    from .check import run_check
    from .cli import _write_traces, load_model, select_properties
    from .explicit.search import Bounds
    from .render.dot import write_trace_files
    from .report.text import summary, trace_lines

    model, _spec = load_model(target, params)
    props = select_properties(model, properties)
    result = run_check(model, props, Bounds(max_states, max_seconds, None))
    out_dir.mkdir(parents=True, exist_ok=True)
    result = _write_traces(result, out_dir, write_trace_files)
    lines = summary(result)
    for p in result.properties:
        if p.trace is not None and p.verdict == "violated":
            lines += ["", *trace_lines(p.trace), "  files: " + ", ".join(p.trace_files.values())]
    return result, "\n".join(lines)


def check_deployment(target: str, properties: list[str], fail: str | None, max_states: int | None,
                     max_seconds: float | None, out_dir: Path) -> tuple[Any, str]:
    """Check a deployment file as ``hacheck check FILE.toml`` does; the result and its text."""
    from .deploy.cli import check_deployment as run_deployment

    args = argparse.Namespace(property=properties, fail=fail, max_states=max_states, max_seconds=max_seconds,
                              out=str(out_dir), quiet=False, json=None, junit=None, sarif=None)
    buf = io.StringIO()
    _code, result = run_deployment(target, args, out=buf, log=None, quiet=False)
    return result, buf.getvalue()


@pytest.fixture
def hacheck_check(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """``hacheck_check(target, properties=None, *, params=None, fail=None, max_states=None,
    max_seconds=None, must_hold=True)``: check a shipped model by name, a model file (.py) or a
    deployment file (.toml) and return its result (``CheckResult`` or ``DeploymentResult``).

    With ``must_hold`` (the default) the test fails unless every checked property holds, with the
    verdicts and counterexamples in the message; ``must_hold=False`` only returns the result.
    Traces (ITF, DOT, SVG) go to a temporary folder named in the message."""
    base = Path(str(request.node.path)).parent if getattr(request.node, "path", None) else Path.cwd()

    def check(target: str | Path, properties: Iterable[str] | None = None, *,
              params: Mapping[str, Any] | Iterable[str] | None = None, fail: str | None = None,
              max_states: int | None = None, max_seconds: float | None = None, must_hold: bool = True) -> Any:
        from .lang.errors import HacheckError
        from .nativeload import NotLoadable, install
        from .result import HOLDS

        install()  # under ulimit -v: numpy, scipy and z3 are probed before they load (no exit(1), no crash)
        where = _locate(target, base)
        props = list(properties or [])
        out_dir = tmp_path_factory.mktemp("hacheck")
        try:
            if where.endswith(".toml"):
                if params:
                    raise HacheckError("params: a deployment file sets its models' parameters itself")
                result, text = check_deployment(where, props, fail, max_states, max_seconds, out_dir)
            else:
                if fail:
                    raise HacheckError("fail: only for deployment files (.toml); for a model use params max_faults")
                result, text = check_model(where, props, _param_list(params), max_states, max_seconds, out_dir)
        except (HacheckError, NotLoadable) as e:
            pytest.fail(f"hacheck: {where}: {e}", pytrace=False)
        if must_hold:
            rows = result.rows if hasattr(result, "rows") else result.properties
            bad = [r for r in rows if r.verdict != HOLDS]
            if bad:
                names = ", ".join(f"{r.model}: {r.property} {r.verdict}" if hasattr(r, "property") else f"{r.name} {r.verdict}"
                                  for r in bad)
                pytest.fail(f"hacheck: {where}: {names}\n\n{text}", pytrace=False)
        return result

    return check
