"""Breadth-first search over whole frontiers of packed states.

Every level is expanded with the compiled action functions, de-duplicated in bulk against the
sorted visited keys, and checked against the properties. Parent links (an index and an action per
state) make every counterexample a shortest one. Bounds end the run with ``unknown``.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator

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
from .native import NATIVE_AFTER, NATIVE_LOOKUP, Native, NativeBuild, native_mode, served_by

SHARED_SPENT: dict[str, float] = {}  # library key -> seconds the searches of its model's restrictions ran (this process)
from .store import StateStore
from .symmetry import Symmetry
from .visited import HashVisited, SortedVisited, make_visited, kernels_loaded, numba_available, visited_kind, warm_kernels

ProgressFn = Callable[[dict[str, float]], None]
EXPAND_CHUNK = 131_072  # frontier rows expanded at a time by ``expand`` (the deadline and progress are checked between chunks)
SEARCH_CHUNK = 32_768  # parents expanded at a time by ``run``: bounds a level's memory, deadline and progress
HASH_FROM = 30_000  # with HACHECK_VISITED=auto, the compiled hash set takes over from this many states


def default_workers() -> int:
    """Threads for a search: ``HACHECK_WORKERS`` or the machine's cores (at most 4)."""
    import os

    env = os.environ.get("HACHECK_WORKERS")
    if env:
        try:
            n = int(env)
        except ValueError:
            raise HacheckError(f"HACHECK_WORKERS={env!r}: not a whole number") from None
        if n < 1:
            raise HacheckError(f"HACHECK_WORKERS={env!r}: must be at least 1")
        return n
    return max(1, min(4, os.cpu_count() or 1))


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

    def __init__(self, model: Model, compiled: Compiled | None = None, symmetry: bool = True,
                 workers: int | None = None, visited: str | None = None, spill_bytes: int | None = None):
        self.model = model
        self.workers = default_workers() if workers is None else max(1, workers)
        self.visited_kind = visited  # hash, sorted, auto; None: HACHECK_VISITED
        self.spill_bytes = spill_bytes  # None: HACHECK_SPILL_BYTES or half the memory
        self.compiled = compiled or compile_model(model)
        self.layout = self.compiled.layout
        self.symmetry = Symmetry.of(self.compiled) if symmetry else None
        self._validated = False
        self.native_mode = native_mode()
        self.native_build: NativeBuild | None = None  # machine-code successors (hacheck/explicit/native.py)
        self.native_chunks = 0  # chunks the last run expanded with it (the numpy code did the others)
        self._native_looked = False
        self._shared_key = ""
        if self.native_mode == "first":  # built now, as start-up: the search then runs on it from its first level
            self._native_start()
            if self.native_build is not None:
                self.native_build.get(wait=True)
            if numba_available():  # the hash set's kernels too (numba loads them in ~0.8 s): none of it in the search
                warm_kernels()

    def _native_start(self) -> None:
        """Load the machine-code successor function from the start-up cache, or start building it."""
        if self.native_build is None:
            self.native_build = NativeBuild(self.compiled)
        if not self.native_build.from_cache():
            self.native_build.start()

    def _native_cached(self) -> bool:
        """Load a library built for this model from the start-up cache if one is there (looked up once);
        False: nothing to start."""
        if self._native_looked:
            return False
        self._native_looked = True
        build = NativeBuild(self.compiled)
        if build.from_cache():
            self.native_build = build
        return False

    def _native_shared(self) -> float:
        """HACHECK_NATIVE=auto for a restriction of a model (a deployment's check: one built model,
        each check keeping other fault instances), whose library serves every restriction: use it
        at once if it is in the start-up cache or this process has built it; else join a build under
        way, or start one once the restrictions searched in this process have run NATIVE_AFTER
        seconds in all. Returns those seconds."""
        self._shared_key = ""
        if self.native_mode != "auto" or self.native_build is not None or served_by(self.model)[1] is None:
            return 0.0
        build = NativeBuild(self.compiled)
        if not build.usable:
            return 0.0
        self._shared_key = build.key
        spent = SHARED_SPENT.get(build.key, 0.0)
        if build.from_cache():
            self.native_build = build
        elif build.building or spent >= NATIVE_AFTER:
            self.native_build = build
            build.start()
        return spent

    def _native(self) -> Native | None:
        return self.native_build.get() if self.native_build is not None else None

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
        (source id, target id, action instance) in ``self.graph`` for the liveness engine.

        Each level is expanded ``SEARCH_CHUNK`` parents at a time (by ``self.workers`` threads: the
        next chunks are expanded while the current one goes through the hash set), so memory, the
        deadline and the progress line are bounded within a level. Whatever the chunking and the
        threads, the new states are numbered in the order a whole-level, action-by-action
        expansion meets them (hacheck/explicit/visited.py), so runs are identical."""
        model = self.model
        if record_edges and self.symmetry is not None:
            raise HacheckError("the state graph for liveness is built without symmetry reduction")
        props = list(properties) if properties is not None else list(model.properties.values())
        props = [p for p in props if p.is_safety]
        bounds = bounds or Bounds()
        t0 = time.monotonic()
        deadline = t0 + bounds.max_seconds if bounds.max_seconds is not None else None
        store = StateStore(self.layout.words, spill_bytes=self.spill_bytes, actions=len(self.compiled.actions))
        self.store = store
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
        store.add(rows, np.full(len(rows), -1), np.full(len(rows), -1))
        kind = visited_kind() if self.visited_kind is None else self.visited_kind
        self.native_chunks = 0
        spent_before = self._native_shared()
        pool = insert_pool = None
        if self.workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="hacheck-expand")
            insert_pool = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="hacheck-insert")
        use_hash = kind == "hash" or (kind == "auto" and kernels_loaded())  # loaded: nothing left to pay for
        visited: HashVisited | SortedVisited = (
            SortedVisited(store, self.layout) if not use_hash
            else make_visited(store, self.layout, "hash", parts=self.workers, pool=insert_pool))
        edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        growth = 0.0  # states of the last level / states of the one before (for the progress estimate)

        def check(lo: int, hi: int) -> None:
            todo = [p for p in props if p.name not in found]
            for s in range(lo, hi, SEARCH_CHUNK):
                if not todo:
                    return
                part = store.all_rows[s:min(hi, s + SEARCH_CHUNK)]
                cols = self.compiled.unpack(part)
                for p in list(todo):
                    mask = self.compiled.mask(p.name, cols, len(part))
                    hit = ~mask if p.kind == "invariant" else mask
                    if hit.any():
                        found[p.name] = s + int(np.argmax(hit))
                        todo.remove(p)

        try:
            check(0, store.count)
            while not stop_reason:
                lo, hi = store.offsets[-2], store.offsets[-1]
                size = hi - lo
                if size == 0:
                    break
                if interrupted():  # the signal's exception may have been swallowed (numpy clears some errors)
                    raise KeyboardInterrupt
                if props and len(found) == len(props) and not record_edges:
                    stop_reason = "every property decided"
                    break
                if bounds.max_depth is not None and depth >= bounds.max_depth:
                    stop_reason = f"bounded to depth {bounds.max_depth} (--max-depth)"
                    break
                if kind == "auto" and isinstance(visited, SortedVisited) and store.count >= HASH_FROM \
                        and numba_available():  # same answers either way; the hash set pays off from here
                    visited = HashVisited(store, parts=self.workers, pool=insert_pool)
                if self.native_mode == "auto" and self.native_build is None and (
                        time.monotonic() - t0 + spent_before >= NATIVE_AFTER
                        or (store.count >= NATIVE_LOOKUP and self._native_cached())):
                    self._native_start()  # in the background: the numpy code goes on until it is built
                starts = list(range(lo, hi, SEARCH_CHUNK))
                level_edges: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
                level_transitions = 0
                done = 0
                for got in self._expand_chunks(store, starts, hi, deadline, pool):
                    if got is None:
                        stop_reason = f"stopped after {bounds.max_seconds:g} s (--max-seconds)"
                        break
                    if interrupted():
                        raise KeyboardInterrupt
                    start, succ, par, act = got  # par: position in the level
                    okey = act.astype(np.int64) * size + par
                    refs = visited.add(succ, okey, par + lo, act, refs=record_edges)
                    level_transitions += len(succ)
                    if record_edges:
                        level_edges.append((okey, par + lo, refs, act))  # type: ignore[arg-type]
                    done = min(size, start - lo + SEARCH_CHUNK)
                    now = time.monotonic()
                    if progress is not None and now - last_progress >= 0.5 and done < size:
                        last_progress = now
                        progress({"states": store.count + visited.nt, "depth": depth, "queue": size - done,
                                  "seconds": now - t0, "transitions": transitions + level_transitions,
                                  "level_done": done / max(1, size), "growth": growth, "peak_rss": peak_rss_bytes()})
                if stop_reason:
                    visited.drop_level()
                    break
                transitions += level_transitions
                limit = None if bounds.max_states is None else bounds.max_states - store.count
                kept, final, cut = visited.close_level(store, limit)
                if record_edges:
                    edges.append(self._level_edges(level_edges, final))
                if cut:
                    stop_reason = f"stopped at {fmt_int(bounds.max_states)} states (--max-states)"
                if kept == 0:
                    break
                growth = kept / max(1, size)
                depth += 1
                check(hi, store.count)
                now = time.monotonic()
                if progress is not None and now - last_progress >= 0.5:
                    last_progress = now
                    progress({"states": store.count, "depth": depth, "queue": kept,
                              "seconds": now - t0, "transitions": transitions, "growth": growth,
                              "peak_rss": peak_rss_bytes()})
                if deadline is not None and now > deadline:
                    stop_reason = f"stopped after {bounds.max_seconds:g} s (--max-seconds)"
        except KeyboardInterrupt as e:  # Ctrl-C or SIGTERM (hacheck/failsafe.py): stop, verdicts unknown
            from ..failsafe import how

            stop_reason = f"interrupted ({how(e)})"
        except (MemoryError, RuntimeError) as e:  # no memory for a thread's stack is a RuntimeError
            if isinstance(e, RuntimeError) and "new thread" not in str(e):
                raise
            raise HacheckError(
                f"out of memory after {fmt_int(store.count)} states: the state space of {model.name} does not "
                "fit; lower the bounds (--param), or use --max-states to explore part of it"
            ) from None
        finally:
            for p in (pool, insert_pool):
                if p is not None:
                    p.shutdown(wait=True, cancel_futures=True)
            if self.native_build is not None:
                self.native_build.close()  # a compiler still running is not waited for
            if self._shared_key:
                SHARED_SPENT[self._shared_key] = spent_before + time.monotonic() - t0

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
        self.visited = visited
        results = []
        for p in props:
            results.append(self._verdict(p, found.get(p.name), store, stats, exhausted, complete))
        return CheckResult(model.name, params_dict(model), tuple(results), stats)

    def _expand_chunks(self, store: StateStore, starts: list[int], hi: int, deadline: float | None,
                       pool: object) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray] | None]:
        """(chunk start, canonical successor rows, parent position in the level, action instance) per
        chunk, in chunk order; None once the deadline has passed. With a pool, up to ``workers``
        chunks are expanded ahead in threads (numpy and the hash set release the GIL)."""
        lo = store.offsets[-2]

        def one(start: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray] | None:
            if deadline is not None and time.monotonic() > deadline:
                return None
            part = store.all_rows[start:min(hi, start + SEARCH_CHUNK)]
            native = self._native()
            if native is not None:
                fast = native.expand(part)
                if fast is not None:  # else a value the C code leaves to numpy (a range error, say)
                    self.native_chunks += 1
                    succ, par, act = fast
                    return start, self.canon(succ), par + (start - lo), act
            try:
                got = self.expand(part, deadline=deadline, chunk=len(part))
            except RangeViolation as rv:
                rv.row += start
                raise
            if got is None:
                return None
            succ, par, act, _n = got
            return start, self.canon(succ), par + (start - lo), act

        futures: list = []
        try:
            if pool is None or len(starts) == 1:
                for s in starts:
                    got = one(s)
                    yield got
                    if got is None:
                        return
                return
            ahead = self.workers
            futures = [pool.submit(one, s) for s in starts[:ahead]]  # type: ignore[attr-defined]
            for k in range(len(starts)):
                got = futures[k].result()
                futures[k] = None
                if k + ahead < len(starts):
                    futures.append(pool.submit(one, starts[k + ahead]))  # type: ignore[attr-defined]
                yield got
                if got is None:
                    break
        except RangeViolation as rv:
            raise self._range_error(store, rv.row, rv) from None
        finally:
            for f in futures:
                if f is not None:
                    f.cancel()

    @staticmethod
    def _level_edges(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                     final: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One level's transitions by id, in BFS order (action, then parent); successors cut by
        --max-states are left out."""
        if not parts:
            z = np.zeros(0, dtype=np.int32)
            return z, z, z
        okey, src, ref, act = (np.concatenate([p[i] for p in parts]) for i in range(4))
        order = np.argsort(okey, kind="stable")
        src, ref, act = src[order], ref[order], act[order]
        dst = ref.copy()
        tent = ref < 0
        if tent.any():
            dst[tent] = final[-ref[tent] - 1] if final is not None and len(final) else -1
        known = dst >= 0
        return src[known].astype(np.int32), dst[known].astype(np.int32), act[known].astype(np.int32)

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
