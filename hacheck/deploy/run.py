"""Run every model check a deployment needs (each distinct run once, cached) and fold the results
into one row per (model, property)."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, TextIO

import attrs

from ..lang.errors import BadInput, HacheckError, ModelError
from ..result import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult, fmt_int
from ..trace import Trace
from . import cache
from .mapping import ModelPlan, Plan, PlannedRun, RunSpec, restrict_instances

NOT_CHECKED = "not checked"


@attrs.frozen
class Bounds:
    max_states: int | None = None
    max_seconds: float | None = None


@attrs.define
class RunOutcome:
    planned: PlannedRun
    result: CheckResult | None
    cached: bool = False
    error: str | None = None  # the model could not take these parameters


@attrs.define
class Row:
    model: str  # ModelPlan.label
    property: str
    kind: str
    verdict: str  # holds | violated | unknown | not checked
    explanation: str
    states: int = 0
    seconds: float = 0.0
    recovery: str = ""  # "" when not a leads-to / not computed
    recovery_ticks: int | None = None
    recovery_seconds: float | None = None
    scenario: str = ""  # the scenario the verdict/trace comes from
    targets: tuple[str, ...] = ()  # what fails in that scenario
    _trace: Trace | None = None  # read lazily from trace_source (a cached ITF file)
    trace_source: str | None = None
    trace_length: int | None = None
    trace_kind: str | None = None
    trace_files: dict[str, str] = attrs.field(factory=dict)
    legend: tuple[tuple[str, str], ...] = ()
    per_run: list[dict[str, Any]] = attrs.field(factory=list)
    entries: list[tuple[RunOutcome, PropertyResult]] = attrs.field(factory=list, repr=False)  # per run, for diff
    stem_base: str = ""  # trace file names start with this
    settings: list[str] = attrs.field(factory=list)  # deployment settings involved in the trace
    timers: str = ""  # "scaled": recovery in scaled ticks, which are not seconds (never compared with seconds)
    source_path: str = ""  # the deployment file (for fix hints)
    involved: list[Any] = attrs.field(factory=list)  # blame.Involved: settings whose change changes the verdict
    trace_error: str = ""  # the trace files could not be written (why)

    @property
    def trace(self) -> Trace | None:
        if self._trace is None and self.trace_source:
            from ..trace import read_itf

            self._trace = in_units(read_itf(self.trace_source), self.timers)
        return self._trace

    @property
    def named_trace(self) -> Trace | None:
        """The trace in the deployment's names (hosts, VMs, bricks) rather than the model's."""
        from .names import rename_trace

        t = self.trace
        return rename_trace(t, self.legend) if t is not None else None

    @property
    def figures(self) -> str:
        if self.verdict == NOT_CHECKED:
            return "-"
        return f"{fmt_int(self.states)} states, {self.seconds:.2f} s"


@attrs.define
class DeploymentResult:
    plan: Plan
    rows: list[Row]
    outcomes: list[RunOutcome]
    seconds: float
    runs_total: int
    runs_cached: int

    @property
    def exit_code(self) -> int:
        verdicts = {r.verdict for r in self.rows}
        if VIOLATED in verdicts:
            return 1
        if UNKNOWN in verdicts or NOT_CHECKED in verdicts:
            return 3
        return 0


_specs: dict[str, Any] = {}


def model_file(name: str) -> Path:
    """The shipped model a deployment maps to (hacheck/shipped.py: wherever hacheck is installed)."""
    from ..shipped import resolve_model

    return resolve_model(name)


def load_model_spec(name: str) -> Any:
    from ..loader import load_spec

    if name not in _specs:
        _specs[name] = load_spec(model_file(name))
    return _specs[name]


def _identity(spec: RunSpec, bounds: Bounds) -> dict[str, Any]:
    return {"model": spec.model, "params": [list(p) for p in spec.params], "faults": [f.text for f in spec.faults],
            "properties": list(spec.properties) if spec.properties is not None else None,
            "max_states": bounds.max_states, "max_seconds": bounds.max_seconds}


def check_spec(spec: RunSpec, bounds: Bounds, progress: Callable[[dict[str, float]], None] | None) -> CheckResult:
    """Build the model of ``spec``, keep its faults, check its properties (no symmetry reduction:
    the faults may strike one host only)."""
    from ..check import run_check
    from ..explicit.search import Bounds as SearchBounds

    mspec = load_model_spec(spec.model)
    known = {i.name for i in mspec.param_info()}
    missing = [k for k, _ in spec.params if k not in known]
    if missing:
        raise _Limitation(f"model {spec.model} has no parameter {', '.join(missing)} (the mapping needs it)")
    model = _built_model(spec, mspec)
    try:
        restrict_instances(model, spec.faults)
    except ModelError as e:
        raise _Limitation(str(e)) from None
    props = [p for p in model.properties.values()
             if (p.name in spec.properties if spec.properties is not None else p.kind != "reachable")]
    if not props:  # none of the properties asked for is this model's: nothing to explore
        from ..explicit.search import params_dict
        from ..result import Stats

        return CheckResult(model.name, params_dict(model), (), Stats())
    b = SearchBounds(bounds.max_states, bounds.max_seconds, None)
    return run_check(model, props, b, progress, symmetry=False)


class _Limitation(HacheckError):
    pass


_models: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}


def _built_model(spec: RunSpec, mspec: Any) -> Any:
    """A fresh copy of the model built with ``spec``'s parameters. The scenarios of a deployment share
    parameters and differ in their fault instances: the model is built once per parameter set (in
    this process) and each check restricts a shallow copy (``restrict_instances`` replaces the
    instance and action lists of the copy, never changes the ones it shares)."""
    import copy

    from ..loader import build_model

    k = (spec.model, spec.params)
    if k not in _models:
        if len(_models) > 64:
            _models.clear()
        _models[k] = build_model(mspec, spec.param_dict())
    return copy.copy(_models[k])


def preflight(plan: Plan, only: set[RunSpec] | None = None) -> None:
    """Refuse, before any check runs, parameters a model cannot take (a fault budget above its maximum,
    ...), naming the deployment key and line they come from. ``only``: the runs about to be checked
    (the cached ones were checked with these parameters already)."""
    d = plan.deployment
    problems: list[str] = []
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()
    for mp in plan.models:
        if mp.limitation:
            continue
        for pr in mp.runs:
            k = (pr.spec.model, pr.spec.params)
            if k in seen or (only is not None and pr.spec not in only):
                continue
            seen.add(k)
            mspec = load_model_spec(pr.spec.model)
            known = {i.name for i in mspec.param_info()}
            try:
                mspec.make_params({n: v for n, v in pr.spec.params if n in known})
            except BadInput as e:
                m = re.match(r"parameter (\w+): (.*)", str(e))
                pname = m.group(1) if m else ""
                srcs = mp.sources.get(pname) or []
                setting = srcs[0] if srcs else ""
                from .parse import setting_path

                where = f"{d.path}:{d.line(setting_path(d, setting))}: {setting}: " if setting else f"{d.path}: "
                why = (f"scenario {pr.scenario.label!r} needs a fault budget of {dict(pr.spec.params)[pname]} in "
                       f"model {mp.label}" if pname == "max_faults" else f"model {mp.label} cannot take it")
                problems.append(f"{where}{why}: {m.group(2) if m else e}")
    if problems:
        raise BadInput("\n".join(dict.fromkeys(problems)))


def run(plan: Plan, bounds: Bounds, out_dir: Path, log: TextIO | None = sys.stderr,
        live: Callable[[dict[str, float]], None] | None = None, done_live: Callable[[], None] | None = None,
        use_cache: bool = True, executor: str = "local", workers: int = 1, cluster: str | None = None
        ) -> DeploymentResult:
    """Check every distinct run of ``plan`` (cached ones are read, the others sent to ``executor``) and
    fold the results into rows. The cache is read and written here, in this process, whatever runs
    the checks: a parallel or distributed run leaves the same cache as a sequential one."""
    from .executor import Job, run_jobs

    t0 = time.monotonic()
    order: list[RunSpec] = []
    for mp in plan.models:
        if mp.limitation:
            continue
        for pr in mp.runs:
            if pr.spec not in order:
                order.append(pr.spec)
    results: dict[RunSpec, tuple[CheckResult | None, bool, str | None]] = {}
    cached_n = 0
    labels: dict[RunSpec, list[tuple[str, str, str]]] = {}
    for mp in plan.models:
        for pr in mp.runs:
            labels.setdefault(pr.spec, []).append((mp.label, pr.scenario.label, pr.part))
    jobs: list[Job] = []
    slot: list[tuple[int, str]] = []  # per job: its number in the progress lines, its cache key
    for i, spec in enumerate(order, 1):
        mfile = model_file(spec.model)
        k = cache.key(mfile, _identity(spec, bounds))
        res = cache.load(k) if use_cache else None
        if res is not None:
            cached_n += 1
            results[spec] = (res, True, None)
            if log:
                log.write(f"  [{i}/{len(order)}] {_describe(labels[spec])}: cached ({fmt_int(res.stats.states)} states)\n")
            continue
        jobs.append(Job(spec, bounds, cache.source_digest(mfile)))
        slot.append((i, k))
    preflight(plan, {j.spec for j in jobs})
    sequential = executor == "local" and (workers <= 1 or len(jobs) <= 1)

    def starting(j: int) -> None:
        if log:
            log.write(f"  [{slot[j][0]}/{len(order)}] {_describe(labels[jobs[j].spec])} ...\n")
            log.flush()

    from ..failsafe import how, interrupted

    finished = 0

    def take(j: int, done: Any) -> None:
        spec = jobs[j].spec
        head = "       " if sequential else f"  [{slot[j][0]}/{len(order)}] {_describe(labels[spec])}:"
        if done.limitation is not None:
            results[spec] = (None, False, done.limitation)
            if log:
                log.write(f"{head} not checked: {done.limitation}\n")
            return
        res = done.result
        assert res is not None
        results[spec] = (res, False, None)
        if log:
            verdicts = {p.verdict for p in res.properties}
            tail = f" ({finished}/{len(jobs)} done)" if not sequential else ""
            log.write(f"{head} {fmt_int(res.stats.states)} states, {done.seconds:.1f} s"
                      f" ({', '.join(sorted(verdicts)) or 'no property'}){tail}\n")
            log.flush()
        if use_cache and all(p.verdict != UNKNOWN for p in res.properties):  # only definite verdicts
            cache.store(slot[j][1], res)

    stopped = ""
    try:  # from the first line that says the checks start: a signal from then on still gets the table
        if log and jobs and not sequential:
            where = (f"the Dask cluster at {cluster}" if executor == "dask" and cluster
                     else f"a local Dask cluster of {workers} worker processes" if executor == "dask"
                     else f"{min(workers, len(jobs))} worker processes")
            log.write(f"  {len(jobs)} model checks to run on {where}\n")
            log.flush()
        for j, done in run_jobs(jobs, executor, workers, cluster, live if sequential else None,
                                done_live if sequential else None, starting if sequential else None):
            finished += 1
            take(j, done)
            if interrupted():  # Ctrl-C or SIGTERM: the checks not run yet are not checked; the table is printed
                stopped = str(interrupted())
                break
    except KeyboardInterrupt as e:  # a signal outside a search (which stops by itself): loading, compiling, the pool
        stopped = how(e)
    for jb in jobs:
        results.setdefault(jb.spec, (None, False, f"interrupted ({stopped or 'a signal'}) before this check finished"))
    outcomes = []
    for mp in plan.models:
        for pr in mp.runs:
            if mp.limitation:
                continue
            r, c, err = results[pr.spec]
            outcomes.append(RunOutcome(pr, r, c, err))
    rows = fold(plan, outcomes, out_dir)
    return DeploymentResult(plan, rows, outcomes, time.monotonic() - t0, len(order), cached_n)


def _model_props(name: str) -> list[str]:
    try:
        from ..loader import build_model

        return list(build_model(load_model_spec(name)).properties)
    except HacheckError:
        return []


def _describe(labels: list[tuple[str, str, str]]) -> str:
    model = labels[0][0]
    scen = sorted({f"{s}" + (f", {p}" if p else "") for m, s, p in labels})
    more = f" (+{len(scen) - 2} more)" if len(scen) > 2 else ""
    return f"{model}: {'; '.join(scen[:2])}{more}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-")


def name_slug(name: str) -> str:
    """The deployment's name in trace file names. A name with letters a file name here does not keep
    (``name = "日日"``) gets a short hash of itself: else it left nothing, and the files were hidden
    (``.fencing....``) and shared by every such deployment."""
    s = _slug(name).strip(".")
    if name.isascii() and s:
        return s
    import hashlib

    return (f"{s}-" if s else "deployment-") + hashlib.sha256(name.encode()).hexdigest()[:8]


def fold(plan: Plan, outcomes: list[RunOutcome], out_dir: Path) -> list[Row]:
    """One row per (model, property): the worst verdict over the scenarios, the longest recovery."""
    rows: list[Row] = []
    d = plan.deployment
    wanted = d.tables["check"]["properties"]
    seen_props: set[str] = set()
    for mp in plan.models:
        if mp.limitation:
            rows.append(Row(mp.label, "-", "-", NOT_CHECKED, mp.limitation))
            continue
        mine = [o for o in outcomes if o.planned in mp.runs]
        missing = [o for o in mine if o.result is None]  # interrupted, or an error: these scenarios not checked
        if len(missing) == len(mine):
            rows.append(Row(mp.label, "-", "-", NOT_CHECKED, "; ".join(sorted({str(o.error) for o in mine}))))
            continue
        names: list[str] = []
        for o in mine:
            for p in o.result.properties if o.result is not None else ():
                if p.name not in names:
                    names.append(p.name)
        seen_props.update(names)
        for name in names:  # the checks that finished keep their verdicts (and traces)
            entries = [(o, p) for o in mine if o.result for p in o.result.properties if p.name == name]
            rows.append(_fold_one(mp, name, entries, out_dir, d.name, missing))
    if wanted:
        missing = [n for n in wanted if n not in seen_props]
        if missing:
            have = sorted({n for mp in plan.models if not mp.limitation for n in _model_props(mp.model)})
            tail = f"; its models have: {', '.join(have)}"
            if getattr(d, "properties_from_cli", False):
                raise BadInput(f"--property {missing[0]}: no model of {d.path} has a property {missing[0]!r}{tail}")
            idx = wanted.index(missing[0])
            raise BadInput(f"{d.path}:{d.line(('check', 'properties', idx))}: check.properties: no model of this "
                           f"deployment has a property {missing[0]!r}{tail}")
    return rows


def _fold_one(mp: ModelPlan, name: str, entries: list[tuple[RunOutcome, PropertyResult]], out_dir: Path,
              dname: str, missing: list[RunOutcome] | None = None) -> Row:
    """``missing``: the runs of the model that did not finish (interrupted, or an error). A violation
    found in the others stands; a property that held in them is not shown to hold (unknown)."""
    missing = missing or []
    kind = entries[0][1].kind
    states = sum(o.result.stats.states for o, _ in entries if o.result)
    seconds = sum(p.stats.seconds for _, p in entries)
    per_run = [{"scenario": o.planned.scenario.label, "part": o.planned.part, "verdict": p.verdict,
                "explanation": p.explanation, "states": o.result.stats.states if o.result else 0,
                "seconds": round(p.stats.seconds, 4), "cached": o.cached,
                "recovery": _recovery_text(mp, p.extra) if "recovery" in p.extra else None,
                "recovery_ticks": p.extra.get("recovery_ticks"),
                "trace_length": _tlen(p)}
               for o, p in entries]
    per_run += [{"scenario": o.planned.scenario.label, "part": o.planned.part, "verdict": NOT_CHECKED,
                 "explanation": o.error, "states": 0, "seconds": 0.0, "cached": False, "recovery": None,
                 "recovery_ticks": None, "trace_length": None} for o in missing]
    not_checked = ""
    if missing:
        labels = list(dict.fromkeys(o.planned.scenario.label + (f", {o.planned.part}" if o.planned.part else "")
                                    for o in missing))
        whys = "; ".join(sorted({str(o.error) for o in missing}))
        not_checked = (f"; not checked in {len(labels)} run{'s' if len(labels) != 1 else ''} "
                       f"({', '.join(labels[:3])}{f' +{len(labels) - 3} more' if len(labels) > 3 else ''}): {whys}")
    n_scen = len({o.planned.scenario for o, _ in entries})
    n_parts = len({o.planned.part for o, _ in entries})
    scope = f"{n_scen} scenario{'s' if n_scen != 1 else ''}" + (f" x {n_parts} replica sets" if n_parts > 1 else "")
    violated = [(o, p) for o, p in entries if p.verdict == VIOLATED]
    unknown = [(o, p) for o, p in entries if p.verdict == UNKNOWN]
    row = Row(mp.label, name, kind, HOLDS, "", states, seconds, per_run=per_run, entries=entries,
              stem_base=_slug(f"{name_slug(dname)}.{mp.label.replace('[', '-').replace(']', '')}.{name}"), timers=mp.timers)
    chosen: tuple[RunOutcome, PropertyResult] | None = None
    if violated:
        chosen = min(violated, key=lambda e: trace_rank(e[1]))
        o, p = chosen
        row.verdict = VIOLATED
        row.explanation = f"{p.explanation}; {o.planned.scenario.label}" + (f", {o.planned.part}" if o.planned.part else "") \
            + (f"; violated in {len(violated)} of {len(entries)} runs" if len(entries) > 1 else "") + not_checked
    elif unknown:
        o, p = unknown[0]
        row.verdict = UNKNOWN
        row.explanation = f"{p.explanation}; {o.planned.scenario.label}" + not_checked
    elif missing:  # held where it was checked: not shown to hold
        row.verdict = UNKNOWN
        row.explanation = f"held in the {len(entries)} run{'s' if len(entries) != 1 else ''} that finished" + not_checked
    else:
        methods = sorted({p.explanation.split(",")[0] for _, p in entries})
        if kind == "reachable":
            row.explanation = f"{'/'.join(methods)} in every run ({scope})"
        else:
            row.explanation = f"{'/'.join(methods)}, {scope}"
        with_rec = [(o, p) for o, p in entries if "recovery" in p.extra]
        if with_rec:
            unb = [(o, p) for o, p in with_rec if p.extra.get("unbounded")]
            if unb:
                chosen = unb[0]
            else:
                chosen = max(with_rec, key=lambda e: e[1].extra.get("recovery_ticks") or 0)
            o, p = chosen
            row.recovery = _recovery_text(mp, p.extra)
            row.recovery_ticks = p.extra.get("recovery_ticks")
            row.recovery_seconds = p.extra.get("recovery_seconds") if not mp.timers else None
        elif kind == "reachable":
            chosen = None
    if chosen is not None:
        o, p = chosen
        row.scenario = o.planned.scenario.label + (f", {o.planned.part}" if o.planned.part else "")
        row.targets = o.planned.scenario.targets
        row.legend = o.planned.legend
        kind_t = p.trace.kind if p.trace is not None else p.extra.get("_trace_kind")
        if kind_t is not None:
            row._trace = in_units(p.trace, mp.timers)
            row.trace_source = p.extra.get("_trace_file")
            row.trace_length, row.trace_kind = _tlen(p), kind_t
            try:
                row.trace_files = write_trace(p, out_dir, trace_stem(row.stem_base, o, kind_t), row.legend, mp.timers)
            except (HacheckError, OSError) as e:  # the verdicts stand: the table is printed, the problem said
                row.trace_error = str(e)
    return row


def in_units(trace: Trace | None, timers: str) -> Trace | None:
    """``trace`` in the units of the deployment's outputs. The model's tick is one agent cycle of 10 s,
    but with scaled timers (hosted_engine.timers = "scaled") the timeouts it counts are shrunk, so a
    number of ticks is not a time: the trace claims no tick length and says its ticks are scaled
    (ITF, DOT/SVG, HTML and text all follow from this one place)."""
    if trace is None or timers != "scaled":
        return trace
    return attrs.evolve(trace, tick_seconds=None, scaled_ticks=True)


def _recovery_text(mp: ModelPlan, extra: dict[str, Any]) -> str:
    """The worst-case recovery as the table shows it. With scaled timers a tick is not 10 s (the
    agents' timeouts are shrunk with their order kept): the time is given in scaled ticks only."""
    text = str(extra.get("recovery", "")).replace("worst-case recovery ", "")
    ticks = extra.get("recovery_ticks")
    if mp.timers == "scaled" and ticks is not None and not extra.get("unbounded"):
        return f"{ticks} scaled ticks (not seconds)"
    return text


MAX_STEM = 120  # characters; with ".itf.json" well under the 255 bytes a file name may have


def trace_stem(base: str, o: RunOutcome, kind: str) -> str:
    return bounded_stem(_slug(f"{base}.{o.planned.scenario.slug}" + (f".{o.planned.part}" if o.planned.part else "")
                              + ("" if kind == "counterexample" else f".{kind}")))


def bounded_stem(stem: str) -> str:
    """``stem`` if it is short enough for a file name, else its start and a hash of the whole (long host
    or deployment names must not make the trace files unwritable, and distinct stems stay distinct)."""
    if len(stem) <= MAX_STEM:
        return stem
    import hashlib

    return stem[: MAX_STEM - 17].rstrip(".-") + "-" + hashlib.sha256(stem.encode()).hexdigest()[:16]


def trace_rank(p: PropertyResult) -> tuple[int, int]:
    """Which counterexample to show: one that needs no environment step (operator, repair) first, then
    the shortest."""
    if p.trace is not None:
        env = sum(1 for s in p.trace.steps if s.kind == "env")
    else:
        env = p.extra.get("_trace_env_steps", 0)
    return env, _tlen(p) or 0


def _tlen(p: PropertyResult) -> int | None:
    return p.trace.length if p.trace is not None else p.extra.get("_trace_length")


_RENDERER: list[str] = []


def _renderer_digest() -> str:
    """hacheck's version and the source of the code that writes trace files (ITF, DOT, SVG)."""
    if not _RENDERER:
        import hashlib

        from .. import __version__

        h = hashlib.sha256(__version__.encode())
        root = Path(__file__).resolve().parent.parent
        for f in sorted((root / "render").glob("*.py")) + [root / "trace.py"]:
            h.update(f.read_bytes())
        _RENDERER.append(h.hexdigest())
    return _RENDERER[0]


def write_trace(p: PropertyResult, out_dir: Path, stem: str, legend: tuple[tuple[str, str], ...] = (),
                timers: str = "") -> dict[str, str]:
    """Write the trace files of ``p`` in the deployment's names (``legend``) and units (``timers``), unless the ones already
    there were written from the same trace with the same names: their ITF metadata carries a
    fingerprint of both, so an unchanged deployment re-checked from the cache rewrites nothing (and
    does not even read the cached trace)."""
    import hashlib
    import json
    import shutil

    from .cache import itf_bytes, trace_of
    from .names import rename_trace

    itf = out_dir / f"{stem}.itf.json"
    dot = out_dir / f"{stem}.dot"
    svg = out_dir / f"{stem}.svg"
    source = p.extra.get("_trace_sha256")
    if source is None:  # a fresh check not cached: the trace is in memory (the digest the cache would record)
        assert p.trace is not None
        source = hashlib.sha256(itf_bytes(p.trace)).hexdigest()
    # the drawing code too: a newer hacheck may draw the same trace differently
    fingerprint = hashlib.sha256(json.dumps([source, list(legend), timers, _renderer_digest()]).encode()).hexdigest()
    try:  # the metadata comes first in the file: its head is enough
        with itf.open("rb") as f:
            head = f.read(1 << 16)
        same = f'"fingerprint": "{fingerprint}"'.encode() in head
        same = same and dot.exists() and (svg.exists() or shutil.which("dot") is None)
    except OSError:
        same = False
    if same:
        files = {"itf": str(itf), "dot": str(dot)}
        if svg.exists():
            files["svg"] = str(svg)
        return files
    from ..render.dot import write_trace_files

    trace = in_units(trace_of(p), timers)
    assert trace is not None
    return write_trace_files(rename_trace(trace, legend), out_dir, stem, itf_meta={"fingerprint": fingerprint})
