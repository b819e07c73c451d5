"""就近编组进站: grouping deputies into stations agrees with hand-worked and brute-force optima."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gridgov._errors import InfeasibleError, ValidationError
from gridgov.coverage.grouping import GROUPING_COLUMNS, group_deputies
from gridgov.synth import demo_county
from gridgov.testing import TINY_PROJECTED_CRS

# Three regional stations on a road, 10 km apart; travel is one minute per km.
LINE = {"A": 0.0, "B": 10.0, "C": 20.0}
NAMES = {"A": "甲站", "B": "乙站", "C": "丙站", "I": "芥菜站"}


def _stations(ids: tuple[str, ...] = ("A", "B", "C"), **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "station_id": list(ids),
            "name": [NAMES.get(s, s) for s in ids],
            "kind": ["industry" if s == "I" else "regional" for s in ids],
            "industry": ["芥菜" if s == "I" else None for s in ids],
        }
    )
    for key, values in extra.items():
        frame[key] = values
    return frame


def _line(
    positions: list[float],
    *,
    before: list[str | None] | None = None,
    specialty: list[str | None] | None = None,
    stations: dict[str, float] = LINE,
    unreachable: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deputies at ``positions`` (km) and their travel (60 s per km) to every station."""
    ids = [f"D{i}" for i in range(len(positions))]
    deputies = pd.DataFrame(
        {
            "deputy_id": ids,
            "name": [f"代表{i}" for i in range(len(positions))],
            "level": "county",
            "specialty": specialty or [None] * len(positions),
            "station_id": before or [None] * len(positions),
        }
    )
    costs = pd.DataFrame(
        [
            (d, s, abs(x - sx) * 60.0)
            for d, x in zip(ids, positions, strict=True)
            for s, sx in stations.items()
            if d not in unreachable
        ],
        columns=["origin_id", "destination_id", "cost"],
    )
    return deputies, costs


def _by_id(result: pd.DataFrame) -> pd.DataFrame:
    return result.set_index("deputy_id")


# --- hand-made cases with a known optimum ------------------------------------------------------


def test_every_deputy_goes_to_the_nearest_station_when_the_bounds_allow() -> None:
    positions = [0, 1, 2, 3, 9, 10, 11, 18, 19, 20]
    deputies, costs = _line(positions, before=["B"] * 10)
    out = group_deputies(deputies, _stations(), costs)
    expected = ["A"] * 4 + ["B"] * 3 + ["C"] * 3
    assert out["station_after"].tolist() == expected
    assert (out["station_after"] == out["nearest_station_id"]).all()
    assert out["travel_s"].sum() == pytest.approx(60.0 * (0 + 1 + 2 + 3 + 1 + 0 + 1 + 2 + 1 + 0))
    assert out["moved"].tolist() == [s != "B" for s in expected]
    assert out.loc[0, "reason"] == "就近编组：距离最近（0.0分钟）"
    assert out.loc[6, "reason"] == "就近编组：距离最近（1.0分钟）"
    assert list(out.columns) == list(GROUPING_COLUMNS)
    assert out.attrs["shortfall"] == {} and out.attrs["overflow"] == {}


def test_a_minimum_pulls_in_the_deputy_who_loses_least_and_says_why() -> None:
    # C's only nearby deputy is D8; the cheapest second is D7 (11 km: 8 minutes more).
    deputies, costs = _line([0, 1, 2, 3, 4, 9, 10, 11, 20])
    out = _by_id(group_deputies(deputies, _stations(), costs, min_per_station=2))
    assert out["station_after"].value_counts().to_dict() == {"A": 5, "B": 2, "C": 2}
    assert out.loc["D7", "station_after"] == "C"
    assert out.loc["D7", "nearest_station_id"] == "B"
    assert out.loc["D7", "travel_s"] - out.loc["D7", "nearest_travel_s"] == pytest.approx(480.0)
    assert out.loc["D7", "reason"] == "为满足丙站最少2名代表的接待轮值而调入（比最近站点多8.0分钟）"


