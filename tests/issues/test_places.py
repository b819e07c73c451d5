"""Which grid a point is in: inside a grid, snapped to the nearest one within the
tolerance, or refused saying how far it is and whether it is in the county at all."""

from __future__ import annotations

import pyproj
import pytest
import shapely

from gridgov._errors import LocationError
from gridgov.crs import CGCS2000, workspace_crs
from gridgov.issues.places import GridIndex
from gridgov.model import Workspace
from gridgov.synth import demo_county


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return demo_county(seed=2024)


def test_points_inside_snapped_and_refused(ws: Workspace) -> None:
    crs = workspace_crs(ws)
    index = GridIndex(ws, crs)
    grids = ws.grids.to_crs(crs).reset_index(drop=True)
    to_lonlat = pyproj.Transformer.from_crs(crs, CGCS2000, always_xy=True)

    # inside: the grid itself, no snap
    inner = grids.geometry.iloc[5].representative_point()
    assert index.locate(*to_lonlat.transform(inner.x, inner.y), 300.0) == (5, 0.0)
    assert index.codes[5] == str(grids["code"].iloc[5])

    # just outside every grid: snapped to the nearest one, the distance told (the oracle:
    # shapely's distance to each grid)
    union = grids.geometry.union_all()
    centre = union.centroid
    vertices = shapely.get_coordinates(union.convex_hull.exterior)
    outside = []
    for x, y in vertices:
        dx, dy = x - centre.x, y - centre.y
        scale = 100.0 / max((dx * dx + dy * dy) ** 0.5, 1.0)
        pt = shapely.Point(x + dx * scale, y + dy * scale)
        if not union.intersects(pt):
            outside.append(pt)
    assert outside
    for pt in outside[:5]:
        distances = grids.geometry.distance(pt)
        got, snapped_m = index.locate(*to_lonlat.transform(pt.x, pt.y), 1000.0)
        assert snapped_m == pytest.approx(distances.min(), abs=0.5)
        assert distances.iloc[got] == pytest.approx(distances.min(), abs=0.5)

    # far away (Beijing): refused, naming how far and that it is outside the county
    with pytest.raises(LocationError, match="outside the county") as caught:
        index.locate(116.4, 39.9, 300.0)
    assert [p.field for p in caught.value.problems] == ["lon/lat"]
