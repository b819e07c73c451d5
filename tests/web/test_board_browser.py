"""The staff's map and statistics in a real browser (the system Chromium, network cut off):
county staff see the open issues clustered over the county's own layers with the overdue
one in red, the map reads new issues each minute without reloading, and the statistics page
draws its charts; screenshots of both."""

from __future__ import annotations

from typing import Any

from _web import Served, screenshot
from test_auth import PASSWORD, staff_accounts


def _log_in(page: Any, server: Served, who: str, start: str) -> None:
    page.goto(server.url(start))
    page.fill("#who", who)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def test_county_staff_watch_the_live_map_and_read_the_statistics(
    server: Served, page_at: Any
) -> None:
    world = server.world
    staff_accounts(world)
    p = world.places
    late = world.raise_issue("grid_worker_other", p.grid_b)["issue"]["issue_id"]
    world.advance(5)
    assert late in world.service.tick().escalated  # missed its station's deadline
    for _ in range(12):  # a dense spot: one cluster
        world.raise_issue("grid_worker", p.grid_a)
    page = page_at("desktop")
    page.clock.install()  # the minute's refresh is brought forward below
    _log_in(page, server, "county-staff", "/work/map")
    assert page.url.endswith("/work/map")
    page.wait_for_selector("#board-map[data-loads='1']")
    assert "未办结 13 件（已超期 1 件" in page.inner_text("#board-status")
    # the county's own layers, no basemap tiles
    assert page.locator(".leaflet-overlay-pane path").count() > 100  # township and grid outlines
    assert page.locator(".board-station").count() > 10
    assert page.locator(".leaflet-tile").count() == 0
    cluster = page.locator(".board-cluster")
    assert cluster.count() == 1 and cluster.inner_text() == "12"
    assert "has-overdue" not in (cluster.get_attribute("class") or "")
    pin = page.locator(".board-pin.overdue")
    assert pin.count() == 1
    colour = pin.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(198, 40, 40)"
    screenshot(page, "board-map-desktop")
    pin.click()
    popup = page.locator(".board-popup")
    popup.wait_for()
    assert "已超期" in popup.inner_text() and "村道路面塌陷" in popup.inner_text()
    assert popup.locator(f"a[href='/work/issues/{late}']").count() == 1
    page.click(".leaflet-popup-close-button")
    popup.wait_for(state="detached")
    page.evaluate("window.__same_page = true")
    loads = page.get_attribute("#board-map", "data-loads")
    world.raise_issue("grid_worker", p.grid_a)
    page.clock.fast_forward("01:01")
    page.wait_for_selector(f"#board-map:not([data-loads='{loads}'])")
    assert page.locator(".board-cluster").inner_text() == "13"
    assert page.evaluate("window.__same_page === true")  # read again, never reloaded

    page.goto(server.url("/work/stats"))
    chart = page.locator("svg#chart-township")
    assert chart.is_visible()
    labels = chart.locator("text.label")
    assert labels.count() == 2
    names = world.ws.townships.set_index("code")["name"]
    assert labels.nth(0).text_content() == names[p.township_a]
    # the Chinese label is drawn with a font that has it: wider than a row of boxes would be
    assert labels.nth(0).evaluate("e => e.getBBox().width") > 20
    bars = chart.locator("rect.received")
    assert bars.count() == 3  # the legend's swatch and one bar per township
    assert page.locator("svg#chart-week").is_visible()
    assert page.inner_text("#card-received dd") == "14"
    screenshot(page, "board-stats-desktop")
