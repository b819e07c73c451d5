"""就近编组进站: nearest station by travel, minimums and maximums, industry deputies kept."""

from __future__ import annotations

import pandas as pd

from gridgov.coverage.grouping import group_deputies


def _case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    stations = pd.DataFrame(
        {
            "station_id": ["A", "B", "I"],
            "name": ["甲站", "乙站", "芥菜站"],
            "kind": ["regional", "regional", "industry"],
            "industry": [None, None, "芥菜"],
            "tier": ["station", "point", "studio"],
        }
    )
    deputies = pd.DataFrame(
        {
            "deputy_id": [f"D{i}" for i in range(6)],
            "name": [f"代表{i}" for i in range(6)],
            "level": ["county"] * 6,
            "specialty": ["农业", "农业", "农业", "农业", "教育", "芥菜"],
            "station_id": ["B", "B", "B", "B", "B", "I"],
        }
    )
    # Everyone lives next to A (60 s) and 10 minutes from B; the mustard deputy too.
    rows = []
    for d in deputies["deputy_id"]:
        rows += [(d, "A", 60.0), (d, "B", 600.0), (d, "I", 900.0)]
    costs = pd.DataFrame(rows, columns=["origin_id", "destination_id", "cost"])
    return deputies, stations, costs


def test_nearest_unless_a_minimum_needs_people_and_industry_kept() -> None:
    deputies, stations, costs = _case()
    out = group_deputies(deputies, stations, costs, min_per_station=2, max_per_station=10)
    after = out.set_index("deputy_id")["station_after"]
    assert after["D5"] == "I"  # the mustard deputy stays with the mustard station
    regional = after.drop("D5")
    assert (regional == "B").sum() == 2  # B keeps its reception-rota minimum
    assert (regional == "A").sum() == 3  # everyone else goes to the nearest station
    moved_to_b = out[(out["station_after"] == "B")]
    assert moved_to_b["reason"].str.contains("最少").all()


def test_maximum_sends_the_overflow_to_the_next_station() -> None:
    deputies, stations, costs = _case()
    out = group_deputies(deputies, stations, costs, min_per_station=0, max_per_station=3)
    counts = out["station_after"].value_counts()
    assert counts["A"] == 3 and counts["B"] == 2
    assert out.loc[out["station_after"] == "B", "reason"].str.contains("上限|已满").all()
