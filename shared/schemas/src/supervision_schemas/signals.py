"""Inbound risk signals nobody else owns yet: third-party observations and complaint signals.

Supervision acts (inspections, penalties) are datahub-svc's `BehaviourRecorded`; these contracts
cover what arrives from outside the supervision acts: advertising monitoring, online listings, IoT
readings and public opinion (第三方数据), complaints or reports (投诉举报) as risk signals, and the hot
spots (热点) complaint-svc finds among them (by industry, region or object).
The Kafka key (ce_subject) is the object key: the USCC when known, else the object id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, field_validator, model_validator

from supervision_schemas.envelope import CloudEvent, EventData
from supervision_schemas.identifiers import NormalisedStr, RegionCode, UnifiedSocialCreditCode

THIRDPARTY_OBSERVATIONS_TOPIC = "supervision.thirdparty.observations"
COMPLAINT_SIGNALS_TOPIC = "supervision.signals.complaints"

#: How far in the future an observation time may lie (clock skew between source systems).
MAX_CLOCK_SKEW = timedelta(minutes=10)


class ObservationKind(StrEnum):
    """Which third-party channel observed the object."""

    ADVERTISING_MONITORING = "advertising_monitoring"
    ONLINE_LISTING = "online_listing"
    IOT_READING = "iot_reading"
    PUBLIC_OPINION = "public_opinion"


class ObservationCategory(StrEnum):
    """What the observation is about (the product or claim class)."""

    MEDICAL_SERVICE = "medical_service"
    DRUG = "drug"
    PRESCRIPTION_DRUG = "prescription_drug"
    MEDICAL_DEVICE = "medical_device"
    FINANCIAL_PRODUCT = "financial_product"
    FOOD = "food"
    OTHER = "other"


class SignalObject(EventData):
    """The supervised object a signal is about: identity, region, industry, supervising department."""

    uscc: UnifiedSocialCreditCode | None = None
    object_id: str | None = Field(default=None, min_length=1, max_length=100)
    name: NormalisedStr = Field(min_length=1, max_length=300)
    region_code: RegionCode
    industry_code: str | None = Field(
        default=None, pattern=r"^[A-T](\d{2,4})?$", description="GB/T 4754 industry code, e.g. F5251."
    )
    department_id: uuid.UUID | None = Field(default=None, description="The object's supervising department.")
    department_name: NormalisedStr | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if self.uscc is None and self.object_id is None:
            raise ValueError("an object needs a unified social credit code or an object id")
        return self

    @property
    def key(self) -> str:
        """The object key: USCC when known, else the object id."""
        return self.uscc or f"obj:{self.object_id}"


def _not_in_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise ValueError("lies in the future")
    return value


class ObservationRecordedData(EventData):
    """A third-party source observed something about an object (a monitoring hit, a listing, a reading)."""

    observation_id: uuid.UUID
    kind: ObservationKind
    category: ObservationCategory
    object: SignalObject
    observed_at: AwareDatetime
    channel: NormalisedStr = Field(min_length=1, max_length=100, description="Platform, medium or sensor.")
    values: dict[str, float] = Field(
        default_factory=dict,
        max_length=32,
        description=(
            "Observed values, e.g. severity 0-1, promised_annual_return, unlicensed 0/1, "
            "prescription_verified 0/1, listings, reading, mentions, sentiment -1..1."
        ),
    )
    threshold_exceeded: bool = Field(default=False, description="The reading exceeded its alarm threshold.")
    excerpt: NormalisedStr | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=2000)

    _future = field_validator("observed_at")(_not_in_future)

    @field_validator("values")
    @classmethod
    def _finite(cls, values: dict[str, float]) -> dict[str, float]:
        for name, value in values.items():
            if not name or len(name) > 64:
                raise ValueError("value names are 1-64 characters")
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"value {name} is not a finite number")
        return values


class ObservationRecorded(CloudEvent):
    """`gov.supervision.thirdparty.observation.recorded.v1` (key: object key)"""

    topic: ClassVar[str] = THIRDPARTY_OBSERVATIONS_TOPIC
    type: Literal["gov.supervision.thirdparty.observation.recorded.v1"] = (
        "gov.supervision.thirdparty.observation.recorded.v1"
    )
    data: ObservationRecordedData


class ComplaintSignalData(EventData):
    """A complaint or report (投诉举报) was received about an object."""

    complaint_id: uuid.UUID
    object: SignalObject
    category: ObservationCategory
    channel: NormalisedStr = Field(min_length=1, max_length=50, description="12345, 12315, web, letter...")
    is_report: bool = Field(default=False, description="A report of an offence (举报) rather than a complaint.")
    received_at: AwareDatetime
    summary: NormalisedStr | None = Field(default=None, max_length=2000)

    _future = field_validator("received_at")(_not_in_future)


class ComplaintSignalRecorded(CloudEvent):
    """`gov.supervision.signals.complaint.recorded.v1` (key: object key)"""

    topic: ClassVar[str] = COMPLAINT_SIGNALS_TOPIC
    type: Literal["gov.supervision.signals.complaint.recorded.v1"] = "gov.supervision.signals.complaint.recorded.v1"
    data: ComplaintSignalData


class HotspotDimension(StrEnum):
    """What complaints are clustered by to find a hot spot (热点)."""

    INDUSTRY = "industry"
    REGION = "region"
    OBJECT = "object"


class HotspotChange(StrEnum):
    """A cluster became hot, grew further while hot, or cooled down again."""

    DETECTED = "detected"
    GROWN = "grown"
    COOLED = "cooled"


class ComplaintHotspotData(EventData):
    """A hot spot of complaints and reports: one industry, region or object with many recent complaints.

    Counted over the last `window_days` and compared with the window before; hot when the count
    reaches complaint-svc's minimum and grew enough (or nothing came before).
    """

    hotspot_id: uuid.UUID = Field(description="Stable per dimension and key: every change of one hot spot shares it.")
    change: HotspotChange
    dimension: HotspotDimension
    key: str = Field(min_length=1, max_length=300, description="Industry code, region code or object key.")
    label: NormalisedStr = Field(min_length=1, max_length=300)
    region_code: RegionCode | None = Field(default=None, description="The region (region and object hot spots).")
    industry_code: str | None = Field(default=None, pattern=r"^[A-T](\d{2,4})?$")
    object: SignalObject | None = Field(default=None, description="The object, for an identified object hot spot.")
    window_days: int = Field(ge=1, le=366)
    window_start: AwareDatetime
    window_end: AwareDatetime
    count: int = Field(ge=0, description="Complaints and reports in the window (repeats included).")
    previous_count: int = Field(ge=0, description="In the window before.")
    growth: float | None = Field(default=None, description="(count - previous) / previous; None when previous is 0.")
    reports: int = Field(default=0, ge=0, description="Of which reports (举报) of offences.")
    categories: dict[str, int] = Field(
        default_factory=dict, max_length=20, description="Complaint categories in the window and their counts."
    )
    complaint_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="The latest ones.")
    changed_at: AwareDatetime


class ComplaintHotspotChanged(CloudEvent):
    """`gov.supervision.complaint.hotspot.changed.v1` (key: object key for objects, else `dimension:key`)"""

    topic: ClassVar[str] = COMPLAINT_SIGNALS_TOPIC
    type: Literal["gov.supervision.complaint.hotspot.changed.v1"] = "gov.supervision.complaint.hotspot.changed.v1"
    data: ComplaintHotspotData
