"""Long-run average time in a set of states of a Markov automaton, minimised and maximised over
schedulers, with scipy sparse linear algebra.

1. Maximal end components (MECs): the sets of states a scheduler can keep a run in forever
   (iterated strongly connected components, dropping the choices that leave).
2. In each MEC the optimum is the same from every state: where no state of the MEC has a choice it
   is the steady state of a CTMC (a sparse direct solve, exact up to rounding); otherwise the
   linear program over long-run frequencies (time fractions of the Markovian states, flow rates
   of the immediate choices), solved by HiGHS.
3. Which MEC a run ends in: the optimal expected MEC value from the initial state, over the MEC
   quotient (a sparse direct solve when nothing is chosen, else a linear program).

Precision: a direct solve is exact up to floating-point rounding; the linear programs run with
HiGHS feasibility and optimality tolerances of 1e-10. The result is stated to 1e-7 (3 s a year).
"""

from __future__ import annotations

import attrs
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from ..lang.errors import HacheckError, ModelError
from .chain import Chain

PRECISION = 1e-7  # absolute, on a fraction of time
LP_TOL = 1e-9


class ZenoError(ModelError):
    """Immediate steps can loop forever without time passing."""


@attrs.frozen(eq=False)
class Structure:
    """The chain as choices: tangible states have one (their rates), vanishing ones their immediate steps."""

    n: int
    tangible: np.ndarray
    R: sp.csr_matrix  # off-diagonal rates of tangible states, per hour
    exit: np.ndarray  # sum of the off-diagonal rates
    imm_src: np.ndarray
    imm_dst: np.ndarray
    imm_act: np.ndarray


def structure(chain: Chain) -> Structure:
    n = chain.n
    off = chain.rate_src != chain.rate_dst
    R = sp.csr_matrix((chain.rate_val[off], (chain.rate_src[off], chain.rate_dst[off])), shape=(n, n))
    R.sum_duplicates()
    exit_ = np.asarray(R.sum(axis=1)).ravel()
    pairs = np.unique(np.stack([chain.imm_src, chain.imm_dst, chain.imm_act]).T, axis=0) if len(chain.imm_src) else \
        np.zeros((0, 3), dtype=np.int64)
    # one choice per (source, target): two immediate steps to the same state are the same choice
    if len(pairs):
        _, first = np.unique(pairs[:, 0] * n + pairs[:, 1], return_index=True)
        pairs = pairs[np.sort(first)]
    return Structure(n, chain.tangible, R, exit_, pairs[:, 0], pairs[:, 1], pairs[:, 2])


def mecs(s: Structure) -> np.ndarray:
    """MEC id per state (-1: in no MEC), and the alive immediate choices."""
    n = s.n
    alive = np.ones(n, dtype=bool)
    choice = np.ones(len(s.imm_src), dtype=bool)
    Rcoo = s.R.tocoo()
    while True:
        ce = choice & alive[s.imm_src] & alive[s.imm_dst]
        re = alive[Rcoo.row] & alive[Rcoo.col]
        rows = np.concatenate([Rcoo.row[re], s.imm_src[ce]])
        cols = np.concatenate([Rcoo.col[re], s.imm_dst[ce]])
        g = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, comp = connected_components(g, directed=True, connection="strong")
        changed = False
        # a tangible state leaves its component (or an alive set) by some rate: it is in no MEC
        bad_t = np.zeros(n, dtype=bool)
        leave = (~alive[Rcoo.col]) | (comp[Rcoo.row] != comp[Rcoo.col])
        bad_t[Rcoo.row[leave]] = True
        bad_t &= alive & s.tangible
        if bad_t.any():
            alive[bad_t] = False
            changed = True
        kill = choice & ((~alive[s.imm_dst]) | (comp[s.imm_src] != comp[s.imm_dst]) | ~alive[s.imm_src])
        if kill.any():
            choice[kill] = False
            changed = True
        has_choice = np.zeros(n, dtype=bool)
        has_choice[s.imm_src[choice]] = True
        bad_v = alive & ~s.tangible & ~has_choice
        if bad_v.any():
            alive[bad_v] = False
            changed = True
        if not changed:
            break
    out = np.full(n, -1, dtype=np.int64)
    ids = {}
    for st in np.flatnonzero(alive):
        c = comp[st]
        if c not in ids:
            ids[c] = len(ids)
        out[st] = ids[c]
    return out, choice


@attrs.frozen
class Bounds2:
    low: float
    high: float


