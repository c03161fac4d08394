"""Finding hot spots: complaints of the last window counted per industry, region and object, compared
with the window before, and each change of a hot spot (detected, grown, cooled) published once.

A cluster is hot when its count reaches `hotspot_min_count` and it grew by `hotspot_min_growth` over the
window before (or nothing came before). While hot, it is published again when its count grew by
`hotspot_grow_step` since the last event; when it no longer qualifies it cools. Scans on several
replicas take turns (an advisory lock), so each change is published once.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from complaint_svc.complaints.models import Complaint
from complaint_svc.hotspots.models import Hotspot
from complaint_svc.settings import ComplaintSettings
from supervision_schemas.signals import (
    ComplaintHotspotChanged,
    ComplaintHotspotData,
    HotspotChange,
    HotspotDimension,
    SignalObject,
)
from svc_runtime import outbox
from svc_runtime.scope import DataScope

SOURCE = "/complaint-svc"
_NAMESPACE = uuid.UUID("6c4d3e0a-7f43-4f5e-9f1e-0d1f6b7a2c11")
_INDUSTRY = re.compile(r"^[A-T](\d{2,4})?$")
_LOCK = "complaint_svc.hotspot_scan"


@dataclass
class Cluster:
    """One group of the window's complaints, as the scan counted it."""

    dimension: HotspotDimension
    key: str
    label: str
    count: int
    previous: int
    reports: int
    region_code: str | None
    industry_code: str | None
    obj: SignalObject | None
    complaint_ids: list[str]
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def growth(self) -> float | None:
        return round((self.count - self.previous) / self.previous, 4) if self.previous else None


@dataclass
class ScanResult:
    as_of: datetime
    clusters: int = 0
    changes: list[ComplaintHotspotData] = field(default_factory=list)


