"""Inbound events as signals: the object they concern and what they add to which feature buckets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from supervision_schemas.datahub import BehaviourRecorded, BehaviourType, ObjectChanged, ObjectCreated
from supervision_schemas.signals import (
    ComplaintHotspotChanged,
    ComplaintSignalRecorded,
    HotspotDimension,
    ObservationCategory,
    ObservationKind,
    ObservationRecorded,
    SignalObject,
)

MEDICAL = frozenset(
    {
        ObservationCategory.MEDICAL_SERVICE,
        ObservationCategory.DRUG,
        ObservationCategory.PRESCRIPTION_DRUG,
        ObservationCategory.MEDICAL_DEVICE,
    }
)
_FAILED_RESULT_MARKERS = ("fail", "non_compliant", "unqualified", "不合格", "不符合", "发现问题", "整改", "违法")


@dataclass
class Signal:
    """One event reduced to what the features and warnings need."""

    event_id: str
    key: str
    at: datetime
    day: date
    name: str
    region_code: str
    uscc: str | None = None
    object_id: str | None = None
    industry_code: str | None = None
    department_id: uuid.UUID | None = None
    department_name: str | None = None
    contributions: list[tuple[str, float]] = field(default_factory=list)


def _object_fields(obj: SignalObject) -> dict[str, object]:
    return {
        "key": obj.key,
        "name": obj.name,
        "region_code": obj.region_code,
        "uscc": obj.uscc,
        "object_id": obj.object_id,
        "industry_code": obj.industry_code,
        "department_id": obj.department_id,
        "department_name": obj.department_name,
    }


def from_observation(event: ObservationRecorded) -> Signal:
    d = event.data
    at = d.observed_at
    s = Signal(event_id=event.id, at=at, day=at.date(), **_object_fields(d.object))  # type: ignore[arg-type]
    v = d.values
    add = s.contributions.append
    match d.kind:
        case ObservationKind.ADVERTISING_MONITORING:
            if d.category in MEDICAL:
                add(("medical_ad_hits_30d", 1.0))
                add(("medical_ad_severity_max_30d", min(max(v.get("severity", 0.5), 0.0), 1.0)))
            elif d.category is ObservationCategory.FINANCIAL_PRODUCT:
                add(("finance_ad_hits_30d", 1.0))
                if "promised_annual_return" in v:
                    add(("promised_return_max_90d", max(v["promised_annual_return"], 0.0)))
        case ObservationKind.ONLINE_LISTING:
            n = max(v.get("listings", 1.0), 0.0)
            if v.get("unlicensed", 0.0) >= 1:
                add(("unlicensed_listings_30d", n))
            if d.category is ObservationCategory.DRUG:
                add(("drug_listings_30d", n))
            elif d.category is ObservationCategory.PRESCRIPTION_DRUG:
                add(("rx_listings_30d", n))
                add(("drug_listings_30d", n))
                if v.get("prescription_verified", 1.0) < 1:
                    add(("rx_unverified_listings_30d", n))
            elif d.category is ObservationCategory.MEDICAL_DEVICE:
                add(("device_listings_30d", n))
                if v.get("unregistered", 0.0) >= 1:
                    add(("device_unregistered_listings_30d", n))
        case ObservationKind.IOT_READING:
            if d.threshold_exceeded:
                add(("iot_alarms_30d", 1.0))
        case ObservationKind.PUBLIC_OPINION:
            add(("opinion_mentions_30d", max(v.get("mentions", 1.0), 0.0)))
            if v.get("sentiment", 0.0) < -0.3:
                add(("opinion_negative_30d", 1.0))
    return s


def from_complaint(event: ComplaintSignalRecorded) -> Signal:
    d = event.data
    s = Signal(event_id=event.id, at=d.received_at, day=d.received_at.date(), **_object_fields(d.object))  # type: ignore[arg-type]
    s.contributions.append(("complaints_30d", 1.0))
    if d.category in MEDICAL:
        s.contributions.append(("complaints_medical_90d", 1.0))
    elif d.category is ObservationCategory.FINANCIAL_PRODUCT:
        s.contributions.append(("finance_reports_90d", 1.0))
    return s


def from_hotspot(event: ComplaintHotspotChanged) -> Signal | None:
    """The identified object of an object hot spot (its profile, no features); None for groups and names."""
    d = event.data
    if d.dimension is not HotspotDimension.OBJECT or d.object is None:
        return None
    return Signal(event_id=event.id, at=d.changed_at, day=d.changed_at.date(), **_object_fields(d.object))  # type: ignore[arg-type]


def inspection_failed(result: str | None) -> bool:
    text = (result or "").lower()
    return any(marker in text for marker in _FAILED_RESULT_MARKERS)


def _amount(value: str | None) -> float:
    try:
        amount = Decimal(value) if value else Decimal(0)
    except InvalidOperation:
        return 0.0
    return float(amount) if amount.is_finite() and amount > 0 else 0.0


def from_behaviour(event: BehaviourRecorded) -> Signal | None:
    """A supervision act; None when it is linked to no object (nothing to attribute it to)."""
    d = event.data
    if d.object_uscc:
        key = d.object_uscc
    elif d.object_id is not None:
        key = f"obj:{d.object_id}"
    else:
        return None
    at = datetime.combine(d.acted_on, d.recorded_at.timetz())
    s = Signal(
        event_id=event.id,
        key=key,
        at=at,
        day=d.acted_on,
        name=d.object_name,
        region_code=d.region_code,
        uscc=d.object_uscc,
        object_id=str(d.object_id) if d.object_id else None,
        department_id=d.department_id,
    )
    match d.record_type:
        case BehaviourType.PENALTY:
            s.contributions.append(("penalties_365d", 1.0))
            s.contributions.append(("penalty_amount_365d", _amount(d.penalty_amount)))
        case BehaviourType.INSPECTION:
            s.contributions.append(("inspections_365d", 1.0))
            if inspection_failed(d.result):
                s.contributions.append(("failed_inspections_365d", 1.0))
        case BehaviourType.ENFORCEMENT_MEASURE | BehaviourType.OTHER:
            pass
    return s


def from_object(event: ObjectCreated | ObjectChanged) -> Signal:
    """The data hub's record of an object: its identity, industry and supervising department (no features)."""
    d = event.data
    return Signal(
        event_id=event.id,
        key=d.uscc or f"obj:{d.object_id}",
        at=d.changed_at,
        day=d.changed_at.date(),
        name=d.name,
        region_code=d.region_code,
        uscc=d.uscc,
        object_id=str(d.object_id),
        industry_code=d.industry_code,
        department_id=d.department_id,
    )
