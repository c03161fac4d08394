"""Request and response models of the complaints API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from complaint_svc import categories, pii
from supervision_schemas.complaint import ComplaintChannel, ComplaintKind, ComplaintStatus
from supervision_schemas.identifiers import NormalisedStr, RegionCode, UnifiedSocialCreditCode

_MAX_SKEW = timedelta(minutes=10)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_category(value: str | None) -> str | None:
    if value is not None and value not in categories.BY_CODE:
        raise ValueError(f"unknown category {value!r}; see GET /v1/categories")
    return value


def check_media_urls(urls: list[str]) -> list[str]:
    for url in urls:
        if not url.startswith(("https://", "http://")) or len(url) > 2000 or any(c.isspace() for c in url):
            raise ValueError("media URLs must be http(s) URLs of at most 2000 characters")
    return urls


class TargetIn(_In):
    """The object complained about (被投诉举报对象): its name, and its USCC when the complainant knows it."""

    name: NormalisedStr | None = Field(default=None, min_length=2, max_length=300)
    uscc: UnifiedSocialCreditCode | None = None
    address: NormalisedStr | None = Field(default=None, max_length=500)


class ComplainantIn(_In):
    """The complainant; anonymous complainants give no name or identity number (a phone for feedback is optional)."""

    anonymous: bool = False
    name: NormalisedStr | None = Field(default=None, min_length=1, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    id_number: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)

    _phone = field_validator("phone")(lambda v: pii.normalise_phone(v) if v else None)
    _id = field_validator("id_number")(lambda v: pii.normalise_id_number(v) if v else None)
    _email = field_validator("email")(lambda v: pii.normalise_email(v) if v else None)

    @model_validator(mode="after")
    def _anonymous(self) -> Self:
        if self.anonymous and (self.name or self.id_number):
            raise ValueError("an anonymous complainant gives no name or identity number")
        return self

    def person(self) -> pii.Complainant:
        return pii.Complainant(self.anonymous, self.name, self.phone, self.id_number, self.email)


class ComplaintIn(_In):
    """A complaint or report as a channel (12345, 12315, national system, portal, app) submits it."""

    kind: ComplaintKind = ComplaintKind.COMPLAINT
    channel: ComplaintChannel
    channel_ref: NormalisedStr | None = Field(
        default=None, min_length=1, max_length=100, description="The channel's work-order or dispatch number."
    )
    title: NormalisedStr | None = Field(default=None, max_length=200)
    content: NormalisedStr = Field(min_length=5, max_length=5000, description="What happened (诉求内容).")
    category: str | None = Field(default=None, description="The category, when the channel already classified it.")
    region_code: RegionCode
    address: NormalisedStr | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    occurred_at: AwareDatetime | None = None
    target: TargetIn | None = None
    complainant: ComplainantIn = Field(default_factory=lambda: ComplainantIn(anonymous=True))
    media_urls: list[str] = Field(default_factory=list, max_length=10)

    _category = field_validator("category")(check_category)
    _media = field_validator("media_urls")(check_media_urls)

    @field_validator("occurred_at")
    @classmethod
    def _past(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC) + _MAX_SKEW:
            raise ValueError("lies in the future")
        return value


class TargetRead(BaseModel):
    name: str | None
    uscc: str | None
    address: str | None
    object_id: uuid.UUID | None
    industry_code: str | None
    department_id: uuid.UUID | None
    department_name: str | None
    link_method: str
    link_score: float | None


class ComplainantRead(BaseModel):
    """The complainant as this caller may see them (masked unless the caller is the handler)."""

    anonymous: bool
    name: str | None
    phone: str | None
    id_number: str | None
    email: str | None
    masked: bool


class ResultRead(BaseModel):
    code: str
    summary: str


class RoutingRead(BaseModel):
    routed_by: str
    declared_category: str | None
    proposed_category: str | None
    proposed_department_type: str | None
    confidence: float | None
    department_type: str | None


class ComplaintRead(BaseModel):
    id: uuid.UUID
    tracking_no: str
    kind: ComplaintKind
    channel: ComplaintChannel
    channel_ref: str | None
    status: ComplaintStatus
    title: str | None
    content: str
    category: str
    category_name: str
    routing: RoutingRead
    department_id: uuid.UUID | None
    department_name: str | None
    region_code: str
    address: str | None
    lat: float | None
    long: float | None
    occurred_at: datetime | None
    received_at: datetime
    target: TargetRead
    complainant: ComplainantRead
    merged_into: uuid.UUID | None
    repeat_count: int
    accept_due: datetime | None
    handle_due: datetime | None
    overdue: bool
    escalation_level: int
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    result: ResultRead | None
    visit_note: str | None
    satisfaction: int | None
    satisfaction_comment: str | None
    media_urls: list[str]
    created_at: datetime
    modified_at: datetime | None


class IntakeRead(ComplaintRead):
    """The complaint just received, with the query code (查询码) the complainant uses to see the result and rate it."""

    access_code: str
    replayed: bool = False


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor: str
    reason: str | None
    details: dict[str, object]


class Note(_In):
    note: NormalisedStr | None = Field(default=None, max_length=2000)


class Reason(_In):
    reason: NormalisedStr = Field(min_length=2, max_length=2000)


class DispatchIn(_In):
    """Dispatch (派单) to a department: the routed one unless another is named."""

    department_id: uuid.UUID | None = None
    note: NormalisedStr | None = Field(default=None, max_length=2000)


class ReassignIn(_In):
    """Reassign to another department (the reason is recorded and goes with the event)."""

    department_id: uuid.UUID
    category: str | None = None
    reason: NormalisedStr = Field(min_length=2, max_length=2000)

    _category = field_validator("category")(check_category)


class ReplyIn(_In):
    """The handling result replied to the complainant (答复)."""

    result_code: str = Field(min_length=1, max_length=50)
    summary: NormalisedStr = Field(min_length=2, max_length=4000)


class VisitIn(_In):
    """The follow-up visit (回访) after closing, optionally with the rating the complainant gave."""

    note: NormalisedStr = Field(min_length=2, max_length=2000)
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    comment: NormalisedStr | None = Field(default=None, max_length=2000)


class RateIn(_In):
    """A satisfaction rating (满意度评价): 1 very dissatisfied .. 5 very satisfied."""

    satisfaction: int = Field(ge=1, le=5)
    comment: NormalisedStr | None = Field(default=None, max_length=2000)


class MergeIn(_In):
    """Merge (并案) this complaint into another about the same matter."""

    into: str = Field(min_length=1, max_length=40, description="Tracking number or id of the surviving complaint.")
    reason: NormalisedStr = Field(min_length=2, max_length=2000)


class LinkIn(_In):
    """Link the target to a supervised object by hand."""

    object_id: uuid.UUID
    reason: NormalisedStr = Field(min_length=2, max_length=2000)


class PublicStatus(BaseModel):
    """What anyone may see of a complaint by its tracking number (and, with the query code, its result)."""

    tracking_no: str
    kind: ComplaintKind
    status: ComplaintStatus
    category_name: str
    department_name: str | None
    received_at: datetime
    accept_due: datetime | None
    handle_due: datetime | None
    updated_at: datetime
    merged_into_tracking_no: str | None = None
    result: ResultRead | None = None
    satisfaction: int | None = None
    steps: list[dict[str, object]] = Field(default_factory=list)


class PublicRateIn(RateIn):
    access_code: str = Field(min_length=4, max_length=20)
