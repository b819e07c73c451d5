"""Defaults a county can change: travel speeds, the reach standard, deadlines, costs.

Settings are a frozen dataclass: build a new one with :func:`dataclasses.replace`
instead of mutating a global. :func:`load_settings` reads overrides from a TOML file.
Every value is checked when the settings are built (in code or from a file), so a bad
speed or deadline is refused up front instead of failing deep inside a search.
"""

from __future__ import annotations

import ipaddress
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gridgov._errors import NotFoundError, Problem, ValidationError
from gridgov.model import RoadClass


def _speeds() -> dict[str, dict[str, float]]:
    # km/h by travel mode and road class. Rural Hunan: e-bikes (电动车) are how most
    # residents actually reach a station; walking speed is the same on every class.
    return {
        "walk": {"trunk": 4.5, "county": 4.5, "township": 4.5, "village": 4.5},
        "ebike": {"trunk": 25.0, "county": 22.0, "township": 18.0, "village": 15.0},
        "car": {"trunk": 70.0, "county": 50.0, "township": 35.0, "village": 25.0},
    }


def _deadlines_h() -> dict[str, dict[str, float]]:
    # Hours to acknowledge / resolve at each escalation level ("限时办结").
    return {
        "grid": {"acknowledge": 2.0, "resolve": 24.0},
        "station": {"acknowledge": 4.0, "resolve": 72.0},
        "township": {"acknowledge": 24.0, "resolve": 168.0},
        "county": {"acknowledge": 48.0, "resolve": 360.0},
    }


def _categories() -> dict[str, str]:
    # Issue categories (code -> Chinese label) as the 12345 / 网格 platforms sort them.
    return {
        "road": "道路交通",
        "water": "水利灌溉",
        "sanitation": "环境卫生",
        "safety": "安全隐患",
        "livelihood": "民生保障",
        "dispute": "矛盾纠纷",
        "industry": "产业发展",
        "other": "其他",
    }


def _category_deadlines_h() -> dict[str, dict[str, dict[str, float]]]:
    # Per-category overrides of deadlines_h: a safety hazard cannot wait a day.
    return {
        "safety": {
            "grid": {"acknowledge": 0.5, "resolve": 4.0},
            "station": {"acknowledge": 1.0, "resolve": 24.0},
            "township": {"acknowledge": 2.0, "resolve": 72.0},
        },
    }


def _category_specialties() -> dict[str, list[str]]:
    # Deputy specialties (代表专业/行业) preferred when dispatching an issue of a category.
    return {
        "road": ["交通运输", "基层治理"],
        "water": ["水利", "农业种植", "水产养殖"],
        "sanitation": ["生态环保", "医疗卫生"],
        "safety": ["基层治理", "法律"],
        "livelihood": ["基层治理", "医疗卫生", "教育", "退役军人事务"],
        "dispute": ["法律", "基层治理"],
        "industry": ["企业经营", "农业种植", "芥菜产业", "水产养殖"],
    }


def _refusal_words() -> list[str]:
    # How 12345 platforms (and gridgov's own Open311 answers: "已关闭；关闭原因：…")
    # say a work order was not taken: anything closed without these words was settled.
    return ["不予受理", "不受理", "退回", "驳回", "不属于", "已关闭"]


def _handlers() -> dict[str, str]:
    # Who handles an issue at each escalation level (the API role that acts there).
    return {
        "grid": "grid_worker",  # 网格员
        "station": "deputy",  # the station's deputies, led by its station admin (站长)
        "township": "township_staff",  # 乡镇人大主席团 / 街道人大工委
        "county": "county_staff",  # 县人大常委会代表工委
        "external": "external",  # 12345 / 一中心四平台: the last hand-off
    }


