"""Which deployment settings a violation depends on, found by re-running.

A setting is *involved* in a violated row iff changing it alone, to its other value (a switch) or to
the upstream default (any other setting that differs from it), changes the verdict of that property
in the scenario the row shows. Each candidate is checked again: the deployment is rebuilt with the
one setting changed, planned again, and the model check of the same scenario is run (from the cache
when it was run before). Candidates are the settings that feed the model's parameters; settings
without another value to try (a required size, a name) and those that change what is modelled
rather than how (which hosts run VMs, which VMs are HA, the failures, the check bounds) are not
tried. A change the deployment cannot take (it no longer validates, or the model can no longer
represent it) proves nothing and does not count, nor does a re-run a bound stopped (unknown): the
verdict must become ``holds``.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import attrs

from ..lang.errors import HacheckError
from ..result import HOLDS, VIOLATED
from .parse import Deployment, setting_default, setting_path
from .schema import REQUIRED

STRUCTURE = (".hypervisor", ".hosted_engine", ".ha", ".name", ".host", ".bricks", ".replica", ".storage",
             ".pm_agent", ".priority")  # flat-name endings that say what is modelled, not how it behaves
NOT_TRIED = ("failures.", "check.", "engine.host", "engine.mode")


@attrs.frozen
class Involved:
    setting: str
    value: Any  # its value in the file
    changed_to: Any  # the value that changes the verdict
    verdict: str  # the verdict with that value
    line: int | None  # where the file writes it; None: not written (its default applies)
    #: the model's other properties that held in the row's scenario and are violated there with that value
    #: (a change that fixes one property by switching a safety mechanism off breaks another)
    breaks: list[str] = attrs.field(factory=list)


def alternatives(d: Deployment, name: str) -> list[Any]:
    """The other value of a switch, or the upstream default of any other setting (when it differs)."""
    if name.startswith(NOT_TRIED) or name.endswith(STRUCTURE):
        return []
    value = d.settings.get(name)
    if isinstance(value, bool):
        return [not value]
    default = setting_default(name)
    if default is REQUIRED or default == value:
        return []
    return [list(default) if isinstance(default, list) else default]


def with_setting(d: Deployment, name: str, value: Any) -> Deployment | None:
    """``d`` with one setting changed, validated again; None if the result is not a valid deployment."""
    from .parse import _build, _check_meaning, _Errors

    raw = copy.deepcopy(d.raw)
    node: Any = raw
    path = setting_path(d, name)
    for part in path[:-1]:
        if isinstance(node, list):
            node = node[part]
        else:
            node = node.setdefault(part, {})
    if name.endswith(".arbiter") and isinstance(value, bool):
        value = int(value)
    node[path[-1]] = value
    nd = Deployment(d.path, d.text, raw, d.loc)
    nd.properties_from_cli = d.properties_from_cli
    errs = _Errors(d.path, d.loc)
    try:
        _build(nd, errs)
        if not errs.items:
            _check_meaning(nd, errs)
    except (HacheckError, KeyError, TypeError, ValueError):
        return None
    if errs.items:
        return None
    nd.tables["check"]["properties"] = list(d.tables["check"]["properties"])
    return nd


def blame(res: Any, verdict_of: Callable[[Any], Any], bounds: Any = None) -> None:
    """Set ``row.settings`` (and ``row.involved``) of every violated row of ``res`` by re-running.

    ``verdict_of(spec)`` returns the CheckResult of a RunSpec (from the cache, or checked now). The
    outcome of a row is cached too, keyed by every setting of the file, the scenario and the source:
    an unchanged deployment does not re-plan its variants."""
    from .mapping import plan

    d = res.plan.deployment
    fail = list(res.plan.fail) if res.plan.fail is not None else None
    replans: dict[tuple[str, str], Any] = {}
    seed = getattr(verdict_of, "seed", None)
    if seed is not None:
        seed(res.outcomes)

    def rerun_spec(row: Any, s: str, alt: Any) -> Any:
        """The RunSpec of ``row``'s scenario in the deployment with ``s = alt`` (None: no such run)."""
        key = (s, repr(alt))
        if key not in replans:
            nd = with_setting(d, s, alt)
            try:
                replans[key] = plan(nd, fail) if nd is not None else None
            except HacheckError:
                replans[key] = None
        p2 = replans[key]
        if p2 is None:
            return None
        mp2 = next((m for m in p2.models if m.label == row.model and not m.limitation), None)
        if mp2 is None:
            return None
        run = next((pr for pr in mp2.runs if _label(pr) == row.scenario), None)
        return run.spec if run is not None else None

    todo: list[tuple[Any, str | None, list[tuple[str, Any, Any]]]] = []  # row, cache key, (setting, alt, spec)
    for row in res.rows:
        if row.verdict != VIOLATED or not row.scenario:
            continue
        mp = next(m for m in res.plan.models if m.label == row.model)
        key = _blame_key(d, mp, row, fail, bounds)
        known = _load(key)
        if known is not None:
            row.involved = known
            row.settings = [i.setting for i in known]
            row.source_path = str(d.path)
            continue
        candidates: list[str] = []
        for sources in mp.sources.values():
            for s in sources:
                if s in d.settings and s not in candidates:
                    candidates.append(s)
        tries = [(s, alt, rerun_spec(row, s, alt)) for s in candidates for alt in alternatives(d, s)]
        todo.append((row, key, tries))
    before = _verdicts_by_run(res)
    # re-run spec -> the properties the violated rows ask of it, and those that held in the row's scenario
    # (a change that makes the row hold may break one of them: the fix hint says so)
    need: dict[Any, set[str]] = {}
    for row, _, tries in todo:
        held = {n for n, v in before.get((row.model, row.scenario), {}).items() if v == HOLDS}
        for _, _, spec in tries:
            if spec is not None:
                need.setdefault(spec, set()).update({row.property} | held)
    todo = [(row, key, narrowed(tries, need, verdict_of)) for row, key, tries in todo]
    prefetch = getattr(verdict_of, "prefetch", None)
    if prefetch is not None:  # every re-run at once (in parallel where the caller has workers)
        prefetch([spec for _, _, tries in todo for _, _, spec in tries if spec is not None])
    for row, key, tries in todo:
        involved: list[Involved] = []
        held = {n for n, v in before.get((row.model, row.scenario), {}).items() if v == HOLDS}
        done: set[str] = set()
        for s, alt, spec in tries:
            if s in done or spec is None:
                continue
            try:
                result = verdict_of(spec)
            except HacheckError:
                continue
            if result is None:
                continue
            verdict = next((p.verdict for p in result.properties if p.name == row.property), None)
            if verdict == HOLDS:  # a bound that stops the re-run (unknown) shows nothing
                path = setting_path(d, s)
                line = d.line(path) if d.loc.has(path) else None
                breaks = sorted(p.name for p in result.properties if p.name in held and p.verdict == VIOLATED)
                involved.append(Involved(s, d.settings.get(s), alt, verdict, line, breaks))
                done.add(s)  # one value that changes the verdict is enough
        row.settings = [i.setting for i in involved]
        row.involved = involved
        row.source_path = str(d.path)
        _store(key, involved)


