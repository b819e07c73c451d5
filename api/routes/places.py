"""Stations, deputies and grids: public fields for everyone, phones for staff in scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, ServiceDep
from api.params import choice
from api.views import deputy_ref
from gridgov._errors import NotFoundError
from gridgov.issues.access import sees_phone
from gridgov.issues.service import IssueService
from gridgov.model import StationKind, StationTier

router = APIRouter()


def _station(service: IssueService, row: Any) -> dict[str, Any]:
    def text(name: str) -> str:
        value = getattr(row, name, None)
        return "" if value is None or value != value else str(value)

    tier = text("tier")
    kind = text("kind")
    return {
        "station_id": text("station_id"),
        "name": text("name"),
        "tier": tier,
        "tier_zh": StationTier.parse(tier).label_zh if tier else "",
        "kind": kind,
        "kind_zh": StationKind.parse(kind).label_zh if kind else "",
        "industry": text("industry"),
        "township_code": text("township_code"),
        "village_code": text("village_code"),
        "reception_day": text("reception_day"),
        "lon": round(float(row.geometry.x), 6),
        "lat": round(float(row.geometry.y), 6),
    }


@router.get("/stations")
def list_stations(
    service: ServiceDep,
    township_code: Annotated[str | None, Query(max_length=12)] = None,
    tier: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict[str, Any]]:
    """Every station (public fields), optionally of one township or tier."""
    st = service.ws.stations
    if township_code is not None:
        st = st[st["township_code"].astype(str) == township_code]
    if tier is not None:
        st = st[st["tier"].astype(str) == choice(StationTier, tier, "tier").value]
    return [_station(service, r) for r in st.itertuples(index=False)]


@router.get("/stations/{station_id}")
def get_station(station_id: str, service: ServiceDep, p: PrincipalDep) -> dict[str, Any]:
    """A station with its deputies (phones only for staff over it) and its grids."""
    st = service.ws.stations
    rows = st[st["station_id"].astype(str) == station_id]
    if rows.empty:
        raise NotFoundError(f"no station {station_id!r}")
    out = _station(service, next(rows.itertuples(index=False)))
    deputies = [d for d, row in service.deputies.items() if row["station_id"] == station_id]
    out["deputies"] = [deputy_ref(service, p, d).model_dump() for d in deputies]
    out["grids"] = sorted(g for g, s in service.grid_station.items() if s == station_id)
    return out


@router.get("/deputies")
def list_deputies(
    service: ServiceDep,
    p: PrincipalDep,
    station_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Deputies' public profiles (name, level, specialty, station); phones for staff in scope."""
    rows = service.deputies
    ids = [d for d, r in rows.items() if station_id is None or r["station_id"] == station_id]
    out = []
    for d in ids[offset : offset + limit]:
        ref = deputy_ref(service, p, d).model_dump()
        ref["specialty"] = rows[d]["specialty"]
        out.append(ref)
    return out


@router.get("/deputies/{deputy_id}")
def get_deputy(deputy_id: str, service: ServiceDep, p: PrincipalDep) -> dict[str, Any]:
    row = service.deputies.get(deputy_id)
    if row is None:
        raise NotFoundError(f"no deputy {deputy_id!r}")
    ref = deputy_ref(service, p, deputy_id).model_dump()
    ref["specialty"] = row["specialty"]
    return ref


@router.get("/grids")
def list_grids(
    service: ServiceDep,
    p: PrincipalDep,
    village_code: Annotated[str | None, Query(max_length=12)] = None,
) -> list[dict[str, Any]]:
    """Grids with their village and station; the grid worker's phone only for staff."""
    grids = service.ws.grids
    if grids is None:
        return []
    if village_code is not None:
        grids = grids[grids["village_code"].astype(str) == village_code]
    out = []
    for row in grids.itertuples(index=False):
        code = str(row.code)
        station = service.grid_station.get(code, "")
        item: dict[str, Any] = {
            "code": code,
            "name": str(row.name),
            "village_code": str(row.village_code),
            "station_id": station,
        }
        if sees_phone(p, station):
            item["worker_name"] = str(getattr(row, "worker_name", "") or "")
            item["worker_phone"] = str(getattr(row, "worker_phone", "") or "")
        out.append(item)
    return out
