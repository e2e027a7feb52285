"""``hacheck prove MODEL --property P --for-every PARAM[,PARAM]``: the parametric proof on the console."""

from __future__ import annotations

import argparse
from pathlib import Path

from typing import TYPE_CHECKING

from ..lang.errors import BadInput
from ..result import HOLDS, VIOLATED

if TYPE_CHECKING:  # the parser is built on every start: z3 and numpy load only when --for-every runs
    from ..result import PropertyResult


RLIMIT_DEFAULT = 20_000_000  # --for-every's z3 budget per query; --method lemmas has its own unless --rlimit is given


def add_arguments(pv: argparse.ArgumentParser) -> None:
    pv.add_argument("--for-every", metavar="PARAM[,PARAM]",
                    help="prove the property for every value of these size parameters (e.g. hosts): a universally "
                         "quantified inductive invariant, checked by z3 for every N (docs/symbolic.md)")
    pv.add_argument("--mine-max", type=int, default=3, metavar="N",
                    help="with --for-every: explore sizes up to N exhaustively to mine candidate invariants (default 3)")
    pv.add_argument("--max-n", type=int, default=5, metavar="N",
                    help="with --for-every: without a proof, look for the smallest counterexample up to size N (default 5)")
    pv.add_argument("--rlimit", type=int, default=RLIMIT_DEFAULT, metavar="UNITS",
                    help="with --for-every: z3 resource limit per query (deterministic; default 20,000,000); "
                         "with --method lemmas: its budget per query (default 400,000,000); given with another "
                         "method: every z3 query's budget (with --timeout 0: the only one)")


def lines(model: str, r: "PropertyResult") -> list[str]:
    x = r.extra
    fixed = ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in x.get("fixed", {}).items())
    sorts = x.get("sorts", {})
    n_text = ", ".join(f"{p} (the size of sort {', '.join(s for s, q in sorts.items() if q == p)})" if sorts else p
                       for p in x.get("every", []))
    out = []
    if r.verdict == HOLDS:
        every_n = "every N" + (f" and {x['assignment']}" if x.get("functions") else "")
        out.append(f"{model}: {r.name}: holds for {every_n} (inductive invariant with forall, re-checked)")
        out.append(f"  N: {n_text}, every N >= 1")
        out.append(f"  fixed: {fixed or 'no other parameter'}")
        if x.get("functions"):
            out.append(f"  functions: {', '.join(x['functions'])} (the model chooses one element by another), "
                       "uninterpreted: proved for every such function, the model's own among them; read with "
                       f"{' and '.join(x['read_at'])}")
        if x.get("placed"):
            out.append(f"  initial states: {', '.join(x['placed'])} start on particular elements, so no formula over "
                       "every N gives them; read as every state satisfying these clauses, true of the model's initial "
                       f"states at every size built ({'; '.join(x['init_checked'])}):")
            out += [f"    {c}" for c in x["init_read"]]
        inv = x["invariant"]
        if x.get("lemmas"):  # the stated lemmas (m.lemma) and the property
            if x.get("abstracted"):
                out.append(f"  abstracted: in the guards of {len(x['abstracted'])} actions a comparison with a max_/min_ "
                           "over the sort (a fold) is a free choice of the step (every step of the model is one of "
                           "this reading, so its invariants are the model's)")
            out.append(f"  invariant (the stated lemmas {', '.join(x['lemmas'])} and {r.name}; z3 re-checked "
                       "initiation, consecution of every action, every update within its range, for every N):")
            out += [f"    {n}: {c}" for n, c in zip(x["lemmas"] + [r.name], inv)]  # each line under its name
            out.append(f"  {r.stats.seconds:.2f} s")
            return out
        out.append(f"  invariant ({len(inv)} clauses; z3 re-checked initiation, consecution of every action, "
                   f"every update within its range, and that it implies {r.name}, for every N):")
        out += [f"    {c}" for c in inv]
        out.append(f"  candidates: {x['candidates']} mined from the reachable states of {', '.join(x['checked'])} "
                   f"(explored exhaustively); {x['queries']} z3 queries, {r.stats.seconds:.2f} s")
    elif r.verdict == VIOLATED:
        sizes = ", ".join(f"{k}={v}" for k, v in x["sizes"].items())
        below = "; ".join(x.get("checked", []))
        out.append(f"{model}: {r.name}: violated for {sizes} (the smallest N with a counterexample; "
                   + (f"holds exhaustively for {below})" if below else "the smallest size the model allows)"))
        if "no_proof" in x:
            out.append(f"  no proof for every N: {x['no_proof']}")
        out.append(f"  fixed: {fixed or 'no other parameter'}")
    else:
        out.append(f"{model}: {r.name}: unknown ({r.explanation})")
        out.append(f"  fixed: {fixed or 'no other parameter'}")
    return out


def cmd_prove_every(args: argparse.Namespace) -> int:
    from ..loader import load_spec, parse_params
    from ..render.dot import write_trace_files
    from ..result import CheckResult, Stats
    from .param import Settings, prove_every

    if args.method != "auto" or args.invariant:
        raise BadInput("--for-every finds its own invariant: do not combine it with --method or --invariant")
    for flag, v in (("--mine-max", args.mine_max), ("--max-n", args.max_n), ("--rlimit", args.rlimit)):
        if v < 1:
            raise BadInput(f"{flag}: must be at least 1, got {v}")
    spec = load_spec(args.path)
    overrides = parse_params(spec, args.param)
    every = [k.strip() for k in args.for_every.split(",") if k.strip()]
    if not every:
        raise BadInput("--for-every: name at least one size parameter, e.g. --for-every hosts")
    faults = [k.strip() for k in args.faults.split(",") if k.strip()] if args.faults else None
    settings = Settings(mine_max=args.mine_max, max_n=max(args.max_n, args.mine_max), rlimit=args.rlimit,
                        timeout=args.timeout)
    r = prove_every(spec, overrides, args.property, every, faults, settings)
    result = CheckResult(spec.name, {**{k: v for k, v in r.extra.get("fixed", {}).items()}}, (r,),
                         Stats(seconds=r.stats.seconds), engine="smt")
    if r.trace is not None:
        stem = f"{spec.name}.{r.name}.every-N"
        result = result.with_trace_files(r.name, write_trace_files(r.trace, Path(args.out), stem))
    r = result.properties[0]
    print("\n".join(lines(spec.name, r)))
    from ..cli import finish_proof

    return finish_proof(result, args)
