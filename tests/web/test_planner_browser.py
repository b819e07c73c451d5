"""The planner's pages in a real browser (the system Chromium, network cut off): a planner
sees the coverage map, starts a small consolidation scenario, watches its progress and
reads its map and figures when it finishes."""

from __future__ import annotations

from typing import Any

from _web import Served, screenshot
from test_auth import PASSWORD, staff_accounts


def test_a_planner_runs_a_scenario_and_sees_its_result(server: Served, page_at: Any) -> None:
    staff_accounts(server.world)
    page = page_at("desktop")
    page.goto(server.url("/plan"))
    assert "/login" in page.url
    page.fill("#who", "planner")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/plan")
    assert "出门即可达" in page.inner_text("h1")
    # the coverage map draws inside its frame, offline, with its layers
    frame = page.frame_locator("#coverage-map")
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    assert frame.locator(".leaflet-interactive").count() > 100  # villages and stations
    screenshot(page, "planner-coverage-desktop")

    page.click("#nav-scenarios")
    page.wait_for_url("**/plan/scenarios")
    page.fill("#target", "58")
    page.fill("#minutes", "25")
    st = server.world.ws.stations
    point = st.loc[st["tier"] == "point"].iloc[0]
    page.fill("#station-pick", str(point["station_id"]))
    page.click("#add-close")
    assert str(point["station_id"]) in page.input_value("#close")
    screenshot(page, "planner-scenario-form-desktop")
    page.click("#start")
    page.wait_for_url("**/plan/scenarios/2*")
    # progress while it runs (the bar moves as the trade-off curve is worked out) ...
    seen = page.locator("#bar").count()
    if seen:
        screenshot(page, "planner-scenario-running-desktop")
    # ... then the page shows the result by itself
    page.locator("#headline").wait_for(timeout=180_000)
    assert "97 个站点撤并为 58 个" in page.inner_text("#headline")
    closed = page.locator("#absorb tbody tr")
    assert closed.count() == 39
    assert str(point["name"]) in page.inner_text("#absorb")
    scenario_map = page.frame_locator("#scenario-map")
    scenario_map.locator(".leaflet-container").wait_for(timeout=30_000)
    assert scenario_map.locator(".leaflet-interactive").count() > 100
    screenshot(page, "planner-scenario-result-desktop")

    page.click("#nav-gaps")
    page.wait_for_url("**/plan/gaps")
    page.click("#sort-uncovered")
    first = page.locator("#gaps tbody tr").first.locator("td").nth(4).inner_text()
    second = page.locator("#gaps tbody tr").nth(1).locator("td").nth(4).inner_text()
    assert int(first.replace(",", "")) >= int(second.replace(",", ""))
    screenshot(page, "planner-gaps-desktop")
