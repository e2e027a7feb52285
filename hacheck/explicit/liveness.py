"""Liveness under fairness on the explicit state graph, and worst-case recovery time.

``P leads_to Q`` fails exactly when some reachable P-state starts a fair path that never reaches
Q. Such a path ends in a *fair core* inside the not-Q states: either a state where no fair action
is enabled (stuttering there forever is fair, as in TLA+), or a strongly connected component whose
cycles can satisfy every fairness condition: weak fairness of an action instance needs it taken
inside the component or disabled somewhere in it; strong fairness needs it taken inside or never
enabled there (components are refined by removing the states that enable it, as in Emerson-Lei).
``eventually P`` is ``Init leads_to P``; ``always eventually P`` is ``true leads_to P``.

When a leads-to holds, the worst-case recovery time is the longest path, counted in tick actions,
from a P-state to the first Q-state: a longest path in the DAG of not-Q components (unbounded if
a component contains a tick, since a finite detour around it can be repeated as often as wished).
The best case is the fewest ticks from an *onset* (a P-and-not-Q state that is initial or entered
from a state that is not one) to a Q-state along fair actions and ticks only: the fastest the
system recovers by itself, with no repair, operator step or further fault helping (those are never
fair). Recovery is reported as ``[best, worst]``.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

from ..lang.model import Model
from ..lang.props import Property
from ..result import HOLDS, UNKNOWN, VIOLATED, PropertyResult, Stats, fmt_int
from ..trace import Step, Trace
from .search import Explorer, StateGraph


def _checkpoint() -> None:
    """Stop here if a signal came (hacheck/failsafe.py). Its KeyboardInterrupt is raised at the first
    Python step after the C call it arrived in, but a library that clears errors can lose it: the
    flag stays, so each long step of the liveness check looks at it (a graph of tens of millions of
    states spends seconds in each scipy call, and a lost signal would let the check run on for minutes)."""
    from ..failsafe import interrupted

    if interrupted():
        raise KeyboardInterrupt

STUTTER = -1  # pseudo action: the system stays in a state forever


class Liveness:
    def __init__(self, explorer: Explorer, graph: StateGraph, stats: Stats):
        self.ex = explorer
        self.model: Model = explorer.model
        self.g = graph
        self.stats = stats
        self.n = graph.states
        m = self.model
        k = len(m.instances)
        self.wf = np.array([i.fair == "weak" for i in m.instances] + [False], dtype=bool)
        self.sf = np.array([i.fair == "strong" for i in m.instances] + [False], dtype=bool)
        self.fair = self.wf | self.sf
        ticks = np.array([i.tick for i in m.instances] + [False], dtype=bool)
        self.unit = "ticks" if ticks.any() else "steps"
        self.weight = (ticks if ticks.any() else np.ones(k + 1, dtype=bool)).astype(np.int64)
        self.n_init = int(np.sum(graph.store.parents[0] < 0)) if graph.store.parents else 0

    # -- predicates over every state ----------------------------------------------------------
    def mask(self, name: str) -> np.ndarray:
        c = self.ex.compiled
        parts = [c.mask(name, c.unpack(rows), len(rows)) for rows in self._row_chunks()]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)

    def _row_chunks(self, size: int = 1 << 16) -> list[np.ndarray]:
        """The stored rows in level order, small levels joined into chunks of about ``size`` rows: a
        graph of many short BFS levels (upstream timers) is then evaluated in a few calls rather than
        one per level (the per-call overhead dominated), without one copy of the whole store."""
        chunks: list[np.ndarray] = []
        group: list[np.ndarray] = []
        n = 0
        for rows in self.g.store.levels:
            group.append(rows)
            n += len(rows)
            if n >= size:
                chunks.append(np.concatenate(group) if len(group) > 1 else group[0])
                group, n = [], 0
        if group:
            chunks.append(np.concatenate(group) if len(group) > 1 else group[0])
        return chunks

    def masks_for(self, p: Property) -> tuple[np.ndarray, np.ndarray]:
        if p.kind == "leads_to":
            return self.mask(p.name), self.mask(p.name + "#target")
        q = self.mask(p.name)
        if p.kind == "eventually":
            trig = np.zeros(self.n, dtype=bool)
            trig[: self.n_init] = True
            return trig, q
        return np.ones(self.n, dtype=bool), q  # always_eventually

    # -- graph helpers ------------------------------------------------------------------------
    def _csr(self, src: np.ndarray, dst: np.ndarray, extra: int = 0) -> csr_matrix:
        size = self.n + extra
        data = np.ones(len(src), dtype=np.int8)
        return csr_matrix((data, (src, dst)), shape=(size, size))

    def _reach(self, sources: np.ndarray, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """States reachable from any of ``sources`` along (src -> dst); predecessors for paths."""
        if len(sources) == 0:
            return np.zeros(self.n, dtype=bool), np.full(self.n + 1, -9999, dtype=np.int32)
        hub = self.n
        s = np.concatenate([src, np.full(len(sources), hub)])
        d = np.concatenate([dst, sources])
        order, pred = breadth_first_order(self._csr(s, d, 1), hub, directed=True, return_predecessors=True)
        reached = np.zeros(self.n + 1, dtype=bool)
        reached[order] = True
        return reached[: self.n], pred

    def fair_cores(self, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Core states inside ``bad``: (core mask, component label per state or -1, stutter mask)."""
        g = self.g
        has_fair_out = np.zeros(self.n, dtype=bool)
        has_fair_out[g.src[self.fair[g.act]]] = True
        stutter = bad & ~has_fair_out
        core = stutter.copy()
        comp = np.full(self.n, -1, dtype=np.int64)
        work = bad.copy()
        next_label = 0
        for _ in range(len(self.model.instances) + 2):
            _checkpoint()
            if not work.any():
                break
            inside = work[g.src] & work[g.dst]
            es, ed, ea = g.src[inside], g.dst[inside], g.act[inside]
            _, labels = connected_components(self._csr(es, ed), directed=True, connection="strong")
            size = np.bincount(labels, minlength=labels.max() + 1)
            internal = labels[es] == labels[ed]
            nontrivial = size > 1
            nontrivial[labels[es[es == ed]]] = True
            # pairs (component, action): taken inside, and enabled at how many states
            k1 = len(self.model.instances) + 1
            taken = np.zeros(0, dtype=np.int64)
            if internal.any():
                taken = _uniq(labels[es[internal]].astype(np.int64) * k1 + ea[internal])
            out = work[g.src] & self.fair[g.act]
            pairs = _uniq(g.src[out].astype(np.int64) * k1 + g.act[out])
            p_state, p_act = pairs // k1, pairs % k1
            p_comp = labels[p_state].astype(np.int64)
            comp_act, counts = np.unique(p_comp * k1 + p_act, return_counts=True)
            not_taken = ~np.isin(comp_act, taken)
            ca_comp, ca_act = comp_act // k1, comp_act % k1
            wf_dead = not_taken & self.wf[ca_act] & (counts == size[ca_comp])
            sf_bad = not_taken & self.sf[ca_act]
            dead = np.zeros(len(size), dtype=bool)
            dead[ca_comp[wf_dead]] = True
            refine = np.zeros(len(size), dtype=bool)
            refine[ca_comp[sf_bad]] = True
            good = nontrivial & ~dead & ~refine
            members = work & good[labels] if len(labels) else work & False
            core |= members
            comp[members] = labels[members] + next_label
            next_label += len(size)
            # strong fairness: drop states that enable an action never taken inside, and retry
            drop = np.zeros(self.n, dtype=bool)
            bad_pairs = set((ca_comp[sf_bad] * k1 + ca_act[sf_bad]).tolist())
            if bad_pairs:
                sel = np.isin(p_comp * k1 + p_act, list(bad_pairs))
                drop[p_state[sel]] = True
            work = work & refine[labels] & ~dead[labels] & ~drop
        return core, comp, stutter

    # -- checking -----------------------------------------------------------------------------
    def check(self, p: Property) -> PropertyResult:
        if not self.g.complete:
            reason = self.stats.stop_reason or "the search stopped early"
            return PropertyResult(p.name, p.kind, UNKNOWN, "bounded", "explicit",
                                  f"{reason}: liveness needs the whole state graph", self.stats)
        _checkpoint()
        trig, q = self.masks_for(p)
        bad = ~q
        core, comp, stutter = self.fair_cores(bad)
        _checkpoint()
        g = self.g
        inbad = bad[g.src] & bad[g.dst]
        # backward from cores inside bad: which bad states can reach a fair core
        can_reach, _ = self._reach(np.flatnonzero(core), g.dst[inbad], g.src[inbad])
        _checkpoint()
        violating = np.flatnonzero(trig & bad & can_reach)
        n = fmt_int(self.n)
        if len(violating) == 0:
            extra = self.recovery(trig, q)
            return PropertyResult(p.name, p.kind, HOLDS, "exhaustive+fairness", "explicit",
                                  f"exhaustive under fairness, {n} states", self.stats,
                                  extra=extra, trace=extra.pop("_trace", None))
        start = int(violating[0])  # BFS ids: the lowest id has the shortest stem
        trace = self.lasso(p, start, bad & can_reach, core, comp, stutter)
        loop_len = len(trace.steps) - trace.loop  # type: ignore[operator]
        return PropertyResult(p.name, p.kind, VIOLATED, "fair-lasso", "explicit",
                              f"fair lasso: {_steps(trace.loop)} then a loop of {_steps(loop_len)}", self.stats, trace)

    def _path_in(self, allowed: np.ndarray, start: int, goal: np.ndarray) -> list[tuple[int, int]]:
        """Shortest path from start to a goal state through allowed states: [(state, action taken
        from it)], the last action -1. Vectorised: scipy's BFS, then one action per edge of the path."""
        g = self.g
        ok = allowed[g.src] & allowed[g.dst]
        es, ed, ea = g.src[ok], g.dst[ok], g.act[ok]
        order, pred = breadth_first_order(self._csr(es, ed), start, directed=True, return_predecessors=True)
        hits = order[goal[order]]  # BFS order: the first goal reached is a nearest one
        if len(hits) == 0:
            raise AssertionError("no path where one was proven to exist")
        path = [int(hits[0])]
        while path[-1] != start:
            path.append(int(pred[path[-1]]))
        path.reverse()
        key = es.astype(np.int64) * self.n + ed
        by_key = np.argsort(key, kind="stable")
        sorted_keys = key[by_key]
        out = []
        for s_, d_ in zip(path, path[1:]):
            i = int(by_key[np.searchsorted(sorted_keys, s_ * self.n + d_)])
            out.append((s_, int(ea[i])))
        out.append((path[-1], -1))
        return out

    def lasso(self, p: Property, start: int, allowed: np.ndarray, core: np.ndarray, comp: np.ndarray,
              stutter: np.ndarray) -> Trace:
        stem_rows, stem_acts = self.ex.concrete_path(self.g.store, start)
        states = [self.g.store.path(start)[-1][0]]
        ids = [sid for sid, _ in self.g.store.path(start)]
        acts = list(stem_acts)
        to_core = self._path_in(allowed, start, core)
        for (s, a), (nxt, _) in zip(to_core, to_core[1:]):
            acts.append(a)
            ids.append(nxt)
        c = ids[-1]
        loop_at = len(ids) - 1
        fairness: list[str] = []
        if stutter[c] and comp[c] < 0 or stutter[c]:
            acts.append(STUTTER)
            fairness.append(f"state {loop_at} repeats forever: no fair action is enabled there")
            enabled = sorted({self.model.instances[a].label for a in self.g.act[self.g.src == c].tolist()})
            if enabled:
                fairness.append("enabled there, none of them fair: " + ", ".join(enabled[:8]) + (" ..." if len(enabled) > 8 else ""))
        else:
            cyc, fairness = self._fair_cycle(c, comp)
            for s, a in cyc:
                acts.append(a)
                ids.append(s)
            ids.pop()  # the cycle ends where it started
        del states, stem_rows
        rows = [self.g.store.row(i) for i in ids]
        decoded = tuple(self.model.decode(self.ex.codes(r)) for r in rows)
        steps = tuple(Step("stutter", (), "stutter") if a == STUTTER else self.ex.step(a) for a in acts)
        return self.ex.make_trace(decoded, steps, p.name, "counterexample", loop=loop_at,
                                  note=f"{p.name}: {p.doc}" if p.doc else p.name, fairness=tuple(fairness))

    def _fair_cycle(self, c: int, comp: np.ndarray) -> tuple[list[tuple[int, int]], list[str]]:
        """A cycle from c back to c inside its fair component that meets every fairness condition."""
        g = self.g
        members = comp == comp[c]
        inside = members[g.src] & members[g.dst]
        es, ed, ea = g.src[inside], g.dst[inside], g.act[inside]
        out_all = members[g.src]
        taken = set(ea[self.fair[ea]].tolist())
        enabled_at: dict[int, set[int]] = {}
        for s, a in zip(g.src[out_all].tolist(), g.act[out_all].tolist()):
            if self.fair[a]:
                enabled_at.setdefault(a, set()).add(s)
        states = np.flatnonzero(members)
        cur = c
        cycle: list[tuple[int, int]] = []  # (next state, action)
        notes: list[str] = []
        visited_states = {c}
        taken_on_cycle: set[int] = set()
        for a in sorted(enabled_at):
            if a in taken_on_cycle:
                continue
            if self.wf[a] and any(s not in enabled_at[a] for s in visited_states):
                continue
            if a in taken:  # go to the nearest state that takes it, and take it
                srcs = es[ea == a]
                goal = np.zeros(self.n, dtype=bool)
                goal[srcs] = True
                path = self._path_in(members, cur, goal)
                u = path[-1][0]
                pick = np.flatnonzero((ea == a) & (es == u))[0]
                steps = [(path[i + 1][0], path[i][1]) for i in range(len(path) - 1)] + [(int(ed[pick]), a)]
            else:  # go to the nearest state where it is disabled
                disabled = np.setdiff1d(states, np.fromiter(enabled_at[a], dtype=np.int64))
                goal = np.zeros(self.n, dtype=bool)
                goal[disabled] = True
                path = self._path_in(members, cur, goal)
                steps = [(path[i + 1][0], path[i][1]) for i in range(len(path) - 1)]
            for nxt, act in steps:
                cycle.append((nxt, act))
                visited_states.add(nxt)
                taken_on_cycle.add(act)
                cur = nxt
        goal = np.zeros(self.n, dtype=bool)
        goal[c] = True
        if cur == c and not cycle:
            # leave and come back: any edge inside the component
            pick = np.flatnonzero(es == c)[0]
            cycle.append((int(ed[pick]), int(ea[pick])))
            cur = int(ed[pick])
        if cur != c:
            path = self._path_in(members, cur, goal)
            cycle += [(path[i + 1][0], path[i][1]) for i in range(len(path) - 1)]
        loop_acts = {a for _, a in cycle}
        for a in sorted(enabled_at):
            kind = "WF" if self.wf[a] else "SF"
            how = "taken" if a in loop_acts else "disabled"
            notes.append(f"{kind}({self.model.instances[a].label}): {how} in the loop")
        if not notes:
            notes.append("no fair action is enabled in the loop")
        return cycle, notes

    # -- recovery time --------------------------------------------------------------------------
    def recovery(self, trig: np.ndarray, q: np.ndarray) -> dict[str, object]:
        g = self.g
        bad = ~q
        starts = np.flatnonzero(trig & bad)
        tick_s = self.model.tick_seconds if self.unit == "ticks" else None
        if len(starts) == 0:
            return {"recovery": "0 " + self.unit, "recovery_ticks": 0, "unit": self.unit, "unbounded": False}
        inbad = bad[g.src] & bad[g.dst]
        region, _ = self._reach(starts, g.src[inbad], g.dst[inbad])
        _checkpoint()
        inner = region[g.src] & region[g.dst]
        es, ed, ea = g.src[inner], g.dst[inner], g.act[inner]
        ncomp, labels = connected_components(self._csr(es, ed), directed=True, connection="strong")
        _checkpoint()
        w_inner = self.weight[ea]
        internal = labels[es] == labels[ed]
        if (internal & (w_inner > 0)).any():
            return {"recovery": "unbounded", "recovery_ticks": None, "unit": self.unit, "unbounded": True,
                    "why": f"a cycle of not-yet-recovered states contains a {self.unit[:-1]}: fairness guarantees recovery, "
                           "but not when"}
        exits = region[g.src] & ~bad[g.dst]
        xs, xa = g.src[exits], g.act[exits]
        NEG = -(10**9)
        dist = np.full(ncomp, NEG, dtype=np.int64)
        best = np.full(ncomp, -1, dtype=np.int64)  # index into the chosen edge list
        # exit edges (leave to Q)
        xw = self.weight[xa]
        xl = labels[xs]
        order = np.lexsort((-np.arange(len(xl)), xw, xl))
        for i in order:  # ascending by weight, so the max wins
            pass
        np.maximum.at(dist, xl, xw)
        ex_index = np.flatnonzero(exits)
        for li, wi, ei in zip(xl.tolist(), xw.tolist(), ex_index.tolist()):
            if wi == dist[li] and best[li] < 0:
                best[li] = ei
        # condensed edges between components
        cross = ~internal
        cu, cv, cw = labels[es[cross]], labels[ed[cross]], w_inner[cross]
        cidx = np.flatnonzero(inner)[cross]
        outdeg = np.bincount(cu, minlength=ncomp)
        rev_order = np.argsort(cv, kind="stable")
        rcv, rcu, rcw, rci = cv[rev_order], cu[rev_order], cw[rev_order], cidx[rev_order]
        starts_at = np.searchsorted(rcv, np.arange(ncomp + 1))
        ready = np.flatnonzero(outdeg == 0)
        remaining = outdeg.copy()
        while len(ready):  # reverse topological order, one level of the DAG at a time
            counts = starts_at[ready + 1] - starts_at[ready]
            total = int(counts.sum())
            if total == 0:
                break
            offsets = np.repeat(starts_at[ready] - (np.cumsum(counts) - counts), counts)
            j = offsets + np.arange(total)  # every condensed edge into a ready component
            pu = rcu[j]
            cand = rcw[j] + dist[rcv[j]]
            pos = np.arange(total)
            # per predecessor: the largest candidate, the first one on ties (as a sequential pass would)
            order = np.lexsort((pos, -cand, pu))
            pu_s = pu[order]
            head = np.r_[True, pu_s[1:] != pu_s[:-1]]
            pu_u, cand_u, e_u = pu_s[head], cand[order][head], rci[j[order][head]]
            better = cand_u > dist[pu_u]
            dist[pu_u[better]] = cand_u[better]
            best[pu_u[better]] = e_u[better]
            remaining -= np.bincount(pu, minlength=ncomp)
            # the next level, in the order its components would be completed by a sequential pass
            o2 = np.lexsort((pos, pu))
            tail = np.r_[pu[o2][1:] != pu[o2][:-1], True]
            last = pos[o2][tail]  # aligned with pu_u: both hold each predecessor once, ascending
            zero = remaining[pu_u] == 0
            ready = pu_u[zero][np.argsort(last[zero], kind="stable")]
        worst_state = int(starts[np.argmax(dist[labels[starts]])])
        worst = int(dist[labels[worst_state]])
        text = f"{worst} {self.unit}"
        if tick_s:
            text = f"{worst} ticks = {worst * tick_s:g} s"
        trace = self._worst_trace(worst_state, labels, best, region, q)
        least = self._best_case(trig & bad, bad, q)
        btext = f"{least} {self.unit}" + (f" = {least * tick_s:g} s" if tick_s else "")
        return {"recovery": f"worst-case recovery {text}, best case {btext}", "recovery_ticks": worst,
                "unit": self.unit, "recovery_seconds": worst * tick_s if tick_s else None,
                "best_ticks": least, "best_seconds": least * tick_s if tick_s else None,
                "recovery_interval": [least, worst], "unbounded": False, "_trace": trace}

    def _best_case(self, start: np.ndarray, bad: np.ndarray, q: np.ndarray) -> int:
        """Fewest ticks from an onset of the trigger to Q (0-1 weights: ticks 1, other steps a tiny
        epsilon, so Dijkstra counts ticks and breaks ties by steps)."""
        g = self.g
        n = self.n
        n_init = self.n_init
        entered = np.zeros(n, dtype=bool)
        fresh = start[g.dst] & ~start[g.src]
        entered[g.dst[fresh]] = True
        entered[:n_init] |= start[:n_init]
        onsets = np.flatnonzero(entered & start)
        if len(onsets) == 0:
            return 0
        # paths run through not-Q states up to the first Q-state, by the system's own (fair) steps and ticks
        keep = bad[g.src] & (self.fair[g.act] | (self.weight[g.act] > 0) & (self.unit == "ticks"))
        rows, cols = g.dst[keep].astype(np.int64), g.src[keep].astype(np.int64)  # reversed: from Q backwards
        eps = 1e-9
        w = self.weight[g.act[keep]].astype(np.float64) + eps
        order = np.lexsort((w, cols, rows))
        rows, cols, w = rows[order], cols[order], w[order]
        first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]  # parallel edges: keep the lightest
        mat = csr_matrix((w[first], (rows[first], cols[first])), shape=(n, n))
        sources = np.flatnonzero(q)
        if len(sources) == 0:
            return 0
        dist = dijkstra(mat, directed=True, indices=sources, min_only=True)
        d = dist[onsets]
        d = d[np.isfinite(d)]
        return int(np.floor(d.min() + 1e-6)) if len(d) else 0

    def _worst_trace(self, s: int, labels: np.ndarray, best: np.ndarray, region: np.ndarray, q: np.ndarray) -> Trace:
        g = self.g
        ids = [sid for sid, _ in self.g.store.path(s)]
        acts = [a for _, a in self.g.store.path(s)[1:]]
        cur = s
        for _ in range(self.n + 1):
            if q[cur]:
                break
            e = int(best[labels[cur]])
            u, v, a = int(g.src[e]), int(g.dst[e]), int(g.act[e])
            if u != cur:
                same = np.zeros(self.n, dtype=bool)
                same[np.flatnonzero(region)[labels[np.flatnonzero(region)] == labels[cur]]] = True
                goal = np.zeros(self.n, dtype=bool)
                goal[u] = True
                path = self._path_in(same, cur, goal)
                for i in range(len(path) - 1):
                    acts.append(path[i][1])
                    ids.append(path[i + 1][0])
            acts.append(a)
            ids.append(v)
            cur = v
        rows = [self.g.store.row(i) for i in ids]
        decoded = tuple(self.model.decode(self.ex.codes(r)) for r in rows)
        steps = tuple(self.ex.step(a) for a in acts)
        return self.ex.make_trace(decoded, steps, None, "worst-case")


def _uniq(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values; a sort and a mask (np.unique's hash path is several times slower
    on the tens of millions of (state, action) pairs of a large graph)."""
    x = np.sort(x)
    if len(x) == 0:
        return x
    keep = np.empty(len(x), dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def _steps(n: int | None) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def check_liveness(model: Model, properties: Iterable[Property], explorer: Explorer | None = None,
                   bounds: object = None, progress: object = None) -> tuple[list[PropertyResult], Stats]:
    ex = explorer or Explorer(model, symmetry=False)
    result = ex.run([], bounds, progress, record_edges=True)  # type: ignore[arg-type]
    live = Liveness(ex, ex.graph, result.stats)
    return [live.check(p) for p in properties], result.stats
