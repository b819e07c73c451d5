"""Who hears what: the rule table from an issue's events to the people and groups told.

Every event an issue's log records reaches the outbox (a database trigger, see
:mod:`gridgov.store.outbox`); the planner (:mod:`gridgov.notify.planner`) looks each kind
up here. A :class:`Rule` names an *audience*, resolved against the workspace's contacts by
the planner:

=====================  ==========================================================================
audience         who
=====================  ==========================================================================
``deputies``           the deputies an issue was dispatched to (代表报到), by SMS
``station_admin``      the station's admin (站长/联络员: the station roster's contact phone and
                       the station's account)
``unit``               whoever handles at the unit the issue now sits at: the station admin, the
                       township staff (乡镇人大), the county staff (代表工委), the grid worker
``handler``            the same, and at a station also the deputies dispatched or the one who
                       acknowledged it
``previous``           the unit an escalation took the issue from (its deadline passed there)
``approver``           whoever decides a request for more time (延期申请): the level above the
                       unit handling the issue, as :func:`gridgov.issues.access.can` has it (a
                       station's request goes to its township, a township's to the county; the
                       county, with nobody above it in the county, decides its own)
``approver_groups``    the group channels configured for that deciding unit
``requester``          whoever asked for more time, when it is decided (the deputy who asked, or
                       the staff of the unit that asked)
``grid_worker``        the grid worker who raised the issue, on every change of its status
``resident``           the resident who raised it and left a phone, when it is resolved (to rate)
``groups``             the group robots, e-mail lists and webhooks configured for the unit
=====================  ==========================================================================

Events written together (one transaction: raised, located, assigned, dispatched) are one
occasion: each recipient gets one notice for it, worded by the rule of highest ``rank``.

Texts are per kind and audience (``"dispatched.deputy"``), Chinese by default from the
message catalogue (``notify.tpl.*``), replaceable in the settings (``[notify.templates]``).
Every text is a :meth:`str.format` template over the fields :data:`FIELDS` allows the
audience: no template can put a phone number, the reporter's name or another person's
details in front of someone not allowed to see them (a resident never gets a deputy's
phone), and free text (summary, result) has personal numbers masked, since a message is
easily forwarded.

To have a new event kind heard, add its :class:`Rule` entries to :data:`RULES` (and its
default texts to ``gridgov/messages/notify.py``); kinds without a rule reach only the grid
worker's status updates.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "AUDIENCES",
    "FIELDS",
    "RULES",
    "STATUS_RULE",
    "Rule",
    "rules_for",
    "template_key",
    "template_problems",
]


@dataclass(frozen=True)
class Rule:
    """One line of the table: a notice of ``kind`` goes to ``audience``; among the rules
    that reach one recipient on one occasion, the highest ``rank`` words the notice."""

    kind: str
    audience: str
    rank: int


#: Audience -> the template family its recipients read (see :func:`template_key`).
AUDIENCES: dict[str, str] = {
    "deputies": "deputy",
    "station_admin": "staff",
    "unit": "staff",
    "handler": "staff",
    "previous": "previous",
    "approver": "staff",
    "approver_groups": "group",
    "requester": "staff",
    "grid_worker": "grid_worker",
    "resident": "resident",
    "groups": "group",
}

_STAFF = frozenset(
    {
        "issue_id",
        "category",
        "summary",
        "place",
        "unit",
        "from_unit",
        "deadline",
        "missed",
        "status",
        "result",
        "deputies",
        "link",
    }
)
#: Template family -> the fields its texts may use. Staff and deputies see the issue
#: (never the reporter's name or phone, nor anyone's phone); the grid worker their own
#: issue; the resident only its number, status, result and their link.
FIELDS: dict[str, frozenset[str]] = {
    "deputy": _STAFF,
    "staff": _STAFF,
    "previous": _STAFF,
    "group": _STAFF,
    "grid_worker": frozenset(
        {"issue_id", "category", "summary", "status", "unit", "result", "link"}
    ),
    "resident": frozenset({"issue_id", "category", "status", "result", "link"}),
}

#: The table. Kinds are the events of :mod:`gridgov.issues.lifecycle` (and ``due_soon``,
#: queued by the reminder pass of :mod:`gridgov.notify.worker`, and ``reminded`` /
#: ``extension_*`` / ``handed_off`` of 催办, 延期 and the hand-off to the platform above).
RULES: tuple[Rule, ...] = (
    Rule("assigned", "unit", 10),
    Rule("assigned", "groups", 10),
    Rule("dispatched", "deputies", 20),
    Rule("dispatched", "station_admin", 20),
    Rule("dispatched", "groups", 20),
    Rule("transferred", "unit", 30),
    Rule("transferred", "groups", 30),
    Rule("returned", "unit", 30),
    Rule("returned", "groups", 30),
    Rule("escalated", "unit", 40),
    Rule("escalated", "previous", 40),
    Rule("escalated", "groups", 40),
    Rule("overdue", "handler", 40),
    Rule("overdue", "groups", 40),
    Rule("due_soon", "handler", 35),
    Rule("reopened", "handler", 35),
    Rule("reopened", "groups", 35),
    Rule("resolved", "resident", 30),
    Rule("reminded", "handler", 45),
    # 延期: the level above decides, so it is asked; the one who asked hears the answer
    # (and the rest of the handling unit, whose deadline it is)
    Rule("extension_requested", "approver", 25),
    Rule("extension_requested", "approver_groups", 25),
    Rule("extension_approved", "requester", 26),
    Rule("extension_approved", "handler", 25),
    Rule("extension_refused", "requester", 26),
    Rule("extension_refused", "handler", 25),
    Rule("handoff_failed", "groups", 30),
    Rule("handed_off", "groups", 30),
)

#: The grid worker who raised an issue hears of every change of its status (lowest rank:
#: any other rule reaching them words the notice instead).
STATUS_RULE = Rule("status", "grid_worker", 1)

_BY_KIND: dict[str, tuple[Rule, ...]] = {}
for _rule in RULES:
    _BY_KIND[_rule.kind] = (*_BY_KIND.get(_rule.kind, ()), _rule)


def rules_for(kind: str, rules: tuple[Rule, ...] = RULES) -> tuple[Rule, ...]:
    """The rules of events of ``kind`` (none for a kind nobody must hear about)."""
    if rules is RULES:
        return _BY_KIND.get(kind, ())
    return tuple(r for r in rules if r.kind == kind)


def template_key(kind: str, audience: str) -> str:
    """``"<kind>.<family>"``: the text a recipient of ``audience`` reads for ``kind``."""
    return f"{kind}.{AUDIENCES[audience]}"


def template_problems(key: str, template: object) -> str:
    """What is wrong with a settings override of the text ``key``, or ``""``.

    The key must be ``<kind>.<family>`` with a known family (:data:`FIELDS`), the text a
    :meth:`str.format` template naming only the fields that family may see.
    """
    kind, _, family = key.rpartition(".")
    if not kind or family not in FIELDS:
        return f"key must be <kind>.<audience>, the audience one of {', '.join(FIELDS)}"
    if not isinstance(template, str) or not template.strip():
        return "must be a text"
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        return f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}"
    bad = sorted(n for n in names if n not in FIELDS[family])
    if bad:
        return (
            f"names {', '.join('{' + n + '}' for n in bad)}, which a {family} may not be sent;"
            f" allowed: {', '.join(sorted(FIELDS[family]))}"
        )
    return ""


def render(template: str, values: Mapping[str, str], family: str) -> str:
    """``template`` filled with the fields ``family`` may see (others are not passed)."""
    allowed = {k: v for k, v in values.items() if k in FIELDS[family]}
    return " ".join(template.format_map(_Blank(allowed)).split())


class _Blank(dict[str, str]):
    # a field a template names but this occasion lacks (no deadline yet) reads as nothing
    def __missing__(self, key: str) -> str:
        return ""
