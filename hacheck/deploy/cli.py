"""``hacheck check DEPLOYMENT.toml`` and ``hacheck diff OLD.toml NEW.toml``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..lang.errors import BadInput

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


def _reject(args: argparse.Namespace, names: list[str]) -> None:
    for n in names:
        v = getattr(args, n, None)
        if v not in (None, [], False, "explicit", 20, 60.0, "cadical"):  # the defaults
            raise BadInput(f"--{n.replace('_', '-')}: not used with a deployment file (it applies to model files)")


def _bounds(args: argparse.Namespace, d: Any) -> Any:
    from .run import Bounds

    chk = d.tables["check"]
    ms = getattr(args, "max_states", None) or (chk["max_states"] or None)
    mx = getattr(args, "max_seconds", None) or (chk["max_seconds"] or None)
    return Bounds(ms, mx)


def _fail_list(args: argparse.Namespace, d: Any) -> list[str] | None:
    """``--fail HOST[:KIND][,HOST[:KIND]]``: the failures of one scenario."""
    import difflib

    from .schema import FAILURE_KINDS

    text = getattr(args, "fail", None)
    if text is None:
        return None
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise BadInput(f"--fail {text!r}: names no host; give HOST or HOST:KIND, comma-separated "
                       f"(hosts: {', '.join(h.name for h in d.hosts)}), or leave --fail out to check every scenario")
    known = [h.name for h in d.hosts] + ["ovirt-engine", "gluster-clients"]
    for item in items:
        n, colon, k = item.partition(":")
        if colon and not k.strip():
            raise BadInput(f"--fail {item}: no failure kind after ':'; give HOST or HOST:KIND (kinds: "
                           f"{', '.join(FAILURE_KINDS)})")
        if n not in known:
            close = difflib.get_close_matches(n, known, n=1)
            raise BadInput(f"--fail {item}: {n} is not a host of {d.path}" + (f" (did you mean {close[0]}?)" if close else "")
                           + f"; hosts: {', '.join(h.name for h in d.hosts)}")
        if k and k not in FAILURE_KINDS:
            close = difflib.get_close_matches(k, list(FAILURE_KINDS), n=1)
            raise BadInput(f"--fail {item}: unknown failure kind {k!r}" + (f" (did you mean {close[0]}?)" if close else "")
                           + f"; kinds: {', '.join(FAILURE_KINDS)}")
    if len({i.partition(':')[0] for i in items}) != len(items):
        raise BadInput(f"--fail {text}: name each host once (one failure per host)")
    return items


def _executor(args: argparse.Namespace) -> tuple[str, int, str | None]:
    """``--executor``, ``--workers`` and ``--cluster``, checked before any work (Dask installed?)."""
    from .executor import default_workers, need_dask

    cluster = getattr(args, "cluster", None)
    executor = getattr(args, "executor", None) or ("dask" if cluster is not None else "local")
    if cluster is not None and executor != "dask":
        raise BadInput(f"--cluster {cluster}: a cluster address is for --executor dask")
    if cluster is not None and not cluster.strip():
        raise BadInput("--cluster '': give the Dask scheduler's address, such as tcp://10.0.0.5:8786")
    if executor == "dask":
        need_dask(f"--cluster {cluster}" if cluster else "--executor dask")
    workers = getattr(args, "workers", None) or default_workers()
    return executor, workers, cluster


def check_deployment(path: str, args: argparse.Namespace, out: Any = None, log: Any = None,
                     quiet: bool | None = None) -> tuple[int, Any]:
    """Check one deployment file; print the table; return (exit code, DeploymentResult)."""
    from ..cli import Progress, _ensure_report_folders, _ensure_writable
    from .mapping import plan
    from .parse import load
    from .run import run

    out = out or sys.stdout
    quiet = bool(getattr(args, "quiet", False)) if quiet is None else quiet
    _reject(args, ["param", "faults", "max_depth", "no_symmetry", "depth", "timeout", "sat_solver"])
    if getattr(args, "engine", "explicit") not in (None, "explicit"):
        raise BadInput("--engine: a deployment is checked with the explicit engine (liveness and recovery times)")
    from .. import failsafe

    failsafe.set_phase("loading the deployment")
    d = load(path)
    props = getattr(args, "property", None) or []
    if props:
        d.tables["check"]["properties"] = list(props)
        d.properties_from_cli = True
    executor, workers, cluster = _executor(args)
    p = plan(d, _fail_list(args, d))
    out_dir = Path(getattr(args, "out", None) or "hacheck-out")
    _ensure_writable(out_dir)
    _ensure_report_folders(args)
    log = log if log is not None else (None if quiet else sys.stderr)
    progress = Progress(not quiet)
    if log:
        distinct = len({r.spec for m in p.models if not m.limitation for r in m.runs})
        log.write(f"checking {d.path}: {len(p.scenarios)} failure scenario(s), {distinct} distinct model checks\n")
    failsafe.set_phase("checking the deployment")
    res = run(p, _bounds(args, d), out_dir, log=log, live=progress, done_live=progress.done,
              executor=executor, workers=workers, cluster=cluster)
    from .blame import blame, rerun

    if failsafe.interrupted():  # asked to stop: no new re-runs; the table shows what finished
        if log:
            log.write(f"settings involved: not looked for (interrupted ({failsafe.interrupted()}))\n")
    else:
        failsafe.set_phase("finding the settings involved in each violation")
        t_blame = time.monotonic()
        verdict_of = rerun(_bounds(args, d), executor=executor, workers=workers, cluster=cluster)
        try:
            blame(res, verdict_of, _bounds(args, d))  # settings involved in each violation, by re-running with each changed
        except KeyboardInterrupt as e:  # the verdicts are all in: print them, without the settings involved
            if log:
                log.write(f"settings involved: not looked for (interrupted ({failsafe.how(e)}))\n")
        if log and sum(verdict_of.counts.values()):
            log.write(f"settings involved: {sum(verdict_of.counts.values())} re-runs with one setting changed "
                      f"({verdict_of.counts['cached']} cached), {time.monotonic() - t_blame:.1f} s\n")
    failsafe.set_phase("writing the table and reports")
    _print(res, out, quiet, _availability(d))
    _write_reports(res, args)
    return res.exit_code, res


def _availability(d: Any) -> dict[tuple[str, str], str] | None:
    """When the file gives failure or repair rates: the long-run availability column of the table
    (hacheck/avail/deployment.py), keyed by (model label, property it goes with)."""
    gives = any(h.get("mttf_hours") or h.get("mttr_hours") for h in d.raw.get("hosts", [])) or \
        any(d.raw.get("failures", {}).get("rates", {}).values())
    if not gives:
        return None
    from ..avail.chain import ChainTooLarge, Rates
    from ..avail.deployment import deployment_rows

    try:
        rows, _ = deployment_rows(str(d.path), Rates(), 1_000_000, [], 2)
    except ChainTooLarge as e:
        rows = getattr(e, "rows", [])
    out: dict[tuple[str, str], str] = {}
    for part in {r.part for r in rows}:
        mine = [r for r in rows if r.part == part]
        eng = [r for r in mine if r.measure == "engine_up"]
        vms = [r for r in mine if r.measure.startswith("vm_")]
        if eng:
            out[(part, "engine_recovers")] = f"{100 * eng[0].low:.4f} %"
        if vms:
            out[(part, "ha_vm_restarted")] = f"{100 * min(r.low for r in vms):.4f} %"
        vol = [r for r in mine if r.measure == "volume_writable"]
        if vol:  # a volume of several replica sets: a lower bound (hacheck/avail/volume.py)
            out[(part, "volume_writable")] = ("" if vol[0].exact else ">= ") + f"{100 * vol[0].low:.4f} %"
    return out


def _print(res: Any, out: Any, quiet: bool, avail: dict[tuple[str, str], str] | None = None) -> None:
    from .report import header, notes, table, trace_text

    lines = header(res) + table(res, avail)
    n = notes(res)
    if n:
        lines += ["", "notes:"] + n
    out.write("\n".join(lines) + "\n")
    for r in res.rows:
        if r.trace_error:
            sys.stderr.write(f"hacheck: warning: the trace files of {r.property} ({r.model}) were not written: "
                             f"{r.trace_error}\n")
    if not quiet:
        for r in res.rows:
            if r.trace_kind is not None and (r.verdict == "violated" or r.trace_kind == "worst-case"):
                out.write("\n" + "\n".join(trace_text(r)) + "\n")


def _write_reports(res: Any, args: argparse.Namespace) -> None:
    from ..report.json_report import write_json
    from .report import to_json

    if getattr(args, "json", None):
        write_json([to_json(res)], args.json)
    if getattr(args, "junit", None):
        from ..report.junit import write_junit

        write_junit(res, args.junit)
    if getattr(args, "sarif", None):
        from ..report.sarif import write_sarif

        write_sarif(res, args.sarif)
    if getattr(args, "html", None):
        from ..report.html import write_html

        traces = {r.trace_files["itf"]: r.trace for r in res.rows if r.trace_files.get("itf") and r.trace is not None}
        write_html(args.html, to_json(res), traces, title=f"hacheck: deployment {res.plan.deployment.name}")


def cmd_check(args: argparse.Namespace) -> int:
    code, _ = check_deployment(args.path, args)
    return code


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff, render

    import io

    quiet_log = None if args.quiet else sys.stderr
    buf = io.StringIO()
    from .parse import load

    from ..cli import _ensure_report_folders

    load(args.old), load(args.new)  # both files valid before anything is checked
    _ensure_report_folders(args)
    inner = argparse.Namespace(**{k: v for k, v in vars(args).items() if k not in ("json", "junit", "sarif", "html")})
    _, old = check_deployment(args.old, inner, out=buf, log=quiet_log, quiet=True)
    _, new = check_deployment(args.new, inner, out=buf, log=quiet_log, quiet=True)
    d = diff(old, new, Path(getattr(args, "out", None) or "hacheck-out"))
    sys.stdout.write("\n".join(render(d, quiet=args.quiet)) + "\n")
    if getattr(args, "json", None):
        from ..report.json_report import write_json

        write_json([d.to_json()], args.json)
    return d.exit_code
