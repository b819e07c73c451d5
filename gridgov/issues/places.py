"""Which grid a point is in: the lookup that places every raised issue.

:class:`GridIndex` holds the county's grids projected to metres in an STR-tree; a point
inside a grid is that grid's, a point just outside every grid (a border drawn a little
off, a phone's GPS) snaps to the nearest grid within a tolerance, and anything further is
a :class:`~gridgov._errors.LocationError` saying how far it is and whether it is in the
county at all. ``gridgov.store.pg_workspace.locate_sql`` answers the same in SQL.
"""

from __future__ import annotations

import pyproj
import shapely

from gridgov._errors import LocationError, Problem, ValidationError
from gridgov.crs import CGCS2000
from gridgov.model import Workspace

__all__ = ["GridIndex"]


class GridIndex:
    """Point-in-grid lookup with a snap to the nearest grid within a tolerance.

    Parameters
    ----------
    ws : Workspace
        Its ``grids`` (with ``code``, ``village_code`` and ``name``), villages and county.
    crs : pyproj.CRS
        A projected CRS to measure the snap in (:func:`gridgov.crs.workspace_crs`).

    Attributes
    ----------
    codes, village, township, names : numpy.ndarray of str
        Per grid, in the order :meth:`locate` indexes: its code, village, township, name.

    Raises
    ------
    ValidationError
        If the workspace has no grids.
    """

    def __init__(self, ws: Workspace, crs: pyproj.CRS) -> None:
        if ws.grids is None or ws.grids.empty:
            raise ValidationError(
                [Problem("grids", None, None, None, "the workspace has no grids layer")],
                context="issue service",
            )
        grids = ws.grids.to_crs(crs).reset_index(drop=True)
        self.codes = grids["code"].astype(str).to_numpy()
        self.village = grids["village_code"].astype(str).to_numpy()
        vil = ws.villages.set_index(ws.villages["code"].astype(str))["township_code"].astype(str)
        self.township = vil.reindex(self.village).fillna("").to_numpy()
        self.names = grids["name"].astype(str).to_numpy()
        self.geoms = grids.geometry.to_numpy()
        self.tree = shapely.STRtree(self.geoms)
        self.county_geom = ws.county.to_crs(crs).geometry.union_all()
        self.to_xy = pyproj.Transformer.from_crs(CGCS2000, crs, always_xy=True)

    def locate(self, lon: float, lat: float, tolerance_m: float) -> tuple[int, float]:
        """Index of the grid containing the point (or nearest within tolerance), snap metres.

        Raises
        ------
        LocationError
            If the nearest grid is further than ``tolerance_m``.
        """
        x, y = self.to_xy.transform(lon, lat)
        pt = shapely.Point(x, y)
        hits = self.tree.query(pt, predicate="intersects")
        if len(hits):
            return int(min(hits)), 0.0
        idx = self.tree.nearest(pt)
        dist = float(shapely.distance(self.geoms[idx], pt))
        if dist <= tolerance_m:
            return int(idx), dist
        inside = bool(shapely.contains_xy(self.county_geom, x, y))
        where = "inside the county but" if inside else "outside the county and"
        message = (
            f"the point ({lon:.6f}, {lat:.6f}) is {where} {dist:,.0f} m from the nearest grid "
            f"{self.codes[idx]} ({self.names[idx]}), more than the {tolerance_m:,.0f} m tolerance"
        )
        raise LocationError(
            [Problem("issue", None, "lon/lat", f"{lon}, {lat}", message)], context="location"
        )
