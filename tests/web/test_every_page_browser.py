"""Every page of the screens in a real browser, at a phone's 360×740 and a desktop's
1920×1080 (the system Chromium, network cut off except the service), screenshotted to
``tests-artifacts/every-*.png`` and checked for what a person would notice first:

- the Chinese words are drawn in glyphs, not boxes: measured in the page, with a canvas in
  the page's own font, "网格吹哨" must not draw the pixels of characters no font has, and
  must differ from another four characters (a machine without a CJK font draws both as
  four identical boxes, and fails here);
- a map has its layers (Leaflet paths and markers drawn from the county's own data) and
  no basemap tile from the internet;
- no console error, no uncaught script error (a script blocked by the CSP is one), no
  request leaving 127.0.0.1, no dialog;
- at phone width nothing scrolls sideways (a table too wide scrolls inside its own box).

One browser, one context per person and size, the pages in a loop: a minute at most.
Then a description carrying ``<script>`` and ``<img onerror>`` is shown on every page
that shows issue text, and never runs.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _web import Served, screenshot
from PIL import Image
from test_auth import PASSWORD, make_account, staff_accounts
from test_journey_browser import SIZES, Watched
from test_staff import overdue_issue

#: Who opens a page: nobody logged in, or the login of an account (test_auth's).
ANONYMOUS = ""


@dataclass(frozen=True)
class Page:
    """One page to open: its name (the screenshot's), who opens it, where, and what to
    wait for. ``map_in``: the page's map ("" the page itself, or the selector of the frame
    holding it; None: no map). ``submit``: a form to fill and send first (the pages that
    are the answer to a form: the password sheet)."""

    name: str
    who: str
    path: str
    ready: str = "body"
    map_in: str | None = None
    status: int = 200


#: The JavaScript measuring whether Chinese is drawn in glyphs (see the module docstring).
GLYPHS = """() => {
  const style = getComputedStyle(document.body);
  const canvas = document.createElement("canvas");
  canvas.width = 240; canvas.height = 60;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (s) => {
    ctx.clearRect(0, 0, 240, 60);
    ctx.font = "40px " + style.fontFamily;
    ctx.fillStyle = "#000";
    ctx.textBaseline = "top";
    ctx.fillText(s, 4, 8);
    const data = ctx.getImageData(0, 0, 240, 60).data;
    let inked = 0, sum = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i]) { inked += 1; sum = (sum * 31 + data[i] * (i + 1)) % 2147483647; }
    }
    return { inked, sum };
  };
  const words = draw("网格吹哨"), other = draw("代表报到");
  const missing = draw("\\uFFFF\\uFFFF\\uFFFF\\uFFFF"), unassigned = draw("\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}");
  const same = (a, b) => a.inked === b.inked && a.sum === b.sum;
  return {
    inked: words.inked,
    font: style.fontFamily,
    notMissing: !same(words, missing) && !same(words, unassigned),
    distinct: !same(words, other),
    chinese: /[\\u4e00-\\u9fff]/.test(document.body.innerText),
  };
}"""

#: What sticks out to the right of a phone's screen (outside any box that scrolls itself).
OVERFLOW = """() => {
  const out = [];
  const scrolls = (e) => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden") { return true; }
    }
    return false;
  };
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > window.innerWidth + 0.5 && !scrolls(e)) {
      out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
               (e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : "") +
               " right=" + Math.round(r.right));
    }
  }
  return out.slice(0, 5);
}"""

#: The map's layers: drawn vectors and markers, and basemap tiles (there must be none).
LAYERS = """() => ({
  paths: document.querySelectorAll(".leaflet-overlay-pane path").length,
  markers: document.querySelectorAll(".leaflet-marker-pane > *").length,
  tiles: document.querySelectorAll(".leaflet-tile").length,
})"""


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), "#6a8").save(out, "JPEG", quality=85)
    return out.getvalue()


def _log_in(page: Any, server: Served, who: str) -> None:
    page.goto(server.url("/login"))
    page.fill("#who", who)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{who} could not log in"


@pytest.fixture
def watched(browser: Any) -> Any:
    w = Watched(browser)
    try:
        yield w
    finally:
        w.close()
    assert not w.errors, "\n".join(w.errors)


def _pages(world: Any) -> list[Page]:
    """Every page, with what it is about made first (an overdue issue with a photo, a
    resolved issue raised on the QR page, an account to reset)."""
    p = world.places
    staff_accounts(world)
    late = overdue_issue(world, description="村道路面塌陷，车辆无法通行")
    files = {"photo": ("a.jpg", _jpeg(), "image/jpeg")}
    r = world.call("POST", f"/issues/{late}/photos", "grid_worker", files=files)
    assert r.status_code == 201, r.text
    fresh = world.raise_issue("grid_worker", p.grid_a, description="桥头护栏断裂")["issue"]
    deputy = world.service.store.get_issue(fresh["issue_id"]).deputies[0]
    make_account(world, "deputy-on-duty", "deputy", deputy)
    body = world.raise_public(p.station_a, description="垃圾点三天无人清运")
    tracked, token = body["issue"]["issue_id"], body["tracking_token"]
    r = world.call("POST", f"/issues/{tracked}/resolve", "county_staff", json={"result": "已清运"})
    assert r.status_code == 200, r.text
    issue_id = str(fresh["issue_id"])
    tabs = ("pending", "handling", "due_soon", "overdue", "escalated", "to_rate")
    return [
        Page("login", ANONYMOUS, "/login", ready="#who"),
        Page("public-station", ANONYMOUS, f"/public/stations/{p.station_a}", ready="#raise-form"),
        Page("public-deputy", ANONYMOUS, f"/public/deputies/{p.deputy_a}", ready="#raise-form"),
        Page("public-track", ANONYMOUS, f"/public/track/{tracked}?token={token}"),
        Page("public-rate", ANONYMOUS, f"/public/track/{tracked}/rate?token={token}",
             ready="#rate-form"),
        Page("error-public-404", ANONYMOUS, f"/public/track/2026-none?token={token}", status=404),
        Page("account", "grid-worker", "/account"),
        Page("field-raise", "grid-worker", "/field/raise", map_in=""),
        Page("field-mine", "grid-worker", "/field/mine"),
        Page("field-issue", "grid-worker", f"/field/issues/{late}", ready=".photos img"),
        Page("error-403", "grid-worker", "/work", status=403),
        Page("field-duty", "deputy-on-duty", "/field/duty"),
        Page("field-duty-issue", "deputy-on-duty", f"/field/issues/{issue_id}",
             ready="#do-acknowledge"),
        Page("field-history", "deputy-on-duty", "/field/history"),
        Page("work-queue", "county-staff", "/work"),
        *(Page(f"work-tab-{tab}", "county-staff", f"/work?tab={tab}") for tab in tabs),
        Page("work-issue", "county-staff", f"/work/issues/{late}", ready="#timeline"),
        Page("work-map", "county-staff", "/work/map", ready="#board-map[data-loads='1']",
             map_in=""),
        Page("work-stats", "county-staff", "/work/stats", ready="svg#chart-township"),
        Page("error-404", "county-staff", "/work/issues/2026-none", status=404),
        Page("plan-home", "planner", "/plan", map_in="#coverage-map"),
        Page("plan-gaps", "planner", "/plan/gaps", ready="#gaps"),
        Page("plan-scenarios", "planner", "/plan/scenarios", ready="#target"),
        Page("admin-accounts", "county-staff", "/admin/accounts", ready="#form-one"),
    ]  # fmt: skip


def _check(page: Any, spec: Page, size: str) -> list[str]:
    """What a person would notice is wrong with the page now shown."""
    where = f"{spec.name} ({size})"
    wrong = []
    glyphs = page.evaluate(GLYPHS)
    if not glyphs["chinese"]:
        wrong.append(f"{where}: no Chinese on the page")
    if not (glyphs["inked"] and glyphs["notMissing"] and glyphs["distinct"]):
        wrong.append(f"{where}: Chinese is drawn as boxes in {glyphs['font']!r}: {glyphs}")
    if spec.map_in is not None:
        frame = page if spec.map_in == "" else page.frame_locator(spec.map_in)
        target = frame.locator(".leaflet-overlay-pane path, .leaflet-marker-pane > *").first
        target.wait_for(timeout=30_000)
        if spec.map_in == "":
            layers = page.evaluate(LAYERS)
        else:
            layers = page.frame(url=re.compile(r"/plan/maps/")).evaluate(LAYERS)
        if layers["paths"] + layers["markers"] < 2 or layers["tiles"]:
            wrong.append(f"{where}: the map lacks its layers: {layers}")
    if size == "phone":
        width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            wider = page.evaluate(OVERFLOW)
            wrong.append(
                f"{where}: scrolls sideways at phone width ({width[0]} > {width[1]}): {wider}"
            )
    return wrong


@pytest.mark.slow  # over 20 s: about 60 pages, each drawn, measured and screenshotted
def test_every_page_at_phone_and_desktop_size(server: Served, watched: Watched) -> None:
    world = server.world
    pages = _pages(world)
    wrong: list[str] = []
    shots: list[Path] = []
    for size in SIZES:
        opened: dict[str, Any] = {}
        for spec in pages:
            if spec.who not in opened:
                opened[spec.who] = watched.page(watched.context(size))
                if spec.who:
                    _log_in(opened[spec.who], server, spec.who)
            page = opened[spec.who]
            seen = len(watched.errors)
            answer = page.goto(server.url(spec.path))
            assert answer is not None and answer.status == spec.status, (spec, size)
            page.wait_for_selector(spec.ready)
            if spec.status != 200:  # the browser logs the error page's own status: expected
                logged = f"the server responded with a status of {spec.status}"
                mine = [e for e in watched.errors[seen:] if logged in e][:1]
                for e in mine:
                    watched.errors.remove(e)
            wrong += _check(page, spec, size)
            shots.append(screenshot(page, f"every-{spec.name}-{size}"))
        # the page that answers a form: the initial-password sheet of a new account
        page = opened["county-staff"]
        page.goto(server.url("/admin/accounts"))
        page.select_option("#one-role", "grid_worker")
        page.fill("#one-unit", world.places.grid_a2)
        page.fill("#one-name", f"王网格{size}")
        page.fill("#one-login", f"wg-{size}")
        page.click("#one-start")
        page.wait_for_load_state()
        assert f"wg-{size}" in page.inner_text("body")
        sheet = Page("admin-sheet", "county-staff", "/admin/accounts")
        wrong += _check(page, sheet, size)
        shots.append(screenshot(page, f"every-admin-sheet-{size}"))
    assert not wrong, "\n".join(wrong)
    assert len(shots) == 2 * (len(pages) + 1) and all(s.stat().st_size > 5000 for s in shots)


EVIL = '<script>window.__x=1</script><img src=x onerror="window.__x=2">'


def test_a_script_in_an_issue_never_runs_on_any_page(server: Served, watched: Watched) -> None:
    """The description is shown as the text it is, and ``window.__x`` stays undefined on
    the queue, the issue page, the map's popup, the phone pages and the tracking page."""
    world = server.world
    p = world.places
    staff_accounts(world)
    evil = world.raise_issue("grid_worker", p.grid_a, description=EVIL, address=EVIL)["issue"]
    issue_id = str(evil["issue_id"])
    deputy = world.service.store.get_issue(issue_id).deputies[0]
    make_account(world, "deputy-on-duty", "deputy", deputy)
    public = world.raise_public(p.station_a, description=EVIL, category="road")
    tracked, token = public["issue"]["issue_id"], public["tracking_token"]

    def never_ran(page: Any, where: str) -> None:
        assert page.evaluate("window.__x") is None, f"the description ran on {where}"
        assert page.locator("img[src='x']").count() == 0, f"markup from text on {where}"

    desk = watched.page(watched.context("desktop"))
    _log_in(desk, server, "county-staff")
    for path in ("/work", f"/work?q={issue_id}", f"/work/issues/{issue_id}"):
        desk.goto(server.url(path))
        assert "<script>window.__x=1</script>" in desk.inner_text("main, body"), path
        never_ran(desk, path)
    desk.goto(server.url("/work/map"))
    desk.wait_for_selector("#board-map[data-loads='1']")
    desk.locator(".board-pin, .board-cluster").first.click()
    if desk.locator(".board-popup").count() == 0:  # a cluster: open it to the pins
        desk.locator(".board-pin").first.click()
    desk.locator(".board-popup").first.wait_for()
    assert "<script>window.__x=1</script>" in desk.locator(".board-popup").first.inner_text()
    never_ran(desk, "the map's popup")

    lon, lat = world.point(p.grid_a)
    phone = watched.page(
        watched.context(
            "phone",
            geolocation={"longitude": lon, "latitude": lat, "accuracy": 5},
            permissions=["geolocation"],
        )
    )
    _log_in(phone, server, "grid-worker")
    phone.click("#locate")
    phone.select_option("#category", "road")
    phone.wait_for_selector(f"#nearby-list a[data-issue='{issue_id}']")  # nearby: the text
    assert "<script>" in phone.inner_text("#nearby-list")
    never_ran(phone, "the nearby list")
    for path in ("/field/mine", f"/field/issues/{issue_id}"):
        phone.goto(server.url(path))
        assert "<script>window.__x=1</script>" in phone.inner_text("body"), path
        never_ran(phone, path)

    duty = watched.page(watched.context("phone"))
    _log_in(duty, server, "deputy-on-duty")
    for path in ("/field/duty", f"/field/issues/{issue_id}"):
        duty.goto(server.url(path))
        assert "<script>window.__x=1</script>" in duty.inner_text("body"), path
        never_ran(duty, path)

    resident = watched.page(watched.context("phone"))
    resident.goto(server.url(f"/public/track/{tracked}?token={token}"))
    assert "<script>window.__x=1</script>" in resident.inner_text("body")
    never_ran(resident, "the tracking page")


#: Fonts with no Chinese in them (DejaVu, which Debian's Chromium depends on).
LATIN_FONTS = Path("/usr/share/fonts/truetype/dejavu")


def test_the_glyph_check_fails_where_no_font_has_chinese(
    server: Served, browser: Any, tmp_path: Path
) -> None:
    """The check above is able to fail: a Chromium that sees only Latin fonts draws the
    login page's Chinese as boxes, and the measure says so."""
    if not LATIN_FONTS.is_dir():
        pytest.skip(f"no {LATIN_FONTS} to build a font set without Chinese from")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{LATIN_FONTS}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    bare = browser.browser_type.launch(
        executable_path=os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium"),
        args=[  # as the session's browser: nothing but the service is reachable
            "--no-sandbox",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>;127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ],
        env=env,
    )
    try:
        page = bare.new_page()
        page.goto(server.url("/login"))
        glyphs = page.evaluate(GLYPHS)
    finally:
        bare.close()
    assert glyphs["chinese"] and glyphs["inked"]
    assert not glyphs["notMissing"] and not glyphs["distinct"], glyphs
