"""The page foundation: assets served by the service itself, pages in the person's language,
and the browser harness that every screen test stands on."""

from __future__ import annotations

from typing import Any

from _web import Served, screenshot


def test_assets_are_served_by_the_service_with_security_headers(server: Served) -> None:
    r = server.world.call("GET", "/static/gridgov.css")
    assert r.status_code == 200
    assert "font-family" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_a_station_qr_page_renders_chinese_offline_without_console_errors(
    server: Served, page_at: Any
) -> None:
    page = page_at("phone")
    station = server.world.places.station_a
    page.goto(server.url(f"/public/stations/{station}"))
    assert "驻站代表" in page.inner_text("body")
    shot = screenshot(page, "foundation-qr-phone")
    assert shot.stat().st_size > 5_000