def test_a_maximum_pushes_out_the_deputy_who_loses_least_and_says_why() -> None:
    # Five deputies nearest A, which takes four: D4 (4 km) loses least by going to B.
    deputies, costs = _line([0, 1, 2, 3, 4, 10, 20, 21, 22])
    out = _by_id(group_deputies(deputies, _stations(), costs, min_per_station=0, max_per_station=4))
    assert out["station_after"].value_counts().to_dict() == {"A": 4, "B": 2, "C": 3}
    assert out.loc["D4", "station_after"] == "B"
    assert out.loc["D4", "reason"] == "最近站点甲站已满（上限4名），改入次近站点（多2.0分钟）"


def test_industry_deputies_keep_to_their_industry_station() -> None:
    stations = {**LINE, "I": 30.0}
    deputies, costs = _line(
        [0, 1, 2, 3, 10, 11, 12, 20, 21, 22],
        before=["I", "A", "A", "A", "B", "B", "B", "C", "C", "C"],
        specialty=["教育", "芥菜", None, None, None, None, None, None, None, None],
        stations=stations,
    )
    out = _by_id(
        group_deputies(deputies, _stations(("A", "B", "C", "I")), costs, min_per_station=2)
    )
    # Already in the industry station: stays, though A is next door.
    assert out.loc["D0", "station_after"] == "I" and not out.loc["D0", "moved"]
    assert out.loc["D0", "reason"] == "保留在行业站点：芥菜"
    # Works in the industry: joins its station, and is not used to fill A's rota.
    assert out.loc["D1", "station_after"] == "I" and out.loc["D1", "moved"]
    assert out.loc["D1", "reason"] == "按专业编入行业站点：芥菜（29.0分钟）"
    assert out["station_after"].value_counts().to_dict() == {"A": 2, "B": 3, "C": 3, "I": 2}
    assert out.loc[["D2", "D3"], "reason"].str.startswith("就近编组").all()


def test_a_full_industry_station_sends_its_farthest_member_to_the_nearest_regional() -> None:
    deputies, costs = _line(
        [25, 28, 1, 0, 10, 20],
        specialty=["芥菜", "芥菜", "芥菜", None, None, None],
        stations={**LINE, "I": 30.0},
    )
    out = _by_id(
        group_deputies(
            deputies,
            _stations(("A", "B", "C", "I")),
            costs,
            min_per_station=0,
            max_per_station=2,
        )
    )
    assert out.loc[["D0", "D1"], "station_after"].tolist() == ["I", "I"]
    assert out.loc["D2", "station_after"] == "A"
    assert out.loc["D2", "reason"] == "芥菜行业站点已满（上限2名），就近编组：距离最近（1.0分钟）"


def test_a_deputy_with_no_route_keeps_their_station_and_still_counts() -> None:
    deputies, costs = _line(
        [0, 1, 10, 11, 20, 21, 5, 6],
        before=["A", "A", "B", "B", "C", "C", "C", None],
        unreachable=("D6", "D7"),
    )
    out = _by_id(group_deputies(deputies, _stations(), costs, min_per_station=2))
    assert out.loc["D6", "station_after"] == "C" and not out.loc["D6", "moved"]
    assert out.loc["D6", "reason"] == "无路网可达站点，保留原站点"
    assert np.isnan(out.loc["D6", "travel_s"]) and pd.isna(out.loc["D6", "nearest_station_id"])
    assert pd.isna(out.loc["D7", "station_after"])
    assert out.loc["D7", "reason"] == "无路网可达站点，未能编组"
    assert out["station_after"].value_counts().to_dict() == {"A": 2, "B": 2, "C": 3}


def test_unreachable_cost_lets_a_deputy_beyond_the_table_fill_a_rota() -> None:
    deputies, costs = _line([0, 1, 10, 11, 20, 5], unreachable=("D5",))
    out = _by_id(
        group_deputies(deputies, _stations(), costs, min_per_station=2, unreachable_cost=3600.0)
    )
    assert out.loc["D5", "station_after"] == "C"
    assert np.isnan(out.loc["D5", "travel_s"])
    assert out.loc["D5", "reason"] == "无路网可达站点，按不可达代价（60.0分钟）编入丙站"
    assert out.attrs["shortfall"] == {}


