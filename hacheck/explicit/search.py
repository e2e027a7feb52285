"""Breadth-first search over whole frontiers of packed states.

Every level is expanded with the compiled action functions, de-duplicated in bulk against the
sorted visited keys, and checked against the properties. Parent links (an index and an action per
state) make every counterexample a shortest one. Bounds end the run with ``unknown``.
"""

from __future__ import annotations

import bisect
import time
from typing import Callable, Iterable

import attrs
import numpy as np

from ..failsafe import interrupted
from ..lang.errors import HacheckError
from ..lang.model import Model
from ..lang.props import Property
from ..result import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult, Stats, fmt_int
from ..render.lanes import lanes_of_model
from ..trace import Step, Trace
from .compile import Compiled, RangeViolation, compile_model
from .symmetry import Symmetry

ProgressFn = Callable[[dict[str, float]], None]
EXPAND_CHUNK = 131_072  # frontier rows expanded at a time (the deadline and progress are checked between chunks)


class ModelRangeError(HacheckError):
    """An action drove a field out of its declared range; carries the trace that got there."""

    def __init__(self, message: str, trace: Trace):
        super().__init__(message)
        self.trace = trace


@attrs.define
class Bounds:
    max_states: int | None = None
    max_seconds: float | None = None
    max_depth: int | None = None


@attrs.define
class StateStore:
    """All states in BFS order (by level) with parent index and the action instance that led there."""

    levels: list[np.ndarray] = attrs.field(factory=list)  # packed rows per level
    parents: list[np.ndarray] = attrs.field(factory=list)
    actions: list[np.ndarray] = attrs.field(factory=list)
    offsets: list[int] = attrs.field(factory=lambda: [0])

    def add(self, rows: np.ndarray, parents: np.ndarray, actions: np.ndarray) -> int:
        base = self.offsets[-1]
        self.levels.append(rows)
        self.parents.append(parents.astype(np.int64, copy=False))
        self.actions.append(actions.astype(np.int32, copy=False))
        self.offsets.append(base + len(rows))
        return base

    @property
    def count(self) -> int:
        return self.offsets[-1]

    def locate(self, gid: int) -> tuple[int, int]:
        lvl = bisect.bisect_right(self.offsets, gid) - 1
        return lvl, gid - self.offsets[lvl]

    def row(self, gid: int) -> np.ndarray:
        lvl, off = self.locate(gid)
        return self.levels[lvl][off]

    def path(self, gid: int) -> list[tuple[int, int]]:
        """(state id, action instance that reached it or -1) from an initial state to gid."""
        out = []
        while gid >= 0:
            lvl, off = self.locate(gid)
            out.append((gid, int(self.actions[lvl][off])))
            gid = int(self.parents[lvl][off])
        return out[::-1]

    def nbytes(self) -> int:
        return sum(a.nbytes for group in (self.levels, self.parents, self.actions) for a in group)


@attrs.define
class StateGraph:
    """The explored state graph: states by id (BFS order) and every transition."""

    store: StateStore
    src: np.ndarray
    dst: np.ndarray
    act: np.ndarray
    complete: bool

    @classmethod
    def of(cls, store: StateStore, edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]], complete: bool) -> "StateGraph":
        if edges:
            src, dst, act = (np.concatenate([e[i] for e in edges]) for i in range(3))
        else:
            src = dst = act = np.zeros(0, dtype=np.int32)
        return cls(store, src, dst, act, complete)

    @property
    def states(self) -> int:
        return self.store.count


