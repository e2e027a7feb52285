"""Why the liveness engine uses scipy: its strongly connected components and BFS against networkx's
on the same recorded state graphs (the figures of docs/design.md, "scipy").

    .venv/bin/python benchmarks/bench_scc.py              # Gluster at its defaults, and with 3 writes
    .venv/bin/python benchmarks/bench_scc.py --param writes=2

For each graph: scipy (CSR matrix from the edge arrays, connected_components strong, BFS from
state 0: what hacheck/explicit/liveness.py calls) and networkx (DiGraph from the same edges,
strongly_connected_components, BFS predecessors), seconds and peak memory (tracemalloc, in a
separate pass so it does not slow the timed one). Both must find the same number of components.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from scipy.sparse.csgraph import breadth_first_order, connected_components  # noqa: E402

from hacheck.explicit.search import Explorer  # noqa: E402
from hacheck.loader import build_model, load_spec, parse_params  # noqa: E402


def with_scipy(n: int, src: np.ndarray, dst: np.ndarray) -> int:
    m = csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    ncomp, _labels = connected_components(m, directed=True, connection="strong")
    breadth_first_order(m, 0, directed=True, return_predecessors=True)
    return int(ncomp)


def with_networkx(n: int, src: np.ndarray, dst: np.ndarray) -> int:
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(src.tolist(), dst.tolist()))
    ncomp = sum(1 for _ in nx.strongly_connected_components(g))
    dict(nx.bfs_predecessors(g, 0))
    return ncomp


def measure(fn, *args) -> tuple[int, float, float]:
    t = time.perf_counter()
    out = fn(*args)
    seconds = time.perf_counter() - t
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gluster_arbiter")
    ap.add_argument("--param", action="append", default=None, metavar="NAME=VALUE",
                    help="one graph with these parameters (default: the defaults, then writes=3)")
    args = ap.parse_args()
    spec = load_spec(args.model)
    cases = [args.param] if args.param else [[], ["writes=3"]]
    print("| graph | states | transitions | scipy s | scipy MiB | networkx s | networkx MiB |")
    print("|---|---|---|---|---|---|---|")
    for params in cases:
        model = build_model(spec, parse_params(spec, params))
        ex = Explorer(model, symmetry=False)
        ex.run([], None, None, record_edges=True)
        g = ex.graph
        src, dst = g.src.astype(np.int64), g.dst.astype(np.int64)
        a, ts, ms = measure(with_scipy, g.states, src, dst)
        b, tn, mn = measure(with_networkx, g.states, src, dst)
        assert a == b, f"scipy found {a} components, networkx {b}"
        name = f"{args.model} " + (" ".join(params) if params else "defaults")
        print(f"| {name} | {g.states:,} | {len(src):,} | {ts:.2f} | {ms:.0f} | {tn:.2f} | {mn:.0f} |")


if __name__ == "__main__":
    main()
