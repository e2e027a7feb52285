"""Where the model checks of a deployment run: in this process, in local worker processes, or on a
Dask distributed cluster.

The checks of a deployment are independent (one model, one parameter set, one fault set each), so
they can run anywhere that has the same hacheck and models. Every executor takes the same list of
:class:`Job` and yields ``(job, Done)`` pairs as checks finish; the caller (``run.run``) owns the
cache and the table, so a parallel or distributed run writes the same cache entries and prints the
same table as a sequential one.

* ``local`` with ``workers=1``: one check after the other, in this process (with the live progress
  line of a long check);
* ``local`` with ``workers=N``: a pool of N processes (``concurrent.futures``);
* ``dask``: a Dask distributed cluster, either the scheduler at ``--cluster ADDRESS`` or, without an
  address, a local cluster of ``workers`` processes started for this run. Dask is an optional
  dependency (``pip install hacheck[cluster]``); docs/design.md says why Dask and not Ray.

A worker refuses a job whose model source differs from the one the caller computed the cache key
from (a cluster running another hacheck version): its verdict would be cached under the wrong key.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterator

import attrs

from ..lang.errors import BadInput, HacheckError
from ..result import CheckResult
from .mapping import RunSpec

EXECUTORS = ("local", "dask")


@attrs.frozen
class Job:
    spec: RunSpec
    bounds: Any  # run.Bounds
    digest: str  # cache.source_digest of the model file, as the caller computed it


@attrs.frozen
class Done:
    result: CheckResult | None
    limitation: str | None  # the model could not take these parameters (not checked)
    seconds: float
    worker: str = ""  # where it ran (host:pid), for the log
    error: str | None = None  # work_or_error: the check failed with this HacheckError


def default_workers() -> int:
    """The machine's cores (those this process may use)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def work(job: Job) -> Done:
    """Run one model check (in whatever process this is called)."""
    import socket

    from . import cache, run

    mine = cache.source_digest(run.model_file(job.spec.model))
    if mine != job.digest:
        raise HacheckError(f"the worker on {socket.gethostname()} has another hacheck or model "
                           f"{job.spec.model} (its sources differ from this one's): install the same version there")
    t0 = time.monotonic()
    try:
        res = run.check_spec(job.spec, job.bounds, None)
    except run._Limitation as e:
        return Done(None, str(e), time.monotonic() - t0, f"{socket.gethostname()}:{os.getpid()}")
    return Done(res, None, time.monotonic() - t0, f"{socket.gethostname()}:{os.getpid()}")


def work_or_error(job: Job) -> Done:
    """``work``, with a failed check (a HacheckError) returned in ``Done.error`` rather than raised:
    the re-runs that find the settings involved in a violation (blame.py) skip such a check."""
    try:
        return work(job)
    except HacheckError as e:
        return Done(None, None, 0.0, error=str(e))


def run_jobs(jobs: list[Job], executor: str = "local", workers: int = 1, cluster: str | None = None,
             live: Callable[[dict[str, float]], None] | None = None,
             done_live: Callable[[], None] | None = None,
             starting: Callable[[int], None] | None = None,
             fn: Callable[[Job], Done] | None = None) -> Iterator[tuple[int, Done]]:
    """Run ``jobs`` (each with ``fn``, default ``work``); yield ``(index into jobs, Done)`` as each
    finishes (in any order). In this process (one worker) ``starting(i)`` is called before job i and
    ``live`` receives its progress."""
    if not jobs:
        return
    if executor == "dask":
        yield from _dask(jobs, workers, cluster, fn or work)
    elif workers <= 1 or len(jobs) == 1:
        if fn is None:
            yield from _inline(jobs, live, done_live, starting)
        else:
            for i, job in enumerate(jobs):
                yield i, fn(job)
    else:
        yield from _pool(jobs, workers, fn or work)


def _inline(jobs: list[Job], live: Callable[[dict[str, float]], None] | None,
            done_live: Callable[[], None] | None, starting: Callable[[int], None] | None) -> Iterator[tuple[int, Done]]:
    from . import run

    for i, job in enumerate(jobs):
        if starting:
            starting(i)
        t0 = time.monotonic()
        try:
            res = run.check_spec(job.spec, job.bounds, live)
            done = Done(res, None, time.monotonic() - t0)
        except run._Limitation as e:
            done = Done(None, str(e), time.monotonic() - t0)
        finally:
            if done_live:
                done_live()
        yield i, done


def _pool(jobs: list[Job], workers: int, fn: Callable[[Job], Done] = work) -> Iterator[tuple[int, Done]]:
    import concurrent.futures as cf
    import multiprocessing

    # fork: the workers start with hacheck and numpy already imported (a spawned worker pays ~1 s each)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    n = min(workers, len(jobs))
    pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_share_cores,
                                  initargs=(max(1, default_workers() // n),))
    futures = {pool.submit(fn, jobs[i]): i for i in _largest_first(jobs)}
    try:
        for f in cf.as_completed(futures):
            yield futures[f], f.result()
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM, or the caller stopped reading): the checks in progress are stopped
        # too, not waited for (waiting would be up to the longest running check, minutes on a big one)
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: Any) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _share_cores(threads: int) -> None:
    """In a pool worker: the search threads of each check (hacheck/explicit/search.py) share the cores
    with the other workers' instead of each taking every core (N workers x N threads on N cores only
    adds switching). A user's HACHECK_WORKERS stays as set; the answers do not depend on it."""
    os.environ.setdefault("HACHECK_WORKERS", str(threads))


def _largest_first(jobs: list[Job]) -> list[int]:
    """Submission order for a pool (indices into ``jobs``): the checks expected to be longest first
    (more faults, then the hosted-engine model), so that no long check starts last on an idle pool."""
    def weight(i: int) -> tuple[int, int, int, int]:
        j = jobs[i]
        p = dict(j.spec.params)
        # then the more fault instances (a storage loss is a link per brick and mount, each a fault)
        return (-int(p.get("max_faults", 0) or 0), 0 if j.spec.model == "hosted_engine" else 1, -len(j.spec.faults), i)

    return sorted(range(len(jobs)), key=weight)


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def need_dask(flag: str) -> None:
    """Exit-2 error when the optional dependency is missing, before any work."""
    if not dask_available():
        raise BadInput(f"{flag}: needs Dask distributed, an optional dependency: pip install 'hacheck[cluster]' "
                       "(or pip install distributed)")


def _dask(jobs: list[Job], workers: int, address: str | None, fn: Callable[[Job], Done] = work) -> Iterator[tuple[int, Done]]:
    need_dask("--executor dask")
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if address:
            try:
                client = Client(address, timeout=30)
            except (OSError, TimeoutError, ValueError) as e:
                raise BadInput(f"--cluster {address}: cannot reach a Dask scheduler there: {e}") from None
        else:
            import warnings

            with warnings.catch_warnings():  # "Port 8787 is already in use ... Hosting the HTTP server on port
                # N instead": the scheduler's HTTP endpoint moved, which this run does not use (noise to a user)
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            client = Client(cluster)
        try:
            order = _largest_first(jobs)
            futures = client.map(fn, [jobs[i] for i in order], pure=False)
            index = {f.key: order[k] for k, f in enumerate(futures)}
            for f in as_completed(futures):
                try:
                    done = f.result()
                except HacheckError:
                    raise
                except Exception as e:  # noqa: BLE001 - the cluster's own failures, told in one line
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    raise HacheckError(f"the Dask cluster {address or '(local)'} could not run a check: {first} "
                                       "(every worker needs the same hacheck and models as this machine)") from None
                yield index[f.key], done
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
