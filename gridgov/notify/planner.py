"""From occasions to notices: whom each event reaches, through which channel, in what words.

:class:`Directory` is the county's address book, built from the workspace (deputies'
phones, station contacts, grid workers) and the people's accounts (a station admin's,
township's or county office's phone set on its account). :class:`NoticePlanner` is the
function the outbox store calls inside its planning transaction
(:meth:`gridgov.store.outbox.SQLiteOutbox.plan`): it groups the outbox rows of one issue
by the moment they were written (one transaction, one occasion), applies the rule table
of :mod:`gridgov.notify.rules`, resolves each audience to people and group channels, and
renders one notice per recipient and channel. It reads nothing but its arguments and the
directory, so planning inside the write lock stays a few milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gridgov.issues.access import link_token, server_secret
from gridgov.issues.accounts import Account, normalise_phone
from gridgov.issues.disclosure import mask_personal
from gridgov.issues.lifecycle import Issue
from gridgov.messages import CATALOGUE
from gridgov.model import CHINA_TIME, Workspace
from gridgov.notify.config import NotifyConfig
from gridgov.notify.model import NewNotice, OutboxItem, idempotency_key
from gridgov.notify.rules import AUDIENCES, RULES, STATUS_RULE, Rule, render, rules_for
from gridgov.settings import Settings

__all__ = ["Contact", "Directory", "NoticePlanner", "approver_unit"]

log = logging.getLogger(__name__)

_SUMMARY = 30  # characters of an issue's title or description in a notice
_RESULT = 60


@dataclass(frozen=True)
class Contact:
    """Someone reachable by phone: ``recipient`` names them for staff (``deputy:D01``)."""

    recipient: str
    name: str
    phone: str


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()


@dataclass
class Directory:
    """Phones by role and unit, from the workspace and the accounts (read-only once built).

    A unit's people are everyone the roster and the accounts name for it; the same phone
    twice is one contact.
    """

    deputies: dict[str, Contact] = field(default_factory=dict)
    stations: dict[str, list[Contact]] = field(default_factory=dict)
    grid_workers: dict[str, list[Contact]] = field(default_factory=dict)
    townships: dict[str, list[Contact]] = field(default_factory=dict)
    county: list[Contact] = field(default_factory=list)
    workers_by_subject: dict[str, Contact] = field(default_factory=dict)
    grid_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, ws: Workspace, accounts: Iterable[Account] = ()) -> Directory:
        """The address book of a county.

        Parameters
        ----------
        ws : Workspace
            Deputies (``phone``), stations (``contact_name``/``contact_phone``), grids
            (``worker_name``/``worker_phone``).
        accounts : iterable of Account
            People's accounts; enabled ones with a phone add to (or stand in for) the
            roster: station admins, township and county staff, deputies, grid workers.
        """
        d = cls()
        if ws.deputies is not None:
            for row in ws.deputies.itertuples(index=False):
                phone = normalise_phone(getattr(row, "phone", None))
                did = str(row.deputy_id)
                d.deputies[did] = Contact(f"deputy:{did}", _text(row.name), phone)
        for row in ws.stations.itertuples(index=False):
            phone = normalise_phone(getattr(row, "contact_phone", None))
            if phone:
                sid = str(row.station_id)
                name = _text(getattr(row, "contact_name", None)) or _text(row.name)
                d._add(d.stations, sid, Contact(f"station:{sid}", name, phone))
        if ws.grids is not None:
            for row in ws.grids.itertuples(index=False):
                code = str(row.code)
                d.grid_names[code] = _text(getattr(row, "name", None)) or code
                phone = normalise_phone(getattr(row, "worker_phone", None))
                if phone:
                    who = Contact(f"grid:{code}", _text(getattr(row, "worker_name", None)), phone)
                    d._add(d.grid_workers, code, who)
        for a in accounts:
            if a.disabled or not a.phone:
                continue
            who = Contact(f"{a.role}:{a.login}", a.name, a.phone)
            if a.role == "station_admin":
                d._add(d.stations, a.subject, who)
            elif a.role == "township_staff":
                d._add(d.townships, a.subject, who)
            elif a.role == "county_staff":
                if all(c.phone != a.phone for c in d.county):
                    d.county.append(who)
            elif a.role == "deputy" and not d.deputies.get(a.subject, Contact("", "", "")).phone:
                name = d.deputies[a.subject].name if a.subject in d.deputies else a.name
                d.deputies[a.subject] = Contact(f"deputy:{a.subject}", name, a.phone)
            elif a.role == "grid_worker":
                d.workers_by_subject[a.subject] = who
                for code in a.subject.split(","):
                    d._add(d.grid_workers, code.strip(), who)
        return d

    @staticmethod
    def _add(table: dict[str, list[Contact]], key: str, who: Contact) -> None:
        found = table.setdefault(key, [])
        if all(c.phone != who.phone for c in found):
            found.append(who)

    def unit_people(self, unit: str) -> list[Contact]:
        """Who handles at an escalation-graph unit (``station:S01``, ``township:...``)."""
        level, _, uid = unit.partition(":")
        if level == "station":
            return list(self.stations.get(uid, ()))
        if level == "township":
            return list(self.townships.get(uid, ()))
        if level == "county":
            return list(self.county)
        if level == "grid":
            return list(self.grid_workers.get(uid, ()))
        return []  # the outside platform is told by the hand-off, not by a notice

    def reporter(self, issue: Issue) -> list[Contact]:
        """The grid worker who raised ``issue`` (their account, else their grid's roster)."""
        if issue.reporter_role != "grid_worker":
            return []
        if issue.reporter_id in self.workers_by_subject:
            return [self.workers_by_subject[issue.reporter_id]]
        mine = {c.strip() for c in issue.reporter_id.split(",")}
        if issue.grid_code in mine:
            return list(self.grid_workers.get(issue.grid_code, ()))
        return []


def approver_unit(issue: Issue) -> str:
    """The unit that decides ``issue``'s request for more time (延期): the level above the
    one handling it, by the rule :func:`gridgov.issues.access.can` applies (a township's
    staff decide for its stations, the county for its townships and for itself); empty
    where nobody in the county decides (the platform above has its own deadlines).

    The county's unit is named from the township code's first six digits (the county
    part of the statistical code); group channels match ``county:*`` or that unit.
    """
    county = f"county:{issue.township_code[:6]}"
    if issue.level in ("grid", "station"):
        return f"township:{issue.township_code}" if issue.township_code else county
    if issue.level in ("township", "county"):
        return county
    return ""


@dataclass(frozen=True)
class _Target:
    """One recipient of one occasion: the rule that reached them and how."""

    rule: Rule
    recipient: str
    channel: str
    address: str
    unit: str  # the unit the notice is about (a group channel's choice)


class NoticePlanner:
    """The outbox store's planner: ``planner(items, issues) -> notices``.

    Parameters
    ----------
    config : NotifyConfig
    settings : Settings
        The issue categories' labels.
    directory : Directory
    unit_name : callable
        ``unit -> name`` (the escalation graph's Chinese names).
    clock : callable
        The time notices are planned at (their earliest sending, before quiet hours).
    rules : tuple of Rule
        The rule table (default :data:`~gridgov.notify.rules.RULES`).
    """

    def __init__(
        self,
        config: NotifyConfig,
        settings: Settings,
        directory: Directory,
        *,
        unit_name: Callable[[str], str],
        clock: Callable[[], datetime],
        rules: tuple[Rule, ...] = RULES,
    ) -> None:
        self.config = config
        self.settings = settings
        self.directory = directory
        self.unit_name = unit_name
        self.clock = clock
        self.rules = rules
        phone = config.phone_channel
        self.phone_channel = "" if phone is None else phone.name

    # --- the occasions -------------------------------------------------------------------

    def __call__(self, items: Sequence[OutboxItem], issues: Mapping[str, Issue]) -> list[NewNotice]:
        now = self.clock()
        out: list[NewNotice] = []
        occasion: list[OutboxItem] = []
        for item in items:  # sorted by issue, time, seq: one transaction is one run
            if occasion and (
                item.event is None
                or occasion[0].event is None
                or (item.issue_id, item.at) != (occasion[0].issue_id, occasion[0].at)
            ):
                out.extend(self._occasion(occasion, issues.get(occasion[0].issue_id), now))
                occasion = []
            occasion.append(item)
        if occasion:
            out.extend(self._occasion(occasion, issues.get(occasion[0].issue_id), now))
        return out

    def _occasion(
        self, items: list[OutboxItem], issue: Issue | None, now: datetime
    ) -> list[NewNotice]:
        if issue is None:  # an event of an issue deleted since (never, but not a crash)
            return []
        if items[0].event is None and not self._still_due(items[0], issue):
            return []
        chosen: dict[tuple[str, str], tuple[_Target, OutboxItem]] = {}

        def reach(target: _Target, item: OutboxItem) -> None:
            key = (target.channel, target.address or target.recipient)
            held = chosen.get(key)
            if held is None or target.rule.rank > held[0].rule.rank:
                chosen[key] = (target, item)

        changed: OutboxItem | None = None
        for item in items:
            for rule in rules_for(item.kind, self.rules):
                for target in self._targets(rule, item, issue):
                    reach(target, item)
            ev = item.event
            if ev is not None and ev.status_from != ev.status_to:
                mine = ev.actor_role == "grid_worker" and ev.actor_id == issue.reporter_id
                if not mine:
                    changed = item
        if changed is not None:
            for target in self._targets(STATUS_RULE, changed, issue):
                reach(target, changed)
        last = items[-1]
        return [
            self._notice(target, item, issue, last, now)
            for target, item in sorted(
                chosen.values(), key=lambda t: (t[0].channel, t[0].address, t[0].recipient)
            )
        ]

    def _still_due(self, item: OutboxItem, issue: Issue) -> bool:
        """A reminder queued before the handler acted is dropped, not sent."""
        if item.kind != "due_soon":
            return True
        phase = item.data.get("phase")
        due = issue.acknowledge_due if phase == "acknowledge" else issue.resolve_due
        return issue.is_open and due is not None and due.isoformat() == item.data.get("due")

    # --- audiences -----------------------------------------------------------------------

    def _people(self, rule: Rule, who: Iterable[Any], unit: str) -> list[_Target]:
        if not self.phone_channel:
            return []
        return [
            _Target(rule, c.recipient, self.phone_channel, c.phone, unit) for c in who if c.phone
        ]

    def _targets(self, rule: Rule, item: OutboxItem, issue: Issue) -> list[_Target]:
        d = self.directory
        ev = item.event
        unit = ev.unit if ev is not None and ev.unit else issue.unit
        data = ev.data if ev is not None else item.data
        match rule.audience:
            case "deputies":
                ids = [str(x) for x in data.get("deputies", issue.deputies)]
                return self._people(rule, (d.deputies[i] for i in ids if i in d.deputies), unit)
            case "station_admin":
                station = (
                    unit.partition(":")[2] if unit.startswith("station:") else issue.station_id
                )
                return self._people(rule, d.stations.get(station, ()), unit)
            case "unit":
                return self._people(rule, d.unit_people(unit), unit)
            case "handler":
                people = d.unit_people(issue.unit)
                if issue.level == "station":
                    ids = [issue.responsible] if issue.responsible in d.deputies else []
                    ids = ids or list(issue.deputies)
                    people = [d.deputies[i] for i in ids if i in d.deputies] + people
                return self._people(rule, people, issue.unit)
            case "previous":
                left = str(data.get("from", ""))
                return self._people(rule, d.unit_people(left), left) if left else []
            case "approver":
                above = approver_unit(issue)
                return self._people(rule, d.unit_people(above), above) if above else []
            case "approver_groups":
                above = approver_unit(issue)
                return [
                    _Target(rule, f"group:{c.name}", c.name, "", above)
                    for c in self.config.groups()
                    if above and c.serves(above, rule.kind)
                ]
            case "requester":
                asked = str(data.get("requested_by", ""))
                if asked in d.deputies:
                    return self._people(rule, [d.deputies[asked]], unit)
                # staff ask as their unit (a station admin, the township): its people
                return self._people(rule, d.unit_people(unit), unit)
            case "grid_worker":
                return self._people(rule, d.reporter(issue), unit)
            case "resident":
                if (
                    issue.anonymous
                    or not issue.reporter_phone
                    or issue.reporter_role == "grid_worker"
                ):
                    return []
                phone = normalise_phone(issue.reporter_phone)
                if not phone or not self.phone_channel:
                    return []
                return [_Target(rule, "resident", self.phone_channel, phone, unit)]
            case "groups":
                return [
                    _Target(rule, f"group:{c.name}", c.name, "", unit)
                    for c in self.config.groups()
                    if c.serves(unit, rule.kind)
                ]
        log.warning("notice rule %s names an unknown audience %r", rule.kind, rule.audience)
        return []

    # --- the words -----------------------------------------------------------------------

    def _values(self, issue: Issue, item: OutboxItem, family: str) -> dict[str, str]:
        lang = self.config.lang
        ev = item.event
        data = ev.data if ev is not None else item.data
        summary = mask_personal(" ".join((issue.title or issue.description).split()))
        if len(summary) > _SUMMARY:
            summary = summary[:_SUMMARY] + "…"
        result = mask_personal(" ".join(issue.result.split()))
        if len(result) > _RESULT:
            result = result[:_RESULT] + "…"
        phase = str(data.get("missed") or data.get("phase") or "")
        if phase not in ("acknowledge", "resolve"):
            phase = "acknowledge" if issue.acknowledge_due is not None else "resolve"
        due: datetime | None
        if item.kind == "due_soon" and data.get("due"):
            due = datetime.fromisoformat(str(data["due"]))
        elif item.kind.startswith("extension_"):
            # 延期 is about the resolve deadline, even while one to acknowledge is pending
            due = issue.resolve_due
        else:
            due = issue.acknowledge_due or issue.resolve_due
        deputies = [
            self.directory.deputies[i].name for i in issue.deputies if i in self.directory.deputies
        ]
        from_unit = str(data.get("from", ""))
        status = issue.status.label_zh if lang == "zh" else issue.status.value.replace("_", " ")
        return {
            "issue_id": issue.issue_id,
            "category": self.settings.issue_categories.get(issue.category, issue.category),
            "summary": summary,
            "place": " ".join(issue.address.split())
            or self.directory.grid_names.get(issue.grid_code, "")
            or issue.unit_name,
            "unit": issue.unit_name or self.unit_name(issue.unit),
            "from_unit": self.unit_name(from_unit) if from_unit else "",
            "deadline": "" if due is None else due.astimezone(CHINA_TIME).strftime("%m-%d %H:%M"),
            "missed": CATALOGUE[f"notify.phase.{phase}"][lang],
            "status": status,
            "result": result,
            "deputies": ("、" if lang == "zh" else ", ").join(deputies),
            "link": self._link(issue, family),
        }

    def _link(self, issue: Issue, family: str) -> str:
        base = self.config.public_url
        if not base:
            return ""
        if family == "resident":  # the link opens their issue's rating page as it is
            token = link_token(server_secret(self.settings.secret_file), issue.issue_id)
            return f"{base}/public/track/{issue.issue_id}/rate?token={token}"
        if family in ("deputy", "grid_worker"):
            return f"{base}/field/issues/{issue.issue_id}"
        return f"{base}/work/issues/{issue.issue_id}"

    def _template(self, key: str) -> str | None:
        if key in self.config.templates:
            return self.config.templates[key]
        entry = CATALOGUE.get(f"notify.tpl.{key}")
        return None if entry is None else entry[self.config.lang]

    def _notice(
        self, target: _Target, item: OutboxItem, issue: Issue, last: OutboxItem, now: datetime
    ) -> NewNotice:
        family = AUDIENCES[target.rule.audience]
        key = f"{target.rule.kind}.{family}"
        template = self._template(key)
        if template is None:  # a rule whose kind has no text of this family: say it plainly
            template = self._template(f"status.{family}") or self._template("assigned.staff") or ""
        values = self._values(issue, item, family)
        body = render(template, values, family)
        channel = self.config.channel(target.channel)
        quiet = channel is not None and channel.quiet
        wake = self.config.quiet_until(now, issue.category) if quiet else None
        # the occasion (its last row) keys the notice: replanning it cannot make a second one
        return NewNotice(
            idem_key=idempotency_key(last.source, target.recipient, target.channel, target.address),
            source=last.source,
            issue_id=issue.issue_id,
            kind=target.rule.kind,
            audience=target.rule.audience,
            recipient=target.recipient,
            channel=target.channel,
            address=target.address,
            template=key,
            params={k: v for k, v in values.items() if k in _fields(family)},
            body=body,
            event_at=item.at,
            not_before=wake or now,
        )


def _fields(family: str) -> frozenset[str]:
    from gridgov.notify.rules import FIELDS

    return FIELDS[family]
