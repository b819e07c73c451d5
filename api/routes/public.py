"""The public side of 一站一码、一人一码: the pages a QR code opens, raising an issue
there, and following or rating it with the tracking token given on raising.

Pages are self-contained HTML (no CDN, no external script): government intranets and
cheap phones both open them. Their one inline script and style carry the response's CSP
nonce (:func:`api.params.csp_nonce`), and nothing else inline may run. Nothing personal is
ever shown here.
"""

from __future__ import annotations

import html
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import ServiceDep, get_secret
from api.params import choice, csp_nonce
from api.schemas import IssuePublicOut, PublicIssueCreate, RateIn
from api.views import issue_public
from gridgov._errors import NotFoundError, ParameterError
from gridgov.issues.access import Principal, hash_token, tracking_token, tracks
from gridgov.issues.lifecycle import Rate
from gridgov.issues.service import MAX_DESCRIPTION, NewIssue
from gridgov.model import Rating

router = APIRouter()


def _page(title: str, body: str, nonce: str) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style nonce="{nonce}">
body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#222}}
h1{{font-size:1.4rem}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}}
label{{display:block;margin-top:.6rem}} select,textarea,input{{width:100%;font-size:1rem}}
input[type=checkbox]{{width:auto}}
button{{margin-top:.8rem;font-size:1.1rem;padding:.4rem 1.2rem}} .note{{color:#666;font-size:.9rem}}
</style></head><body>{body}</body></html>"""
    return HTMLResponse(doc)


def _form(service: ServiceDep, station_id: str, nonce: str) -> str:
    options = "".join(
        f'<option value="{html.escape(k)}">{html.escape(v)}</option>'
        for k, v in service.settings.issue_categories.items()
    )
    action = f"/public/stations/{html.escape(station_id)}/issues"
    return f"""
<h2>码上提建议</h2>
<form id="raise"><label>类别<select name="category">{options}</select></label>
<label>问题描述<textarea name="description" rows="4" maxlength="{MAX_DESCRIPTION}" required></textarea></label>
<label>姓名（可不填）<input name="reporter_name" maxlength="50"></label>
<label>电话（可不填，仅工作人员可见）<input name="reporter_phone" maxlength="32"></label>
<label><input type="checkbox" name="anonymous"> 匿名</label>
<button type="submit">提交</button></form>
<p id="result" class="note"></p>
<script nonce="{nonce}">
document.getElementById('raise').addEventListener('submit', async function (ev) {{
  ev.preventDefault();
  var f = new FormData(ev.target), body = {{}};
  f.forEach(function (v, k) {{ body[k] = v; }});
  body.anonymous = f.get('anonymous') === 'on';
  var key = Array.from(crypto.getRandomValues(new Uint8Array(16)),
    function (b) {{ return ('0' + b.toString(16)).slice(-2); }}).join('');
  var r = await fetch('{action}', {{method: 'POST', headers: {{'Content-Type': 'application/json',
    'Idempotency-Key': key}}, body: JSON.stringify(body)}});
  var j = await r.json();
  document.getElementById('result').textContent = r.ok
    ? '已受理，编号 ' + j.issue.issue_id + '，查询码 ' + j.tracking_token
    : '未提交：' + j.message;
}});
</script>"""


@router.get("/stations/{station_id}", response_class=HTMLResponse)
def station_page(
    station_id: str,
    request: Request,
    service: ServiceDep,
    fmt: Annotated[Literal["html", "json"], Query(alias="format")] = "html",
) -> Response:
    """The page a station's QR code opens: the station, its deputies' public profiles,
    and a form to raise an issue there (码上亮身份、码上提建议)."""
    from gridgov.issues.qr import public_station

    info = public_station(service.ws, station_id)
    if fmt == "json":
        return Response(json.dumps(info, ensure_ascii=False), media_type="application/json")
    nonce = csp_nonce(request)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(d.get(k, '')))}</td>" for k in ("name", "level", "specialty")
        )
        + "</tr>"
        for d in info.get("deputies", [])
    )
    name = str(info.get("name", station_id))
    body = (
        f"<h1>{html.escape(name)}</h1>"
        f"<p>{html.escape(str(info.get('tier', '')))} · {html.escape(str(info.get('township', '')))}"
        f" · 接待日：{html.escape(str(info.get('reception_day', '') or '—'))}</p>"
        f"<h2>驻站代表</h2><table><tr><th>姓名</th><th>代表层级</th><th>专业/行业</th></tr>{rows}</table>"
        + _form(service, station_id, nonce)
    )
    return _page(name, body, nonce)


@router.get("/deputies/{deputy_id}", response_class=HTMLResponse)
def deputy_page(
    deputy_id: str,
    request: Request,
    service: ServiceDep,
    fmt: Annotated[Literal["html", "json"], Query(alias="format")] = "html",
) -> Response:
    """The page a deputy's QR code opens: their public profile and their station's form."""
    from gridgov.issues.qr import public_deputy

    info = public_deputy(service.ws, deputy_id)
    if fmt == "json":
        return Response(json.dumps(info, ensure_ascii=False), media_type="application/json")
    nonce = csp_nonce(request)
    name = str(info.get("name", deputy_id))
    station = str(info.get("station_id", "") or "")
    body = (
        f"<h1>{html.escape(name)}</h1><p>{html.escape(str(info.get('level', '')))}"
        f" · {html.escape(str(info.get('specialty', '') or ''))}"
        f" · {html.escape(str(info.get('station_name', '') or station))}</p>"
        + (_form(service, station, nonce) if station else "")
    )
    return _page(name, body, nonce)


@router.post("/stations/{station_id}/issues", status_code=201)
def raise_at_station(
    station_id: str,
    body: PublicIssueCreate,
    service: ServiceDep,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    """A resident raises an issue from a station's QR page. The place is the point given,
    else the station itself. Keep the returned tracking token: it follows and rates it."""
    st = service.ws.stations
    rows = st[st["station_id"].astype(str) == station_id]
    if rows.empty:
        raise NotFoundError(f"no station {station_id!r}")
    if (body.lon is None) != (body.lat is None):
        missing = "lat" if body.lat is None else "lon"
        raise ParameterError(
            f"{missing}: give both lon and lat, or neither (the station's place is used)",
            parameter=missing,
        )
    point = rows.geometry.iloc[0]
    lon = body.lon if body.lon is not None else float(point.x)
    lat = body.lat if body.lat is not None else float(point.y)
    key = None if idempotency_key is None else f"public:{station_id}:{idempotency_key}"
    # keyed by a secret outside the store, only needed (and made) for a retry-safe token
    token = tracking_token(get_secret(request, service) if key else "", key)
    data = NewIssue(
        category=body.category,
        description=body.description,
        lon=lon,
        lat=lat,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        anonymous=body.anonymous,
        source="qr",
        tracking_hash=hash_token(token),
    )
    result = service.raise_issue(data, Principal.public().actor, idempotency_key=key)
    if not result.created:
        response.status_code = 200
    return {
        "issue": issue_public(service, result.issue).model_dump(mode="json"),
        "created": result.created,
        "tracking_token": token,
    }


def _tracked(service: ServiceDep, issue_id: str, token: str) -> Any:
    try:
        issue = service.store.get_issue(issue_id)
    except NotFoundError:
        issue = None
    if issue is None or not tracks(token, issue.tracking_hash):
        raise NotFoundError(f"no issue {issue_id!r} for this tracking token")
    return issue


@router.get("/issues/{issue_id}", response_model=IssuePublicOut)
def track(
    issue_id: str, service: ServiceDep, token: Annotated[str, Query(min_length=1, max_length=100)]
) -> IssuePublicOut:
    """Follow an issue with its tracking token: status and 三知, nothing personal."""
    return issue_public(service, _tracked(service, issue_id, token))


@router.post("/issues/{issue_id}/rate", response_model=IssuePublicOut)
def rate(issue_id: str, body: RateIn, service: ServiceDep) -> IssuePublicOut:
    """The resident rates the result (满意 / 基本满意 / 不满意; 不满意 reopens it)."""
    _tracked(service, issue_id, body.tracking_token)
    rating = choice(Rating, body.rating, "rating")
    issue = service.act(issue_id, Rate(rating, body.note), Principal.public().actor)
    return issue_public(service, issue)
