"""An independent Open311 client against /open311/v2 over real HTTP, unchanged.

``georeport`` (PyPI, a maintained GeoReport v2 wrapper on ``requests`` and
``xmltodict``) reads services, service definitions and requests in both formats from
uvicorn on 127.0.0.1. It cannot create requests, so they are posted the way the spec's
example does: a form-encoded POST with ``requests``, ``attribute[...]`` keys included.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

georeport = pytest.importorskip("georeport")
requests = pytest.importorskip("requests")
uvicorn = pytest.importorskip("uvicorn")

from api import create_app  # noqa: E402
from gridgov import io, synth  # noqa: E402
from gridgov.issues.service import IssueService  # noqa: E402
from gridgov.store.sqlite import SQLiteStore  # noqa: E402


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, serve_in_thread: Any
) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("open311")
    io.write_workspace(synth.demo_county(seed=2024), folder / "county.gpkg")
    ws = io.read_workspace(folder / "county.gpkg")
    clock = [datetime(2026, 11, 23, 1, 0, tzinfo=UTC)]
    service = IssueService(ws, SQLiteStore(folder / "issues.sqlite"), clock=lambda: clock[0])
    app = create_app(service, tick_interval_s=0, rate_per_s=0)
    with serve_in_thread(app) as url:
        yield {"url": url + "/open311/v2", "service": service, "ws": ws}
    service.store.close()


def _post(served: dict[str, Any], grid_index: int, **fields: str) -> str:
    """A service request posted as the spec's example does; its id."""
    ws = served["ws"]
    point = ws.grids.geometry.iloc[grid_index].representative_point()
    body = {
        "jurisdiction_id": "430623",
        "service_code": "road",
        "lat": f"{point.y:.7f}",
        "long": f"{point.x:.7f}",
        "description": "村道路面塌陷，电动车通行困难",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800001111",
        "media_url": "http://img.example.cn/1.jpg",
        "attribute[title]": "村道塌陷",
    }
    body.update(fields)
    r = requests.post(f"{served['url']}/requests.json", data=body, timeout=10)
    assert r.status_code == 201, r.text
    (created,) = r.json()
    return str(created["service_request_id"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_everything(served: dict[str, Any], fmt: str) -> None:
    first = _post(served, 0)
    second = _post(served, 5, service_code="water", description="灌溉渠堵塞")
    client = georeport.GeoReport(served["url"], jurisdiction="430623", output_format=fmt)

    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert codes == list(served["service"].settings.issue_categories)
    road = services[0]
    assert road["service_name"] == "道路交通" and road["type"] == "realtime"

    definition = client.get_service_definition("road")
    assert definition["service_code"] == "road"
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict keeps the element nesting
        attributes = attributes["attribute"]
    assert {a["code"] for a in attributes} >= {"anonymous", "title", "grid_code"}

    listed = client.get_service_requests(status="open", service_code="road,water")
    ids = [r["service_request_id"] for r in listed]
    assert first in ids and second in ids
    assert all(r["status"] == "open" for r in listed)

    one = client.get_service_request(first)
    assert one["service_request_id"] == first
    assert (
        one["service_name"] == "道路交通" and one["description"] == "村道路面塌陷，电动车通行困难"
    )
    assert one["media_url"] == "http://img.example.cn/1.jpg"
    assert one["agency_responsible"].endswith(("联络站", "联络点", "代表工作室", "代表服务岗"))
    text = str(listed)
    assert "13800001111" not in text and "张三" not in text  # nothing personal to the public

    with pytest.raises(requests.HTTPError) as err:
        client.get_service_definition("pothole")
    assert err.value.response.status_code == 404