@dataclass(frozen=True)
class Settings:
    """County-level defaults.

    Attributes
    ----------
    speeds_kmh : dict
        Travel speed by mode (walk, ebike, car) and road class (trunk, county,
        township, village).
    reach_standard : str
        The "出门即可达" standard, e.g. ``"15min:ebike"``, ``"3km:road"``, ``"20min:walk"``.
        The default, 15 minutes by e-bike, is about 4 km on village roads: the distance a
        resident in a Hunan plain county covers to reach a township market.
    snap_warn_m : float
        Snapping a place to the road network further than this is reported.
    detour_factor : float
        Straight-line distance multiplier used only when a county has no roads layer.
    outside_tolerance_m : float
        How far a feature may lie outside the county outline before it is an error.
    station_annual_cost_yuan : float
        Running cost of one station per year when a station gives none (20,000-50,000
        yuan is typical, DOMAIN.md).
    min_deputies_per_station, max_deputies_per_station : int
        Bounds for grouping deputies into stations (reception rota).
    deadlines_h : dict
        Acknowledge / resolve deadlines in hours per escalation level.
    tianditu_key : str
        Key for 天地图 basemap tiles; empty means the basemap is not offered.
    issue_categories : dict
        Issue category code -> Chinese label.
    category_deadlines_h : dict
        Per-category overrides of ``deadlines_h`` (category -> level -> phase -> hours).
    category_specialties : dict
        Deputy specialties preferred when dispatching an issue of each category.
    handlers : dict
        Handler role at each escalation level (grid, station, township, county, external).
    external_platform : str
        Name of the outside platform an issue is handed to after the county (``"12345"``);
        empty means the county is the last level.
    dispatch_k : int
        Deputies dispatched per issue (代表报到).
    dispatch_mode : str
        Travel mode for dispatch travel times.
    dispatch_cutoff_s : float
        Road search bound for dispatch; deputies further away get a straight-line estimate.
    specialty_bonus_s : float
        Seconds of travel a matching specialty is worth when ranking deputies.
    max_open_per_deputy : int
        A deputy with this many open issues is skipped as overloaded.
    duplicate_radius_m : float
        An open issue of the same category this close is suggested as a duplicate.
    locate_tolerance_m : float
        A point outside every grid snaps to the nearest grid within this distance.
    rating_window_h : float
        A resolved issue the resident has not rated closes by itself after this long.
    public_point_step_deg : float
        The public (Open311 without a token, the QR pages) sees an issue's point snapped to
        the centre of a cell this many degrees wide: 0.001° is about 110 m north-south
        and 100 m east-west in Hunan, so a report never points at one house.
    secret_file : str
        File holding the secret that keys residents' tracking tokens, when the
        ``GRIDGOV_SECRET`` environment variable is not set; empty means
        ``~/.config/gridgov/secret``, made (mode 0600) on first use. Never beside the
        workspace or in the issue store: whoever reads the store must not be able to
        compute a tracking token.
    trusted_proxies : list of str
        Addresses or networks (``10.0.0.0/8``) of reverse proxies whose
        ``X-Forwarded-For`` names the client (for the per-client rate limit); from
        anyone else the header is ignored.
    ferry_kmh : float
        Speed of a ferry crossing (渡口, roads with ``ferry`` set), the same for every
        travel mode: the boat carries walkers, e-bikes and cars alike.
    ferry_wait_min : float
        Minutes added once to every ferry crossing for waiting at the pier; 15 is half
        of the half-hourly service a rural river crossing typically runs.
    idempotency_hours : float
        How long the service remembers an ``Idempotency-Key`` (1 to 720 hours): a retry
        with the same key inside it gets the first answer instead of a second issue.
        48 hours outlasts any client's retries, a weekend of a phone offline included.
    notify : dict
        The ``[notify]`` table: notice channels, reminders, quiet hours, retries (see
        :mod:`gridgov.notify.config`); empty: notices are recorded, not sent.
    remind_interval_h : float
        Shortest time between two reminders (催办) of one issue: each reaches the
        handler's phone, so a double click or an impatient office sends one.
    extension_max_h : float
        Most hours one request for more time (延期申请) may ask for; 720 is the 30 days a
        county office grants at most for one matter.
    handoff_url : str
        Base address of the platform above's Open311 GeoReport v2 endpoint (the one
        holding ``requests.json``, e.g. ``https://12345.example.gov.cn/open311/v2``);
        empty (the default) turns the hand-off off: issues at the external level wait
        there for staff.
    handoff_protocol : str
        How the platform takes issues: ``"open311"`` (GeoReport v2 at ``handoff_url``,
        polled) or ``"webhook"`` (a JSON POST to ``handoff_url`` signed with HMAC-SHA256
        under the ``GRIDGOV_HANDOFF_SECRET`` environment variable; the platform answers by
        a signed callback to ``POST /handoff/callback``).
    handoff_api_key : str
        The ``api_key`` the platform gave the county; the ``GRIDGOV_HANDOFF_KEY``
        environment variable wins over it, so the key need not sit in a settings file.
    handoff_jurisdiction_id : str
        ``jurisdiction_id`` sent with every request, where the platform serves several.
    handoff_service_codes : dict
        Issue category -> the platform's ``service_code``; a category left out is sent
        as its own code.
    handoff_poll_s : float
        How often ``gridgov serve`` submits waiting hand-offs and polls the platform for
        their status (0: never; ``gridgov handoff poll`` from cron instead).
    handoff_timeout_s : float
        Seconds one request to the platform may take.
    handoff_refusal_words : list of str
        Words in the ``status_notes`` of a closed request that mark it refused (退回)
        rather than settled: Open311 has only open and closed, and platforms say "不予受理"
        or "退回" in the notes. A refused request comes back to the county as a return.
    """

    speeds_kmh: dict[str, dict[str, float]] = field(default_factory=_speeds)
    reach_standard: str = "15min:ebike"
    snap_warn_m: float = 500.0
    detour_factor: float = 1.3
    outside_tolerance_m: float = 500.0
    station_annual_cost_yuan: float = 30000.0
    min_deputies_per_station: int = 3
    max_deputies_per_station: int = 60
    deadlines_h: dict[str, dict[str, float]] = field(default_factory=_deadlines_h)
    tianditu_key: str = ""
    issue_categories: dict[str, str] = field(default_factory=_categories)
    category_deadlines_h: dict[str, dict[str, dict[str, float]]] = field(
        default_factory=_category_deadlines_h
    )
    category_specialties: dict[str, list[str]] = field(default_factory=_category_specialties)
    handlers: dict[str, str] = field(default_factory=_handlers)
    external_platform: str = "12345"
    dispatch_k: int = 3
    dispatch_mode: str = "ebike"
    dispatch_cutoff_s: float = 1800.0
    specialty_bonus_s: float = 600.0
    max_open_per_deputy: int = 5
    duplicate_radius_m: float = 250.0
    locate_tolerance_m: float = 300.0
    rating_window_h: float = 168.0
    public_point_step_deg: float = 0.001
    secret_file: str = ""
    trusted_proxies: list[str] = field(default_factory=list)
    ferry_kmh: float = 12.0
    ferry_wait_min: float = 15.0
    idempotency_hours: float = 48.0
    notify: dict[str, Any] = field(default_factory=dict)  # gridgov.notify.config
    remind_interval_h: float = 1.0
    extension_max_h: float = 720.0
    handoff_url: str = ""
    handoff_protocol: str = "open311"
    handoff_api_key: str = ""
    handoff_jurisdiction_id: str = ""
    handoff_service_codes: dict[str, str] = field(default_factory=dict)
    handoff_poll_s: float = 300.0
    handoff_timeout_s: float = 10.0
    handoff_refusal_words: list[str] = field(default_factory=_refusal_words)

    def deadline_h(self, level: str, category: str, phase: str) -> float | None:
        """Hours allowed for ``phase`` (acknowledge / resolve) at ``level`` for ``category``.

        The category's override wins over the level default; None means no deadline
        (the external platform, or a level the settings leave out).
        """
        override = self.category_deadlines_h.get(category, {}).get(level, {})
        if phase in override:
            return float(override[phase])
        value = self.deadlines_h.get(level, {}).get(phase)
        return None if value is None else float(value)

    def __post_init__(self) -> None:
        # Settings built in code are held to the same bounds as a settings file: a speed of
        # zero or less made the reach search allocate until the process died.
        problems = settings_problems(self, source="settings")
        if problems:
            raise ValidationError(problems, context="settings")


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, an optional TOML file, then keyword overrides.

    Parameters
    ----------
    path : str or Path, optional
        TOML file whose top-level keys are :class:`Settings` field names; a table names
        only what it changes, the rest keeps its default.
    **overrides
        Field values that win over the file.

    Returns
    -------
    Settings

    Raises
    ------
    NotFoundError
        If ``path`` does not exist.
    ValidationError
        If the file is not TOML, names a field that does not exist, or holds values gridgov
        cannot use (a speed of zero or less, a deadline that is not positive...): every
        problem at once, each named by its dotted key (``speeds_kmh.ebike.village``).
    """
    values: dict[str, Any] = {}
    if path is not None:
        source = Path(path)
        if not source.is_file():
            raise NotFoundError(f"settings file {str(source)!r} does not exist")
        try:
            with source.open("rb") as fh:
                values.update(tomllib.load(fh))
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(
                [Problem(source.name, None, None, None, f"not a valid TOML file: {exc}")],
                context="settings",
            ) from exc
    values.update(overrides)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationError(
            [
                Problem(str(path or "settings"), None, k, values[k], "unknown setting")
                for k in unknown
            ],
            context="settings",
        )
    defaults = Settings()
    # A table names only what it changes: `[speeds_kmh.ebike] village = 12` keeps walk,
    # car and the other e-bike road classes.
    values = {k: _merged(getattr(defaults, k), v) for k, v in values.items()}
    named = "settings" if path is None else Path(path).name
    problems = settings_problems(SimpleNamespace(**{**vars(defaults), **values}), source=named)
    if problems:
        where = "settings" if path is None else f"settings file {str(path)!r}"
        raise ValidationError(problems, context=where)
    return replace(defaults, **values)


def _merged(default: Any, value: Any) -> Any:
    if not (isinstance(default, dict) and isinstance(value, dict)):
        return value
    merged = dict(default)
    for key, item in value.items():
        merged[key] = _merged(default.get(key), item)
    return merged


#: Faster than anything on a county road: a typo (or m/s for km/h), not a speed.
MAX_SPEED_KMH = 300.0
_MAX_HOURS = 24.0 * 366
_MAX_M = 100_000.0
_MAX_S = 24.0 * 3600
_PHASES = ("acknowledge", "resolve")
_LEVELS = ("grid", "station", "township", "county")
_HANDLER_LEVELS = (*_LEVELS, "external")

# field -> (whole number?, lowest, highest, lowest allowed itself?)
_BOUNDS: dict[str, tuple[bool, float, float, bool]] = {
    "snap_warn_m": (False, 0.0, _MAX_M, False),
    "detour_factor": (False, 1.0, 10.0, True),
    "outside_tolerance_m": (False, 0.0, _MAX_M, True),
    "station_annual_cost_yuan": (False, 0.0, 1e9, True),
    "min_deputies_per_station": (True, 1, 10_000, True),
    "max_deputies_per_station": (True, 1, 10_000, True),
    "dispatch_k": (True, 1, 1_000, True),
    "dispatch_cutoff_s": (False, 0.0, _MAX_S, False),
    "specialty_bonus_s": (False, 0.0, _MAX_S, True),
    "max_open_per_deputy": (True, 1, 100_000, True),
    "duplicate_radius_m": (False, 0.0, _MAX_M, False),
    "locate_tolerance_m": (False, 0.0, _MAX_M, True),
    "rating_window_h": (False, 0.0, _MAX_HOURS, False),
    "public_point_step_deg": (False, 0.0, 1.0, False),
    "ferry_kmh": (False, 0.0, MAX_SPEED_KMH, False),
    "ferry_wait_min": (False, 0.0, 24.0 * 60, True),
    "idempotency_hours": (False, 1.0, 720.0, True),
    "remind_interval_h": (False, 0.0, _MAX_HOURS, True),
    "extension_max_h": (False, 0.0, _MAX_HOURS, False),
    "handoff_poll_s": (False, 0.0, _MAX_S, True),
    "handoff_timeout_s": (False, 0.0, 600.0, False),
}


def _handoff_problems(settings: Any, bad: Any) -> None:
    """The hand-off section: a usable address, a service code (text) per known category."""
    url = settings.handoff_url
    if (
        isinstance(url, str)
        and url
        and not (
            url.startswith(("http://", "https://"))
            and len(url) > len("https://")
            and " " not in url
        )
    ):
        bad("handoff_url", url, "must be an http(s) address such as https://host/open311/v2")
    codes = settings.handoff_service_codes
    categories = settings.issue_categories
    if not isinstance(codes, dict):
        bad("handoff_service_codes", codes, "must be a table (category = service_code)")
    else:
        for category, code in codes.items():
            if isinstance(categories, dict) and category not in categories:
                bad(f"handoff_service_codes.{category}", code, "not a category of issue_categories")
            if not isinstance(code, str) or not code.strip():
                bad(f"handoff_service_codes.{category}", code, "must be a service code (text)")
    if settings.handoff_protocol not in ("open311", "webhook"):
        bad("handoff_protocol", settings.handoff_protocol, "must be open311 or webhook")
    words = settings.handoff_refusal_words
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        bad("handoff_refusal_words", words, "must be a list of words (text)")


def settings_problems(settings: Any, *, source: str = "settings") -> list[Problem]:
    """Every value of ``settings`` gridgov cannot use, each named by its dotted key.

    Parameters
    ----------
    settings : Settings or any object with the same attributes
        The values to check.
    source : str
        The file (or ``"settings"``) the values came from, the problems' ``layer``.

    Returns
    -------
    list of Problem
        Empty when every value is usable.
    """
    problems: list[Problem] = []

    def bad(key: str, value: Any, message: str) -> None:
        problems.append(Problem(source, None, key, value, message))

    def number(key: str, value: Any, low: float, high: float, closed: bool, whole: bool) -> None:
        kind = int if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind):
            bad(key, value, "must be a whole number" if whole else "must be a number")
        elif not math.isfinite(value) or value < low or (value == low and not closed):
            more = "at least" if closed else "more than"
            bad(key, value, f"must be {more} {low:g} and at most {high:g}")
        elif value > high:
            bad(key, value, f"must be at most {high:g}")

    def table(key: str, value: Any) -> bool:
        if isinstance(value, dict):
            return True
        bad(key, value, "must be a table")
        return False

    for name, (whole, low, high, closed) in _BOUNDS.items():
        number(name, getattr(settings, name), low, high, closed, whole)
    low_n, high_n = settings.min_deputies_per_station, settings.max_deputies_per_station
    if isinstance(low_n, int) and isinstance(high_n, int) and high_n < low_n:
        bad(
            "max_deputies_per_station",
            high_n,
            f"must be at least min_deputies_per_station ({low_n})",
        )

    speeds = settings.speeds_kmh
    if table("speeds_kmh", speeds):
        classes = [c.value for c in RoadClass]
        for mode in sorted(set(_speeds()) - set(speeds)):
            bad(f"speeds_kmh.{mode}", None, "missing: every travel mode needs its speeds")
        for mode, by_class in speeds.items():
            if not table(f"speeds_kmh.{mode}", by_class):
                continue
            missing = [c for c in classes if c not in by_class]
            if missing:
                bad(f"speeds_kmh.{mode}", by_class, f"lacks road classes {', '.join(missing)}")
            for road, speed in by_class.items():
                if road not in classes:
                    bad(
                        f"speeds_kmh.{mode}.{road}",
                        speed,
                        f"unknown road class; expected one of {', '.join(classes)}",
                    )
                else:
                    number(f"speeds_kmh.{mode}.{road}", speed, 0.0, MAX_SPEED_KMH, False, False)

    def hours(key: str, levels: Any) -> None:
        if not table(key, levels):
            return
        for level, phases in levels.items():
            where = f"{key}.{level}"
            if level not in _LEVELS:
                bad(where, phases, f"unknown level; expected one of {', '.join(_LEVELS)}")
            elif table(where, phases):
                for phase, value in phases.items():
                    if phase not in _PHASES:
                        bad(
                            f"{where}.{phase}",
                            value,
                            "unknown phase; expected acknowledge or resolve",
                        )
                    else:
                        number(f"{where}.{phase}", value, 0.0, _MAX_HOURS, False, False)

    hours("deadlines_h", settings.deadlines_h)
    categories = settings.issue_categories
    if table("issue_categories", categories):
        for code, label in categories.items():
            if not isinstance(label, str) or not label.strip():
                bad(f"issue_categories.{code}", label, "must be a label (text)")
    by_category = settings.category_deadlines_h
    if table("category_deadlines_h", by_category):
        for category, levels in by_category.items():
            if isinstance(categories, dict) and category not in categories:
                bad(
                    f"category_deadlines_h.{category}", levels, "not a category of issue_categories"
                )
            hours(f"category_deadlines_h.{category}", levels)
    specialties = settings.category_specialties
    if table("category_specialties", specialties):
        for category, names in specialties.items():
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                bad(
                    f"category_specialties.{category}",
                    names,
                    "must be a list of specialties (text)",
                )
    handlers = settings.handlers
    if table("handlers", handlers):
        for level in _HANDLER_LEVELS:
            if level not in handlers:
                bad(f"handlers.{level}", None, "missing: every level needs a handler role")
        for level, role in handlers.items():
            if level not in _HANDLER_LEVELS:
                bad(
                    f"handlers.{level}",
                    role,
                    f"unknown level; expected one of {', '.join(_HANDLER_LEVELS)}",
                )
            elif not isinstance(role, str) or not role.strip():
                bad(f"handlers.{level}", role, "must be a role name (text)")
    proxies = settings.trusted_proxies
    if not isinstance(proxies, list | tuple):
        bad("trusted_proxies", proxies, "must be a list of addresses or networks")
    else:
        for n, entry in enumerate(proxies):
            try:
                ipaddress.ip_network(str(entry), strict=False)
            except ValueError:
                bad(f"trusted_proxies.{n}", entry, "is not an IP address or network")
    for name in ("tianditu_key", "external_platform", "secret_file", "handoff_url",
                 "handoff_api_key", "handoff_jurisdiction_id"):  # fmt: skip
        if not isinstance(getattr(settings, name), str):
            bad(name, getattr(settings, name), "must be text")
    _handoff_problems(settings, bad)
    from gridgov.notify.config import notify_problems  # the [notify] table's own checks

    problems.extend(notify_problems(getattr(settings, "notify", {}), source=source))
    mode = settings.dispatch_mode
    if not isinstance(mode, str) or (isinstance(speeds, dict) and mode not in speeds):
        modes = ", ".join(speeds) if isinstance(speeds, dict) else "walk, ebike, car"
        bad("dispatch_mode", mode, f"unknown travel mode; expected one of {modes}")
    standard = settings.reach_standard
    if not isinstance(standard, str):
        bad("reach_standard", standard, "must be text such as 15min:ebike")
    else:
        from gridgov.coverage.standard import parse_standard

        try:
            parse_standard(standard)
        except ValidationError as exc:
            bad("reach_standard", standard, exc.problems[0].message)
    return problems
