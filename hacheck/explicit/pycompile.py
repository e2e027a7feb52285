"""Compile a model's expression trees to plain Python source for one state at a time.

The numpy compiler (:mod:`hacheck.explicit.compile`) wins on whole BFS frontiers, but a random walk
steps one state at a time, where numpy's per-call overhead dominates. This emitter turns the same
trees into ordinary Python functions over a state given as a tuple of field codes (as in
:mod:`hacheck.lang.interp`, the reference semantics both compilers are tested against):

- ``enabled(s)``: the indices of the enabled action instances, ascending (one function, every guard
  inlined, the fields unpacked into locals once);
- ``guards[i](s)`` and ``applies[i](s)``: one instance's guard and successor;
- ``predicates[name](s)``: each property's state predicate (``name#target`` for a leads-to response).

``and``/``or`` short-circuit, so a guard stops at its first false conjunct. Subtrees shared inside one
expression (quantifiers are expanded into DAGs) are computed once into a local when they are large.
An update that may leave its field's declared range is checked and raises
:class:`hacheck.explicit.compile.RangeViolation`, like the numpy code.
"""

from __future__ import annotations

import linecache
from typing import Callable

import attrs

from ..lang.errors import ModelError
from ..lang.expr import Arith, Const, Expr, Field
from ..lang.model import ActionInstance, Model
from ..lang.types import BoolT, IntT
from ..lang.emit import SharingEmitter
from .compile import RangeViolation

State = tuple[int, ...]

HOIST_MIN_SIZE = 4  # shared subtrees at least this big are computed once into a local


class _PyEmitter(SharingEmitter):
    """Expression -> Python expression text over local names; hoists large shared subtrees."""

    def __init__(self, col: Callable[[int], str], prefix: str):
        super().__init__(col, prefix)
        self.size: dict[int, int] = {}
        self.fields: set[int] = set()

    def _size(self, e: Expr) -> int:
        k = id(e)
        if k not in self.size:
            # iterative post-order to stay clear of the recursion limit on deep trees
            stack: list[tuple[Expr, bool]] = [(e, False)]
            while stack:
                n, done = stack.pop()
                nk = id(n)
                if nk in self.size:
                    continue
                kids = n.children()
                if done or not kids:
                    self.size[nk] = 1 + sum(self.size[id(c)] for c in kids)
                else:
                    stack.append((n, True))
                    stack.extend((c, False) for c in kids if id(c) not in self.size)
        return self.size[k]

    def worth_hoisting(self, e: Expr) -> bool:
        return self._size(e) >= HOIST_MIN_SIZE

    NOT, AND, OR = "(not {})", " and ", " or "
    ITE = "({t} if {c} else {f})"
    TRUE, FALSE = "True", "False"

    def field(self, e: Field) -> str:
        self.fields.add(e.index)
        return self.col(e.index)

    def arith(self, e: Arith, a: str, b: str) -> str:
        if e.op in ("min", "max"):
            return f"{e.op}({a}, {b})"
        return f"({a} {e.op} {b})"

    def unsupported(self, e: Expr) -> Exception:
        return ModelError(f"cannot compile {type(e).__name__}")


def _field_text(model: Model, base: Callable[[int], str]) -> Callable[[int], str]:
    def col(i: int) -> str:
        t = model.fields[i].type
        if isinstance(t, IntT) and t.lo != 0:
            return f"({base(i)} + {t.lo})"
        return base(i)

    return col


@attrs.frozen(eq=False)
class PyCompiled:
    model: Model
    enabled: Callable[[State], list[int]]
    guards: tuple[Callable[[State], bool], ...]
    applies: tuple[Callable[[State], State], ...]
    predicates: dict[str, Callable[[State], bool]]
    guard_reads: tuple[frozenset[int], ...]  # fields each guard reads
    writes: tuple[tuple[int, ...], ...]  # fields each instance assigns
    source: str

    def successors(self, s: State) -> list[tuple[int, State]]:
        """Every (instance, successor) of ``s``, as :func:`hacheck.lang.interp.successors` gives them."""
        return [(i, self.applies[i](s)) for i in self.enabled(s)]


def compile_python(model: Model, extra_predicates: dict[str, Expr] | None = None) -> PyCompiled:
    """Compile ``model`` (and any extra named predicates) to Python functions over one state; from
    the start-up cache (:mod:`hacheck.explicit.codecache`) when an intact entry for it is there."""
    from . import codecache

    key = codecache.code_key(model, "python", extra_predicates) if codecache.COMPILED.folder() is not None else None
    doc, _status = codecache.load_code(key)
    if doc is not None:
        got = _from_cache(model, doc, extra_predicates)
        if got is not None:
            return got
    text, code, reads, pred_names = _generate(model, extra_predicates)
    if key is not None:
        codecache.store_code(key, {"text": text, "code": code, "reads": [sorted(r) for r in reads], "names": pred_names})
    return _assemble(model, text, code, reads, pred_names)


def _predicates(model: Model, extra_predicates: dict[str, Expr] | None) -> dict[str, Expr]:
    preds: dict[str, Expr] = {name: p.expr for name, p in model.properties.items()}
    for name, p in model.properties.items():
        if p.target is not None:
            preds[name + "#target"] = p.target
    for name, lm in getattr(model, "lemmas", {}).items():  # stated lemmas: check evaluates them on every state
        preds[name] = lm.expr
    preds.update(extra_predicates or {})
    return preds


