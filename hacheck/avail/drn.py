"""The availability chain in Storm's explicit DRN format (``hacheck export --drn``), so that Storm
can solve the same Markov automaton: ``LRAmin=? ["engine_up"]`` / ``LRAmax=? [...]`` give the
figures ``hacheck availability`` prints (tests/test_availability_storm.py compares them).

Markovian states (no immediate step enabled) are ``state i !E`` with one action whose
probabilities are rate/E (rates per hour, self-loops included); a state with immediate steps is
``!0`` with one action per distinct successor. Labels: ``init`` and every measure that holds.
"""

from __future__ import annotations

import io

import numpy as np

from .chain import Chain


def to_drn(chain: Chain) -> str:
    out = io.StringIO()
    n = chain.n
    # Markovian successors per state (summed per target)
    order = np.lexsort((chain.rate_dst, chain.rate_src))
    rs, rd, rv = chain.rate_src[order], chain.rate_dst[order], chain.rate_val[order]
    r_start = np.searchsorted(rs, np.arange(n + 1))
    imm = np.unique(np.stack([chain.imm_src, chain.imm_dst]).T, axis=0) if len(chain.imm_src) else np.zeros((0, 2), int)
    i_start = np.searchsorted(imm[:, 0], np.arange(n + 1)) if len(imm) else np.zeros(n + 1, dtype=np.int64)
    choices = int(np.sum(chain.tangible)) + len(imm)
    init = set(int(x) for x in chain.init)
    names = list(chain.labels)
    out.write("// Exported by hacheck (hacheck export --drn): the availability chain of model "
              f"{chain.model.name}; rates per hour\n")
    out.write("@type: Markov Automaton\n@value_type: double\n@parameters\n\n@reward_models\n\n")
    out.write(f"@nr_states\n{n}\n@nr_choices\n{choices}\n@model\n")
    for s in range(n):
        labels = (["init"] if s in init else []) + [nm for nm in names if chain.labels[nm][s]]
        tail = (" " + " ".join(labels)) if labels else ""
        if chain.tangible[s]:
            lo, hi = r_start[s], r_start[s + 1]
            dst, val = rd[lo:hi], rv[lo:hi]
            u, inv = np.unique(dst, return_inverse=True)
            tot = np.zeros(len(u))
            np.add.at(tot, inv, val)
            exit_rate = float(tot.sum())
            out.write(f"state {s} !{exit_rate!r}{tail}\n\taction 0\n")
            for t, r in zip(u, tot):
                out.write(f"\t\t{int(t)} : {float(r) / exit_rate!r}\n")
        else:
            out.write(f"state {s} !0{tail}\n")
            for a, t in enumerate(imm[i_start[s]:i_start[s + 1], 1]):
                out.write(f"\taction {a}\n\t\t{int(t)} : 1\n")
    return out.getvalue()
