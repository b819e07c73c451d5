"""Every page of the screens against every role, over plain HTTP: who may open it, who is
sent to log in, who gets the 403 page; every answer carries the browser defences, and HEAD
answers wherever GET does. Then what each role may *do* (the forms and the phone
screens' JSON routes), refused for everyone else with nothing changed.

The expectations are written out as a table (:data:`PAGES`, :data:`ACTIONS`), one column
per role, not worked out from the code under test: a page that starts answering a role it
should refuse fails here with the page, the role and both answers named.

The roles: ``anonymous`` is a passer-by with no account who guesses a tracking link (its
token is wrong); ``public`` is the resident who raised an issue on the QR page and holds
its tracking token; the others are logged-in accounts (:func:`test_auth.staff_accounts`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from test_auth import csrf_of, login, make_account, staff_accounts

from api.web.field import CSRF_HEADER

ROLES = (
    "anonymous",
    "public",
    "grid_worker",
    "deputy",
    "station_admin",
    "township_staff",
    "county_staff",
    "planner",
)
#: The role's home after logging in (where ``home`` in the table sends them).
HOMES = {
    "grid_worker": "/field/raise",
    "deputy": "/field/duty",
    "station_admin": "/work",
    "township_staff": "/work",
    "county_staff": "/work",
    "planner": "/account",
}

# What a role gets, in the table below:
OK = "200"  # the page
IN = "login"  # 303 to /login?next=... (nobody logged in)
NO = "403"  # the 403 page "您的角色不能使用此页面"
HOME = "home"  # 303 to the role's own home
GONE = "404"  # the 404 page (or, for an image, a bare 404)
J401, J403 = "json401", "json403"  # a page script's JSON route: log in first / not yours

_ANYONE = (OK,) * 8
_STAFF = (IN, IN, NO, NO, OK, OK, OK, NO)
_WORKER = (IN, IN, OK, NO, NO, NO, NO, NO)
_DEPUTY = (IN, IN, NO, OK, NO, NO, NO, NO)
_PLANNERS = (IN, IN, NO, NO, NO, NO, OK, OK)
_COUNTY = (IN, IN, NO, NO, NO, NO, OK, NO)
_TOKEN = (GONE, OK, OK, OK, OK, OK, OK, OK)  # the tracking link's token opens it
_TABS = ("pending", "handling", "due_soon", "overdue", "escalated", "to_rate")

#: (page, expected answer per role in :data:`ROLES` order). ``{issue}`` is an issue of grid
#: A raised by its grid worker, with a photo; ``{tracked}`` one raised on the QR page and
#: resolved, ``{token}`` its tracking token; ``{photo}``/``{public_photo}`` their photos.
PAGES: list[tuple[str, tuple[str, ...]]] = [
    ("/", (IN, IN, HOME, HOME, HOME, HOME, HOME, HOME)),
    ("/login", (OK, OK, HOME, HOME, HOME, HOME, HOME, HOME)),
    ("/account", (IN, IN, OK, OK, OK, OK, OK, OK)),
    # the staff desktop
    ("/work", _STAFF),
    *((f"/work?tab={tab}", _STAFF) for tab in _TABS),
    ("/work?category=road&q=塌陷&from=2026-11-01", _STAFF),
    ("/work/issues/{issue}", _STAFF),
    ("/work/issues/{issue}/photos/{photo}.jpg", _STAFF),
    ("/work/issues/2026-none", (IN, IN, NO, NO, GONE, GONE, GONE, NO)),
    ("/work/map", _STAFF),
    ("/work/stats", _STAFF),
    ("/work/stats.xlsx", _STAFF),
    # the phone screens
    ("/field", (IN, IN, HOME, HOME, NO, NO, NO, NO)),
    ("/field/raise", _WORKER),
    ("/field/mine", _WORKER),
    ("/field/duty", _DEPUTY),
    ("/field/history", _DEPUTY),
    ("/field/issues/{issue}", (IN, IN, OK, OK, NO, NO, NO, NO)),
    ("/field/issues/{issue}/photos/{photo}.jpg", (GONE, GONE, OK, OK, GONE, GONE, GONE, GONE)),
    ("/field/issues/2026-none", (IN, IN, GONE, GONE, NO, NO, NO, NO)),
    # the planner's
    ("/plan", _PLANNERS),
    ("/plan/maps/coverage", _PLANNERS),
    ("/plan/gaps", _PLANNERS),
    ("/plan/gaps?sort=uncovered&order=desc", _PLANNERS),
    ("/plan/gaps.csv", _PLANNERS),
    ("/plan/gaps.xlsx", _PLANNERS),
    ("/plan/scenarios", _PLANNERS),
    ("/plan/scenarios/20260101-000000-abcdef", (IN, IN, NO, NO, NO, NO, GONE, GONE)),
    # accounts
    ("/admin/accounts", _COUNTY),
    ("/admin/accounts?role=deputy&q=dep", _COUNTY),
    # what the pages' scripts read: JSON refusals, never a login page their code cannot read
    ("/work/map/base.json", (J401, J401, J403, J403, OK, OK, OK, J403)),
    ("/work/map/issues.geojson?bbox={bbox}", (J401, J401, J403, J403, OK, OK, OK, J403)),
    (
        "/field/api/nearby?lon={lon}&lat={lat}&category=road",
        (J401, J401, OK, J403, J403, J403, J403, J403),
    ),
    (
        "/plan/scenarios/20260101-000000-abcdef/status",
        (J401, J401, J403, J403, J403, J403, GONE, GONE),
    ),
    # the resident's (QR) pages: anyone; tracking only with the link's token
    ("/public/stations/{station}", _ANYONE),
    ("/public/deputies/{deputy}", _ANYONE),
    ("/public/track/{tracked}?token={token}", _TOKEN),
    ("/public/track/{tracked}/rate?token={token}", _TOKEN),
    ("/public/issues/{tracked}/photos/{public_photo}.jpg?token={token}", _TOKEN),
    ("/public/track/2026-none?token={token}", (GONE,) * 8),
    # the API's own documentation pages, for the machines' developers
    ("/docs", _ANYONE),
    ("/redoc", _ANYONE),
]

# ---------------------------------------------------------------------------------------


@dataclass
class Matrix:
    """The served world with a client per role and the things the pages are about."""

    world: Any
    clients: dict[str, TestClient]
    values: dict[str, str]

    def url(self, template: str, role: str) -> str:
        values = dict(self.values)
        if role == "anonymous":
            values["token"] = "guessed-" + values["token"][8:]  # a link without its token
        return template.format(**values)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "#6a8").save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def matrix(server: Any) -> Matrix:
    world = server.world
    p = world.places
    staff_accounts(world)
    issue = world.raise_issue("grid_worker", p.grid_a, description="村道路面塌陷")["issue"]
    issue_id = str(issue["issue_id"])
    files = {"photo": ("a.jpg", _jpeg(), "image/jpeg")}
    r = world.call("POST", f"/issues/{issue_id}/photos", "grid_worker", files=files)
    assert r.status_code == 201, r.text
    photo = str(r.json()["photo_id"])
    # the deputy of the table is one dispatched to the issue (报到 is theirs to do)
    make_account(world, "deputy", "deputy", world.service.store.get_issue(issue_id).deputies[0])
    body = world.raise_public(p.station_a, description="路灯不亮")
    tracked, token = str(body["issue"]["issue_id"]), str(body["tracking_token"])
    r = world.call(
        "POST", "/public/issues/" + tracked + "/photos", data={"tracking_token": token},
        files={"photo": ("b.jpg", _jpeg(), "image/jpeg")},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    public_photo = str(r.json()["photo_id"])
    r = world.call("POST", f"/issues/{tracked}/resolve", "county_staff", json={"result": "已修"})
    assert r.status_code == 200, r.text
    lon, lat = world.point(p.grid_a)
    clients: dict[str, TestClient] = {}
    for role in ROLES:
        client = TestClient(world.client.app, raise_server_exceptions=False)
        if role not in ("anonymous", "public"):
            assert login(client, role.replace("_", "-")).status_code == 303, role
        clients[role] = client
    values = {
        "issue": issue_id,
        "photo": photo,
        "tracked": tracked,
        "token": token,
        "public_photo": public_photo,
        "station": p.station_a,
        "deputy": p.deputy_a,
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "bbox": ",".join(f"{v:.6f}" for v in world.ws.grids.total_bounds),
    }
    return Matrix(world, clients, values)


# --- what each answer must carry --------------------------------------------------------


def _is_html(r: Any) -> bool:
    return str(r.headers.get("content-type", "")).startswith("text/html")


def header_problems(r: Any) -> list[str]:
    """What is missing from an answer's browser defences (empty: all there)."""
    h = r.headers
    problems = []
    if h.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not _is_html(r):
        return problems
    csp = h.get("content-security-policy", "")
    nonce = re.search(r"script-src [^;]*'nonce-([A-Za-z0-9_-]{16,})'", csp)
    if nonce is None:
        problems.append(f"no script nonce in the CSP: {csp!r}")
    script_src = re.search(r"script-src ([^;]*)", csp)
    if script_src and "unsafe-inline" in script_src.group(1):
        problems.append("the CSP lets inline scripts run")
    if "object-src 'none'" not in csp and "default-src 'none'" not in csp:
        problems.append("the CSP allows plugins")
    framed = "sandbox" in csp  # the maps the planner's pages frame: this site only
    frame_ancestors, frame_option = ("'self'", "SAMEORIGIN") if framed else ("'none'", "DENY")
    if f"frame-ancestors {frame_ancestors}" not in csp:
        problems.append(f"no frame-ancestors {frame_ancestors} in the CSP")
    if h.get("x-frame-options") != frame_option:
        problems.append(f"X-Frame-Options is {h.get('x-frame-options')!r}, not {frame_option}")
    if h.get("referrer-policy") != "no-referrer":
        problems.append(f"Referrer-Policy is {h.get('referrer-policy')!r}")
    if nonce is not None and r.request.method == "GET":
        # every script the page has runs by this nonce (or is a file of the site)
        for attrs in re.findall(r"<script\b([^>]*)>", r.text):
            data = 'type="application/json"' in attrs  # data for a script, never run
            if f'nonce="{nonce.group(1)}"' not in attrs and "src=" not in attrs and not data:
                problems.append(f"an inline script without the nonce: <script{attrs}>")
        if re.search(r"<[a-z][^>]*\son[a-z]+\s*=", r.text):
            problems.append("an inline event handler (on...=) the CSP would block")
    return problems


