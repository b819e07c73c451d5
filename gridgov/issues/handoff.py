"""The hand-off to the platform above: the county's last rung as an Open311 client.

What the county standing committee cannot settle goes, where the county uses one, to the
city's governance platform or the 12345 hotline ("一中心四平台"; Kaifeng pushes reviewed
issues into the city platform, which assigns departments and deadlines and answers back).
In the escalation graph that is the ``external`` node; this module makes the node real.
An issue that reaches it (a missed county deadline, or county staff handing it up) is
submitted to the platform as an Open311 GeoReport v2 service request (POST
``requests.json``, the category mapped to the platform's ``service_code``,
``settings.handoff_service_codes``), and the platform's request id is kept on the issue
(:class:`~gridgov.issues.lifecycle.HandOff`). The platform is then polled
(``requests/{id}.json``) and every change it reports is written into the issue's
timeline (:class:`~gridgov.issues.lifecycle.PlatformUpdate`; the agency it names becomes
the responsible unit of 三知), so the deputy and the resident keep knowing who handles the
issue and with what result. A request the platform closes comes back as the issue's
result (``resolved``, rated by the resident as any other); one it closes as refused
(``settings.handoff_refusal_words`` in its notes, since Open311 knows only open and
closed) comes back to the county as a return (退回) with the platform's words as reason.

Where the platform takes issues as a signed webhook instead (``settings.handoff_protocol =
"webhook"``), :class:`WebhookPlatform` POSTs the issue as JSON to ``handoff_url``, signed
as the notices' generic webhook is (:func:`gridgov.notify.channels.webhook_headers`:
HMAC-SHA256 over ``"<timestamp>.<body>"`` under ``GRIDGOV_HANDOFF_SECRET``), and keeps the
``request_id`` of the reply. Such a platform is not polled: it answers by a signed callback
(``POST /handoff/callback``, :func:`receive_callback`) carrying the request's status, its
result or its refusal, which is written into the timeline exactly as a poll's answer is
(:func:`apply_platform_state`). A callback with a bad signature or a stale timestamp is
refused (401), one replayed inside the window (the same signature again) too (409), and
neither writes anything.

Delivery is at least once and never twice: the POST carries an ``Idempotency-Key`` made
of the issue id and its hand-off count, so two workers submitting the same issue, or a
retry after a lost answer, get one request on the platform; the id is stored only if the
issue is still waiting for it (the store's row lock decides between the two workers). A
platform that is down is tried again on the next pass; one that refuses the request (a
4xx answer) is recorded once per distinct answer (``handoff_failed``), so staff see why
the issue waits. Nothing personal is sent: the platform answers through gridgov, which
tells the resident.

:func:`sync_handoffs` is one pass (``gridgov handoff poll`` for cron);
:class:`HandoffPoller` runs it every ``settings.handoff_poll_s`` inside ``gridgov serve``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from gridgov._errors import (
    ConflictError,
    GridgovError,
    NotFoundError,
    Problem,
    ValidationError,
)
from gridgov.issues.lifecycle import (
    Action,
    Actor,
    Event,
    HandOff,
    HandOffFailed,
    Issue,
    PlatformUpdate,
    Resolve,
    Return,
    apply,
)
from gridgov.messages import text
from gridgov.notify.channels import (
    REPLAY_WINDOW_S,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_webhook,
    webhook_headers,
)
from gridgov.settings import Settings
from gridgov.store.base import IssueQuery
from gridgov.store.inbound import inbound_store

if TYPE_CHECKING:  # the service imports the lifecycle, as this module does; no cycle at run time
    from gridgov.issues.service import IssueService

__all__ = [
    "KEY_ENV",
    "SECRET_ENV",
    "CallbackResult",
    "HandoffPoller",
    "HandoffReport",
    "Open311Client",
    "PlatformRefusedError",
    "PlatformRequest",
    "PlatformUnavailableError",
    "WebhookPlatform",
    "apply_platform_state",
    "is_refusal",
    "receive_callback",
    "sync_handoffs",
]

log = logging.getLogger(__name__)

#: Environment variable holding the platform's api_key (wins over the settings file).
KEY_ENV = "GRIDGOV_HANDOFF_KEY"
#: Environment variable holding the secret that signs the webhook hand-off both ways (the
#: POST to the platform and its callbacks); never in the settings file or the store.
SECRET_ENV = "GRIDGOV_HANDOFF_SECRET"
#: Issues read per page while looking for hand-offs to submit or poll.
_PAGE = 200
#: Longest platform answer kept in an event (notes, errors): a bound on what a platform
#: can make gridgov store.
_MAX_TEXT = 2000


class PlatformUnavailableError(GridgovError):
    """The platform cannot be reached or answered 5xx or nonsense: try again later."""


class PlatformRefusedError(GridgovError):
    """The platform refused the request (a 4xx answer); its Open311 error descriptions."""


@dataclass(frozen=True)
class PlatformRequest:
    """What the platform says of one service request."""

    request_id: str
    status: str  # "open" or "closed"
    notes: str = ""
    agency: str = ""
    updated: str = ""


@dataclass(frozen=True)
class HandoffReport:
    """What one pass did: issue ids submitted, updated (a new platform state written),
    resolved and returned by the platform, and those that failed this pass (retried on
    the next; ``errors`` says why, per issue)."""

    submitted: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "submitted": list(self.submitted),
            "updated": list(self.updated),
            "resolved": list(self.resolved),
            "returned": list(self.returned),
            "failed": list(self.failed),
            "errors": dict(self.errors),
        }


def _clip(value: object) -> str:
    return str(value if value is not None else "").strip()[:_MAX_TEXT]


class Open311Client:
    """A GeoReport v2 client of one platform (JSON format), over httpx.

    Parameters
    ----------
    base_url : str
        The endpoint holding ``requests.json`` (``https://host/open311/v2``).
    api_key : str
        The key the platform gave the county (sent as the spec's ``api_key``).
    jurisdiction_id : str, optional
        Sent with every call when the platform serves several jurisdictions.
    timeout_s : float
        Per call.
    transport : httpx.BaseTransport, optional
        For a platform reached through something other than the network stack.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "",
        jurisdiction_id: str = "",
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> Open311Client:
        """The client ``settings`` configure (``GRIDGOV_HANDOFF_KEY`` wins over the key in
        the settings)."""
        return cls(
            settings.handoff_url,
            api_key=os.environ.get(KEY_ENV) or settings.handoff_api_key,
            jurisdiction_id=settings.handoff_jurisdiction_id,
            timeout_s=settings.handoff_timeout_s,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Open311Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _common(self) -> dict[str, str]:
        out = {}
        if self.api_key:
            out["api_key"] = self.api_key
        if self.jurisdiction_id:
            out["jurisdiction_id"] = self.jurisdiction_id
        return out

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}/{path}"
        r, body = _answer(method, url, lambda: self._http.request(method, url, **kwargs))
        if body is _NOT_JSON:  # an Open311 server always answers JSON: try again later
            raise PlatformUnavailableError(
                f"{method} {url}: HTTP {r.status_code}, not JSON: {r.text[:200]!r}"
            )
        if r.status_code >= 400:
            raise PlatformRefusedError(f"HTTP {r.status_code}: {_descriptions(body)}")
        return body

    def submit(
        self,
        *,
        service_code: str,
        lat: float,
        lon: float,
        description: str,
        address_string: str = "",
        idempotency_key: str = "",
    ) -> str:
        """POST a service request; the platform's ``service_request_id``.

        Raises
        ------
        PlatformRefusedError
            A 4xx answer, or one without a ``service_request_id`` (a platform that only
            gives tokens cannot be followed).
        PlatformUnavailableError
            No answer, 5xx, or not JSON.
        """
        form = {
            **self._common(),
            "service_code": service_code,
            "lat": f"{lat:.7f}",
            "long": f"{lon:.7f}",
            "description": description,
        }
        if address_string:
            form["address_string"] = address_string
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = self._call("POST", "requests.json", data=form, headers=headers)
        first = body[0] if isinstance(body, list) and body else body
        rid = first.get("service_request_id") if isinstance(first, dict) else None
        if not rid:
            raise PlatformRefusedError(
                f"the platform gave no service_request_id (answered {str(body)[:200]}); "
                "gridgov follows a hand-off by its request id"
            )
        return str(rid)

    def request(self, request_id: str) -> PlatformRequest:
        """GET one service request.

        Raises
        ------
        PlatformRefusedError, PlatformUnavailableError
        """
        body = self._call("GET", f"requests/{request_id}.json", params=self._common())
        item = body[0] if isinstance(body, list) and body else body
        if not isinstance(item, dict) or "status" not in item:
            raise PlatformUnavailableError(f"request {request_id}: no status in {str(body)[:200]}")
        return PlatformRequest(
            request_id=str(item.get("service_request_id") or request_id),
            status=_clip(item.get("status")).lower(),
            notes=_clip(item.get("status_notes")),
            agency=_clip(item.get("agency_responsible")),
            updated=_clip(item.get("updated_datetime")),
        )


class WebhookPlatform:
    """A platform that takes issues as a signed JSON POST (``handoff_protocol = "webhook"``).

    The body is one JSON object: ``issue_id``, ``service_code`` (the category mapped through
    ``settings.handoff_service_codes``, as for Open311), ``category`` and ``category_name``,
    ``title``, ``description`` (the county's words with the issue number and place),
    ``address``, ``lon``/``lat`` (CGCS2000 degrees), ``county_code``, ``county``,
    ``handed_off_at`` and ``callback`` (where to send updates, when gridgov knows its public
    address); never the reporter. It is signed with :func:`~gridgov.notify.channels.
    webhook_headers` and carries an ``Idempotency-Key``. The platform answers 2xx with a
    JSON object holding its ``request_id`` (``id`` or ``service_request_id`` are taken too).

    Parameters
    ----------
    url : str
    secret : str
        The signing secret (``GRIDGOV_HANDOFF_SECRET``).
    timeout_s : float
    transport : httpx.BaseTransport, optional
    """

    #: The platform reports back by callback: nothing to poll.
    polls = False

    def __init__(
        self,
        url: str,
        *,
        secret: str,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not secret:
            raise PlatformRefusedError(
                f"the webhook hand-off is signed: set {SECRET_ENV} to the secret agreed with "
                "the platform"
            )
        self.url = url
        self.secret = secret
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookPlatform:
        """The platform ``settings`` configure, its secret from ``GRIDGOV_HANDOFF_SECRET``."""
        return cls(
            settings.handoff_url,
            secret=os.environ.get(SECRET_ENV, ""),
            timeout_s=settings.handoff_timeout_s,
        )

    def close(self) -> None:
        self._http.close()

    def submit_json(self, payload: Mapping[str, Any], *, idempotency_key: str) -> str:
        """POST ``payload`` signed; the platform's request id.

        Raises
        ------
        PlatformRefusedError
            A 4xx answer, or a 2xx one without a request id.
        PlatformUnavailableError
            No answer, 5xx (or 408/429), or not JSON.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"} | webhook_headers(
            self.secret, body, idempotency_key
        )
        r, answer = _answer(
            "POST", self.url, lambda: self._http.post(self.url, content=body, headers=headers)
        )
        if answer is _NOT_JSON:  # a receiver's own 4xx page refuses; a 2xx one is garbled
            if r.status_code >= 400:
                raise PlatformRefusedError(f"HTTP {r.status_code}: {_clip(r.text[:200])}")
            raise PlatformUnavailableError(
                f"POST {self.url}: HTTP {r.status_code}, not JSON: {r.text[:200]!r}"
            )
        if r.status_code >= 400:
            raise PlatformRefusedError(f"HTTP {r.status_code}: {_descriptions(answer)}")
        rid = ""
        if isinstance(answer, dict):
            rid = _clip(
                answer.get("request_id") or answer.get("id") or answer.get("service_request_id")
            )
        if not rid:
            raise PlatformRefusedError(
                f"the platform gave no request_id (answered {str(answer)[:200]}); gridgov "
                "matches its callbacks by that id"
            )
        return rid


Platform = Open311Client | WebhookPlatform

#: What :func:`_answer` gives for a body that is not JSON.
_NOT_JSON: Any = object()


def _answer(
    method: str, url: str, send: Callable[[], httpx.Response]
) -> tuple[httpx.Response, Any]:
    """Send a request to the platform (``send()``) and read its JSON: no answer, a 5xx, 408
    or 429 is :class:`PlatformUnavailableError` (try again later), for either protocol;
    the caller says what a 4xx or a body that is not JSON (:data:`_NOT_JSON`) means."""
    try:
        r = send()
    except httpx.HTTPError as exc:
        raise PlatformUnavailableError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    if r.status_code >= 500 or r.status_code in (408, 429):
        raise PlatformUnavailableError(f"{method} {url}: HTTP {r.status_code}")
    try:
        return r, r.json()
    except ValueError:
        return r, _NOT_JSON


def _descriptions(body: Any) -> str:
    """The Open311 error list as one line (``description; description``)."""
    items = body if isinstance(body, list) else [body]
    parts = [
        str(i.get("description") or i.get("message") or i.get("error") or "")
        for i in items
        if isinstance(i, dict)
    ]
    return _clip("; ".join(p for p in parts if p) or str(body)[:200])


def is_refusal(notes: str, settings: Settings) -> bool:
    """Whether a closed request's notes say the platform refused it (退回) rather than
    settled it (``settings.handoff_refusal_words``)."""
    return any(word and word in notes for word in settings.handoff_refusal_words)


# --- one pass -------------------------------------------------------------------------------


class _MovedError(ConflictError):
    """The issue changed while its platform call was under way (another worker, staff)."""


def _waiting(service: IssueService) -> list[Issue]:
    """Open issues at the external level, oldest first."""
    out: list[Issue] = []
    offset = 0
    while True:
        page, total = service.store.list_issues(
            IssueQuery(level="external", open_only=True, limit=_PAGE, offset=offset)
        )
        out.extend(page)
        offset += len(page)
        if not page or offset >= total:
            break
    return sorted(out, key=lambda i: (i.created_at, i.issue_id))


def _record(
    service: IssueService, basis: Issue, actions: Sequence[Action], actor: Actor, now: datetime
) -> Issue:
    """Apply ``actions`` in one write, if the issue is still where the call found it."""

    def change(fresh: Mapping[str, Issue]) -> list[tuple[Issue, tuple[Event, ...]]]:
        issue = fresh[basis.issue_id]
        before = (basis.status, basis.unit, basis.handoff_id, basis.handoffs)
        if (issue.status, issue.unit, issue.handoff_id, issue.handoffs) != before:
            raise _MovedError(basis.issue_id)
        events: tuple[Event, ...] = ()
        for action in actions:
            issue, more = apply(issue, action, actor=actor, now=now, settings=service.settings)
            events += more
        return [(issue, events)]

    return service.store.modify([basis.issue_id], change)[0]


def _place_names(service: IssueService) -> dict[str, str]:
    ws = service.ws
    if ws.grids is None or "name" not in ws.grids.columns:
        return {}
    return dict(zip(ws.grids["code"].astype(str), ws.grids["name"].astype(str), strict=True))


def sync_handoffs(
    service: IssueService,
    *,
    client: Platform | None = None,
    now: datetime | None = None,
) -> HandoffReport:
    """Submit every issue waiting at the external level and poll every one handed off
    (an Open311 platform; a webhook platform reports by callback instead).

    Parameters
    ----------
    service : IssueService
    client : Open311Client or WebhookPlatform, optional
        Default: the one ``service.settings`` configure (nothing happens when
        ``settings.handoff_url`` is empty).
    now : datetime, optional
        The time the events carry (default the service's clock).

    Returns
    -------
    HandoffReport
    """
    settings: Settings = service.settings
    if client is None and not settings.handoff_url:
        return HandoffReport()
    own = client is None
    if client is None:
        client = (
            WebhookPlatform.from_settings(settings)
            if settings.handoff_protocol == "webhook"
            else Open311Client.from_settings(settings)
        )
    when = now if now is not None else service.clock()
    done: dict[str, list[str]] = {k: [] for k in ("submitted", "updated", "resolved",
                                                   "returned", "failed")}  # fmt: skip
    errors: dict[str, str] = {}
    grids = _place_names(service)
    try:
        for issue in _waiting(service):
            if issue.handoff_id and isinstance(client, WebhookPlatform):
                continue  # it answers by callback (receive_callback)
            try:
                outcome = (
                    _submit(service, client, issue, when, grids)
                    if not issue.handoff_id
                    else _poll(service, client, issue, when)
                )
            except (PlatformUnavailableError, PlatformRefusedError) as exc:
                log.warning("hand-off of %s: %s", issue.issue_id, exc)
                errors[issue.issue_id] = str(exc)
                outcome = "failed"
            except (_MovedError, ConflictError) as exc:  # moved meanwhile: the next pass decides
                log.info("hand-off of %s skipped: %s", issue.issue_id, exc)
                outcome = None
            except GridgovError as exc:  # e.g. no unit to return to: one issue, not the pass
                log.warning("hand-off of %s cannot go on: %s", issue.issue_id, exc)
                errors[issue.issue_id] = str(exc)
                outcome = "failed"
            if outcome is not None:
                done[outcome].append(issue.issue_id)
    finally:
        if own:
            client.close()
    return HandoffReport(**{k: tuple(v) for k, v in done.items()}, errors=errors)


def _actor(service: IssueService, issue: Issue) -> Actor:
    platform = service.settings.external_platform or "external"
    try:
        name = str(service.node(issue.unit).get("name") or platform)
    except NotFoundError:
        name = platform
    return Actor(service.settings.handlers.get("external", "external"), platform, name)


def _submit(
    service: IssueService,
    client: Platform,
    issue: Issue,
    now: datetime,
    grids: Mapping[str, str],
) -> str | None:
    settings: Settings = service.settings
    code = settings.handoff_service_codes.get(issue.category, issue.category)
    county = str(service.ws.meta.get("county_name") or service.ws.county["name"].iloc[0])
    where = "，".join(p for p in (issue.address, grids.get(issue.grid_code, "")) if p)
    body = issue.description if not issue.title else f"{issue.title}：{issue.description}"
    description = text(
        "handoff.request.description",
        "zh",  # the platform above is a Chinese office whatever language the CLI speaks
        description=body,
        county=county,
        issue_id=issue.issue_id,
        address=where or f"{issue.lon:.6f}, {issue.lat:.6f}",
    )
    actor = _actor(service, issue)
    key = f"gridgov:{issue.issue_id}:{issue.handoffs + 1}"
    try:
        if isinstance(client, WebhookPlatform):
            request_id = client.submit_json(
                _webhook_payload(service, issue, code, description[:4000], now),
                idempotency_key=key,
            )
        else:
            request_id = client.submit(
                service_code=code,
                lat=issue.lat,
                lon=issue.lon,
                description=description[:4000],  # Open311's limit
                address_string=issue.address,
                idempotency_key=key,
            )
    except PlatformRefusedError as exc:
        if issue.handoff_error != str(exc):
            _record(service, issue, [HandOffFailed(str(exc))], actor, now)
        raise
    platform = settings.external_platform or "external"
    _record(service, issue, [HandOff(platform, request_id, code)], actor, now)
    log.info("issue %s handed to %s as %s", issue.issue_id, platform, request_id)
    return "submitted"


def _webhook_payload(
    service: IssueService, issue: Issue, code: str, description: str, now: datetime
) -> dict[str, Any]:
    settings: Settings = service.settings
    county_code = str(service.ws.county["code"].iloc[0])
    public = str((settings.notify or {}).get("public_url", "")).rstrip("/")
    return {
        "issue_id": issue.issue_id,
        "service_code": code,
        "category": issue.category,
        "category_name": settings.issue_categories.get(issue.category, issue.category),
        "title": issue.title,
        "description": description,
        "address": issue.address,
        "lon": round(float(issue.lon), 7),
        "lat": round(float(issue.lat), 7),
        "county_code": county_code,
        "county": str(service.ws.meta.get("county_name") or service.ws.county["name"].iloc[0]),
        "handed_off_at": now.isoformat(),
        "callback": f"{public}/handoff/callback" if public else "",
    }


def _poll(service: IssueService, client: Platform, issue: Issue, now: datetime) -> str | None:
    if not isinstance(client, Open311Client):  # never: the pass skips them
        return None
    actor = _actor(service, issue)
    try:
        got = client.request(issue.handoff_id)
    except PlatformRefusedError as exc:
        if issue.handoff_error != str(exc):
            _record(service, issue, [HandOffFailed(str(exc))], actor, now)
        raise
    return apply_platform_state(service, issue, got, now)


def apply_platform_state(
    service: IssueService,
    issue: Issue,
    got: PlatformRequest,
    now: datetime,
    *,
    refused: bool = False,
) -> str | None:
    """Write what the platform says of ``issue``'s request into its timeline.

    A closed request comes back as the issue's result, or (``refused``, or refusal words
    in its notes) as a return to the county with the platform's words as reason; an open
    one as a ``platform_updated`` event, only when status, notes or agency changed.

    Returns
    -------
    str or None
        ``"resolved"``, ``"returned"``, ``"updated"``, or None when nothing changed.

    Raises
    ------
    ConflictError
        The issue moved meanwhile (the next poll or callback decides).
    """
    actor = _actor(service, issue)
    update = PlatformUpdate(got.status, got.notes, got.agency)
    if got.status == "closed":
        if refused or is_refusal(got.notes, service.settings):
            back = service.previous_unit(issue.issue_id)
            if back is None or back == issue.unit:
                back = _below(service, issue.unit)
            target = service.unit_action_target(back)
            reason = got.notes or text("handoff.event.handoff_failed", "zh")
            _record(service, issue, [update, Return(reason=reason, **target)], actor, now)
            return "returned"
        result = got.notes or got.agency or "已办结"
        _record(service, issue, [update, Resolve(result)], actor, now)
        return "resolved"
    seen = (issue.handoff_status, issue.handoff_notes, issue.responsible_name)
    agency = got.agency or issue.responsible_name
    if (got.status, got.notes, agency) == seen:
        return None
    _record(service, issue, [update], actor, now)
    return "updated"


def _below(service: IssueService, unit: str) -> str:
    """The unit that hands up to ``unit`` (the county, for the platform)."""
    for lower in service.escalation.predecessors(unit):
        if service.escalation.nodes[lower].get("level") == "county":
            return str(lower)
    raise NotFoundError(f"no county below {unit!r} in the escalation graph")


# --- the webhook platform's callbacks -------------------------------------------------------

#: Callback statuses: the request is being handled, settled, or refused (退回).
CALLBACK_STATUSES: dict[str, str] = {
    "open": "open",
    "accepted": "open",
    "in_progress": "open",
    "closed": "closed",
    "resolved": "closed",
    "refused": "refused",
    "returned": "refused",
}
_CALLBACK_FIELDS = frozenset({"request_id", "issue_id", "status", "notes", "agency", "result",
                              "reason", "updated"})  # fmt: skip


@dataclass(frozen=True)
class CallbackResult:
    """What a callback did to which issue: ``"updated"``, ``"resolved"``, ``"returned"``,
    or ``"unchanged"`` (the platform repeated a state already written)."""

    issue_id: str
    request_id: str
    outcome: str

    def as_dict(self) -> dict[str, str]:
        return {"issue_id": self.issue_id, "request_id": self.request_id, "outcome": self.outcome}


def _callback_fields(body: bytes) -> dict[str, str]:
    """The callback's JSON, every bad field named."""
    problems: list[Problem] = []

    def bad(name: str, value: Any, message: str) -> None:
        problems.append(Problem("callback", None, name, value, message))

    try:
        raw = json.loads(body or b"null")
    except ValueError as exc:
        raise ValidationError(
            [
                Problem(
                    "callback",
                    None,
                    "body",
                    body[:80].decode("utf-8", "replace"),
                    f"not JSON ({exc})",
                )
            ],
            context="callback",
        ) from None
    if not isinstance(raw, dict):
        raise ValidationError(
            [Problem("callback", None, "body", str(raw)[:80], "must be a JSON object")],
            context="callback",
        )
    out: dict[str, str] = {}
    for name in sorted(_CALLBACK_FIELDS & set(raw)):
        value = raw[name]
        if value is not None and not isinstance(value, str | int):
            bad(name, str(value)[:80], "must be text")
            continue
        out[name] = _clip(value)
    if not out.get("request_id"):
        bad("request_id", raw.get("request_id"), "required: the platform's id of the request")
    status = out.get("status", "").lower()
    if status not in CALLBACK_STATUSES:
        bad("status", raw.get("status"), f"must be one of {', '.join(CALLBACK_STATUSES)}")
    elif CALLBACK_STATUSES[status] == "refused" and not (out.get("reason") or out.get("notes")):
        bad("reason", raw.get("reason"), "required with a refusal: the county reads why")
    if problems:
        raise ValidationError(problems, context="callback")
    out["status"] = status
    return out


def _handed_off(service: IssueService, request_id: str, issue_id: str) -> Issue:
    """The open issue the platform calls ``request_id``."""
    if issue_id:
        try:
            issue = service.store.get_issue(issue_id)
        except NotFoundError:
            issue = None
        if issue is not None and issue.handoff_id == request_id and issue.is_open:
            return issue
    else:
        for issue in _waiting(service):
            if issue.handoff_id == request_id:
                return issue
    raise NotFoundError(
        f"no open issue is with the platform as request {request_id!r}"
        + (f" (issue_id {issue_id!r})" if issue_id else "")
    )


def receive_callback(
    service: IssueService,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: datetime | None = None,
    secret: str | None = None,
    window_s: float = REPLAY_WINDOW_S,
) -> CallbackResult:
    """Take a webhook platform's signed callback into the issue's timeline.

    The body is a JSON object: ``request_id`` (required; the id the platform answered the
    hand-off with), ``issue_id`` (optional), ``status`` (``open``/``accepted``/
    ``in_progress``: being handled; ``closed``/``resolved``: settled, with ``result``;
    ``refused``/``returned``: refused, with ``reason``), ``notes`` and ``agency`` (the
    department the platform assigned: it becomes the responsible unit of 三知). Headers as
    the hand-off's: ``X-Gridgov-Timestamp`` and ``X-Gridgov-Signature`` under
    ``GRIDGOV_HANDOFF_SECRET``.

    Parameters
    ----------
    service : IssueService
    body : bytes
        The request body exactly as received (the signature covers it).
    headers : mapping
        The request headers (any case).
    now : datetime, optional
        The time the events carry (default the service's clock).
    secret : str, optional
        Default: ``GRIDGOV_HANDOFF_SECRET``.
    window_s : float
        The replay window.

    Raises
    ------
    NotFoundError
        Callbacks are off (the protocol is not ``webhook`` or no secret is set), or no open
        issue is with the platform under that request id.
    SignatureError
        No or a bad signature, or a stale timestamp (nothing written).
    ConflictError
        The same signed request again (a replay), or the issue moved meanwhile.
    ValidationError
        Naming every bad field of the body.
    """
    settings: Settings = service.settings
    secret = os.environ.get(SECRET_ENV, "") if secret is None else secret
    if settings.handoff_protocol != "webhook" or not settings.handoff_url or not secret:
        raise NotFoundError(
            'hand-off callbacks are off here: they need handoff_protocol = "webhook", a '
            f"handoff_url and the {SECRET_ENV} environment variable"
        )
    low = {k.lower(): v for k, v in headers.items()}
    signature = low.get(SIGNATURE_HEADER.lower())
    check_webhook(secret, low.get(TIMESTAMP_HEADER.lower()), body, signature,
                  now=time.time(), window_s=window_s)  # fmt: skip
    fields = _callback_fields(body)
    when = now if now is not None else service.clock()
    issue = _handed_off(service, fields["request_id"], fields.get("issue_id", ""))
    inbound = inbound_store(service.store)
    # a replay carries the same signature; remembering them for the window refuses it
    if not inbound.remember(f"callback:{signature}", issue.issue_id, when):
        raise ConflictError(
            "this callback was received before (same signature): a replay is not applied twice"
        )
    inbound.forget_before("callback:", when - timedelta(seconds=2 * window_s))
    kind = CALLBACK_STATUSES[fields["status"]]
    notes = fields.get("notes", "")
    if kind == "closed":
        notes = fields.get("result") or notes
    elif kind == "refused":
        notes = fields.get("reason") or notes
    got = PlatformRequest(
        request_id=fields["request_id"],
        status="closed" if kind in ("closed", "refused") else fields["status"],
        notes=notes,
        agency=fields.get("agency", ""),
        updated=fields.get("updated", ""),
    )
    outcome = apply_platform_state(service, issue, got, when, refused=kind == "refused")
    log.info("callback for %s (%s): %s", issue.issue_id, got.request_id, outcome or "unchanged")
    return CallbackResult(issue.issue_id, got.request_id, outcome or "unchanged")


# --- inside gridgov serve -------------------------------------------------------------------


class HandoffPoller:
    """Runs :func:`sync_handoffs` every ``interval_s`` seconds in a background thread
    (``gridgov serve``); 0, or no ``settings.handoff_url``, leaves it off."""

    def __init__(self, service: IssueService, interval_s: float | None = None) -> None:
        settings: Settings = service.settings
        self.service = service
        self.interval_s = settings.handoff_poll_s if interval_s is None else interval_s
        self.enabled = bool(settings.handoff_url) and self.interval_s > 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.last: HandoffReport | None = None

    def start(self) -> None:
        if not self.enabled:
            return
        self._thread = threading.Thread(target=self._loop, name="gridgov-handoff", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.last = sync_handoffs(self.service)
                self.runs += 1
            except Exception:  # the poller must outlive a bad pass (store restarting)
                log.exception("hand-off pass failed; will retry")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
