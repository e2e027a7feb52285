"""Compile a model's expression trees to numpy source, once, for whole BFS frontiers.

Each action instance becomes a function ``f(C, P)`` over the unpacked columns ``C`` (one int64
or bool array per field, natural values) and the packed rows ``P``; it returns the indices of
the rows where its guard holds and their successor rows. Properties become mask functions.
Generating source (as SPIN generates C) means the tree is walked once per model, not per state.
"""

from __future__ import annotations

import linecache
from typing import Callable

import attrs
import numpy as np

from ..lang.errors import ModelError
from ..lang.expr import Arith, Expr, Field
from ..lang.model import ActionInstance, Model
from ..lang.types import BoolT, IntT
from ..lang.emit import SharingEmitter
from .pack import Layout


class RangeViolation(Exception):
    """An update left its field's declared range: a model error, reported with its trace."""

    def __init__(self, instance: int, row: int, field: int, value: int):
        super().__init__(instance, row, field, value)
        self.instance, self.row, self.field, self.value = instance, row, field, value


class _Emitter(SharingEmitter):
    """Numpy expressions over whole columns."""

    NOT, AND, OR = "(~{})", " & ", " | "
    ITE = "_np.where({c}, {t}, {f})"
    TRUE, FALSE = "_T", "_F"

    def arith(self, e: Arith, a: str, b: str) -> str:
        return {"//": "_np.floor_divide", "%": "_np.mod", "min": "_np.minimum", "max": "_np.maximum"}[e.op] + f"({a}, {b})"

    def unsupported(self, e: Expr) -> Exception:
        return ModelError(f"cannot compile {type(e).__name__}")


def _fields(e: Expr, acc: set[int]) -> set[int]:
    stack = [e]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Field):
            acc.add(n.index)
        stack.extend(n.children())
    return acc


@attrs.frozen(eq=False)
class Compiled:
    model: Model
    layout: Layout
    unpack: Callable[[np.ndarray], list[np.ndarray]]
    actions: tuple[Callable[..., object], ...]
    predicates: dict[str, Callable[[list[np.ndarray], int], np.ndarray]]
    source: str
    cache: str = ""  # the start-up cache: hit, miss (compiled and stored), corrupt (rebuilt), off

    def mask(self, name: str, cols: list[np.ndarray], n: int) -> np.ndarray:
        return self.predicates[name](cols, n)


# Python code objects of compiled functions, keyed by their source with a neutral name: a deployment
# check builds many variants of one model (the same protocol, other fault instances), whose functions
# are mostly identical; compiling each text once per process saves most of the compile time.
_CODE: dict[str, object] = {}
_CODE_MAX = 20000


def compile_model(model: Model, extra_predicates: dict[str, Expr] | None = None) -> Compiled:
    """The model's numpy functions, from the start-up cache when an intact entry for exactly this
    model instance is there (:mod:`hacheck.explicit.codecache`), else generated and compiled here."""
    from . import codecache

    layout = Layout.of(model)
    key = codecache.code_key(model, "numpy", extra_predicates) if codecache.COMPILED.folder() is not None else None
    doc, status = codecache.load_code(key)
    if doc is not None:
        got = _from_cache(model, layout, doc, extra_predicates, status)
        if got is not None:
            return got
        status = "corrupt"  # intact bytes, but not this model's functions
    funcs, names, text = _generate(model, layout, extra_predicates)
    if key is not None:
        codecache.store_code(key, {"funcs": funcs, "names": names, "text": text})
    return _assemble(model, layout, funcs, names, text, status)


def _generate(model: Model, layout: Layout, extra_predicates: dict[str, Expr] | None
              ) -> tuple[list[tuple[str, str, str, object]], dict[str, str], str]:
    """Every function's source and code: [(name, file name, body, code)], predicate -> function, text."""
    chunks: list[tuple[str, list[str]]] = []  # (function name, its lines)
    src = ["def unpack(P):"]
    src.append("    W = [P[:, w] for w in range(%d)]" % layout.words)
    src.append("    return [")
    for f, s in zip(model.fields, layout.slots):
        word = f"((W[{s.word}] >> _U({s.shift})) & _U({s.mask}))"
        if isinstance(f.type, BoolT):
            src.append(f"        {word}.astype(_np.bool_),")
        elif isinstance(f.type, IntT) and f.type.lo != 0:
            src.append(f"        ({word}.astype(_np.int64) + {f.type.lo}),")
        else:
            src.append(f"        {word}.astype(_np.int64),")
    src.append("    ]")
    src.append("")
    chunks.append(("unpack", src))

    for inst in model.instances:
        chunks.append((f"act_{inst.index}", _action_source(model, layout, inst)))
    names = {}
    for i, (name, e) in enumerate(_predicates(model, extra_predicates).items()):
        names[name] = f"pred_{i}"
        chunks.append((f"pred_{i}", _predicate_source(f"pred_{i}", e)))
    text = "\n".join(line for _, lines in chunks for line in lines) + "\n"
    funcs = [(fname, *_function_code(model.name, fname, lines)) for fname, lines in chunks]
    return funcs, names, text


def _predicates(model: Model, extra_predicates: dict[str, Expr] | None) -> dict[str, Expr]:
    preds = dict((n, p.expr) for n, p in model.properties.items())
    for n, p in model.properties.items():
        if p.target is not None:
            preds[n + "#target"] = p.target
    for n, lm in getattr(model, "lemmas", {}).items():  # stated lemmas: check evaluates them on every state
        preds[n] = lm.expr
    preds.update(extra_predicates or {})
    return preds


