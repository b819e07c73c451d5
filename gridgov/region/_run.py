"""Run every county of a region as a task on Dask, and gather the region's outputs.

A province office's server, or a cluster, does the work: :func:`run_region` submits one
task per county (:func:`~gridgov.region._tasks.run_county`) to a ``dask.distributed``
scheduler, a :class:`~distributed.LocalCluster` with one single-threaded worker process per
core by default, or the one at ``scheduler`` (``tcp://HOST:8786``). One thread per worker
means one county per worker at a time, so a worker's memory is that of its largest county,
never the region's. The client holds only the counties' small outcomes.

A worker that dies mid-county (killed, out of memory) loses nothing: the scheduler runs
the county again on another worker (up to ``distributed.scheduler.allowed-failures``
times), and the county's files are written atomically, so the run completes with the same
results. A county whose data is wrong fails alone, listed with its reason.

:func:`run_region_pair` runs coverage and consolidation of each county as one task (one
read of the county, its coverage reused as the plan's "before") and gives the two runs
that :func:`run_region` would give for them apart.

``workers=0`` runs the same tasks in this process, one after another, without Dask: the
serial baseline of ``bench/bench_region.py`` and a way to run where Dask is not installed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridgov._errors import ExtraMissingError, ParameterError
from gridgov.messages import current_lang, text
from gridgov.region._source import CountySource, Region
from gridgov.region._tasks import (
    ConsolidationOptions,
    CountyHook,
    CountyOutcome,
    CoverageOptions,
    reach_m,
    run_county,
    run_county_pair,
)

__all__ = ["TASKS", "RegionRun", "run_region", "run_region_pair"]

log = logging.getLogger(__name__)

#: The tasks a region runs, by the command that asks for them.
TASKS: tuple[str, ...] = ("coverage", "consolidate")

#: ``progress(done, total, failed_codes)`` after each county.
Progress = Callable[[int, int, Sequence[str]], None]


@dataclass(frozen=True)
class RegionRun:
    """Every county's outcome of one region run, in code order.

    Attributes
    ----------
    task : str
        ``"coverage"`` or ``"consolidate"``.
    outcomes : tuple of CountyOutcome
    seconds : float
        Wall time of the whole run.
    engine : str
        ``"serial"``, ``"local:N"`` (a LocalCluster of N workers) or the scheduler address.
    workers : int
        Worker processes the run had when it started (1 for serial).
    """

    task: str
    outcomes: tuple[CountyOutcome, ...]
    seconds: float
    engine: str
    workers: int
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def done(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if o.ok]


def _dask() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ExtraMissingError("region", "a region run on Dask") from exc
    return distributed


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, str, int]]:
    """A Dask client on ``scheduler``, or on a LocalCluster of ``workers`` processes."""
    distributed = _dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ParameterError(
                text("region.no_scheduler", address=scheduler, error=exc),
                parameter="--scheduler",
                value=scheduler,
            ) from exc
        try:
            n = len(client.scheduler_info(n_workers=-1)["workers"])
            yield client, scheduler, n
        finally:
            client.close()
        return
    import dask.config

    n = workers or os.cpu_count() or 1
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, so that glibc hands freed
    # memory back at once; a county's arrays are freed and made again a few hundred times,
    # and each time faulted in anew: province counties, one process, 40 counties of the
    # province, 29.0 s serially, 42.6 s with that variable (system CPU 1.9 -> 12.7 s). The
    # workers keep glibc's own threshold, which adapts to the arrays' size; a worker still
    # holds one county at a time.
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    # one thread per worker: one county per process at a time, memory bounded per worker;
    # no dashboard: nothing listens beyond the scheduler's own loopback port
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client, f"local:{n}", n


def run_region(
    region: Region,
    task: str,
    options: CoverageOptions | ConsolidationOptions,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    counties: Sequence[str] | None = None,
    hook: CountyHook | None = None,
    progress: Progress | None = None,
) -> RegionRun:
    """Run ``task`` on every county of ``region``; each county's files under ``out``.

    Parameters
    ----------
    region : Region
    task : {"coverage", "consolidate"}
    options : CoverageOptions or ConsolidationOptions
        The options of the task, the same for every county (targets per county inside).
    out : path
        The run's folder; county ``C``'s files go to ``out/counties/C/``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:8786``).
    workers : int, optional
        Worker processes of the LocalCluster (default: one per core); 0 runs serially in
        this process without Dask. Ignored with ``scheduler``.
    counties : sequence of str, optional
        Only these county codes (default: all).
    hook : callable, optional
        Adds files per county on the worker (the CLI's county map).
    progress : callable, optional
        ``progress(done, total, failed_codes)`` as counties finish.

    Returns
    -------
    RegionRun

    Raises
    ------
    ParameterError
        An unknown task, a negative ``workers``, a county code not in the region, or a
        scheduler that cannot be reached.
    ExtraMissingError
        If Dask is needed and not installed.
    """
    if task not in TASKS:
        raise ParameterError(
            f"task must be one of {TASKS}, got {task!r}", parameter="task", value=task
        )
    if workers is not None and workers < 0:
        raise ParameterError(
            text("region.bad_workers", value=workers), parameter="--workers", value=workers
        )
    chosen = _chosen(region, counties)
    out = Path(out).resolve()  # the workers write there, whatever their own folder
    out.mkdir(parents=True, exist_ok=True)
    margin = _margin_deg(options)
    jobs = [(c, tuple(region.neighbours(c.code, margin)) if margin else ()) for c in chosen]
    t0 = time.perf_counter()
    tally = _Tally(len(jobs), progress)

    def call(county: CountySource) -> tuple[Any, ...]:
        return (run_county, task, county, options, str(out))

    engine, n_workers = _dispatch(
        jobs, call, lambda county, done: tally.record(done), scheduler, workers, hook, task
    )
    return _region_run(task, region, counties, jobs, tally.outcomes, t0, engine, n_workers)


def run_region_pair(
    region: Region,
    coverage: CoverageOptions,
    consolidation: ConsolidationOptions,
    coverage_out: str | Path,
    consolidation_out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    counties: Sequence[str] | None = None,
    hook: CountyHook | None = None,
    progress: Progress | None = None,
) -> tuple[RegionRun, RegionRun]:
    """Coverage and consolidation of every county of ``region``, one task per county.

    What :func:`run_region` gives for ``"coverage"`` under ``coverage_out`` and for
    ``"consolidate"`` under ``consolidation_out``, the same files and figures, from one
    task per county (:func:`~gridgov.region._tasks.run_county_pair`): the county is read
    and its road graph built once, and its coverage is the plan's "before". Both runs
    carry the wall time and engine of the one run. Parameters as :func:`run_region`;
    ``progress`` counts a county done when both its parts are, and names it failed when
    either failed.

    Returns
    -------
    (RegionRun, RegionRun)
        The coverage run and the consolidation run.
    """
    if workers is not None and workers < 0:
        raise ParameterError(
            text("region.bad_workers", value=workers), parameter="--workers", value=workers
        )
    chosen = _chosen(region, counties)
    cov_out, con_out = Path(coverage_out).resolve(), Path(consolidation_out).resolve()
    for folder in (cov_out, con_out):
        folder.mkdir(parents=True, exist_ok=True)
    margin = _margin_deg(coverage)
    jobs = [(c, tuple(region.neighbours(c.code, margin)) if margin else ()) for c in chosen]
    t0 = time.perf_counter()
    covered: dict[str, CountyOutcome] = {}
    tally = _Tally(len(jobs), progress)

    def call(county: CountySource) -> tuple[Any, ...]:
        return (run_county_pair, county, coverage, consolidation, str(cov_out), str(con_out))

    def record(county: CountySource, done: Any) -> None:
        cov, con = done if isinstance(done, tuple) else (done, done)
        covered[county.code] = cov
        if not cov.ok:
            log.warning("county %s %s coverage failed: %s", cov.code, cov.name, cov.reason)
        tally.record(con, also_failed=not cov.ok)

    engine, n_workers = _dispatch(jobs, call, record, scheduler, workers, hook, "pair")
    return (
        _region_run("coverage", region, counties, jobs, covered, t0, engine, n_workers),
        _region_run("consolidate", region, counties, jobs, tally.outcomes, t0, engine, n_workers),
    )


class _Tally:
    """The outcomes so far, the failed counties, and the progress callback."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.progress = progress
        self.outcomes: dict[str, CountyOutcome] = {}
        self.failed: list[str] = []

    def record(self, outcome: CountyOutcome, *, also_failed: bool = False) -> None:
        self.outcomes[outcome.code] = outcome
        if not outcome.ok:
            log.warning("county %s %s failed: %s", outcome.code, outcome.name, outcome.reason)
        if (also_failed or not outcome.ok) and outcome.code not in self.failed:
            self.failed.append(outcome.code)
        if self.progress is not None:
            self.progress(len(self.outcomes), self.total, list(self.failed))


#: ``call(county)`` -> the task function and its positional arguments (the neighbours
#: and the hook are passed by keyword to every task).
_Call = Callable[[CountySource], tuple[Any, ...]]
#: ``record(county, what_the_task_returned)``; a task that raised returns a failed outcome.
_Record = Callable[[CountySource, Any], None]


def _dispatch(
    jobs: Sequence[tuple[CountySource, tuple[CountySource, ...]]],
    call: _Call,
    record: _Record,
    scheduler: str | None,
    workers: int | None,
    hook: CountyHook | None,
    label: str,
) -> tuple[str, int]:
    """Run every job, in this process (``workers=0``) or on Dask; returns the engine and
    its worker count."""
    # the caller's language travels with each task: a worker process has its own
    lang = current_lang()
    if workers == 0 and not scheduler:
        for county, near in jobs:
            fn, *args = call(county)
            record(county, fn(*args, neighbours=near, hook=hook, lang=lang))
        return "serial", 1
    with _client(scheduler, workers) as (client, engine, n_workers):
        futures = {}
        for county, near in jobs:
            fn, *args = call(county)
            future = client.submit(
                fn, *args, neighbours=near, hook=hook, lang=lang,
                key=f"gridgov-{label}-{county.code}-{time.time_ns()}", pure=False,
            )  # fmt: skip
            futures[future] = county
        distributed = _dask()
        for future in distributed.as_completed(list(futures)):
            county = futures[future]
            try:
                done = future.result()
            except Exception as exc:  # a bug in a task, or a worker lost too often
                done = CountyOutcome(
                    code=county.code,
                    name=county.name,
                    ok=False,
                    reason=f"{type(exc).__name__}: {exc}".splitlines()[0],
                )
            record(county, done)
            future.release()
    return engine, n_workers


def _region_run(
    task: str,
    region: Region,
    counties: Sequence[str] | None,
    jobs: Sequence[tuple[CountySource, tuple[CountySource, ...]]],
    outcomes: dict[str, CountyOutcome],
    t0: float,
    engine: str,
    n_workers: int,
) -> RegionRun:
    # a file of the folder that held no readable county fails as itself, named by file
    broken = tuple(
        CountyOutcome(code=Path(f).stem, name=Path(f).name, ok=False, reason=why)
        for f, why in (region.unreadable if counties is None else ())
    )
    ordered = tuple(outcomes[c.code] for c, _ in jobs) + broken
    return RegionRun(
        task=task,
        outcomes=ordered,
        seconds=round(time.perf_counter() - t0, 2),
        engine=engine,
        workers=n_workers,
    )


def _chosen(region: Region, counties: Sequence[str] | None) -> list[CountySource]:
    if counties is None:
        return list(region.counties)
    known = {c.code for c in region.counties}
    unknown = [c for c in counties if c not in known]
    if unknown:
        raise ParameterError(
            text("region.unknown_counties", codes=", ".join(unknown), region=region.root),
            parameter="--counties",
            value=unknown,
        )
    wanted = set(counties)
    return [c for c in region.counties if c.code in wanted]


def _margin_deg(options: CoverageOptions | ConsolidationOptions) -> float:
    """How far beyond a county's box its neighbours are looked for (0: not at all)."""
    if not isinstance(options, CoverageOptions) or not options.cross_border:
        return 0.0
    from gridgov.coverage.standard import parse_standard

    settings = options.settings
    std = parse_standard(options.standard or settings.reach_standard)
    # a degree of latitude is ~111 km and one of longitude no more: a box this wide in
    # degrees holds everything within the reach, a little more at high latitudes
    return reach_m(std, settings) / 111_000.0 / 0.5
