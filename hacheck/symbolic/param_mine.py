"""Candidate invariants for every size, generalised from small instances' reachable states.

The approach of DistAI/DuoAI/mypyvy: enumerate the reachable states of the model with 1, 2, 3
hosts (the explicit engine), and keep every clause ``forall X1 != X2 ... : l1 | l2 | l3`` over
atoms about the variables (``run[H1]``, ``vm[H1] == 'up_good'``, ``lease == H2``, ``lease ==
None``) that is true in every reachable state of every small instance, for every assignment of
distinct elements to the variables. Only minimal clauses are kept (none of their sub-clauses is
itself true). These are only candidates: Houdini (``param.py``) keeps those the quantified z3
encoding proves inductive for every size together.

Validity of all clauses of two or three literals is computed at once as matrix products over the
samples (a clause is true iff no sample falsifies all its literals).
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from ..explicit.search import Explorer
from ..lang.errors import ModelError
from ..lang.model import Model
from .param_lift import Lifter, ParamModel

MAX_ENUM = 8  # an Int or Enum with more values than this gets no equality atoms
MAX_TRIPLE_ATOMS = 48  # clauses of three literals only when a signature has at most this many atoms


def reachable_values(model: Model, cap: int) -> tuple[np.ndarray, bool]:
    """Every reachable state (up to ``cap``) as natural values, one row per state; True if complete."""
    ex = Explorer(model, symmetry=False)
    rows = ex.initial_rows()
    seen = set(ex.layout.keys(rows).tolist())
    found, frontier, total = [rows], rows, len(rows)
    complete = True
    while len(frontier):
        if total >= cap:
            complete = False
            break
        succ, _p, _a, n = ex.expand(frontier)  # type: ignore[misc]
        if n == 0:
            break
        keys = ex.layout.keys(succ)
        _, first = np.unique(keys, return_index=True)
        new = [i for i in first if keys[i].item() not in seen][: cap - total]
        seen.update(keys[new].tolist())
        frontier = succ[new]
        found.append(frontier)
        total += len(frontier)
    cols = ex.compiled.unpack(np.concatenate(found))
    return np.stack([np.asarray(c, dtype=np.int64) for c in cols], axis=1), complete


def signatures(sorts: Sequence[str], per_sort: int = 2, total: int = 3) -> list[tuple[tuple[str, str], ...]]:
    """Variable lists to mine clauses over: up to ``per_sort`` variables of a sort, ``total`` in all."""
    out = []
    for counts in itertools.product(range(per_sort + 1), repeat=len(sorts)):
        if sum(counts) > total:
            continue
        vars_ = []
        for s, k in zip(sorts, counts):
            vars_ += [(f"{s[0].upper()}{i + 1}", s) for i in range(k)]
        out.append(tuple(vars_))
    return sorted(out, key=len)


def atoms(pm: ParamModel, sig: tuple[tuple[str, str], ...]) -> list[tuple]:
    """Atomic formulas (lifted nodes) over the signature's variables."""
    out: list[tuple] = []
    names_of = {s: [v for v, vs in sig if vs == s] for s in pm.sorts}
    for f in pm.families:
        choices = [names_of[s] for s in f.arg_sorts]
        for args in itertools.product(*choices):
            app = ("app", f.name, tuple(args))
            t = f.type
            if t[0] == "Bool":
                out.append(app)
            elif t[0] == "Elem":
                out += [("cmp", "==", app, ("var", v)) for v in names_of[t[1]]]
                if t[2]:
                    out.append(("cmp", "==", app, ("none", t[1])))
            else:
                vals = (range(t[1], t[2] + 1) if t[0] == "Int" else range(len(t[1])) if t[0] == "Enum"
                        else range(len(t[2]) + (1 if t[3] else 0)))
                if len(vals) <= MAX_ENUM:
                    out += [("cmp", "==", app, ("int", v)) for v in (list(vals)[:1] if len(vals) == 2 else vals)]
    return out


def atom_columns(model: Model, lifter: Lifter, values: np.ndarray, sig: tuple[tuple[str, str], ...],
                 atom_list: list[tuple], pm: ParamModel) -> np.ndarray:
    """Boolean samples x atoms: every reachable state under every assignment of distinct elements."""
    lookup: dict[str, dict[tuple[int, ...], int]] = {}
    for fid, (fam, args) in lifter.field_fam.items():
        lookup.setdefault(fam, {})[tuple(a.index for a in args)] = fid
    none_code = {s: len(model.sorts[s]) for s in pm.sorts}
    pools = []
    for _, s in sig:
        pools.append(range(len(model.sorts[s])))
    blocks = []
    for combo in itertools.product(*pools):
        if any(combo[i] == combo[j] for i, j in itertools.combinations(range(len(sig)), 2) if sig[i][1] == sig[j][1]):
            continue
        el = {v: c for (v, _), c in zip(sig, combo)}
        cols = []
        for a in atom_list:
            app = a if a[0] == "app" else a[2]
            col = values[:, lookup[app[1]][tuple(el[x] for x in app[2])]]
            if a[0] == "app":
                cols.append(col != 0)
                continue
            rhs = a[3]
            target = el[rhs[1]] if rhs[0] == "var" else none_code[rhs[1]] if rhs[0] == "none" else rhs[1]
            cols.append(col == target)
        blocks.append(np.stack(cols, axis=1) if cols else np.zeros((len(values), 0), dtype=bool))
    if not blocks:
        return np.zeros((0, len(atom_list)), dtype=bool)
    return np.concatenate(blocks)


