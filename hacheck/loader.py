"""Load a model file and turn ``--param NAME=VALUE`` strings into a validated parameter object."""

from __future__ import annotations

import difflib
import importlib.util
import sys
import traceback
import typing
from pathlib import Path
from typing import Any

from .lang.errors import BadInput, HacheckError, ModelError
from .lang.model import Model
from .lang.spec import ParamInfo, Spec

_counter = 0


def load_spec(path: str | Path) -> Spec:
    """Import a model file (a path, or a shipped model's name) and return its ``SPEC``; any failure
    is BadInput naming the file."""
    global _counter
    from .shipped import is_shipped, resolve_model, shipped_models

    p = resolve_model(path)
    if not p.exists():
        shipped = p.stem in shipped_models() and p.suffix == ".py"
        hint = f" (the shipped model is addressed by name: hacheck check {p.stem})" if shipped else ""
        raise BadInput(f"{p}: no such model file{hint}")
    if p.is_dir():
        raise BadInput(f"{p}: is a folder; give a model file such as models/gluster_arbiter.py")
    if p.suffix != ".py":
        raise BadInput(f"{p}: a model is a Python file (.py); deployment files (.toml) are read by 'hacheck check' too")
    root = p.resolve().parent
    # a user's model may import sibling helpers and a properties/ folder beside its own folder; the
    # shipped ones import hacheck.properties and need nothing on sys.path
    for extra in () if is_shipped(p) else (root, root.parent):
        if str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    _counter += 1
    modname = f"hacheck_model_{_counter}_{p.stem}"
    spec = importlib.util.spec_from_file_location(modname, p)
    if spec is None or spec.loader is None:
        raise BadInput(f"{p}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise BadInput(f"{e.filename or p}:{e.lineno}: syntax error: {e.msg}") from None
    except HacheckError:
        raise
    except SystemExit as e:  # a model must not choose hacheck's exit code
        raise BadInput(f"{p}:{_failing_line(e, p)}: the model file called sys.exit({e.code!r}) while it was imported") from e
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - any import failure of a user file is bad input
        raise BadInput(f"{p}:{_failing_line(e, p)}: the model file does not import: {type(e).__name__}: {e}") from None
    found = getattr(module, "SPEC", None)
    if not isinstance(found, Spec):
        candidates = [v for v in vars(module).values() if isinstance(v, Spec)]
        if len(candidates) != 1:
            raise BadInput(f"{p}: a model file must define SPEC = hacheck.lang.Spec(name, Params, build)")
        found = candidates[0]
    return found


def _failing_line(e: BaseException, p: Path) -> str:
    target = str(p.resolve())
    line = "?"
    for frame in traceback.extract_tb(e.__traceback__):
        if str(Path(frame.filename).resolve()) == target:
            line = str(frame.lineno)
    return line


def _convert(info: ParamInfo, text: str) -> Any:
    t = info.type
    origin = typing.get_origin(t)
    if t is bool or isinstance(info.default, bool):
        low = text.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise BadInput(f"--param {info.name}={text}: expected a Bool (true/false)")
    if t is int or (isinstance(info.default, int) and t is not str):
        try:
            return int(text)
        except ValueError:
            raise BadInput(f"--param {info.name}={text}: expected an integer") from None
    if t is float:
        try:
            return float(text)
        except ValueError:
            raise BadInput(f"--param {info.name}={text}: expected a number") from None
    if origin is tuple:
        args = typing.get_args(t)
        item = args[0] if args else str
        parts = [x.strip() for x in text.split(",") if x.strip()] if text.strip() else []
        out = []
        for x in parts:
            if item is int:
                try:
                    out.append(int(x))
                except ValueError:
                    raise BadInput(f"--param {info.name}={text}: {x!r} is not an integer") from None
            elif item is bool:
                out.append(_convert(ParamInfo(info.name, bool, False, "", None, None, None), x))
            else:
                out.append(x)
        return tuple(out)
    return text


def parse_params(spec: Spec, assignments: list[str]) -> dict[str, Any]:
    infos = {i.name: i for i in spec.param_info()}
    out: dict[str, Any] = {}
    for a in assignments:
        if "=" not in a:
            raise BadInput(f"--param {a}: expected NAME=VALUE")
        name, value = a.split("=", 1)
        name = name.strip()
        if name not in infos:
            close = difflib.get_close_matches(name, infos, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise BadInput(f"--param {name}: model {spec.name} has no parameter {name!r}{hint}; "
                           f"its parameters are {', '.join(infos)}")
        out[name] = _convert(infos[name], value)
    return out


def build_model(spec: Spec, overrides: dict[str, Any] | None = None) -> Model:
    """Build a model instance. An exception in the model's own code (its parameter check, build(),
    actions or properties) is bad input naming the model file and line (``--debug`` shows the
    traceback, kept as ``__cause__``); it never escapes as a crash or sets the exit code."""
    try:
        params = spec.make_params(overrides)
        return spec.instantiate(params)
    except HacheckError:
        raise
    except RecursionError:
        raise ModelError(f"model {spec.name}: expression too deep while building") from None
    except MemoryError:
        raise
    except SystemExit as e:
        raise BadInput(f"{_user_frame(e) or spec.name}: the model called sys.exit({e.code!r}) while it was built") from e
    except Exception as e:  # noqa: BLE001 - a bug in the model file is bad input, not a crash
        raise BadInput(f"{_user_frame(e) or 'model ' + spec.name}: building the model failed: "
                       f"{type(e).__name__}: {e}") from e


def _user_frame(e: BaseException) -> str | None:
    """``file:line`` of the innermost frame of the traceback outside the hacheck package."""
    import os

    from .lang.errors import _PKG_DIR

    where = None
    for frame in traceback.extract_tb(e.__traceback__):
        f = os.path.abspath(frame.filename)
        if not f.startswith(_PKG_DIR + os.sep) and not frame.filename.startswith("<"):
            rel = os.path.relpath(f)
            where = f"{f if rel.startswith('..') else rel}:{frame.lineno}"
    return where