def answer_problem(r: Any, expected: str, role: str) -> str:
    """How ``r`` differs from ``expected`` for ``role`` ('' when it does not)."""
    got = f"{r.status_code} {r.headers.get('location', '')}".strip()
    if expected == OK:
        return "" if r.status_code == 200 else f"got {got}, expected the page (200)"
    if expected == IN:
        where = r.headers.get("location", "")
        fine = r.status_code == 303 and where.startswith("/login")
        return "" if fine else f"got {got}, expected 303 to /login"
    if expected == HOME:
        fine = r.status_code == 303 and r.headers.get("location") == HOMES[role]
        return "" if fine else f"got {got}, expected 303 to {HOMES[role]}"
    if expected == NO:
        fine = r.status_code == 403 and _is_html(r) and "您的角色不能使用此页面" in r.text
        return "" if fine else f"got {got}, expected the 403 page"
    if expected == GONE:
        return "" if r.status_code == 404 else f"got {got}, expected 404"
    if expected in (J401, J403):
        code = int(expected[4:])
        kind = str(r.headers.get("content-type", ""))
        fine = r.status_code == code and kind.startswith("application/json")
        return "" if fine else f"got {got} {kind}, expected {code} as JSON"
    raise AssertionError(expected)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_the_table_says(matrix: Matrix, role: str) -> None:
    client = matrix.clients[role]
    wrong: list[str] = []
    for template, answers in PAGES:
        expected = answers[ROLES.index(role)]
        url = matrix.url(template, role)
        r = client.get(url, follow_redirects=False)
        assert r.status_code < 500, f"{url} -> {r.status_code}: {r.text[:300]}"
        problem = answer_problem(r, expected, role)
        if problem:
            wrong.append(f"{role} GET {url}: {problem}")
        wrong += [f"{role} GET {url}: {p}" for p in header_problems(r)]
        if expected == GONE and _is_html(r):
            assert "<html" in r.text, url  # a page in words, never a bare JSON error
        head = client.head(url, follow_redirects=False)
        if head.status_code != r.status_code:
            wrong.append(f"{role} HEAD {url}: {head.status_code}, GET gave {r.status_code}")
        elif head.content or head.headers.get("location") != r.headers.get("location"):
            wrong.append(f"{role} HEAD {url}: a body, or another location than GET's")
        elif head.headers.get("content-type") != r.headers.get("content-type"):
            wrong.append(f"{role} HEAD {url}: another content type than GET's")
        else:
            wrong += [f"{role} HEAD {url}: {p}" for p in header_problems(head)]
    assert not wrong, "\n".join(wrong)


