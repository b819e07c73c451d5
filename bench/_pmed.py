"""p-median benchmark instances with known optima, read from the shared data folder.

Two families, both read at run time and never copied into the repository:

- OR-Library ``pmed1`` .. ``pmed40`` (Beasley 1985): a graph per file, cost matrix = all-pairs
  shortest paths, every vertex a unit-weight client and a candidate site;
- the synthetic counties ``county400x97`` and ``county2000x500``: Euclidean metres from the
  CSV coordinates, weights = village population.

Used by ``bench_consolidate.py``; ``python bench/_pmed.py`` prints a summary of every instance.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial.distance import cdist

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
ORLIB_DIR = SHARED / "orlib-pmed"
SYNTHETIC_DIR = SHARED / "synthetic-county"

ORLIB = tuple(f"pmed{k}" for k in range(1, 41))
# p and the proven optimum, from synthetic-county/README.md.
SYNTHETIC: dict[str, tuple[int, float]] = {
    "county400x97": (52, 1274404075.36),
    "county2000x500": (250, 2821364459.18),
}
ALL = ORLIB + tuple(SYNTHETIC)


@dataclass(frozen=True)
class PMedianInstance:
    """A p-median instance: demand x site cost matrix, weights, p and the known optimum."""

    name: str
    cost: NDArray[np.float64]
    weight: NDArray[np.float64]
    p: int
    optimum: float

    @property
    def n_demand(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.cost.shape[1])


def parse_names(spec: str) -> list[str]:
    """Instance names from ``"pmed1-10,pmed40,county400x97"`` (ranges inclusive; ``all``).

    Raises
    ------
    ValueError
        A token that names no instance, or a range outside pmed1..pmed40.
    """
    names: list[str] = []
    for raw in spec.split(","):
        token = raw.strip().lower()
        if not token:
            continue
        if token == "all":
            names.extend(ALL)
            continue
        if token in ("orlib", "synthetic"):
            names.extend(ORLIB if token == "orlib" else SYNTHETIC)
            continue
        if token in SYNTHETIC:
            names.append(token)
            continue
        match = re.fullmatch(r"pmed(\d+)(?:-(?:pmed)?(\d+))?", token)
        if match is None:
            raise ValueError(
                f"unknown instance {raw!r}: expected pmedK, pmedA-B or one of {list(SYNTHETIC)}"
            )
        lo = int(match.group(1))
        hi = int(match.group(2) or lo)
        if not 1 <= lo <= hi <= len(ORLIB):
            raise ValueError(f"instance range {raw!r} is outside pmed1..pmed{len(ORLIB)}")
        names.extend(f"pmed{k}" for k in range(lo, hi + 1))
    # Keep the first mention of each name, in the order given.
    return list(dict.fromkeys(names))


def orlib_distances(path: Path) -> tuple[NDArray[np.float64], int]:
    """All-pairs shortest-path matrix and p of one OR-Library ``pmedK.txt`` file.

    An edge listed more than once (in either direction) takes its last cost in the file, as
    Beasley's notes prescribe; keeping the minimum instead changes the optima.
    """
    with path.open() as f:
        n, m, p = (int(v) for v in f.readline().split())
        edges = np.loadtxt(f, dtype=np.int64, ndmin=2)
    if edges.shape != (m, 3):
        raise ValueError(f"{path}: header announces {m} edges, found {edges.shape[0]} rows")
    i, j, c = edges[:, 0] - 1, edges[:, 1] - 1, edges[:, 2].astype(np.float64)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    # np.unique keeps the first occurrence; on the reversed list that is the file's last.
    _, first = np.unique((lo * n + hi)[::-1], return_index=True)
    keep = (m - 1 - first)[lo[m - 1 - first] != hi[m - 1 - first]]
    # Both directions, no duplicates left: csr_matrix would otherwise sum them.
    rows = np.concatenate([lo[keep], hi[keep]])
    cols = np.concatenate([hi[keep], lo[keep]])
    graph = sparse.csr_matrix((np.concatenate([c[keep], c[keep]]), (rows, cols)), shape=(n, n))
    dist = csgraph.shortest_path(graph, method="D", directed=False)
    if not np.isfinite(dist).all():
        raise ValueError(f"{path}: the graph is not connected")
    return dist, p


def _optima(folder: Path) -> dict[str, float]:
    with (folder / "optima.csv").open(newline="") as f:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(f)}


def load(name: str, *, orlib: Path = ORLIB_DIR, synthetic: Path = SYNTHETIC_DIR) -> PMedianInstance:
    """Load one instance by name (``pmed1`` .. ``pmed40``, ``county400x97``, ``county2000x500``).

    Raises
    ------
    ValueError
        An unknown name.
    FileNotFoundError
        The data folder does not hold the instance.
    """
    if name in ORLIB:
        dist, p = orlib_distances(orlib / f"{name}.txt")
        return PMedianInstance(name, dist, np.ones(dist.shape[0]), p, _optima(orlib)[name])
    if name in SYNTHETIC:
        p, optimum = SYNTHETIC[name]
        dem = np.loadtxt(synthetic / f"{name}_demand.csv", delimiter=",", skiprows=1, ndmin=2)
        fac = np.loadtxt(synthetic / f"{name}_candidates.csv", delimiter=",", skiprows=1, ndmin=2)
        cost = cdist(dem[:, 1:3], fac[:, 1:3])
        return PMedianInstance(name, cost, dem[:, 3].astype(np.float64), p, optimum)
    raise ValueError(f"unknown instance {name!r}")


def objective(
    cost: NDArray[np.float64], weight: NDArray[np.float64], open_sites: NDArray[np.int64]
) -> float:
    """Weighted travel when every demand point uses its cheapest open site."""
    if len(open_sites) == 0:
        return float("inf")
    return float((weight * cost[:, open_sites].min(axis=1)).sum())


if __name__ == "__main__":
    for name in ALL:
        inst = load(name)
        print(
            f"{name:<15}{inst.n_demand:>6}{inst.n_sites:>6}{inst.p:>5}{inst.optimum:>18,.2f}"
            f"{inst.cost.max():>12,.1f}"
        )