class Explorer:
    """Explicit-state exploration of one model instance."""

    def __init__(self, model: Model, compiled: Compiled | None = None, symmetry: bool = True):
        self.model = model
        self.compiled = compiled or compile_model(model)
        self.layout = self.compiled.layout
        self.symmetry = Symmetry.of(self.compiled) if symmetry else None
        self._validated = False

    def canon(self, rows: np.ndarray) -> np.ndarray:
        return self.symmetry.canonical(rows) if self.symmetry is not None else rows

    # -- decoding ------------------------------------------------------------------------------
    def codes(self, row: np.ndarray) -> tuple[int, ...]:
        return self.layout.unpack([int(w) for w in row])

    def trace_to(self, store: StateStore, gid: int, prop: str | None, kind: str) -> Trace:
        rows, acts = self.concrete_path(store, gid)
        states = tuple(self.model.decode(self.codes(r)) for r in rows)
        steps = tuple(self.step(a) for a in acts)
        return self.make_trace(states, steps, prop, kind)

    def concrete_path(self, store: StateStore, gid: int) -> tuple[list[np.ndarray], list[int]]:
        """Rows and action instances from an initial state to ``gid``. Under symmetry the stored
        states are orbit representatives; the path is replayed to real successors step by step."""
        path = store.path(gid)
        rows = [store.row(sid) for sid, _ in path]
        acts = [a for _, a in path[1:]]
        if self.symmetry is None:
            return rows, acts
        concrete = [rows[0]]
        cacts = []
        for target in rows[1:]:
            cur = concrete[-1][None, :]
            succ, _par, act, _n = self.expand(cur)  # type: ignore[misc]
            keys = self.layout.keys(self.canon(succ))
            want = self.layout.keys(target[None, :])[0]
            i = int(np.flatnonzero(keys == want)[0])
            concrete.append(succ[i])
            cacts.append(int(act[i]))
        return concrete, cacts

    def step(self, instance: int) -> Step:
        inst = self.model.instances[instance]
        return Step(inst.action, inst.params, inst.kind, inst.tick)

    def make_trace(self, states: tuple[dict, ...], steps: tuple[Step, ...], prop: str | None, kind: str,
                   loop: int | None = None, note: str = "", fairness: tuple[str, ...] = ()) -> Trace:
        return Trace(
            model=self.model.name, vars=tuple(self.model.variables), states=states, steps=steps,
            loop=loop, property_name=prop, kind=kind, params=params_dict(self.model),
            var_types={n: str(v.type) for n, v in self.model.variables.items()}, note=note, fairness=fairness,
            lanes=lanes_of_model(self.model), tick_seconds=self.model.tick_seconds,
        )

    # -- search --------------------------------------------------------------------------------
    def initial_rows(self) -> np.ndarray:
        init = self.model.init_states()
        if not init:
            raise HacheckError(f"model {self.model.name} has no initial state (its init constraints exclude every one)")
        return self.layout.pack_many(init)

    def expand(self, rows: np.ndarray, cols: list[np.ndarray] | None = None,
               deadline: float | None = None, tick: Callable[[int], None] | None = None,
               chunk: int = EXPAND_CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
        """All successors of ``rows``: (successor rows, row index of parent, action instance, count),
        ordered by action, then parent.

        A large frontier is expanded ``chunk`` rows at a time, so that the deadline is checked (and
        ``tick(rows done)`` called, for the progress line) within a BFS level, not only between
        levels. Returns None if the deadline passed before every action was applied.
        """
        n = len(rows)
        if cols is None and n <= chunk:
            cols = self.compiled.unpack(rows)
        per_action: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in self.compiled.actions]
        for start in range(0, max(n, 1), chunk):
            part = rows[start:start + chunk] if n > chunk else rows
            pcols = cols if n <= chunk else self.compiled.unpack(part)
            for i, fn in enumerate(self.compiled.actions):
                if deadline is not None and time.monotonic() > deadline:
                    return None
                if interrupted():
                    raise KeyboardInterrupt
                r = fn(pcols, part, len(part))
                if r is None:
                    continue
                idx, out = r
                per_action[i].append((idx + start, out))
            if tick is not None and n > chunk:
                tick(min(n, start + chunk))
        outs, parents, acts = [], [], []
        for i, got in enumerate(per_action):
            for idx, out in got:
                outs.append(out)
                parents.append(idx)
                acts.append(np.full(len(idx), i, dtype=np.int32))
        if not outs:
            empty = np.zeros((0, self.layout.words), dtype=np.uint64)
            return empty, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), 0
        succ = np.concatenate(outs)
        return succ, np.concatenate(parents), np.concatenate(acts), len(succ)

    def run(self, properties: Iterable[Property] | None = None, bounds: Bounds | None = None,
            progress: ProgressFn | None = None, record_edges: bool = False) -> CheckResult:
        """Explore and check safety properties. With ``record_edges`` every transition is kept as
        (source id, target id, action instance) in ``self.graph`` for the liveness engine."""
        model = self.model
        if record_edges and self.symmetry is not None:
            raise HacheckError("the state graph for liveness is built without symmetry reduction")
        props = list(properties) if properties is not None else list(model.properties.values())
        props = [p for p in props if p.is_safety]
        bounds = bounds or Bounds()
        t0 = time.monotonic()
        deadline = t0 + bounds.max_seconds if bounds.max_seconds is not None else None
        store = StateStore()
        found: dict[str, int] = {}  # property -> state id (violation or witness)
        transitions = 0
        depth = 0
        stop_reason = ""
        last_progress = t0

        if self.symmetry is not None and not self._validated:
            self.symmetry.validate(props)
            self._validated = True
        rows = self.canon(self.initial_rows())
        keys = self.layout.keys(rows)
        ukeys, first = np.unique(keys, return_index=True)
        first.sort()
        rows = rows[first]
        n_init = len(rows)
        if bounds.max_states is not None and n_init > bounds.max_states:
            rows = rows[: bounds.max_states]
            stop_reason = f"stopped at {fmt_int(bounds.max_states)} states (--max-states)"
        order = np.argsort(self.layout.keys(rows), kind="stable")
        visited = self.layout.keys(rows)[order]
        vids = order.astype(np.int64)  # state id of each visited key (kept only for edges)
        base = store.add(rows, np.full(len(rows), -1), np.full(len(rows), -1))
        frontier_base = base
        edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        growth = 0.0  # states of the last level / states of the one before (for the progress estimate)

        def check(rows: np.ndarray, cols: list[np.ndarray], base: int) -> None:
            for p in props:
                if p.name in found:
                    continue
                mask = self.compiled.mask(p.name, cols, len(rows))
                hit = ~mask if p.kind == "invariant" else mask
                if hit.any():
                    found[p.name] = base + int(np.argmax(hit))

        try:
            cols = self.compiled.unpack(rows)
            check(rows, cols, base)
            while len(rows) and not stop_reason:
                if interrupted():  # the signal's exception may have been swallowed (numpy clears some errors)
                    raise KeyboardInterrupt
                if props and len(found) == len(props) and not record_edges:
                    stop_reason = "every property decided"
                    break
                if bounds.max_depth is not None and depth >= bounds.max_depth:
                    stop_reason = f"bounded to depth {bounds.max_depth} (--max-depth)"
                    break
                def tick(done: int, depth: int = depth, level: int = len(rows)) -> None:
                    nonlocal last_progress
                    now = time.monotonic()
                    if progress is not None and now - last_progress >= 0.5:
                        last_progress = now
                        progress({"states": store.count, "depth": depth, "queue": level - done, "seconds": now - t0,
                                  "transitions": transitions, "level_done": done / max(1, level),
                                  "growth": growth, "peak_rss": peak_rss_bytes()})

                try:
                    got = self.expand(rows, cols, deadline, tick)
                except RangeViolation as rv:
                    raise self._range_error(store, frontier_base + rv.row, rv) from None
                if got is None:
                    stop_reason = f"stopped after {bounds.max_seconds:g} s (--max-seconds)"
                    break
                succ, par, act, nsucc = got
                transitions += nsucc
                if nsucc == 0:
                    break
                succ = self.canon(succ)
                skeys = self.layout.keys(succ)
                if record_edges:
                    uk, first, inv = np.unique(skeys, return_index=True, return_inverse=True)
                else:
                    uk, first = np.unique(skeys, return_index=True)
                pos = np.searchsorted(visited, uk)
                inside = pos < len(visited)
                is_old = np.zeros(len(uk), dtype=bool)
                is_old[inside] = visited[pos[inside]] == uk[inside]
                if record_edges:  # the id of every distinct successor: old ones from vids, new ones below
                    uid = np.full(len(uk), -1, dtype=np.int64)
                    uid[is_old] = vids[pos[is_old]]
                new_first = np.sort(first[~is_old])  # BFS order: by action, then parent
                if bounds.max_states is not None and store.count + len(new_first) > bounds.max_states:
                    new_first = new_first[: max(0, bounds.max_states - store.count)]
                    stop_reason = f"stopped at {fmt_int(bounds.max_states)} states (--max-states)"
                if len(new_first) == 0:
                    if record_edges:
                        edges.append(self._edges_by_id(uid, inv, par + frontier_base, act))
                    if not stop_reason:
                        break
                    continue
                new_rows = succ[new_first]
                new_keys = self.layout.keys(new_rows)
                order = np.argsort(new_keys, kind="stable")
                new_keys = new_keys[order]
                at = np.searchsorted(visited, new_keys)
                visited = np.insert(visited, at, new_keys)
                parent_base = frontier_base
                frontier_base = store.add(new_rows, par[new_first] + frontier_base, act[new_first])
                if record_edges:
                    vids = np.insert(vids, at, order.astype(np.int64) + frontier_base)
                    new_u = np.flatnonzero(~is_old)
                    rank = np.full(len(skeys), -1, dtype=np.int64)  # successor row -> new state id
                    rank[new_first] = np.arange(len(new_first)) + frontier_base
                    uid[new_u] = rank[first[new_u]]  # -1 for new states cut by --max-states
                    edges.append(self._edges_by_id(uid, inv, par + parent_base, act))
                growth = len(new_rows) / max(1, len(rows))
                rows = new_rows
                depth += 1
                cols = self.compiled.unpack(rows)
                check(rows, cols, frontier_base)
                now = time.monotonic()
                if progress is not None and now - last_progress >= 0.5:
                    last_progress = now
                    progress({"states": store.count, "depth": depth, "queue": len(rows),
                              "seconds": now - t0, "transitions": transitions, "growth": growth,
                              "peak_rss": peak_rss_bytes()})
                if deadline is not None and now > deadline and len(rows):
                    stop_reason = f"stopped after {bounds.max_seconds:g} s (--max-seconds)"
        except KeyboardInterrupt as e:  # Ctrl-C or SIGTERM (hacheck/failsafe.py): stop, verdicts unknown
            from ..failsafe import how

            stop_reason = f"interrupted ({how(e)})"
        except MemoryError:
            raise HacheckError(
                f"out of memory after {fmt_int(store.count)} states: the state space of {model.name} does not "
                "fit; lower the bounds (--param), or use --max-states to explore part of it"
            ) from None

        if record_edges:
            self.graph = StateGraph.of(store, edges, complete=not stop_reason)
        seconds = time.monotonic() - t0
        complete = not stop_reason or stop_reason == "every property decided"
        exhausted = not stop_reason
        nbytes = store.nbytes() + visited.nbytes
        stats = Stats(
            states=store.count, transitions=transitions, depth=depth, seconds=seconds,
            initial_states=n_init, bytes_per_state=nbytes / max(1, store.count), peak_rss_bytes=peak_rss_bytes(),
            complete=exhausted,
            stop_reason=stop_reason, symmetry=self.symmetry.describe() if self.symmetry else "",
        )
        results = []
        for p in props:
            results.append(self._verdict(p, found.get(p.name), store, stats, exhausted, complete))
        return CheckResult(model.name, params_dict(model), tuple(results), stats)

    @staticmethod
    def _edges_by_id(uid: np.ndarray, inv: np.ndarray, src: np.ndarray,
                     act: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dst = uid[inv.reshape(-1)]
        known = dst >= 0  # a bounded search leaves some unstored
        return src[known].astype(np.int32), dst[known].astype(np.int32), act[known].astype(np.int32)

    @staticmethod
    def _edges(visited: np.ndarray, vids: np.ndarray, skeys: np.ndarray, src: np.ndarray,
               act: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.searchsorted(visited, skeys)
        known = pos < len(visited)
        known[known] = visited[pos[known]] == skeys[known]  # a bounded search leaves some unstored
        dst = vids[pos[known]]
        return src[known].astype(np.int32), dst.astype(np.int32), act[known].astype(np.int32)

    def _verdict(self, p: Property, gid: int | None, store: StateStore, stats: Stats, exhausted: bool,
                 complete: bool) -> PropertyResult:
        n = fmt_int(stats.states) + (" states up to symmetry" if stats.symmetry else " states")
        if gid is not None:
            kind = "counterexample" if p.kind == "invariant" else "witness"
            trace = self.trace_to(store, gid, p.name, kind)
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, VIOLATED, "bfs", "explicit",
                                      f"{_steps(trace.length)}, shortest", stats, trace)
            return PropertyResult(p.name, p.kind, HOLDS, "witness", "explicit",
                                  f"witness in {_steps(trace.length)}, shortest", stats, trace)
        if exhausted:
            if p.kind == "invariant":
                return PropertyResult(p.name, p.kind, HOLDS, "exhaustive", "explicit",
                                      f"exhaustive, {n}", stats)
            return PropertyResult(p.name, p.kind, VIOLATED, "exhaustive", "explicit",
                                  f"exhaustive: no reachable state satisfies it, {n}", stats)
        reason = stats.stop_reason or "search stopped"
        if "depth" in reason:
            why = f"{reason}, {n}; no violation within that depth"
        else:
            why = f"{reason}; {n} explored, no violation among them"
        if p.kind == "reachable":
            why = why.replace("no violation", "no witness")
        return PropertyResult(p.name, p.kind, UNKNOWN, "bounded", "explicit", why, stats)

    def _range_error(self, store: StateStore, gid: int, rv: RangeViolation) -> ModelRangeError:
        trace = self.trace_to(store, gid, None, "range error")
        inst = self.model.instances[rv.instance]
        f = self.model.fields[rv.field]
        msg = (f"model error: action {inst.label} sets {f.name} to {rv.value}, outside its declared type {f.type} "
               f"(reached after {trace.length} steps)")
        return ModelRangeError(msg, trace)


def peak_rss_bytes() -> int:
    """The process's peak resident set so far (Linux reports it in KiB): what the run really needed,
    interpreter and libraries included, next to the bytes the state store holds per state."""
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _steps(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def params_dict(model: Model) -> dict[str, object]:
    p = model.params
    out: dict[str, object] = {} if p is None else {a.name: getattr(p, a.name) for a in attrs.fields(type(p))}
    if out.get("availability") is False:  # the availability-only repair steps, off: nothing to say (docs/availability.md)
        del out["availability"]
    if model.fault_kinds is not None:
        out["faults"] = ",".join(model.fault_kinds)
    return out


def check(model: Model, properties: Iterable[Property] | None = None, bounds: Bounds | None = None,
          progress: ProgressFn | None = None, symmetry: bool = True) -> CheckResult:
    return Explorer(model, symmetry=symmetry).run(properties, bounds, progress)
