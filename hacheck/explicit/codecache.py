"""Start-up caches of ``hacheck check``: compiled action code and proved symmetries, on disk.

A small model is checked in less time than it takes to compile its actions and to prove its
declared symmetry with z3. Both depend only on the model instance as built (its fields, types,
initial values, guards, updates, properties: what :func:`model_digest` hashes, which is a function
of the model's source, its parameters and its fault kinds) and on hacheck's own source; so both are
kept in the start-up cache (:mod:`hacheck.diskcache`) under a key made of exactly that:

- ``compiled/``: the generated source and the Python code objects (``marshal``, so the key also
  holds the interpreter's bytecode magic number) of :func:`hacheck.explicit.compile.compile_model`
  and :func:`hacheck.explicit.pycompile.compile_python`;
- ``proofs/``: the record that z3 proved a symmetry of the model (``symbolic/symmetry.py``); a
  failed proof is never stored.

An entry that cannot be read, does not carry the SHA-256 it was written with, or does not hold the
functions the model needs is ignored and rewritten: the check then compiles (or proves) as without
a cache. The checksum catches damage, not tampering: like Python's own ``__pycache__``, the folder
is trusted as the user's own (its code objects are executed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
from typing import Any, Sequence

from .. import __version__
from ..diskcache import BlobCache, package_digest
from ..lang.expr import And, Arith, Cmp, Const, Expr, Field, Ite, Not, Or
from ..lang.model import Model
from ..lang.types import BoolT

FORMAT = 1
COMPILED = BlobCache("compiled")
PROOFS = BlobCache("proofs")


class _Uncacheable(Exception):
    """An expression node this digest does not know: the model is compiled without the cache."""


def _type_sig(t: Any) -> str:
    return f"{type(t).__name__}:{t}:{t.size()}"


def _text(e: Expr | None) -> str:
    """An expression as exactly what the compilers read: node kinds, operators, constant codes (a
    Bool constant marked as such), field indices. Walked as a tree, like ``lang.expr.show``, which is
    faster in Python than a walk that visits each shared node once."""
    if e is None:
        return "-"
    t = type(e)
    if t is Field:
        return f"f{e.index}"  # type: ignore[attr-defined]
    if t is Const:
        return f"b{e.value}" if isinstance(e.type, BoolT) else str(e.value)  # type: ignore[attr-defined]
    if t is Not:
        return "~" + _text(e.arg)  # type: ignore[attr-defined]
    if t is And or t is Or:
        return ("&(" if t is And else "|(") + ",".join([_text(a) for a in e.args]) + ")"  # type: ignore[attr-defined]
    if t is Cmp or t is Arith:
        return f"{e.op}({_text(e.a)},{_text(e.b)})"  # type: ignore[attr-defined]
    if t is Ite:
        return f"?({_text(e.cond)},{_text(e.then)},{_text(e.else_)})"  # type: ignore[attr-defined]
    raise _Uncacheable(t.__name__)


def model_digest(model: Model, extra_predicates: dict[str, Expr] | None = None) -> str | None:
    """What compiled code and a symmetry proof of ``model`` depend on, hashed; None if unknown.
    Kept on the model for its second use in a run (compile, then the symmetry proof), as long as
    its actions, properties and fault kinds are the same objects."""
    if extra_predicates:
        return _digest(model, extra_predicates)
    guard = (id(model.instances), len(model.instances), id(model.properties), len(model.properties), model.fault_kinds)
    memo = model.__dict__.get("_hacheck_digest")
    if memo is None or memo[0] != guard:
        memo = (guard, _digest(model, None))
        model.__dict__["_hacheck_digest"] = memo
    return memo[1]


def _digest(model: Model, extra_predicates: dict[str, Expr] | None) -> str | None:
    try:
        lines = [repr(("model", model.name, model.budget))]
        lines += [repr(("sort", s.name, [e.name for e in s], s.symmetric)) for s in model.sorts.values()]
        lines += [repr(("field", f.index, f.name, _type_sig(f.type), model._init.get(f.index))) for f in model.fields]
        lines += ["init " + _text(c) for c in model.init_constraints]
        for inst in model.instances:
            lines.append(repr(("instance", inst.index, inst.label, inst.kind, inst.tick, tuple(inst.range_checked))))
            lines.append(_text(inst.guard))
            lines += [f"{fid}={_text(ex)}" for fid, ex in inst.updates]
        for p in model.properties.values():
            lines.append(repr(("property", p.name, p.kind, _text(p.expr), _text(p.target))))
        for lm in getattr(model, "lemmas", {}).values():
            lines.append(repr(("lemma", lm.name, _text(lm.expr))))
        for name, e in (extra_predicates or {}).items():
            lines.append(repr(("extra", name, _text(e))))
    except (_Uncacheable, AttributeError, TypeError, RecursionError):
        return None
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _key(kind: str, digest: str, *more: object) -> str:
    doc = [FORMAT, kind, __version__, package_digest(), importlib.util.MAGIC_NUMBER.hex(), digest, *more]
    return hashlib.sha256(json.dumps(doc, default=str).encode()).hexdigest()[:40]


def code_key(model: Model, kind: str, extra_predicates: dict[str, Expr] | None = None) -> str | None:
    """The key of ``model``'s compiled code of ``kind`` (``numpy`` or ``python``), None if uncacheable."""
    digest = model_digest(model, extra_predicates)
    return None if digest is None else _key(kind, digest)


def load_code(key: str | None) -> tuple[dict[str, Any] | None, str]:
    """The stored payload (a dict written by :func:`store_code`) and the cache status."""
    if key is None:
        return None, "off"
    data, status = COMPILED.get(key)
    if data is None:
        return None, status
    try:
        doc = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None, "corrupt"
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
        return None, "corrupt"
    return doc, "hit"


def store_code(key: str | None, doc: dict[str, Any]) -> None:
    if key is not None:
        COMPILED.put(key, marshal.dumps({**doc, "format": FORMAT, "key": key}))


# -- symmetry proofs ---------------------------------------------------------------------------------
def proof_key(model: Model, sorts: Sequence[Any], properties: Sequence[Any]) -> str | None:
    digest = model_digest(model)
    if digest is None:
        return None
    return _key("symmetry-proof", digest, [s.name for s in sorts], [p.name for p in properties])


def proof_status(key: str | None) -> str:
    """``hit`` when z3 proved this symmetry before (same model instance, same hacheck)."""
    if key is None:
        return "off"
    data, status = PROOFS.get(key)
    if data is None:
        return status
    return "hit" if data == _proof_record(key) else "corrupt"


def store_proof(key: str | None) -> None:
    if key is not None:
        PROOFS.put(key, _proof_record(key))


def _proof_record(key: str) -> bytes:
    return f"symmetry proved by z3 for {key}\n".encode()
