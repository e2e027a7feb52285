"""Spec: a model file's entry point, pairing a parameter class with the function that builds it."""

from __future__ import annotations

from typing import Any, Callable

import attrs

from .errors import BadInput, ModelError
from .model import Model

_MISSING = object()


def param(default: Any, *, doc: str = "", low: int | None = None, high: int | None = None,
          choices: tuple[Any, ...] | None = None) -> Any:
    """A model parameter: an attrs field with its documentation and the values it accepts."""

    def check(_inst: object, attribute: attrs.Attribute, value: Any) -> None:  # type: ignore[type-arg]
        name = attribute.name
        if choices is not None and value not in choices:
            raise BadInput(f"parameter {name}: {value!r} is not one of {', '.join(map(str, choices))}")
        if low is not None and value < low:
            raise BadInput(f"parameter {name}: {value!r} is below its minimum {low}")
        if high is not None and value > high:
            raise BadInput(f"parameter {name}: {value!r} is above its maximum {high}")

    return attrs.field(default=default, validator=check,
                       metadata={"doc": doc, "low": low, "high": high, "choices": choices})


@attrs.frozen
class ParamInfo:
    name: str
    type: Any
    default: Any
    doc: str
    low: int | None
    high: int | None
    choices: tuple[Any, ...] | None


@attrs.frozen(eq=False)
class Spec:
    """What a model file exports as ``SPEC``."""

    name: str
    params: type
    build: Callable[[Any], Model]
    doc: str = ""
    check: Callable[[Any], None] | None = None  # cross-parameter validation; raise BadInput

    def param_info(self) -> list[ParamInfo]:
        attrs.resolve_types(self.params)
        out = []
        for a in attrs.fields(self.params):
            md = a.metadata
            out.append(ParamInfo(a.name, a.type, a.default, md.get("doc", ""), md.get("low"),
                                 md.get("high"), md.get("choices")))
        return out

    def make_params(self, overrides: dict[str, Any] | None = None) -> Any:
        try:
            p = self.params(**(overrides or {}))
        except TypeError as e:
            raise BadInput(f"model {self.name}: {e}") from None
        if self.check is not None:
            self.check(p)
        return p

    def instantiate(self, params: Any = None) -> Model:
        p = params if params is not None else self.make_params()
        m = self.build(p)
        if not isinstance(m, Model):
            raise ModelError(f"{self.name}: build() must return a Model, got {type(m).__name__}")
        m.params = p
        return m.freeze()