def hotspot_id(dimension: HotspotDimension, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{dimension.value}:{key}")


def _key(dimension: HotspotDimension, settings: ComplaintSettings) -> ColumnElement[Any]:
    c = Complaint
    match dimension:
        case HotspotDimension.INDUSTRY:
            return func.substr(c.target_industry_code, 1, 1 + settings.hotspot_industry_digits)
        case HotspotDimension.REGION:
            return func.rpad(func.substr(c.region_code, 1, settings.hotspot_region_digits), 6, "0")
        case HotspotDimension.OBJECT:
            # the object key risk-svc uses (USCC, else obj:<id>); a target known by name only by its name
            return func.left(
                func.coalesce(
                    c.target_uscc,
                    literal("obj:") + cast(c.target_object_id, String),
                    literal("name:") + c.target_name_core,
                ),
                300,
            )


def is_hot(settings: ComplaintSettings, count: int, previous: int) -> bool:
    if count < settings.hotspot_min_count:
        return False
    return previous == 0 or count >= previous * (1 + settings.hotspot_min_growth)


def _signal_object(row: Any) -> SignalObject | None:
    if row.uscc is None and row.object_id is None:
        return None
    return SignalObject(
        uscc=row.uscc,
        object_id=row.object_id,
        name=(row.label or row.uscc or "未知")[:300],
        region_code=row.region_code,
        industry_code=row.industry_code if row.industry_code and _INDUSTRY.match(row.industry_code) else None,
        department_id=uuid.UUID(row.department_id) if row.department_id else None,
        department_name=row.department_name,
    )


async def clusters(
    session: AsyncSession,
    settings: ComplaintSettings,
    dimension: HotspotDimension,
    now: datetime,
    also: list[str],
) -> list[Cluster]:
    """The groups with at least the minimum count in the window, and the groups named in `also`."""
    c = Complaint
    start = now - timedelta(days=settings.hotspot_window_days)
    before = start - timedelta(days=settings.hotspot_window_days)
    rows = (
        select(
            _key(dimension, settings).label("key"),
            cast(c.id, String).label("id"),
            c.received_at,
            c.kind,
            c.category,
            func.coalesce(c.target_name, c.target_uscc).label("name"),
            c.region_code,
            c.target_industry_code,
            c.target_uscc,
            cast(c.target_object_id, String).label("object_id"),
            cast(c.target_department_id, String).label("department_id"),
            c.target_department_name,
        )
        .where(c.received_at >= before, c.received_at <= now)
        .subquery()
    )
    r = rows.c
    current = r.received_at >= start
    count = func.count().filter(current)
    known = r.key.in_(also) if also else false()
    statement = (
        select(
            r.key,
            func.max(r.name).label("label"),
            count.label("n"),
            func.count().filter(r.received_at < start).label("previous"),
            func.count().filter(current, r.kind == "report").label("reports"),
            func.max(r.region_code).label("region_code"),
            func.max(r.target_industry_code).label("industry_code"),
            func.max(r.target_uscc).label("uscc"),
            func.max(r.object_id).label("object_id"),
            func.max(r.department_id).label("department_id"),
            func.max(r.target_department_name).label("department_name"),
            func.array_agg(aggregate_order_by(r.id, r.received_at.desc())).filter(current).label("ids"),
        )
        .where(r.key.is_not(None))
        .group_by(r.key)
        .having(or_(count >= settings.hotspot_min_count, known))
        .order_by(case((known, 0), else_=1), count.desc(), r.key)
        .limit(settings.hotspot_limit + len(also))
    )
    found: dict[str, Cluster] = {}
    for row in (await session.execute(statement)).all():
        if dimension is HotspotDimension.INDUSTRY and not _INDUSTRY.match(row.key):
            continue
        industry = row.industry_code if row.industry_code and _INDUSTRY.match(row.industry_code) else None
        found[row.key] = Cluster(
            dimension=dimension,
            key=row.key,
            label=_label(dimension, row),
            count=row.n,
            previous=row.previous,
            reports=row.reports,
            region_code={
                HotspotDimension.INDUSTRY: None,
                HotspotDimension.REGION: row.key,
                HotspotDimension.OBJECT: row.region_code,
            }[dimension],
            industry_code=row.key if dimension is HotspotDimension.INDUSTRY else industry,
            obj=_signal_object(row) if dimension is HotspotDimension.OBJECT else None,
            complaint_ids=list((row.ids or [])[:20]),
        )
    counted = [k for k, x in found.items() if x.count]
    if counted:
        by_category = await session.execute(
            select(r.key, r.category, func.count()).where(current, r.key.in_(counted)).group_by(r.key, r.category)
        )
        for k, category, n in by_category.all():
            found[k].categories[category] = n
        for x in found.values():
            x.categories = dict(sorted(x.categories.items(), key=lambda kv: (-kv[1], kv[0]))[:20])
    return list(found.values())


def _label(dimension: HotspotDimension, row: Any) -> str:
    match dimension:
        case HotspotDimension.OBJECT:
            return str(row.label or row.key.split(":", 1)[-1])[:300]
        case HotspotDimension.INDUSTRY:
            return f"行业 {row.key}"
        case HotspotDimension.REGION:
            return f"地区 {row.key}"


def _event(x: Cluster, change: HotspotChange, settings: ComplaintSettings, now: datetime) -> ComplaintHotspotChanged:
    data = ComplaintHotspotData(
        hotspot_id=hotspot_id(x.dimension, x.key),
        change=change,
        dimension=x.dimension,
        key=x.key,
        label=x.label,
        region_code=x.region_code,
        industry_code=x.industry_code,
        object=x.obj,
        window_days=settings.hotspot_window_days,
        window_start=now - timedelta(days=settings.hotspot_window_days),
        window_end=now,
        count=x.count,
        previous_count=x.previous,
        growth=x.growth,
        reports=x.reports,
        categories=x.categories,
        complaint_ids=[uuid.UUID(i) for i in x.complaint_ids],
        changed_at=now,
    )
    subject = x.obj.key if x.obj is not None else f"{x.dimension.value}:{x.key}"
    return ComplaintHotspotChanged.build(source=SOURCE, subject=subject, data=data)


async def scan(session: AsyncSession, settings: ComplaintSettings, now: datetime) -> ScanResult:
    """Count the clusters, publish what changed about hot spots, and remember it (one scan at a time)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(_LOCK))))
    result = ScanResult(as_of=now)
    events: list[ComplaintHotspotChanged] = []
    for dimension in settings.hotspot_dimensions:
        known = {
            h.key: h
            for h in (
                await session.scalars(
                    select(Hotspot).where(Hotspot.dimension == dimension.value, Hotspot.hot).with_for_update()
                )
            ).all()
        }
        found = await clusters(session, settings, dimension, now, list(known))
        result.clusters += len(found)
        seen = {x.key for x in found}
        for x in found:
            row = known.get(x.key)
            hot = is_hot(settings, x.count, x.previous)
            change: HotspotChange | None = None
            if hot and row is None:
                row = await session.get(Hotspot, hotspot_id(dimension, x.key), with_for_update=True)
                change = HotspotChange.DETECTED
            elif (
                hot and row is not None and x.count >= math.ceil(row.published_count * (1 + settings.hotspot_grow_step))
            ):
                change = HotspotChange.GROWN
            elif not hot and row is not None:
                change = HotspotChange.COOLED
            if row is None and change is None:
                continue
            if row is None:
                row = Hotspot(id=hotspot_id(dimension, x.key), dimension=dimension.value, key=x.key, detected_at=now)
                session.add(row)
            if change is HotspotChange.DETECTED and row.hot is False:
                row.detected_at, row.cooled_at = now, None
            row.label, row.region_code, row.industry_code = x.label, x.region_code, x.industry_code
            row.count, row.previous_count, row.growth, row.reports = x.count, x.previous, x.growth, x.reports
            row.categories, row.complaint_ids = x.categories, x.complaint_ids
            row.object = x.obj.model_dump(mode="json") if x.obj is not None else None
            row.window_days, row.hot, row.changed_at = settings.hotspot_window_days, hot, now
            if change in (HotspotChange.DETECTED, HotspotChange.GROWN):
                row.published_count = x.count
            if change is HotspotChange.COOLED:
                row.cooled_at = now
            if change is not None:
                event = _event(x, change, settings, now)
                events.append(event)
                result.changes.append(event.data)
        for key in set(known) - seen:  # nothing left in either window
            row = known[key]
            x = Cluster(dimension, key, row.label, 0, 0, 0, row.region_code, row.industry_code, None, [])
            if row.object:
                x.obj = SignalObject.model_validate(row.object)
            row.hot, row.count, row.previous_count, row.growth, row.cooled_at, row.changed_at = (
                False,
                0,
                0,
                None,
                now,
                now,
            )
            event = _event(x, HotspotChange.COOLED, settings, now)
            events.append(event)
            result.changes.append(event.data)
    if events:
        await outbox.stage(session, *events)
    return result


def visible(scope: DataScope) -> ColumnElement[bool]:
    """Hot spots a caller may read: those of their region subtree (industry hot spots span regions)."""
    if scope.unrestricted:
        return true()
    if not scope.prefix:
        return Hotspot.region_code.is_not(None)
    return and_(Hotspot.region_code.is_not(None), Hotspot.region_code.startswith(scope.prefix, autoescape=True))
