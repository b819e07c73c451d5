"""A tiny generated region and a real Dask cluster on 127.0.0.1 for the region tests.

The cluster is the one a province office would run: a ``dask scheduler`` and two
``dask worker`` processes from the venv's own ``dask`` command, each worker one thread and
no nanny (so a worker killed with -9 stays dead, and the scheduler must move its county).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridgov import io
from gridgov.region import open_region, read_county
from gridgov.synth import synth_region
from gridgov.testing import free_port

DASK = Path(sys.executable).with_name("dask")


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


def _start_cluster(log_dir: Path, n_workers: int = 2) -> Cluster:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": "10s"}
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=(log_dir / "scheduler.log").open("wb"),
        env=env,
    )
    workers = [
        subprocess.Popen(
            [
                str(DASK),
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"w{i}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(log_dir / f"worker-{i}.log").open("wb"),
            env=env,
        )
        for i in range(n_workers)
    ]
    from distributed import Client

    deadline = time.monotonic() + 90
    while True:
        try:
            with Client(address, timeout="5s") as client:
                client.wait_for_workers(n_workers, timeout=60)
            break
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    return Cluster(address, scheduler, workers)


def _stop_cluster(cluster: Cluster) -> None:
    for proc in [*cluster.workers, cluster.scheduler]:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in [*cluster.workers, cluster.scheduler]:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler and two workers, shared by a module's tests (none of which kills one)."""
    c = _start_cluster(tmp_path_factory.mktemp("dask-logs"))
    try:
        yield c
    finally:
        _stop_cluster(c)


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster for one test that may kill its workers."""
    c = _start_cluster(tmp_path / "dask-logs")
    try:
        yield c
    finally:
        _stop_cluster(c)


@pytest.fixture(scope="session")
def region_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five small counties (about 30 villages each) in three synth parts."""
    out = tmp_path_factory.mktemp("region") / "province"
    synth_region(out, n_villages=150, seed=18, villages_per_county=30, counties_per_part=2)
    return out


@pytest.fixture(scope="session")
def county_workspaces(region_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each county of the region as its own workspace GeoPackage, the way a county office
    keeps it (and the input of the per-county runs the region run must equal)."""
    folder = tmp_path_factory.mktemp("counties")
    for county in open_region(region_dir).counties:
        io.write_workspace(read_county(county), folder / f"{county.code}.gpkg")
    return folder