def test_a_minimum_that_cannot_be_met_is_relaxed_and_reported() -> None:
    deputies, costs = _line([0, 1, 2, 10], stations={"A": 0, "B": 10})
    out = _by_id(group_deputies(deputies, _stations(("A", "B")), costs, min_per_station=2))
    # Moving D2 to B fills both rotas; nobody is left to do more.
    assert out["station_after"].value_counts().to_dict() == {"A": 2, "B": 2}
    deputies, costs = _line([0, 1, 10])
    out = _by_id(group_deputies(deputies, _stations(), costs, min_per_station=2))
    assert sum(out.attrs["shortfall"].values()) == 3
    short = out[out["station_after"].map(lambda s: s in out.attrs["shortfall"])]
    assert short["reason"].str.contains("不足最少2名").all()


def test_a_minimum_that_cannot_be_met_raises_when_asked() -> None:
    deputies, costs = _line([0, 1, 10])
    with pytest.raises(InfeasibleError, match=r"C 丙站: 0 deputies, 2 short of the minimum 2"):
        group_deputies(deputies, _stations(), costs, min_per_station=2, on_shortfall="raise")


def test_ties_go_to_the_current_station_then_the_lower_id() -> None:
    deputies, costs = _line([5, 5, 5, 5], before=["B", None, "A", "B"], stations={"A": 0, "B": 10})
    out = group_deputies(deputies, _stations(("A", "B")), costs, min_per_station=0)
    assert out["station_after"].tolist() == ["B", "A", "A", "B"]
    assert out["reason"].str.startswith("就近编组").all()


def test_a_service_post_needs_no_rota() -> None:
    deputies, costs = _line([0, 1, 2, 3])
    out = group_deputies(
        deputies, _stations(tier=["station", "post", "post"]), costs, min_per_station=3
    )
    assert out["station_after"].tolist() == ["A"] * 4
    assert out.attrs["shortfall"] == {}


def test_result_keeps_the_callers_index_and_ignores_row_order() -> None:
    deputies, costs = _line([0, 1, 2, 3, 4, 9, 10, 11, 20], before=["C"] * 9)
    deputies.index = pd.Index([f"row{i}" for i in range(9)])
    out = group_deputies(deputies, _stations(), costs, min_per_station=2)
    shuffled = group_deputies(
        deputies.sample(frac=1.0, random_state=1),
        _stations().iloc[::-1],
        costs.sample(frac=1.0, random_state=2),
        min_per_station=2,
    )
    assert out.index.equals(deputies.index)
    pd.testing.assert_frame_equal(shuffled.loc[out.index], out, check_like=True)


def test_every_input_problem_is_listed_at_once() -> None:
    deputies, costs = _line([0, 1, 2])
    deputies.loc[2, "deputy_id"] = "D1"
    deputies.loc[0, "station_id"] = "Z"
    stations = _stations(("A", "B", "I"))
    stations.loc[1, "kind"] = "market"
    stations.loc[2, "industry"] = None
    costs.loc[0, "cost"] = -5.0
    costs.loc[1, "cost"] = np.nan
    extra = pd.DataFrame(
        {"origin_id": ["DX", "D0", "D0"], "destination_id": ["A", "SX", "A"], "cost": [1.0] * 3}
    )
    costs = pd.concat([costs, extra], ignore_index=True)
    with pytest.raises(ValidationError) as info:
        group_deputies(deputies, stations, costs, min_per_station=5, max_per_station=2)
    found = {(p.layer, p.field, str(p.value)) for p in info.value.problems}
    assert {
        ("deputies", "deputy_id", "D1"),
        ("deputies", "station_id", "Z"),
        ("stations", "kind", "market"),
        ("stations", "industry", "None"),
        ("costs", "cost", "-5.0"),
        ("costs", "cost", "nan"),
        ("costs", "origin_id", "DX"),
        ("costs", "destination_id", "SX"),
        ("costs", "destination_id", "A"),
        ("parameters", "min_per_station", "5"),
    } <= found
    assert isinstance(info.value, ValueError)


def test_an_unreachable_cost_below_a_listed_cost_is_refused() -> None:
    deputies, costs = _line([0, 30])
    with pytest.raises(ValidationError, match="unreachable_cost is below the largest"):
        group_deputies(deputies, _stations(), costs, unreachable_cost=600.0)


# --- brute force and generated instances ---------------------------------------------------------