def _lp(c: np.ndarray, A_eq: sp.spmatrix, b_eq: np.ndarray, A_ub: sp.spmatrix | None = None,
        b_ub: np.ndarray | None = None, bounds: object = (0, None)) -> np.ndarray:
    from scipy.optimize import linprog

    # HiGHS's presolve loses these badly scaled programs (rates from 1e-4 to 1e3 per hour): the dual
    # simplex runs without it; the interior-point method is the fallback
    tries = [("highs-ds", {"presolve": False, "primal_feasibility_tolerance": LP_TOL,
                           "dual_feasibility_tolerance": LP_TOL}),
             ("highs-ipm", {"presolve": False, "primal_feasibility_tolerance": LP_TOL,
                            "dual_feasibility_tolerance": LP_TOL})]
    msg = ""
    for method, opts in tries:
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method=method, options=opts)
        if res.status == 0:
            return res.x
        msg = res.message
    from .chain import ChainTooLarge

    raise ChainTooLarge(f"the linear program for the min/max over schedulers did not solve to the stated precision "
                        f"(HiGHS: {msg}); a smaller instance (--param, --faults) may")


def mec_values(s: Structure, mec: np.ndarray, choice: np.ndarray, reward: np.ndarray,
               chain: Chain, sols: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Min and max long-run fraction of time in ``reward`` states, per MEC. ``sols`` (if given)
    receives, per MEC, the optimal long-run frequencies: (Markovian states, choices, pi and flows
    of the minimum, of the maximum)."""
    k = int(mec.max()) + 1 if len(mec) and mec.max() >= 0 else 0
    lo = np.zeros(k)
    hi = np.zeros(k)
    Rcoo = s.R.tocoo()
    for i in range(k):
        states = np.flatnonzero(mec == i)
        tan = states[s.tangible[states]]
        if len(tan) == 0:
            sid = int(states[0])
            acts = sorted({chain.instances[a].action for a in s.imm_act[choice & (mec[s.imm_src] == i)]})
            raise ZenoError(
                f"Zeno loop in model {chain.model.name}: immediate steps ({', '.join(acts)}) can repeat forever "
                f"without time passing, e.g. after {chain.path_text(sid)}", location="")
        local = -np.ones(s.n, dtype=np.int64)
        local[states] = np.arange(len(states))
        # variables: one per state (pi for tangible = time fraction; flow for a vanishing state's choice)
        ch = np.flatnonzero(choice & (mec[s.imm_src] == i))
        van = states[~s.tangible[states]]
        nt = len(tan)
        tan_var = -np.ones(s.n, dtype=np.int64)
        tan_var[tan] = np.arange(nt)
        nv = nt + len(ch)
        # conservation at each state of the MEC: out - in = 0
        rows, cols, vals = [], [], []
        # tangible out: pi(s) * exit(s); in to target: pi(s) * R(s, t)
        rin = (mec[Rcoo.row] == i)
        rows += [local[tan]]
        cols += [tan_var[tan]]
        vals += [s.exit[tan]]
        rows += [local[Rcoo.col[rin]]]
        cols += [tan_var[Rcoo.row[rin]]]
        vals += [-Rcoo.data[rin]]
        # choices: out of source, into target
        cv = nt + np.arange(len(ch))
        rows += [local[s.imm_src[ch]], local[s.imm_dst[ch]]]
        cols += [cv, cv]
        vals += [np.ones(len(ch)), -np.ones(len(ch))]
        A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(len(states), nv))
        r = np.zeros(nv)
        r[:nt] = reward[tan].astype(float)
        nchoices = np.bincount(s.imm_src[ch], minlength=s.n)[van] if len(van) else np.zeros(0)
        deterministic = not (nchoices > 1).any()
        if deterministic:
            # square system: replace the first conservation row by the normalisation sum(pi) = 1
            A = A.tolil()
            A[0, :] = 0
            A[0, :nt] = 1
            b = np.zeros(len(states))
            b[0] = 1
            if nv != len(states):
                raise HacheckError("internal: a deterministic MEC must have one variable per state")
            x = spsolve(A.tocsc(), b)
            val = float(r @ x)
            lo[i] = hi[i] = val
            if sols is not None:
                sols[i] = (tan, ch, x, x)
        else:
            got = None
            try:
                got = [_policy_iteration(s, states, tan, ch, local, reward, maximise, A, nt, Rcoo, i, mec)
                       for maximise in (False, True)]
            except _NotUnichain:
                got = None
            if got is not None:
                (v_lo, x_lo), (v_hi, x_hi) = got
                lo[i], hi[i] = v_lo, v_hi
                if sols is not None:
                    sols[i] = (tan, ch, x_lo, x_hi)
                continue
            # a policy with several recurrent classes: the linear program (variables of the
            # Markovian states as visit rates pi * exit, better scaled)
            scale = np.ones(nv)
            ex = s.exit[tan]
            scale[:nt] = np.where(ex > 0, 1.0 / np.where(ex > 0, ex, 1.0), 1.0)
            D = sp.diags(scale)
            norm = sp.csr_matrix((np.ones(nt), (np.zeros(nt, dtype=np.int64), np.arange(nt))), shape=(1, nv))
            Aeq = (sp.vstack([A, norm]) @ D).tocsr()
            beq = np.zeros(len(states) + 1)
            beq[-1] = 1
            rs = r * scale
            x_lo = _lp(rs, Aeq, beq)
            x_hi = _lp(-rs, Aeq, beq)
            lo[i] = float(rs @ x_lo)
            hi[i] = float(rs @ x_hi)
            if sols is not None:
                sols[i] = (tan, ch, x_lo * scale, x_hi * scale)
    return lo, hi


class _NotUnichain(Exception):
    """A policy of the end component has several recurrent classes (or an immediate loop)."""


def _policy_iteration(s: Structure, states: np.ndarray, tan: np.ndarray, ch: np.ndarray, local: np.ndarray,
                      reward: np.ndarray, maximise: bool, A: sp.csr_matrix, nt: int, Rcoo: sp.coo_matrix,
                      i: int, mec: np.ndarray) -> tuple[float, np.ndarray]:
    """Optimal long-run average in one end component by policy iteration: only the immediate
    choices are choices, and they take no time and earn nothing, so a policy improves by moving a
    vanishing state to the successor with the best bias. Each round is one sparse direct solve of
    the gain/bias equations (exact up to rounding); a policy whose chain is not unichain (a
    singular system) sends the component to the linear program."""
    import warnings

    n = len(states)
    src = local[s.imm_src[ch]]
    dst = local[s.imm_dst[ch]]
    order = np.argsort(src, kind="stable")
    src_o = src[order]
    firsts = np.flatnonzero(np.r_[True, src_o[1:] != src_o[:-1]])
    policy = order[firsts]  # per vanishing state (in src_o order): the index into ch of its choice
    van_local = src_o[firsts]
    rin = (mec[Rcoo.row] == i)
    t_rows, t_cols, t_vals = local[Rcoo.row[rin]], local[Rcoo.col[rin]], Rcoo.data[rin]
    tl = local[tan]
    G = reward[states].astype(float)
    ref = int(tl[0])
    tol = 1e-12
    for _ in range(1000):
        # gain/bias: E h(s) - sum R h(t) + g = G(s) (Markovian); h(v) - h(chosen) = 0; h(ref) = 0
        rows = np.concatenate([tl, t_rows, tl, van_local, van_local, [n]])
        cols = np.concatenate([tl, t_cols, np.full(len(tl), n), van_local, dst[policy], [ref]])
        vals = np.concatenate([s.exit[tan], -t_vals, np.ones(len(tl)), np.ones(len(van_local)),
                               -np.ones(len(van_local)), [1.0]])
        B = sp.csr_matrix((vals, (rows, cols)), shape=(n + 1, n + 1))
        rhs = np.zeros(n + 1)
        rhs[tl] = G[tl]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                sol = spsolve(B.tocsc(), rhs)
            except Exception:  # noqa: BLE001 - singular: not unichain
                raise _NotUnichain() from None
        if not np.all(np.isfinite(sol)):
            raise _NotUnichain()
        h, g = sol[:n], float(sol[n])
        q = h[dst]  # value of each choice
        sign = 1.0 if maximise else -1.0
        qo = sign * q[order]
        best = np.maximum.reduceat(qo, firsts)
        cur = sign * q[policy]
        scale = max(1.0, float(np.abs(h).max()))
        better = best > cur + tol * scale
        if not better.any():
            break
        grp_of = np.repeat(np.arange(len(firsts)), np.diff(np.append(firsts, len(qo))))
        hit = qo >= best[grp_of]
        first_hit = np.full(len(firsts), -1, dtype=np.int64)
        idx = np.flatnonzero(hit)
        first_hit[grp_of[idx[::-1]]] = order[idx[::-1]]
        policy = np.where(better, first_hit, policy)
    else:
        raise _NotUnichain()
    # the long-run frequencies of the final policy: pi of the Markovian states, flows of the choices
    sel = np.concatenate([np.arange(nt), nt + policy])
    As = A[:, sel].tolil()
    As[0, :] = 0
    As[0, :nt] = 1
    b = np.zeros(n)
    b[0] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            xs = spsolve(As.tocsc(), b)
        except Exception:  # noqa: BLE001
            raise _NotUnichain() from None
    x = np.zeros(A.shape[1])
    x[sel] = xs
    return g, x


def reach_values(s: Structure, mec: np.ndarray, choice: np.ndarray, v: np.ndarray, maximise: bool,
                 init: np.ndarray) -> float:
    """The optimal expected value of the MEC a run ends in, from the initial states (best or worst
    of them, as the initial state is a choice too).

    Policy iteration on the MEC quotient: a MEC is one node that may *stay* (its value) or take an
    immediate step out of it; every other state keeps its choices. A state outside every MEC is in
    no end component, so every policy leaves it with probability 1 and each evaluation is one
    sparse direct solve (exact up to rounding); improvement stops when no choice gains more than
    1e-13.
    """
    n = s.n
    k = len(v)
    trans = np.flatnonzero(mec < 0)
    if len(trans) == 0 and k == 1:
        return float(v[0])
    node = np.empty(n, dtype=np.int64)
    node[mec >= 0] = mec[mec >= 0]
    node[trans] = k + np.arange(len(trans))
    N = k + len(trans)
    Rcoo = s.R.tocoo()
    # choices: (owner node, reward, successor distribution)
    owner: list[np.ndarray] = []
    rew: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    base = 0
    # 1. stay in MEC i: reward v[i], no successor
    owner.append(np.arange(k))
    rew.append(v.astype(float))
    base += k
    # 2. a transient tangible state: its rate distribution
    tt = trans[s.tangible[trans]]
    cid = -np.ones(n, dtype=np.int64)
    cid[tt] = base + np.arange(len(tt))
    owner.append(node[tt])
    rew.append(np.zeros(len(tt)))
    sel = s.tangible[Rcoo.row] & (mec[Rcoo.row] < 0)
    rows.append(cid[Rcoo.row[sel]])
    cols.append(node[Rcoo.col[sel]])
    vals.append(Rcoo.data[sel] / s.exit[Rcoo.row[sel]])
    base += len(tt)
    # 3. immediate choices of transient states, and those leaving a MEC
    imm = np.flatnonzero((mec[s.imm_src] < 0) | (mec[s.imm_src] != mec[s.imm_dst]))
    owner.append(node[s.imm_src[imm]])
    rew.append(np.zeros(len(imm)))
    rows.append(base + np.arange(len(imm)))
    cols.append(node[s.imm_dst[imm]])
    vals.append(np.ones(len(imm)))
    base += len(imm)
    own = np.concatenate(owner)
    r = np.concatenate(rew)
    C = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(base, N))
    order = np.argsort(own, kind="stable")
    starts = np.searchsorted(own[order], np.arange(N))
    if (np.bincount(own, minlength=N) == 0).any():
        raise HacheckError("internal: a state of the chain has no choice")
    policy = order[starts]  # the first choice of each node: stay for a MEC
    sign = 1.0 if maximise else -1.0
    for _ in range(10_000):
        Cp = C[policy]
        A = sp.identity(N, format="csr") - Cp
        x = spsolve(A.tocsc(), r[policy])
        x = np.atleast_1d(x)
        q = sign * (r + C @ x)
        qs = q[order]
        best = np.maximum.reduceat(qs, starts)
        cur = sign * (r[policy] + Cp @ x)
        better = best > cur + 1e-13 * max(1.0, float(np.abs(best).max()))
        if not better.any():
            break
        # the first choice reaching the best value, for the nodes that improve
        hit = qs >= np.repeat(best, np.diff(np.append(starts, len(qs))))
        first = np.full(N, -1, dtype=np.int64)
        idx = np.flatnonzero(hit)
        grp = np.searchsorted(starts, idx, side="right") - 1
        first[grp[::-1]] = order[idx[::-1]]
        policy = np.where(better, first, policy)
    else:
        from .chain import ChainTooLarge

        raise ChainTooLarge("policy iteration did not converge in 10,000 rounds")
    vals0 = x[node[init]]
    return float(vals0.max() if maximise else vals0.min())


@attrs.frozen
class Recovery:
    """Outages a timed action starts, under the scheduler of the minimum availability."""

    action: str
    per_year: float  # outages a year
    mttr_hours: float  # mean time to recovery
    downtime_minutes: float  # per year


@attrs.frozen
class Availability:
    measure: str
    low: float
    high: float
    mecs: int
    recovery: tuple[Recovery, ...] = ()


def recovery(s: Structure, chain: Chain, sol: tuple, reward: np.ndarray, use_low: bool = True) -> tuple[Recovery, ...]:
    """Per timed action: how often it starts an outage and how long the outage lasts, in the end
    component under the optimal scheduler the solution describes (its immediate choices: the
    choice with the largest long-run flow). An outage starts when a timed step leaves a Markovian
    state where ``reward`` holds for one (after the immediate steps that follow) where it does not;
    its length is the expected time until a Markovian state where it holds again (a sparse solve)."""
    from .chain import HOURS_PER_YEAR

    tan, ch, x_lo, x_hi = sol
    x = x_lo if use_low else x_hi
    n = s.n
    nt = len(tan)
    pi = np.zeros(n)
    pi[tan] = np.maximum(x[:nt], 0)
    flow = np.maximum(x[nt:], 0)
    # the scheduler: for each vanishing state its choice of largest flow (the first choice otherwise)
    nxt = np.arange(n)
    if len(s.imm_src):
        order = np.lexsort((-np.concatenate([flow, np.zeros(len(s.imm_src))]),
                            np.concatenate([s.imm_src[ch], s.imm_src])))
        src_all = np.concatenate([s.imm_src[ch], s.imm_src])
        dst_all = np.concatenate([s.imm_dst[ch], s.imm_dst])
        src_o = src_all[order]
        firsts = np.flatnonzero(np.r_[True, src_o[1:] != src_o[:-1]])
        nxt[src_o[firsts]] = dst_all[order][firsts]
    for _ in range(64):  # pointer jumping: every state to the Markovian state its immediate steps end in
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            break
        nxt = nn
    good = reward.astype(bool)
    # rate edges between Markovian states (after the immediate steps), with their actions
    src, dst, val, act = chain.rate_src, nxt[chain.rate_dst], chain.rate_val, chain.rate_act
    live = (pi[src] > 0) & (src != dst)
    entry = live & good[src] & ~good[dst]
    # hitting time of a good Markovian state from every bad one in the support
    support = np.flatnonzero(pi > 0)
    bad = support[~good[support]]
    T = np.zeros(n)
    if len(bad):
        idx = -np.ones(n, dtype=np.int64)
        idx[bad] = np.arange(len(bad))
        e = live & ~good[src] & (idx[src] >= 0)
        diag = np.zeros(len(bad))
        np.add.at(diag, idx[src[e]], val[e])
        inner = e & (idx[dst] >= 0)
        A = sp.csr_matrix((np.concatenate([diag, -val[inner]]),
                           (np.concatenate([np.arange(len(bad)), idx[src[inner]]]),
                            np.concatenate([np.arange(len(bad)), idx[dst[inner]]]))), shape=(len(bad), len(bad)))
        try:
            t = spsolve(A.tocsc(), np.ones(len(bad)))
            T[bad] = np.atleast_1d(t)
        except Exception:  # noqa: BLE001 - a singular system: some outage never ends
            T[bad] = np.inf
    out = []
    names = np.array([chain.instances[a].action for a in act[entry]]) if entry.any() else np.zeros(0, dtype=str)
    f = pi[src[entry]] * val[entry]
    times = T[dst[entry]]
    for name in sorted(set(names.tolist())):
        m = names == name
        freq = float(f[m].sum())
        mttr = float((f[m] * times[m]).sum() / freq) if freq > 0 else 0.0
        out.append(Recovery(name, freq * HOURS_PER_YEAR, mttr, freq * mttr * HOURS_PER_YEAR * 60))
    return tuple(sorted(out, key=lambda r: -r.downtime_minutes))


def long_run(chain: Chain, measures: list[str] | None = None) -> list[Availability]:
    s = structure(chain)
    mec, choice = mecs(s)
    out = []
    for name in (measures or list(chain.labels)):
        reward = chain.labels[name]
        sols: dict = {}
        lo, hi = mec_values(s, mec, choice, reward, chain, sols)
        a_lo = reach_values(s, mec, choice, lo, False, chain.init)
        a_hi = reach_values(s, mec, choice, hi, True, chain.init)
        rec: tuple[Recovery, ...] = ()
        if len(lo) == 1:  # one end component: the recovery figures of its worst scheduler
            rec = recovery(s, chain, sols[0], reward, use_low=True)
        out.append(Availability(name, _clip(a_lo), _clip(a_hi), len(lo), rec))
    return out


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))