def vars_of(n: tuple) -> frozenset[str]:
    if n[0] == "var":
        return frozenset({n[1]})
    if n[0] == "app":
        return frozenset(n[2])
    out: frozenset[str] = frozenset()
    for c in n[1:]:
        if isinstance(c, tuple) and c and isinstance(c[0], str):
            out |= vars_of(c)
    return out


def mine(pm: ParamModel, samples: list[tuple[Model, Lifter, np.ndarray]], max_clauses: int = 4000,
         per_sort: int = 2, total: int = 3) -> list[tuple]:
    """Minimal clauses true in every sample, as lifted formulas ``forall vars: clause``."""
    out: list[tuple] = []
    for sig in signatures(pm.sorts, per_sort, total):
        alist = atoms(pm, sig)
        if not alist:
            continue
        mats = [atom_columns(m, lf, vals, sig, alist, pm) for m, lf, vals in samples]
        mats = [x for x in mats if len(x)]
        if not mats:
            continue
        A = np.unique(np.concatenate(mats), axis=0)
        K = len(alist)
        F = np.concatenate([~A, A], axis=1).astype(np.float32)  # literal l false in sample
        lits = [(a, True) for a in alist] + [(a, False) for a in alist]
        lvars = [vars_of(a) for a in alist] * 2
        need = frozenset(v for v, _ in sig)
        unit = F.sum(axis=0) == 0
        clauses: list[tuple[int, ...]] = [(i,) for i in range(2 * K) if unit[i]]
        C2 = F.T @ F
        pair_ok = np.zeros((2 * K, 2 * K), dtype=bool)
        for i in range(2 * K):
            if unit[i]:
                continue
            for j in range(i + 1, 2 * K):
                if unit[j] or j == i + K or C2[i, j] != 0:
                    continue
                pair_ok[i, j] = pair_ok[j, i] = True
                clauses.append((i, j))
        if K <= MAX_TRIPLE_ATOMS:
            for i in range(2 * K):
                if unit[i]:
                    continue
                C3 = (F * F[:, i:i + 1]).T @ F
                for j in range(i + 1, 2 * K):
                    if unit[j] or pair_ok[i, j] or j % K == i % K:
                        continue
                    for k in range(j + 1, 2 * K):
                        if (unit[k] or pair_ok[i, k] or pair_ok[j, k] or k % K == i % K or k % K == j % K
                                or C3[j, k] != 0):
                            continue
                        clauses.append((i, j, k))
        for cl in clauses:
            if frozenset().union(*(lvars[i] for i in cl)) != need:
                continue  # belongs to a smaller signature
            body = tuple(lits[i][0] if lits[i][1] else ("not", lits[i][0]) for i in cl)
            node = body[0] if len(body) == 1 else ("or", body)
            out.append(("forall", sig, (), node) if sig else node)
            if len(out) >= max_clauses:
                return out
    return out


def values_model(model: Model, cap: int) -> np.ndarray:
    try:
        vals, _ = reachable_values(model, cap)
    except Exception as e:  # noqa: BLE001 - a range error found here is the model's, reported by check
        raise ModelError(f"while enumerating states: {e}", location="") from None
    return vals


def initial_values(model: Model) -> np.ndarray:
    """The initial states as natural values, one row per state."""
    ex = Explorer(model, symmetry=False)
    cols = ex.compiled.unpack(ex.initial_rows())
    return np.stack([np.asarray(c, dtype=np.int64) for c in cols], axis=1)


def clause_holds(node: tuple, pm: ParamModel, model: Model, lifter: Lifter, values: np.ndarray) -> bool:
    """Whether a mined clause is true in every given state of this instance."""
    sig, body = (node[1], node[3]) if node[0] == "forall" else ((), node)
    lits = body[1] if body[0] == "or" else (body,)
    alist = [lit[1] if lit[0] == "not" else lit for lit in lits]
    mat = atom_columns(model, lifter, values, sig, alist, pm)
    if not len(mat):
        return True
    truth = np.stack([~mat[:, i] if lit[0] == "not" else mat[:, i] for i, lit in enumerate(lits)], axis=1)
    return bool(truth.any(axis=1).all())
