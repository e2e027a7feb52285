"""The JSON Schema of deployment files, built from hacheck/deploy/schema.py (the single source).

Editors with TOML language servers (Even Better TOML, taplo) use it for completion and checking:
``#:schema ./docs/schema/deployment.schema.json`` at the top of a deployment file, or a taplo
association. ``scripts/write-schemas.py`` writes it to docs/schema/; a test keeps the file equal to
what this function builds.
"""

from __future__ import annotations

from typing import Any

from .schema import TABLES, Key, Table

_TYPES = {"str": {"type": "string"}, "int": {"type": "integer"}, "number": {"type": "number"},
          "bool": {"type": "boolean"}, "list[str]": {"type": "array", "items": {"type": "string"}},
          "int|str": {"type": ["integer", "string"]}}


def _key(k: Key) -> dict[str, Any]:
    out: dict[str, Any] = dict(_TYPES.get(k.type, {}))
    if k.doc:
        out["description"] = k.doc + (f" (upstream: {k.upstream})" if k.upstream else "")
    if k.choices is not None:
        if k.type == "list[str]":
            out["items"] = {"enum": list(k.choices)}
        else:
            out["enum"] = list(k.choices)
    if k.low is not None and k.type in ("int", "number"):
        out["minimum"] = k.low
    if k.high is not None and k.type in ("int", "number"):
        out["maximum"] = k.high
    if not k.required and isinstance(k.default, (str, int, float, bool, list)):
        out["default"] = k.default
    return out


def _table(t: Table) -> dict[str, Any]:
    props: dict[str, Any] = {k.name: _key(k) for k in t.keys}
    for sub in t.subtables:
        child = TABLES[sub]
        name = sub.rsplit(".", 1)[-1].removesuffix("[]")
        body = _table(child)
        props[name] = {"type": "array", "items": body, "description": child.doc} if child.array else body
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if t.doc:
        out["description"] = t.doc
    required = [k.name for k in t.keys if k.required] + [
        s.rsplit(".", 1)[-1].removesuffix("[]") for s in t.subtables if TABLES[s].required]
    if required:
        out["required"] = required
    return out


def deployment_schema() -> dict[str, Any]:
    body = _table(TABLES[""])
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://github.com/hacheck/hacheck/docs/schema/deployment.schema.json",
            "title": "hacheck deployment file", **body}