def test_the_pages_a_role_opens_are_in_chinese_with_a_fresh_nonce_each_time(
    matrix: Matrix,
) -> None:
    client = matrix.clients["county_staff"]
    first, second = client.get("/work"), client.get("/work")
    nonces = [re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]) for r in
              (first, second)]  # fmt: skip
    assert nonces[0] and nonces[1] and nonces[0].group(1) != nonces[1].group(1)
    for template, answers in PAGES:
        if answers[ROLES.index("county_staff")] != OK:
            continue
        r = client.get(matrix.url(template, "county_staff"))
        if _is_html(r) and "sandbox" not in r.headers["content-security-policy"]:
            assert re.search(r'<html lang="zh', r.text) or template in ("/docs", "/redoc"), template


# --- what each role may do -------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A form or script request of a page; ``answers`` per role as for pages, plus the
    codes of the phone screens' JSON routes (401 nobody logged in, 403 another role) and
    of a form refused for its input (the role was let in: 400 with the form again)."""

    name: str
    method: str
    path: str
    answers: tuple[str, ...]
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None


BAD = "400"
ACTIONS = [
    # staff on the issue page: escalate by hand to the next level
    Action("escalate", "POST", "/work/issues/{issue}/escalate",
           (IN, IN, NO, NO, "303", "303", "303", NO), form={"reason": "需上级协调"}),
    # the grid worker's 吹哨 from the phone
    Action("raise", "POST", "/field/api/issues",
           (J401, J401, "201", J403, J403, J403, J403, J403),
           json={"category": "road", "description": "桥头护栏断裂"}),
    # the dispatched deputy's 报到
    Action("acknowledge", "POST", "/field/api/issues/{issue}/acknowledge",
           (J401, J401, J403, "200", J403, J403, J403, J403), json={}),
    # a consolidation scenario (started only with a good form: a bad one shows the form)
    Action("scenario", "POST", "/plan/scenarios",
           (IN, IN, NO, NO, NO, NO, BAD, BAD), form={"target": "none"}),
    # county staff reset another person's password and get the sheet to print
    Action("reset password", "POST", "/admin/accounts/spare-worker/reset",
           (IN, IN, NO, NO, NO, NO, OK, NO), form={}),
    # my own password: everyone logged in (a wrong current one is refused in words)
    Action("change password", "POST", "/account/password",
           (IN, IN, BAD, BAD, BAD, BAD, BAD, BAD),
           form={"old": "not-mine", "new": "Xinmima-2026", "again": "Xinmima-2026"}),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_action_is_done_only_by_the_roles_it_belongs_to(matrix: Matrix, role: str) -> None:
    world = matrix.world
    make_account(world, "spare-worker", "grid_worker", world.places.grid_a2)
    client = matrix.clients[role]
    csrf = ""
    if role not in ("anonymous", "public"):
        csrf = csrf_of(client.get("/account").text)
    issue_id = matrix.values["issue"]
    wrong: list[str] = []
    for action in ACTIONS:
        expected = action.answers[ROLES.index(role)]
        url = matrix.url(action.path, role)
        before = world.service.store.get_issue(issue_id)
        count = world.service.store.count()
        if action.json is not None:
            body = dict(action.json)
            if action.name == "raise":
                lon, lat = world.point(world.places.grid_a)
                body |= {"lon": lon, "lat": lat}
            else:
                body["version"] = before.version
            headers = {CSRF_HEADER: csrf, "Idempotency-Key": f"matrix-{role}"}
            r = client.post(url, json=body, headers=headers, follow_redirects=False)
        else:
            form = {**(action.form or {}), "csrf": csrf}
            r = client.post(url, data=form, follow_redirects=False)
        assert r.status_code < 500, f"{action.name} -> {r.status_code}: {r.text[:300]}"
        if expected in ("201", "303", BAD) or (expected == OK and action.json is not None):
            problem = "" if r.status_code == int(expected) else f"got {r.status_code}"
            if expected == "303" and r.headers.get("location", "").startswith("/login"):
                problem = "sent to log in"
        else:
            problem = answer_problem(r, expected, role)
        if problem:
            wrong.append(f"{role} {action.name}: {problem}, expected {expected}")
        refused = expected in (IN, NO, J401, J403)
        if refused:
            after = world.service.store.get_issue(issue_id)
            if after.version != before.version or world.service.store.count() != count:
                wrong.append(f"{role} {action.name}: refused, yet something changed")
        wrong += [f"{role} {action.name}: {p}" for p in header_problems(r)]
    if role == "county_staff":
        # the reset took: the sheet shows the new password, the old one no longer works
        fresh = TestClient(world.client.app, raise_server_exceptions=False)
        assert login(fresh, "spare-worker").status_code == 401
    assert not wrong, "\n".join(wrong)


def test_a_mistyped_address_in_a_browser_is_a_page_in_words(server: Any) -> None:
    world = server.world
    page = world.client.get("/work/typo", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text and "没有这个页面" in page.text
    api = world.client.get("/work/typo", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["error"] == "not_found"