def _from_cache(model: Model, doc: dict, extra_predicates: dict[str, Expr] | None) -> PyCompiled | None:
    """The cached module, if it defines what this model needs (else None: compile afresh)."""
    try:
        text, code, reads, names = doc["text"], doc["code"], doc["reads"], doc["names"]
        if (type(code).__name__ != "code" or not isinstance(text, str) or len(reads) != len(model.instances)
                or list(names) != list(_predicates(model, extra_predicates))):
            return None
        got = _assemble(model, text, code, [frozenset(r) for r in reads], names)
        linecache.cache[f"<hacheck-pycompiled {model.name}>"] = (len(text), None, text.splitlines(True),
                                                                f"<hacheck-pycompiled {model.name}>")
        return got
    except (KeyError, TypeError, ValueError, NameError, SyntaxError):
        return None


def _generate(model: Model, extra_predicates: dict[str, Expr] | None
              ) -> tuple[str, object, list[frozenset[int]], dict[str, str]]:
    """The module's source and code, the fields each guard reads, predicate -> function name."""
    n = len(model.fields)
    src: list[str] = []
    local = _field_text(model, lambda i: f"f{i}")
    indexed = _field_text(model, lambda i: f"s[{i}]")

    # enabled(s): every guard inline over locals f0..fn
    src.append("def enabled(s):")
    if n == 1:
        src.append("    f0, = s")
    else:
        src.append("    " + ", ".join(f"f{i}" for i in range(n)) + " = s")
    src.append("    out = []")
    src.append("    add = out.append")
    reads: list[frozenset[int]] = []
    for inst in model.instances:
        em = _PyEmitter(local, f"g{inst.index}_")
        em.prepare([inst.guard])
        g = em.emit(inst.guard)
        reads.append(frozenset(em.fields))
        src += ["    " + ln for ln in em.lines]
        if g == "True":
            src.append(f"    add({inst.index})")
        elif g != "False":
            src.append(f"    if {g}:")
            src.append(f"        add({inst.index})")
    src.append("    return out")
    src.append("")

    for inst in model.instances:
        src += _guard_source(inst, indexed)
        src += _apply_source(model, inst, indexed)

    pred_names: dict[str, str] = {}
    for k, (name, e) in enumerate(_predicates(model, extra_predicates).items()):
        fname = f"pred_{k}"
        pred_names[name] = fname
        em = _PyEmitter(indexed, "t")
        em.prepare([e])
        body = em.emit(e)
        src.append(f"def {fname}(s):")
        src += ["    " + ln for ln in em.lines]
        src.append(f"    return bool({body})")
        src.append("")

    text = "\n".join(src) + "\n"
    filename = f"<hacheck-pycompiled {model.name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    try:
        code = compile(text, filename, "exec")
    except (RecursionError, MemoryError, SyntaxError) as e:  # pragma: no cover - absurdly deep expressions
        raise ModelError(f"model {model.name}: expressions too deep to compile to Python ({type(e).__name__})",
                         location="") from None
    return text, code, reads, pred_names


def _assemble(model: Model, text: str, code: object, reads: list[frozenset[int]], pred_names: dict[str, str]) -> PyCompiled:
    ns: dict[str, object] = {"RangeViolation": RangeViolation}
    exec(code, ns)  # type: ignore[arg-type]
    return PyCompiled(
        model=model,
        enabled=ns["enabled"],  # type: ignore[arg-type]
        guards=tuple(ns[f"guard_{i.index}"] for i in model.instances),  # type: ignore[misc]
        applies=tuple(ns[f"apply_{i.index}"] for i in model.instances),  # type: ignore[misc]
        predicates={name: ns[f] for name, f in pred_names.items()},  # type: ignore[misc]
        guard_reads=tuple(reads),
        writes=tuple(tuple(fid for fid, _ in i.updates) for i in model.instances),
        source=text,
    )


def _guard_source(inst: ActionInstance, col: Callable[[int], str]) -> list[str]:
    em = _PyEmitter(col, "t")
    em.prepare([inst.guard])
    g = em.emit(inst.guard)
    lines = [f"def guard_{inst.index}(s):", f"    # {inst.label}"]
    lines += ["    " + ln for ln in em.lines]
    lines.append(f"    return bool({g})")
    lines.append("")
    return lines


def _apply_source(model: Model, inst: ActionInstance, col: Callable[[int], str]) -> list[str]:
    em = _PyEmitter(col, "t")
    em.prepare([ex for _, ex in inst.updates])
    values = [(fid, em.emit(ex), ex) for fid, ex in inst.updates]
    lines = [f"def apply_{inst.index}(s):", f"    # {inst.label}"]
    lines += ["    " + ln for ln in em.lines]
    lines.append("    l = list(s)")
    for fid, v, ex in values:
        ftype = model.fields[fid].type
        if isinstance(ftype, BoolT):
            if not isinstance(ex, (Const, Field)):
                v = f"(1 if {v} else 0)"
            elif isinstance(ex, Const):
                v = "1" if ex.value else "0"
            lines.append(f"    l[{fid}] = {v}")
            continue
        lo = ftype.lo if isinstance(ftype, IntT) else 0
        if fid in inst.range_checked:
            hi = ftype.hi if isinstance(ftype, IntT) else ftype.size() - 1
            lines.append(f"    v = {v}")
            lines.append(f"    if v < {lo} or v > {hi}:")
            lines.append(f"        raise RangeViolation({inst.index}, -1, {fid}, v)")
            v = "v"
        lines.append(f"    l[{fid}] = {v} - {lo}" if lo else f"    l[{fid}] = {v}")
    lines.append("    return tuple(l)")
    lines.append("")
    return lines
