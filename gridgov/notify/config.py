"""The ``[notify]`` table of the settings: channels, who is reminded when, quiet hours.

Kept as a plain table in :class:`~gridgov.settings.Settings` (``Settings.notify``) and read
into a frozen :class:`NotifyConfig` here, checked up front with every problem named by its
dotted key (``notify.channels.sms.url``), so a typo in a channel is refused when the
settings load, not at three in the morning when the first notice fails. Secrets (an SMS
gateway's key, a robot's signing secret, an SMTP password) are never written into the
settings file: a channel names the environment variable holding each one
(``secret_env = "GRIDGOV_SMS_SECRET"``), read when the channel is built.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from gridgov._errors import Problem, ValidationError
from gridgov.model import CHINA_TIME

__all__ = [
    "CHANNEL_TYPES",
    "ChannelConfig",
    "NotifyConfig",
    "notify_config",
    "notify_problems",
]

#: Channel types and the keys each may set (besides ``type``, ``units``, ``kinds``,
#: ``quiet``, ``timeout_s``).
CHANNEL_TYPES: dict[str, frozenset[str]] = {
    "sms": frozenset(
        {"url", "app_key", "secret_env", "sign_name", "default_template", "templates"}
    ),
    "wecom": frozenset({"url", "url_env"}),
    "dingtalk": frozenset({"url", "url_env", "secret_env"}),
    "email": frozenset({"host", "port", "sender", "user", "password_env", "starttls", "ssl", "to"}),
    "webhook": frozenset({"url", "url_env", "secret_env", "replay_window_s"}),
}
_COMMON = frozenset({"type", "units", "kinds", "quiet", "timeout_s"})
# Keys that would put a secret into the settings file: refused, with where it belongs.
_SECRETS = {
    "secret": "secret_env",
    "password": "password_env",
    "key": "url_env",
    "token": "url_env",
}
#: Channels that wake a person's phone keep quiet hours by default; e-mail and machine
#: webhooks do not.
_QUIET_BY_DEFAULT = {"sms": True, "wecom": True, "dingtalk": True, "email": False, "webhook": False}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNIT = re.compile(r"^(\*|(grid|station|township|county|external):[^\s]+)$")


@dataclass(frozen=True)
class ChannelConfig:
    """One configured channel: its name (the table's key), type and options.

    ``units`` are the escalation-graph units whose notices a group channel (robot, e-mail,
    webhook) receives, as patterns (``"station:*"``, ``"township:430623101"``, ``"*"``);
    the SMS channel reaches people by phone and ignores them. ``kinds`` narrows a group
    channel to some notice kinds (empty: every kind the rules send to groups).
    """

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    units: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    quiet: bool = True
    timeout_s: float = 10.0

    def serves(self, unit: str, kind: str) -> bool:
        """Whether this group channel receives a notice of ``kind`` about ``unit``."""
        if self.kinds and kind not in self.kinds:
            return False
        level = unit.partition(":")[0]
        return any(p in ("*", unit) or p == f"{level}:*" for p in self.units)


@dataclass(frozen=True)
class NotifyConfig:
    """Who is told what, when and how (the ``[notify]`` settings table, checked).

    Attributes
    ----------
    channels : tuple of ChannelConfig
    person_channel : str
        The channel that reaches a person by phone (an ``sms`` channel); empty: the first
        SMS channel, or none (people are then told only through group channels).
    lang : str
        Language of the default templates (``zh``, or ``en`` for a test bench).
    templates : dict
        Overrides of the default texts, ``"<kind>.<audience>"`` -> template.
    due_soon_h : float
        即将超期: the handler is reminded this many hours before a deadline (0: never).
    quiet_hours : tuple of time or None
        Local (Asia/Shanghai) start and end of the night when phones are not woken;
        notices then wait until the end, except those of ``safety_categories``.
    safety_categories : tuple of str
        Categories that are sent at once, night or day.
    public_url : str
        The service's public address, for links in notices (``https://...``).
    max_attempts : int
        Failed sends before a notice goes to the dead letters.
    backoff_s, backoff_max_s : float
        The wait after the first failure, doubled after each further one, capped.
    lease_s : float
        How long a worker holds the notices it claimed; a worker killed mid-batch leaves
        them to the others after this long.
    batch : int
        Notices claimed at once by a worker.
    poll_s : float
        How long an idle worker sleeps before looking again.
    retention_days : float
        Sent notices (with the phone numbers in them) are deleted after this many days.
    """

    channels: tuple[ChannelConfig, ...] = ()
    person_channel: str = ""
    lang: str = "zh"
    templates: Mapping[str, str] = field(default_factory=dict)
    due_soon_h: float = 2.0
    quiet_hours: tuple[time, time] | None = (time(22, 0), time(7, 0))
    safety_categories: tuple[str, ...] = ("safety",)
    public_url: str = ""
    max_attempts: int = 8
    backoff_s: float = 30.0
    backoff_max_s: float = 3600.0
    lease_s: float = 120.0
    batch: int = 50
    poll_s: float = 2.0
    retention_days: float = 30.0

    def channel(self, name: str) -> ChannelConfig | None:
        for c in self.channels:
            if c.name == name:
                return c
        return None

    @property
    def phone_channel(self) -> ChannelConfig | None:
        """The channel people are reached through by phone, if any."""
        if self.person_channel:
            return self.channel(self.person_channel)
        return next((c for c in self.channels if c.type == "sms"), None)

    def groups(self) -> tuple[ChannelConfig, ...]:
        """The channels that post to a group or a system (robots, e-mail, webhooks)."""
        return tuple(c for c in self.channels if c.type != "sms")

    def quiet_until(self, at: datetime, category: str) -> datetime | None:
        """The end of the quiet hours ``at`` falls in (UTC), or None when it may be sent
        now: outside them, or for a safety category."""
        if self.quiet_hours is None or category in self.safety_categories:
            return None
        start, end = self.quiet_hours
        local = at.astimezone(CHINA_TIME)
        now = local.time()
        # a night that crosses midnight (22:00-07:00) is the time outside the day
        inside = start <= now < end if start <= end else now >= start or now < end
        if not inside:
            return None
        wake = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if wake <= local:
            wake += timedelta(days=1)
        return wake.astimezone(at.tzinfo)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure (1, 2, ...)."""
        return min(self.backoff_max_s, self.backoff_s * 2.0 ** max(0, attempts - 1))


_DEFAULTS = NotifyConfig()
_NUMBERS: dict[str, tuple[bool, float, float]] = {
    # key -> (whole number?, lowest allowed, highest allowed)
    "due_soon_h": (False, 0.0, 24.0 * 30),
    "max_attempts": (True, 1, 100),
    "backoff_s": (False, 0.01, 86400.0),
    "backoff_max_s": (False, 0.01, 7 * 86400.0),
    "lease_s": (False, 1.0, 3600.0),
    "batch": (True, 1, 10_000),
    "poll_s": (False, 0.01, 3600.0),
    "retention_days": (False, 0.0, 3660.0),
}
_TOP = frozenset(
    {
        *_NUMBERS,
        "channels",
        "person_channel",
        "lang",
        "templates",
        "quiet_hours",
        "safety_categories",
        "public_url",
    }
)


def notify_problems(raw: Any, *, source: str = "settings") -> list[Problem]:
    """Every problem of a ``[notify]`` table, each named by its dotted key.

    Parameters
    ----------
    raw : dict
        ``Settings.notify``.
    source : str
        The settings file (the problems' ``layer``).

    Returns
    -------
    list of Problem
        Empty when the table can be used.
    """
    problems: list[Problem] = []

    def bad(key: str, value: Any, message: str) -> None:
        problems.append(Problem(source, None, f"notify.{key}", value, message))

    if not isinstance(raw, Mapping):
        return [Problem(source, None, "notify", raw, "must be a table")]
    for key in sorted(set(raw) - _TOP):
        bad(key, raw[key], f"unknown setting; expected one of {', '.join(sorted(_TOP))}")
    for key, (whole, low, high) in _NUMBERS.items():
        if key not in raw:
            continue
        value = raw[key]
        kind = int if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind):
            bad(key, value, "must be a whole number" if whole else "must be a number")
        elif not math.isfinite(value) or not low <= value <= high:
            bad(key, value, f"must be between {low:g} and {high:g}")
    if "lang" in raw and raw["lang"] not in ("zh", "en"):
        bad("lang", raw["lang"], "must be zh or en")
    if "public_url" in raw:
        url = raw["public_url"]
        if not isinstance(url, str) or (url and not url.startswith(("http://", "https://"))):
            bad("public_url", url, "must be an http:// or https:// address")
    if "quiet_hours" in raw:
        _quiet(raw["quiet_hours"], bad)
    cats = raw.get("safety_categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        bad("safety_categories", cats, "must be a list of category codes")
    templates = raw.get("templates", {})
    if not isinstance(templates, Mapping):
        bad("templates", templates, "must be a table of texts")
    else:
        from gridgov.notify.rules import template_problems

        for key, value in templates.items():
            message = template_problems(str(key), value)
            if message:
                bad(f"templates.{key}", value, message)
    channels = raw.get("channels", {})
    names: list[str] = []
    if not isinstance(channels, Mapping):
        bad("channels", channels, "must be a table of channels")
    else:
        for name, table in channels.items():
            names.append(str(name))
            _channel(str(name), table, bad)
    person = raw.get("person_channel", "")
    if person and (not isinstance(person, str) or person not in names):
        bad("person_channel", person, f"no such channel; configured: {', '.join(names) or 'none'}")
    elif person and isinstance(channels, Mapping):
        table = channels[person]
        if not isinstance(table, Mapping) or table.get("type") != "sms":
            bad("person_channel", person, "must name an sms channel")
    return problems


def _quiet(value: Any, bad: Any) -> None:
    if value == "":
        return
    parts = value.split("-") if isinstance(value, str) else []
    if len(parts) != 2 or not all(_HHMM.match(p.strip()) for p in parts):
        bad("quiet_hours", value, 'must be "HH:MM-HH:MM" (local time), or "" for none')
    elif parts[0].strip() == parts[1].strip():
        bad("quiet_hours", value, "start and end are the same time")


def _channel(name: str, table: Any, bad: Any) -> None:
    where = f"channels.{name}"
    if not isinstance(table, Mapping):
        bad(where, table, "must be a table")
        return
    kind = table.get("type")
    if kind not in CHANNEL_TYPES:
        bad(
            f"{where}.type",
            kind,
            f"unknown channel type; expected one of {', '.join(CHANNEL_TYPES)}",
        )
        return
    allowed = CHANNEL_TYPES[kind] | _COMMON
    for key in sorted(set(table) - allowed):
        if key in _SECRETS:
            bad(
                f"{where}.{key}",
                "***",
                f"secrets do not belong in the settings file: set {_SECRETS[key]} to the name "
                "of an environment variable holding it",
            )
        else:
            bad(f"{where}.{key}", table[key], f"unknown option of a {kind} channel")
    for key in ("secret_env", "password_env", "url_env"):
        if key in table and (not isinstance(table[key], str) or not _ENV.match(table[key])):
            bad(f"{where}.{key}", table[key], "must be the name of an environment variable")
    if kind in ("sms", "wecom", "dingtalk", "webhook"):
        url = table.get("url", "")
        if not url and not table.get("url_env"):
            bad(f"{where}.url", None, "missing: give url (or url_env for one holding a key)")
        elif url and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            bad(f"{where}.url", url, "must be an http:// or https:// address")
    if kind in ("sms", "webhook") and not table.get("secret_env"):
        bad(f"{where}.secret_env", None, "missing: requests are signed with this secret")
    if kind == "email":
        for key in ("host", "sender"):
            if not isinstance(table.get(key), str) or not table.get(key):
                bad(f"{where}.{key}", table.get(key), "missing: an e-mail channel needs it")
        port = table.get("port", 25)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            bad(f"{where}.port", port, "must be a port number (1-65535)")
        to = table.get("to", [])
        if (
            not isinstance(to, list)
            or not to
            or not all(isinstance(a, str) and "@" in a for a in to)
        ):
            bad(f"{where}.to", to, "must be a list of e-mail addresses")
    if kind == "sms":
        tpl = table.get("templates", {})
        if not isinstance(tpl, Mapping) or not all(isinstance(v, str) for v in tpl.values()):
            bad(f"{where}.templates", tpl, "must map notice texts to the gateway's template ids")
    units = table.get("units", [] if kind == "sms" else None)
    if kind != "sms":
        if not isinstance(units, list) or not units:
            bad(f"{where}.units", units, 'missing: the units it posts for, e.g. ["station:*"]')
        else:
            for n, unit in enumerate(units):
                if not isinstance(unit, str) or not _UNIT.match(unit):
                    bad(f"{where}.units.{n}", unit, 'must be "*", "<level>:*" or "<level>:<id>"')
    if "quiet" in table and not isinstance(table["quiet"], bool):
        bad(f"{where}.quiet", table["quiet"], "must be true or false")
    kinds = table.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        bad(f"{where}.kinds", kinds, "must be a list of notice kinds")
    timeout = table.get("timeout_s", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        bad(f"{where}.timeout_s", timeout, "must be a number of seconds (0-120]")
    window = table.get("replay_window_s", 300)
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 < window <= 3600:
        bad(f"{where}.replay_window_s", window, "must be a number of seconds (0-3600]")


def notify_config(raw: Mapping[str, Any] | None, *, source: str = "settings") -> NotifyConfig:
    """The ``[notify]`` table as a :class:`NotifyConfig`.

    Raises
    ------
    ValidationError
        With every problem of the table (see :func:`notify_problems`).
    """
    raw = dict(raw or {})
    problems = notify_problems(raw, source=source)
    if problems:
        raise ValidationError(problems, context="settings")
    channels = []
    for name, table in dict(raw.get("channels", {})).items():
        kind = str(table["type"])
        options = {k: v for k, v in table.items() if k not in _COMMON}
        channels.append(
            ChannelConfig(
                name=str(name),
                type=kind,
                options=options,
                units=tuple(table.get("units", ())),
                kinds=tuple(table.get("kinds", ())),
                quiet=bool(table.get("quiet", _QUIET_BY_DEFAULT[kind])),
                timeout_s=float(table.get("timeout_s", 10.0)),
            )
        )
    quiet = raw.get("quiet_hours", "22:00-07:00")
    hours: tuple[time, time] | None = None
    if quiet:
        a, b = (p.strip() for p in str(quiet).split("-"))
        hours = (time(int(a[:2]), int(a[3:])), time(int(b[:2]), int(b[3:])))
    numbers: dict[str, Any] = {
        k: (int(raw[k]) if _NUMBERS[k][0] else float(raw[k])) for k in _NUMBERS if k in raw
    }
    return NotifyConfig(
        channels=tuple(channels),
        person_channel=str(raw.get("person_channel", "")),
        lang=str(raw.get("lang", _DEFAULTS.lang)),
        templates={str(k): str(v) for k, v in dict(raw.get("templates", {})).items()},
        quiet_hours=hours,
        safety_categories=tuple(raw.get("safety_categories", _DEFAULTS.safety_categories)),
        public_url=str(raw.get("public_url", "")).rstrip("/"),
        **numbers,
    )