def _violations(load: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    return int(np.clip(load - hi, 0, None).sum()), int(np.clip(lo - load, 0, None).sum())


@st.composite
def _tiny_instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[int], int, int, bool]:
    n_dep = draw(st.integers(1, 6))
    n_sta = draw(st.integers(1, 3))
    minutes = draw(st.lists(st.integers(0, 9), min_size=n_dep * n_sta, max_size=n_dep * n_sta))
    listed = draw(st.lists(st.booleans(), min_size=n_dep * n_sta, max_size=n_dep * n_sta))
    before = draw(st.lists(st.integers(-1, n_sta - 1), min_size=n_dep, max_size=n_dep))
    lo = draw(st.integers(0, 3))
    hi = draw(st.integers(max(lo, 1), 4))
    fill = draw(st.booleans())
    cost = np.array(minutes, dtype=float).reshape(n_dep, n_sta) * 60.0
    return cost, np.array(listed).reshape(n_dep, n_sta), before, lo, hi, fill


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tiny_instances())
def test_equals_brute_force_on_tiny_instances(
    case: tuple[np.ndarray, np.ndarray, list[int], int, int, bool],
) -> None:
    """Fewest over the maximum, then fewest short of the minimum, then least travel."""
    cost, listed, before, lo, hi, fill = case
    n_dep, n_sta = cost.shape
    unreachable = 3600.0 if fill else None
    deputies = pd.DataFrame(
        {
            "deputy_id": [f"D{i}" for i in range(n_dep)],
            "station_id": [None if b < 0 else f"S{b}" for b in before],
        }
    )
    stations = pd.DataFrame({"station_id": [f"S{j}" for j in range(n_sta)], "kind": "regional"})
    di, si = np.nonzero(listed)
    costs = pd.DataFrame(
        {
            "origin_id": [f"D{i}" for i in di],
            "destination_id": [f"S{j}" for j in si],
            "cost": cost[di, si],
        }
    )
    out = group_deputies(
        deputies,
        stations,
        costs,
        min_per_station=lo,
        max_per_station=hi,
        unreachable_cost=unreachable,
    )
    if unreachable is not None:
        cost = np.where(listed, cost, unreachable)
        listed = np.ones_like(listed)
    free = [i for i in range(n_dep) if listed[i].any()]
    kept = np.bincount(
        [before[i] for i in range(n_dep) if not listed[i].any() and before[i] >= 0],
        minlength=n_sta,
    )
    best = None
    for choice in itertools.product(*(np.flatnonzero(listed[i]) for i in free)):
        load = kept + np.bincount(np.array(choice, dtype=int), minlength=n_sta)
        key = (
            *_violations(load, lo, hi),
            sum(cost[i, s] for i, s in zip(free, choice, strict=True)),
        )
        best = key if best is None or key < best else best
    after = out["station_after"].map(lambda s: -1 if pd.isna(s) else int(s[1:])).to_numpy()
    load = np.bincount(after[after >= 0], minlength=n_sta)
    travel = sum(cost[i, after[i]] for i in free)
    assert best is not None
    assert (*_violations(load, lo, hi), travel) == pytest.approx(best)
    # Deputies with no route keep their station; nobody else is left out.
    for i in range(n_dep):
        assert after[i] == (before[i] if i not in free else after[i])
        assert i not in free or after[i] >= 0


