"""Township stations at the seat serve their own town (the demo's S0003 and S0004 did not).

The synthetic county put each township station at the township seat (驻地) and gave the
seat's own village no 联络点, "the seat's own village has the township station"; but its
settlements were joined by road only to their village centre, never to the seat, so a
neighbouring community's point was always nearer by road and two township stations of the
demo served 0 villages and 0 people. A real town's streets meet at its centre: the seat's
own settlements are now joined to the seat.
"""

from __future__ import annotations

import pytest

from gridgov.coverage import analyse
from gridgov.model import Workspace
from gridgov.synth import demo_county, synth_county


@pytest.fixture(scope="module")
def demo() -> Workspace:
    return demo_county()


def _seat_village_station(ws: Workspace) -> dict[str, str]:
    """Seat village code -> the township station placed in it."""
    st = ws.stations[ws.stations["tier"] == "station"]
    return dict(zip(st["village_code"], st["station_id"], strict=True))


def test_every_township_station_serves_people_in_the_demo(demo: Workspace) -> None:
    result = analyse(demo, standard="15min:ebike", service_areas=False, gap_sites=False)
    st = result.stations
    towns = st[st["tier"] == "station"]
    idle = towns[towns["n_villages"] == 0]
    assert idle.empty, f"township stations serving no village: {idle['station_id'].tolist()}"
    assert (towns["population_served"] > 0).all()


@pytest.mark.parametrize("seed", [2024, 7])
def test_the_seat_village_is_served_by_its_township_station(seed: int) -> None:
    ws = demo_county(seed=seed) if seed == 2024 else synth_county(seed=seed)
    result = analyse(ws, standard="15min:ebike", service_areas=False, gap_sites=False)
    seat_station = _seat_village_station(ws)
    v = result.villages.set_index("code")
    wrong = {
        code: v.at[code, "nearest_station_id"]
        for code, sid in seat_station.items()
        if code is not None and v.at[code, "nearest_station_id"] != sid
    }
    assert not wrong, f"seat villages nearer by road to another station: {wrong}"
