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

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from gridgov._errors import ConflictError, GridgovError, NotFoundError
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
from gridgov.settings import Settings
from gridgov.store.base import IssueQuery

if TYPE_CHECKING:  # the service imports the lifecycle, as this module does; no cycle at run time
    from gridgov.issues.service import IssueService

__all__ = [
    "KEY_ENV",
    "HandoffPoller",
    "HandoffReport",
    "Open311Client",
    "PlatformRefusedError",
    "PlatformRequest",
    "PlatformUnavailableError",
    "is_refusal",
    "sync_handoffs",
]

log = logging.getLogger(__name__)

#: Environment variable holding the platform's api_key (wins over the settings file).
KEY_ENV = "GRIDGOV_HANDOFF_KEY"
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
        try:
            r = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise PlatformUnavailableError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if r.status_code >= 500 or r.status_code in (408, 429):
            raise PlatformUnavailableError(f"{method} {url}: HTTP {r.status_code}")
        try:
            body = r.json()
        except ValueError as exc:
            raise PlatformUnavailableError(
                f"{method} {url}: HTTP {r.status_code}, not JSON: {r.text[:200]!r}"
            ) from exc
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


def _descriptions(body: Any) -> str:
    """The Open311 error list as one line (``description; description``)."""
    items = body if isinstance(body, list) else [body]
    parts = [str(i.get("description", "")) for i in items if isinstance(i, dict)]
    return _clip("; ".join(p for p in parts if p) or str(body)[:200])


def is_refusal(notes: str, settings: Settings) -> bool:
    """Whether a closed request's notes say the platform refused it (退回) rather than
    settled it (``settings.handoff_refusal_words``)."""
    return any(word and word in notes for word in settings.handoff_refusal_words)


# --- one pass -------------------------------------------------------------------------------


class _MovedError(Exception):
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
    client: Open311Client | None = None,
    now: datetime | None = None,
) -> HandoffReport:
    """Submit every issue waiting at the external level and poll every one handed off.

    Parameters
    ----------
    service : IssueService
    client : Open311Client, optional
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
    client = client or Open311Client.from_settings(settings)
    when = now if now is not None else service.clock()
    done: dict[str, list[str]] = {k: [] for k in ("submitted", "updated", "resolved",
                                                   "returned", "failed")}  # fmt: skip
    errors: dict[str, str] = {}
    grids = _place_names(service)
    try:
        for issue in _waiting(service):
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
    client: Open311Client,
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
    try:
        request_id = client.submit(
            service_code=code,
            lat=issue.lat,
            lon=issue.lon,
            description=description[:4000],  # Open311's limit
            address_string=issue.address,
            idempotency_key=f"gridgov:{issue.issue_id}:{issue.handoffs + 1}",
        )
    except PlatformRefusedError as exc:
        if issue.handoff_error != str(exc):
            _record(service, issue, [HandOffFailed(str(exc))], actor, now)
        raise
    platform = settings.external_platform or "external"
    _record(service, issue, [HandOff(platform, request_id, code)], actor, now)
    log.info("issue %s handed to %s as %s", issue.issue_id, platform, request_id)
    return "submitted"


def _poll(service: IssueService, client: Open311Client, issue: Issue, now: datetime) -> str | None:
    actor = _actor(service, issue)
    try:
        got = client.request(issue.handoff_id)
    except PlatformRefusedError as exc:
        if issue.handoff_error != str(exc):
            _record(service, issue, [HandOffFailed(str(exc))], actor, now)
        raise
    update = PlatformUpdate(got.status, got.notes, got.agency)
    if got.status == "closed":
        if is_refusal(got.notes, service.settings):
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