@pytest.mark.parametrize("seed", range(8))
def test_bounds_hold_and_travel_is_optimal_on_generated_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sta = int(rng.integers(4, 13))
    lo, hi = 3, int(rng.integers(6, 15))
    n_dep = int(rng.integers(lo * n_sta, hi * n_sta + 1))
    # Deputies crowd round a few stations, so that both bounds bind somewhere.
    home = rng.choice(n_sta, n_dep, p=rng.dirichlet(np.full(n_sta, 0.4)))
    station_xy = rng.uniform(0, 30_000, (n_sta, 2))
    deputy_xy = station_xy[home] + rng.normal(0, 2_000, (n_dep, 2))
    seconds = np.hypot(*(deputy_xy[:, None, :] - station_xy[None, :, :]).transpose(2, 0, 1))
    seconds = seconds / (15 / 3.6)
    deputies = pd.DataFrame({"deputy_id": [f"D{i:03d}" for i in range(n_dep)]})
    stations = pd.DataFrame({"station_id": [f"S{j:02d}" for j in range(n_sta)], "kind": "regional"})
    di, si = np.indices(seconds.shape).reshape(2, -1)
    costs = pd.DataFrame(
        {
            "origin_id": deputies["deputy_id"].to_numpy()[di],
            "destination_id": stations["station_id"].to_numpy()[si],
            "cost": seconds[di, si],
        }
    )
    out = group_deputies(deputies, stations, costs, min_per_station=lo, max_per_station=hi)
    counts = out["station_after"].value_counts().reindex(stations["station_id"], fill_value=0)
    assert out["station_after"].notna().all()
    assert counts.between(lo, hi).all()
    assert out.attrs["shortfall"] == {} and out.attrs["overflow"] == {}
    # An independent optimum: the whole transportation LP, every pair at once.
    m = di.size
    rows = np.r_[di, n_dep + si, n_dep + n_sta + si]
    cols = np.r_[np.arange(m), np.arange(m), np.arange(m)]
    vals = np.r_[np.ones(2 * m), -np.ones(m)]
    matrix = pd.DataFrame({"r": rows, "c": cols, "v": vals}).pivot_table(
        index="r", columns="c", values="v", fill_value=0.0
    )
    a = matrix.to_numpy()
    lp = linprog(
        seconds[di, si],
        A_ub=a[n_dep:],
        b_ub=np.r_[np.full(n_sta, hi), np.full(n_sta, -lo)],
        A_eq=a[:n_dep],
        b_eq=np.ones(n_dep),
        bounds=(0, 1),
        method="highs",
    )
    # Travel enters the solver in tenths of a second.
    assert out["travel_s"].sum() == pytest.approx(lp.fun, abs=0.1 * n_dep)


# --- the demo county ------------------------------------------------------------------------------


def test_demo_county_groups_everyone_within_the_rota_bounds() -> None:
    ws = demo_county()
    assert ws.deputies is not None
    deputies = ws.deputies.to_crs(TINY_PROJECTED_CRS)
    stations = ws.stations.to_crs(TINY_PROJECTED_CRS)
    dxy = np.column_stack([deputies.geometry.x, deputies.geometry.y])
    sxy = np.column_stack([stations.geometry.x, stations.geometry.y])
    seconds = np.hypot(*(dxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)) / (15 / 3.6)
    di, si = np.indices(seconds.shape).reshape(2, -1)
    costs = pd.DataFrame(
        {
            "origin_id": deputies["deputy_id"].to_numpy()[di],
            "destination_id": stations["station_id"].to_numpy()[si],
            "cost": seconds[di, si],
        }
    )
    out = group_deputies(
        pd.DataFrame(deputies.drop(columns="geometry")),
        pd.DataFrame(stations.drop(columns="geometry")),
        costs,
        min_per_station=3,
        max_per_station=60,
    )
    assert isinstance(ws.deputies, gpd.GeoDataFrame) and len(out) == len(ws.deputies)
    assert out["station_after"].notna().all() and out["travel_s"].notna().all()
    counts = out["station_after"].value_counts().reindex(stations["station_id"], fill_value=0)
    kind = stations.set_index("station_id")["kind"]
    regional = counts[kind[counts.index] == "regional"]
    assert regional.between(3, 60).all()
    assert counts.max() <= 60
    # Industry stations hold only their industry's deputies.
    industry = stations.set_index("station_id")["industry"]
    members = out[kind[out["station_after"]].to_numpy() == "industry"]
    same_trade = members["specialty"].to_numpy() == industry[members["station_after"]].to_numpy()
    stayed = members["station_before"] == members["station_after"]
    assert (same_trade | stayed.to_numpy()).all()
    # Mostly the nearest station, and never more than an hour away at e-bike pace.
    nearest = out["reason"].str.startswith("就近编组")
    assert nearest.mean() > 0.75
    assert np.allclose(out.loc[nearest, "travel_s"], out.loc[nearest, "nearest_travel_s"])
    assert out["travel_s"].max() < 3600.0 * 2
    assert out.attrs["shortfall"] == {} and out.attrs["overflow"] == {}