def _verdicts_by_run(res: Any) -> dict[tuple[str, str], dict[str, str]]:
    """(model label, scenario label) -> {property: verdict} of the checks this deployment ran."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for o in getattr(res, "outcomes", []):
        if o.result is None:
            continue
        label = next((m.label for m in res.plan.models if o.planned in m.runs), None)
        if label is not None:
            out[(label, _label(o.planned))] = {p.name: p.verdict for p in o.result.properties}
    return out


def narrowed(tries: list[tuple[str, Any, Any]], need: dict[Any, set[str]],
             verdict_of: Callable[[Any], Any]) -> list[tuple[str, Any, Any]]:
    """``tries`` with each re-run that must be checked anew asking only for the properties in
    ``need`` (the violated rows' that re-run that spec, and those that held in their scenarios, for
    the trade-offs the fix hints report), not every property of the model. The verdict of a property on a model instance does not depend on which other
    properties are checked with it, so the outcome is the same; a re-run of invariants alone stops
    at the first state that violates them all and records no edges (no liveness graph). A re-run
    already known in full (the deployment's own check, or a cached one) is taken as it is."""
    known = getattr(verdict_of, "known", None)
    out = []
    for s, alt, spec in tries:
        if spec is not None and not (known is not None and known(spec)):
            spec = attrs.evolve(spec, properties=tuple(sorted(need[spec])))
        out.append((s, alt, spec))
    return out


def _blame_key(d: Deployment, mp: Any, row: Any, fail: Any, bounds: Any) -> str | None:
    import hashlib
    import json

    from . import cache
    from .run import model_file

    if cache.cache_dir() is None:
        return None
    doc = {"blame": 2, "settings": d.settings, "fail": fail, "model": row.model, "property": row.property,
           "scenario": row.scenario, "bounds": attrs.asdict(bounds) if attrs.has(type(bounds)) else repr(bounds),
           "source": cache.source_digest(model_file(mp.model))}
    return "blame-" + hashlib.sha256(json.dumps(doc, sort_keys=True, default=repr).encode()).hexdigest()[:32]


def _load(key: str | None) -> list[Involved] | None:
    import json

    from . import cache

    folder = cache.cache_dir()
    if key is None or folder is None:
        return None
    try:
        return [Involved(**x) for x in json.loads((folder / f"{key}.json").read_text())]
    except Exception:  # noqa: BLE001 - a damaged entry is a miss
        return None


def _store(key: str | None, involved: list[Involved]) -> None:
    import json
    import os

    from . import cache

    folder = cache.cache_dir()
    if key is None or folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{key}.json.tmp{os.getpid()}"
        tmp.write_text(json.dumps([attrs.asdict(i) for i in involved]))
        tmp.replace(folder / f"{key}.json")
    except (OSError, TypeError, ValueError):
        pass  # a cache that cannot be written only costs time


def _label(pr: Any) -> str:
    return pr.scenario.label + (f", {pr.part}" if pr.part else "")


def fix_hint(row: Any, path: Any) -> list[str]:
    """One line per involved setting (each alone is enough): what to write, where, and what that does."""
    from .diff import toml_value

    out = []
    for i in getattr(row, "involved", []):
        where = f"{path}:{i.line}, now {toml_value(i.value)}" if i.line else \
            f"not written in {path}: default {toml_value(i.value)}"
        line = (f"  fix hint: {i.setting} = {toml_value(i.changed_to)} ({where}): with it {row.property} "
                f"{i.verdict} in {row.scenario}")
        if i.breaks:
            line += f", but {', '.join(i.breaks)} (which held there) would then be violated: a trade-off, not a fix"
        out.append(line)
    return out


def rerun(bounds: Any, use_cache: bool = True, executor: str = "local", workers: int = 1,
          cluster: str | None = None) -> Callable[[Any], Any]:
    """``verdict_of`` for :func:`blame`: the cached result of a RunSpec, or a check now (then cached).
    A check the model cannot take (a limitation) gives None, one that fails gives a HacheckError.
    ``verdict_of.prefetch(specs)`` runs the uncached ones at once on ``executor`` with ``workers``
    (the deployment's own workers or cluster), so the re-runs use every core too; the verdicts, the
    cache entries and the counts are those of calling ``verdict_of`` on each in turn."""
    from . import cache
    from .run import _identity, _Limitation, check_spec, model_file

    counts = {"checked": 0, "cached": 0}
    memo: dict[Any, Any] = {}  # within this run, also when the cache is off
    fetched: dict[Any, tuple[bool, Any, str | None]] = {}  # prefetched: (from the cache, result, error)

    def verdict_of(spec: Any) -> Any:
        if spec in memo:
            counts["cached"] += 1
            return memo[spec]
        if spec in fetched:
            was_cached, res, error = fetched.pop(spec)
            counts["cached" if was_cached else "checked"] += 1
            if error is not None:
                raise HacheckError(error)
            memo[spec] = res
            return res
        memo[spec] = res = _verdict_of(spec)
        return res

    def prefetch(specs: list[Any]) -> None:
        from .executor import Job, run_jobs, work_or_error

        jobs: list[Job] = []
        keys: list[str] = []
        for spec in dict.fromkeys(specs):
            if spec in memo or spec in fetched:
                continue
            k = cache.key(model_file(spec.model), _identity(spec, bounds))
            res = cache.load(k) if use_cache else None
            if res is not None:
                fetched[spec] = (True, res, None)
            else:
                jobs.append(Job(spec, bounds, cache.source_digest(model_file(spec.model))))
                keys.append(k)
        if len(jobs) < 2 or (workers <= 1 and executor == "local"):
            return  # one at a time in this process: verdict_of does it, in order
        for j, done in run_jobs(jobs, "local" if executor == "dask" and not cluster else executor,
                                workers, cluster, fn=work_or_error):
            res = done.result
            fetched[jobs[j].spec] = (False, res, done.error)
            if res is not None and use_cache and all(p.verdict != "unknown" for p in res.properties):
                cache.store(keys[j], res)

    def _verdict_of(spec: Any) -> Any:
        k = cache.key(model_file(spec.model), _identity(spec, bounds))
        res = cache.load(k) if use_cache else None
        counts["cached" if res is not None else "checked"] += 1
        if res is None:
            try:
                res = check_spec(spec, bounds, None)
            except _Limitation:
                return None
            if use_cache and all(p.verdict != "unknown" for p in res.properties):
                cache.store(k, res)
        return res

    def known(spec: Any) -> bool:
        """Whether the result of ``spec`` is at hand (this run's, or in the cache): no check needed."""
        if spec in memo or spec in fetched:
            return True
        if not use_cache or cache.cache_dir() is None:
            return False
        return cache.load(cache.key(model_file(spec.model), _identity(spec, bounds))) is not None

    def seed(outcomes: Any) -> None:
        """The deployment's own checks: a re-run whose one setting does not change a model's run is that
        run (also when the cache is off)."""
        for o in outcomes:
            if o.result is not None and o.planned.spec not in memo:
                memo[o.planned.spec] = o.result

    verdict_of.counts = counts  # type: ignore[attr-defined]
    verdict_of.prefetch = prefetch  # type: ignore[attr-defined]
    verdict_of.known = known  # type: ignore[attr-defined]
    verdict_of.seed = seed  # type: ignore[attr-defined]
    return verdict_of
