"""Exact p-median: gridgov's solver beside PySAL spopt's ``PMedian`` (CBC and HiGHS via PuLP).

Instances with known optima (see ``bench/_pmed.py``), read from ``../shared/bench`` at run
time: OR-Library ``pmed1`` .. ``pmed40`` (all-pairs shortest paths, unit weights) and the
synthetic counties ``county400x97`` (p = 52) and ``county2000x500`` (p = 250; Euclidean
metres, population weights). Every solver gets the same cost matrix and weights.

Each (instance, solver) runs in a fresh subprocess, so its peak RSS is its own (CBC's
process included). The time is ``time.perf_counter`` around model build + solve:

- gridgov: ``Instance.from_cost_matrix`` + ``p_median(instance, PMedianRules(p=...))``,
  median of ``--repeat`` runs; its own proven gap, and a check that its objective equals
  the weighted travel recomputed from ``sol.open`` (``FAIL`` when not);
- spopt-cbc / spopt-highs: ``PMedian.from_cost_matrix`` + ``.solve`` with
  ``pulp.PULP_CBC_CMD`` / ``pulp.HiGHS``, ``timeLimit=--spopt-limit``. PuLP reports no MIP
  bound; HiGHS's own dual bound is read from the solver object it leaves behind, CBC's
  gap is shown as ``-``. The objective is recomputed from the open sites.

Prints per instance: n, m, p, the known optimum, and per solver objective, status, proven
gap, gap to the known optimum ("vs opt"), model build time, total time (build + solve), peak
RSS and whether it matched the optimum (1e-6 relative); then totals per solver and time
ratios spopt/gridgov.

Run: ``python bench/bench_consolidate.py [--instances pmed1-10,county400x97]
[--solvers gridgov,spopt-cbc,spopt-highs] [--spopt-limit 60] [--gridgov-limit 120]
[--repeat 1] [--json bench/out/consolidate.json]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _pmed
import numpy as np

SOLVERS = ("gridgov", "spopt-cbc", "spopt-highs")
MATCH_RTOL = 1e-6


def _peak_rss_gib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the CBC process
    return max(own, kids) / 2**20  # Linux reports KiB


def _run_gridgov(inst: _pmed.PMedianInstance, args: argparse.Namespace) -> dict[str, Any]:
    from gridgov.coverage.location import Instance, PMedianRules, p_median

    times, builds, sol = [], [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model = Instance.from_cost_matrix(inst.cost, inst.weight)
        builds.append(time.perf_counter() - t0)
        rules = PMedianRules(p=inst.p, time_limit_s=args.gridgov_limit, seed=0)
        sol = p_median(model, rules)
        times.append(time.perf_counter() - t0)
    assert sol is not None
    open_sites = np.asarray(sol.open, dtype=np.int64)
    recomputed = _pmed.objective(inst.cost, inst.weight, open_sites)
    consistent = len(np.unique(open_sites)) == inst.p and abs(
        sol.objective - recomputed
    ) <= 1e-9 * max(1.0, abs(recomputed))
    return {
        "objective": float(sol.objective),
        "recomputed": recomputed,
        "consistent": bool(consistent),
        "bound": float(sol.bound),
        "gap": float(sol.gap),
        "proven": bool(sol.proven),
        "status": str(sol.status),
        "time_s": statistics.median(times),
        "times_s": times,
        "build_s": statistics.median(builds),
        "solver_time_s": float(sol.time_s),
        "method": str(sol.method),
    }


def _run_spopt(
    inst: _pmed.PMedianInstance, solver: str, args: argparse.Namespace
) -> dict[str, Any]:
    import pulp
    from spopt.locate import PMedian

    opts: dict[str, Any] = {"msg": False, "timeLimit": args.spopt_limit}
    if args.spopt_gap is not None:
        opts["gapRel"] = args.spopt_gap
    backend = pulp.PULP_CBC_CMD(**opts) if solver == "spopt-cbc" else pulp.HiGHS(**opts)
    error = None
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(inst.cost, inst.weight, p_facilities=inst.p)
    build_s = time.perf_counter() - t0
    try:
        model.solve(backend, results=False)
    except RuntimeError as exc:  # spopt raises when PuLP's status is not Optimal
        error = str(exc)
    elapsed = time.perf_counter() - t0
    problem = model.problem
    # PuLP maps "stopped on time with an incumbent" to status Optimal; sol_status tells apart.
    sol_status = problem.sol_status
    values = [v.value() for v in model.fac_vars]
    has_plan = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) and all(
        v is not None for v in values
    )
    out: dict[str, Any] = {
        "time_s": elapsed,
        "build_s": build_s,
        "pulp_status": pulp.LpStatus[problem.status],
        "pulp_sol_status": pulp.LpSolution[sol_status],
        "error": error,
        "objective": None,
        "bound": None,
        "gap": None,
    }
    if sol_status == pulp.LpSolutionOptimal:
        out["status"] = "optimal"
    elif sol_status == pulp.LpSolutionIntegerFeasible or elapsed - build_s >= args.spopt_limit:
        out["status"] = "time limit"
    else:
        out["status"] = "not solved"
    if has_plan:
        open_sites = np.flatnonzero(np.asarray(values, dtype=float) > 0.5).astype(np.int64)
        out["objective"] = _pmed.objective(inst.cost, inst.weight, open_sites)
        out["pulp_objective"] = float(pulp.value(problem.objective))
        out["n_open"] = int(open_sites.size)
    highs = getattr(problem, "solverModel", None)
    if solver == "spopt-highs" and highs is not None and out["objective"] is not None:
        bound = float(highs.getInfo().mip_dual_bound)
        if math.isfinite(bound):
            out["bound"] = bound
            out["gap"] = max(0.0, (out["objective"] - bound) / max(abs(out["objective"]), 1e-9))
    out["proven"] = out["status"] == "optimal"
    return out


def _child(name: str, solver: str, args: argparse.Namespace) -> None:
    inst = _pmed.load(name, orlib=Path(args.orlib), synthetic=Path(args.synthetic))
    out = _run_gridgov(inst, args) if solver == "gridgov" else _run_spopt(inst, solver, args)
    out["peak_rss_gib"] = _peak_rss_gib()
    print(json.dumps(out))


def _spawn(name: str, solver: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", name, "--child-solver", solver]
    cmd += ["--orlib", str(args.orlib), "--synthetic", str(args.synthetic)]
    cmd += ["--spopt-limit", str(args.spopt_limit), "--gridgov-limit", str(args.gridgov_limit)]
    cmd += ["--repeat", str(args.repeat)]
    if args.spopt_gap is not None:
        cmd += ["--spopt-gap", str(args.spopt_gap)]
    limit = args.gridgov_limit * args.repeat if solver == "gridgov" else args.spopt_limit
    # Model building is not under the solver's clock (spopt builds n x m PuLP variables).
    wall = 3 * limit + 600
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=wall)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "error": f"no answer after {wall:.0f} s", "objective": None}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return {"status": "crashed", "error": tail[0], "objective": None}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _fmt(value: float | None, spec: str, width: int) -> str:
    if value is None or not math.isfinite(value):
        return f"{'-':>{width}}"
    return f"{value:>{width}{spec}}"


def _pct(value: float | None, width: int) -> str:
    if value is None or not math.isfinite(value):
        return f"{'-':>{width}}"
    # Rounding the synthetic coordinates moves the objective by ~1e-9: no "-0.0000%".
    return f"{(0.0 if abs(value) < 5e-7 else 100 * value):>{width - 1}.4f}%"


def _matched(r: dict[str, Any], optimum: float) -> bool:
    obj = r.get("objective")
    return obj is not None and abs(obj - optimum) <= MATCH_RTOL * abs(optimum)


HEADER = (
    f"{'instance':<15}{'n':>5}{'m':>5}{'p':>5}{'optimum':>17}  {'solver':<12}{'objective':>17}"
    f"  {'status':<11}{'gap':>9}{'vs opt':>9}{'build s':>9}{'time s':>9}{'RSS GiB':>8}  match"
)


def _row(inst: _pmed.PMedianInstance, solver: str, r: dict[str, Any], first: bool) -> str:
    if first:
        lead = (
            f"{inst.name:<15}{inst.n_demand:>5}{inst.n_sites:>5}{inst.p:>5}{inst.optimum:>17,.2f}"
        )
    else:
        lead = " " * 47
    obj = r.get("objective")
    vs_opt = None if obj is None else (obj - inst.optimum) / inst.optimum
    match = "yes" if _matched(r, inst.optimum) else "no"
    if solver == "gridgov" and obj is not None and not r.get("consistent", False):
        match += f"  FAIL: objective != recomputed {r['recomputed']:,.2f}"
    if r.get("error") and r.get("status") in ("killed", "crashed", "not solved"):
        match += f"  ({r['error'][:60]})"
    gap = r.get("gap")
    return (
        f"{lead}  {solver:<12}{_fmt(obj, ',.2f', 17)}  {r.get('status', '-'):<11}"
        f"{_pct(gap, 9)}{_pct(vs_opt, 9)}"
        f"{_fmt(r.get('build_s'), '.2f', 9)}{_fmt(r.get('time_s'), '.2f', 9)}{_fmt(r.get('peak_rss_gib'), '.2f', 8)}  {match}"
    )


def _summary(
    names: list[str],
    optima: dict[str, float],
    solvers: list[str],
    results: dict[tuple[str, str], dict[str, Any]],
) -> None:
    print()
    head = (
        f"{'solver':<13}{'runs':>5}{'total s':>10}{'median s':>10}{'max s':>9}{'matched':>9}"
        f"{'proven':>8}{'time lim':>9}{'no plan':>8}{'max RSS':>8}"
    )
    print(head)
    print("-" * len(head))
    for s in solvers:
        rs = [results[n, s] for n in names if (n, s) in results]
        times = [r["time_s"] for r in rs if r.get("time_s") is not None]
        matched = sum(_matched(results[n, s], optima[n]) for n in names if (n, s) in results)
        proven = sum(bool(r.get("proven")) for r in rs)
        limited = sum(r.get("status") == "time limit" for r in rs)
        no_plan = sum(r.get("objective") is None for r in rs)
        rss = max((r.get("peak_rss_gib", 0.0) for r in rs), default=0.0)
        print(
            f"{s:<13}{len(rs):>5}{sum(times):>10.2f}"
            f"{(statistics.median(times) if times else float('nan')):>10.3f}"
            f"{max(times, default=float('nan')):>9.2f}{f'{matched}/{len(rs)}':>9}"
            f"{f'{proven}/{len(rs)}':>8}{limited:>9}{no_plan:>8}{rss:>8.2f}"
        )
    if "gridgov" not in solvers:
        return
    others = [s for s in solvers if s != "gridgov"]
    if not others:
        return
    print()
    print("time ratio spopt / gridgov over the instances both ran (> 1: gridgov faster)")
    for s in others:
        both = [
            n
            for n in names
            if results.get((n, s), {}).get("time_s")
            and results.get((n, "gridgov"), {}).get("time_s")
        ]
        if not both:
            continue
        g = [results[n, "gridgov"]["time_s"] for n in both]
        o = [results[n, s]["time_s"] for n in both]
        ratios = [b / a for a, b in zip(g, o, strict=True)]
        # A run stopped by its time limit only gives a lower bound on its time.
        capped = any(results[n, s].get("status") != "optimal" for n in both)
        ge = ">=" if capped else ""
        geo = math.exp(statistics.fmean(math.log(r) for r in ratios))
        faster = sum(r > 1 for r in ratios)
        print(
            f"  {s:<12} total {ge}{sum(o) / sum(g):.1f}x   geometric mean {ge}{geo:.1f}x"
            f"   median {ge}{statistics.median(ratios):.1f}x   gridgov faster on {faster}/{len(both)}"
            f"   (gridgov {sum(g):.1f} s vs {sum(o):.1f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--instances", default="all", help="e.g. pmed1-10,pmed40,county400x97 (default all 42)"
    )
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--spopt-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--gridgov-limit", type=float, default=120.0, help="seconds per instance")
    parser.add_argument(
        "--spopt-gap", type=float, default=None, help="gapRel for PuLP (default: solver's own)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="gridgov runs per instance (median)")
    parser.add_argument("--orlib", default=str(_pmed.ORLIB_DIR))
    parser.add_argument("--synthetic", default=str(_pmed.SYNTHETIC_DIR))
    parser.add_argument("--json", help="also write every result here (under bench/out/)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-solver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    if args.child:
        _child(args.child, args.child_solver, args)
        return
    try:
        names = _pmed.parse_names(args.instances)
    except ValueError as exc:
        parser.error(str(exc))
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in solvers if s not in SOLVERS]
    if unknown:
        parser.error(f"unknown solver {unknown[0]!r}: choose from {', '.join(SOLVERS)}")
    if any(s.startswith("spopt") for s in solvers) and not all(
        importlib.util.find_spec(mod) for mod in ("spopt", "pulp")
    ):
        print('spopt / pulp are not installed: pip install -e ".[bench]" to compare; gridgov alone')
        solvers = [s for s in solvers if not s.startswith("spopt")]

    gap_note = "solver default gap" if args.spopt_gap is None else f"gapRel {args.spopt_gap:g}"
    print(
        f"p-median, exact: {len(names)} instances; gridgov limit {args.gridgov_limit:g} s"
        f" (median of {args.repeat}); spopt limit {args.spopt_limit:g} s, {gap_note};"
        " time s = model build + solve; gap = proven by the solver; vs opt = against the known optimum"
    )
    print(HEADER)
    print("-" * len(HEADER))
    results: dict[tuple[str, str], dict[str, Any]] = {}
    optima: dict[str, float] = {}
    for name in names:
        inst = _pmed.load(name, orlib=Path(args.orlib), synthetic=Path(args.synthetic))
        optima[name] = inst.optimum
        for k, solver in enumerate(solvers):
            r = _spawn(name, solver, args)
            results[name, solver] = r
            print(_row(inst, solver, r, first=k == 0), flush=True)
    _summary(names, optima, solvers, results)
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            {"instance": n, "solver": s, "optimum": optima[n], **r} for (n, s), r in results.items()
        ]
        out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