def _from_cache(model: Model, layout: Layout, doc: dict, extra_predicates: dict[str, Expr] | None,
                status: str) -> Compiled | None:
    """The cached functions, if they are the ones this model needs (else None: compile afresh)."""
    try:
        funcs, names, text = doc["funcs"], doc["names"], doc["text"]
        want = ["unpack"] + [f"act_{i.index}" for i in model.instances] + [f"pred_{i}" for i in range(len(names))]
        if [f[0] for f in funcs] != want or list(names) != list(_predicates(model, extra_predicates)):
            return None
        if not all(isinstance(body, str) and isinstance(filename, str) and type(code).__name__ == "code"
                   for _name, filename, body, code in funcs):
            return None
        for _name, filename, body, _code in funcs:
            linecache.cache[filename] = (len(body), None, body.splitlines(True), filename)
        return _assemble(model, layout, funcs, names, text, status)
    except (KeyError, TypeError, ValueError):
        return None


def _assemble(model: Model, layout: Layout, funcs: list, names: dict[str, str], text: str, status: str) -> Compiled:
    ns: dict[str, object] = {"_np": np, "_U": np.uint64, "_T": np.True_, "_F": np.False_,
                             "RangeViolation": RangeViolation}
    for fname, _filename, _body, code in funcs:
        local: dict[str, object] = {}
        exec(code, ns, local)  # type: ignore[arg-type]
        ns[fname] = local["_f"]
    return Compiled(
        model, layout, ns["unpack"],  # type: ignore[arg-type]
        tuple(ns[f"act_{i.index}"] for i in model.instances),  # type: ignore[misc]
        {n: ns[fn] for n, fn in names.items()},  # type: ignore[misc]
        text, status,
    )


def _function_code(model_name: str, fname: str, lines: list[str]) -> tuple[str, str, object]:
    """(file name, body, code) of the function ``fname`` defined by ``lines`` (``def fname(...)``),
    renamed ``_f``; its code is compiled once per distinct text (see ``_CODE``)."""
    head = f"def {fname}("
    assert lines[0].startswith(head)
    body = "def _f(" + lines[0][len(head):] + "\n" + "\n".join(lines[1:]) + "\n"
    filename = f"<hacheck-compiled {model_name} {fname}>"
    code = _CODE.get(body)
    if code is None:
        linecache.cache[filename] = (len(body), None, body.splitlines(True), filename)
        code = compile(body, filename, "exec")
        if len(_CODE) >= _CODE_MAX:
            _CODE.clear()
        _CODE[body] = code
    return filename, body, code


def _predicate_source(fname: str, e: Expr) -> list[str]:
    em = _Emitter(lambda i: f"C[{i}]")
    em.prepare([e])
    body = em.emit(e)
    lines = [f"def {fname}(C, n):"]
    lines += ["    " + ln for ln in em.lines]
    lines.append(f"    r = {body}")
    lines.append("    return _np.broadcast_to(_np.asarray(r, dtype=_np.bool_), (n,))")
    lines.append("")
    return lines


def _action_source(model: Model, layout: Layout, inst: ActionInstance) -> list[str]:
    lines = [f"def act_{inst.index}(C, P, n):", f"    # {inst.label}"]
    guard_em = _Emitter(lambda i: f"C[{i}]")
    guard_em.prepare([inst.guard])
    g = guard_em.emit(inst.guard)
    lines += ["    " + ln for ln in guard_em.lines]
    if g == "_T":
        lines.append("    idx = _np.arange(n)")
    else:
        lines.append(f"    idx = _np.flatnonzero(_np.broadcast_to({g}, (n,)))")
        lines.append("    if idx.size == 0:")
        lines.append("        return None")
    used: set[int] = set()
    for _, ex in inst.updates:
        _fields(ex, used)
    for fid in sorted(used):
        lines.append(f"    s{fid} = C[{fid}][idx]")
    upd_em = _Emitter(lambda i: f"s{i}")
    upd_em.prepare([ex for _, ex in inst.updates])
    values = []
    for fid, ex in inst.updates:
        values.append((fid, upd_em.emit(ex)))
    lines += ["    " + ln for ln in upd_em.lines]
    lines.append("    out = P[idx]")
    lines.append("    m = idx.size")
    for fid, v in values:
        ftype = model.fields[fid].type
        slot = layout.slots[fid]
        lines.append(f"    v = _np.broadcast_to(_np.asarray({v}), (m,))")
        if fid in inst.range_checked:
            lo = ftype.lo if isinstance(ftype, IntT) else 0
            hi = ftype.hi if isinstance(ftype, IntT) else ftype.size() - 1
            lines.append(f"    bad = (v < {lo}) | (v > {hi})")
            lines.append("    if bad.any():")
            lines.append("        r = int(_np.argmax(bad))")
            lines.append(f"        raise RangeViolation({inst.index}, int(idx[r]), {fid}, int(v[r]))")
        lo = ftype.lo if isinstance(ftype, IntT) else 0
        code = f"(v - {lo})" if lo else "v"
        clear = (~(slot.mask << slot.shift)) & ((1 << 64) - 1)
        lines.append(
            f"    out[:, {slot.word}] = (out[:, {slot.word}] & _U({clear})) | "
            f"({code}.astype(_np.uint64) << _U({slot.shift}))"
        )
    lines.append("    return idx, out")
    lines.append("")
    return lines
