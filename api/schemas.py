"""Request and response bodies: Create / action inputs, staff and public views.

Inputs forbid unknown fields (a typo is an error, not silently ignored) and bound every
string, so an oversized or malformed body is a 422 naming the field. Personal fields in
the outputs are optional and filled only for callers allowed to see them
(:mod:`gridgov.issues.access`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from gridgov.issues.service import MAX_ADDRESS, MAX_DESCRIPTION, MAX_MEDIA_URL, MAX_TITLE

_IN = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IssueCreate(BaseModel):
    """A new issue (网格吹哨). Coordinates are CGCS2000 / WGS84 degrees."""

    model_config = _IN

    category: str = Field(max_length=40, description="issue category code, e.g. road")
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    lon: float = Field(description="longitude in degrees (CGCS2000)")
    lat: float = Field(description="latitude in degrees (CGCS2000)")
    title: str = Field(default="", max_length=MAX_TITLE)
    address: str = Field(default="", max_length=MAX_ADDRESS, description="the place in words")
    media_url: str = Field(
        default="", max_length=MAX_MEDIA_URL, description="http(s) link to a photo"
    )
    reporter_name: str = Field(default="", max_length=50)
    reporter_phone: str = Field(default="", max_length=32)
    anonymous: StrictBool = False  # "yes" or 1 is not a choice to stay anonymous


class PublicIssueCreate(BaseModel):
    """A resident's issue from a station's QR page; the place defaults to the station."""

    model_config = _IN

    category: str = Field(max_length=40)
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    lon: float | None = None
    lat: float | None = None
    reporter_name: str = Field(default="", max_length=50)
    reporter_phone: str = Field(default="", max_length=32)
    anonymous: StrictBool = False  # "yes" or 1 is not a choice to stay anonymous


def _version_field() -> Any:
    """``version`` of an action body: the issue version the client read (as If-Match)."""
    return Field(
        default=None, ge=1, description="the version you read: 409 if the issue moved since"
    )


class AcknowledgeIn(BaseModel):
    model_config = _IN
    name: str = Field(default="", max_length=50)
    version: int | None = _version_field()


class StartIn(BaseModel):
    model_config = _IN
    note: str = Field(default="", max_length=2000)
    version: int | None = _version_field()


class ResolveIn(BaseModel):
    model_config = _IN
    result: str = Field(min_length=1, max_length=2000, description="what was done (办理结果)")
    version: int | None = _version_field()


class RateIn(BaseModel):
    model_config = _IN
    rating: str = Field(
        max_length=20, description="satisfied/basic/unsatisfied or 满意/基本满意/不满意"
    )
    note: str = Field(default="", max_length=500)
    tracking_token: str = Field(default="", max_length=100)
    version: int | None = _version_field()


class HandOverIn(BaseModel):
    """Transfer (转办) to a unit, or return (退回) to where it came from."""

    model_config = _IN
    to: str = Field(
        default="",
        max_length=80,
        description="escalation-graph unit, e.g. station:S02 or township:430623101; "
        "for a return, empty means the unit it came from",
    )
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = _version_field()


class MergeIn(BaseModel):
    model_config = _IN
    into: str = Field(min_length=1, max_length=40)
    reason: str = Field(default="", max_length=500)
    version: int | None = _version_field()


class CloseIn(BaseModel):
    model_config = _IN
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = _version_field()


class DeputyRef(BaseModel):
    deputy_id: str
    name: str
    level: str = ""
    station_id: str = ""
    phone: str | None = None


class Reporter(BaseModel):
    name: str
    phone: str


class EventOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor_role: str
    actor_id: str
    status_from: str
    status_to: str
    unit: str
    data: dict[str, Any]


class ExtensionOut(BaseModel):
    """A request for more time (延期申请) waiting for the level above."""

    hours: float
    reason: str
    requested_by: str
    requested_at: datetime | None


class HandoffOut(BaseModel):
    """The issue's request on the platform above and what the platform last said."""

    request_id: str
    status: str
    notes: str
    error: str = ""


class IssueOut(BaseModel):
    """An issue as staff, deputies and grid workers see it (scoped)."""

    issue_id: str
    category: str
    category_zh: str
    title: str
    description: str
    address: str = ""
    media_url: str = ""
    lon: float
    lat: float
    status: str
    status_zh: str
    source: str
    grid_code: str
    village_code: str
    township_code: str
    station_id: str
    level: str
    unit: str
    unit_name: str
    deputies: list[DeputyRef]
    responsible_name: str
    result: str
    rating: str
    merged_into: str
    anonymous: bool
    reporter: Reporter | None = None
    created_at: datetime
    updated_at: datetime
    acknowledge_due: datetime | None
    resolve_due: datetime | None
    closed_at: datetime | None
    escalations: int
    reopened: int
    version: int
    three_knows: dict[str, str]
    extension: ExtensionOut | None = None
    handoff: HandoffOut | None = None
    events: list[EventOut] | None = None


class IssuePublicOut(BaseModel):
    """What a resident sees of their own issue with its tracking token."""

    issue_id: str
    category_zh: str
    status: str
    status_zh: str
    unit_name: str
    three_knows: dict[str, str]
    result: str
    rating: str
    created_at: datetime
    updated_at: datetime


class CandidateOut(BaseModel):
    deputy_id: str
    name: str
    level: str
    station_id: str
    specialty: str
    pool: str
    travel_s: float
    travel_m: float
    estimated: bool
    specialty_match: bool
    open_issues: int
    reason: str


class DispatchOut(BaseModel):
    station_id: str
    chosen: list[CandidateOut]
    skipped: list[dict[str, str]]
    skipped_more: int = Field(0, description="skipped deputies not listed (30 per pool)")
    elapsed_ms: float


class Duplicate(BaseModel):
    issue_id: str
    distance_m: float


class IssueCreated(BaseModel):
    issue: IssueOut
    created: bool
    dispatched: list[CandidateOut]
    duplicates: list[Duplicate]
    tracking_token: str | None = None


class IssuePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[IssueOut]


class ErrorProblem(BaseModel):
    field: str | None = None
    value: str | None = None
    message: str
    row: str | None = None


class ErrorOut(BaseModel):
    error: str
    message: str
    problems: list[ErrorProblem] = []


class PhotoOut(BaseModel):
    """A photo of an issue. ``lon`` / ``lat`` (where the camera says it was) and the
    uploader are given only to those who see the staff copy."""

    photo_id: str
    issue_id: str
    created_at: datetime
    width: int
    height: int
    url: str = Field(description="the JPEG this caller may see (staff or public copy)")
    copy_: str = Field(alias="copy", description="staff (EXIF kept) or public (no metadata)")
    uploaded_by: str | None = None
    lon: float | None = None
    lat: float | None = None
    taken_at: str | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
