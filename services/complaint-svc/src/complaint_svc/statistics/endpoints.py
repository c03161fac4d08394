"""Statistics and hot spots of complaints and reports (by category, industry, region, object, department...)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import Float, SQLColumnExpression, String, and_, cast, func, or_, select

from complaint_svc import access, categories
from complaint_svc.complaints.models import Complaint
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/statistics", tags=["statistics"])


class Dimension(StrEnum):
    CATEGORY = "category"
    INDUSTRY = "industry"
    REGION = "region"
    OBJECT = "object"
    DEPARTMENT = "department"
    CHANNEL = "channel"
    KIND = "kind"
    STATUS = "status"


class GroupStats(BaseModel):
    key: str
    label: str
    total: int
    open: int
    overdue: int
    closed: int
    repeats: int
    replied_on_time_rate: float | None
    average_satisfaction: float | None


class Summary(BaseModel):
    group_by: Dimension
    since: datetime | None
    until: datetime | None
    groups: list[GroupStats]


class Hotspot(BaseModel):
    key: str
    label: str
    count: int
    previous_count: int
    growth: float | None


class Hotspots(BaseModel):
    dimension: Dimension
    days: int
    items: list[Hotspot]


def _key(dimension: Dimension, region_digits: int) -> tuple[Any, Any]:
    """SQL for a group's key, and an aggregate for its label."""
    c = Complaint
    key: SQLColumnExpression[Any]
    match dimension:
        case Dimension.INDUSTRY:
            key = func.coalesce(c.target_industry_code, "unknown")
        case Dimension.REGION:
            key = func.rpad(func.substr(c.region_code, 1, region_digits), 6, "0")
        case Dimension.OBJECT:
            key = func.coalesce(cast(c.target_object_id, String), c.target_uscc, c.target_name_core, "unknown")
            return key, func.max(func.coalesce(c.target_name, c.target_uscc, "unknown"))
        case Dimension.DEPARTMENT:
            key = func.coalesce(cast(c.department_id, String), "unrouted")
            return key, func.max(func.coalesce(c.department_name, "unrouted"))
        case _:
            key = getattr(c, dimension.value)
    return key, func.max(key)


def _label(dimension: Dimension, key: str, label: str) -> str:
    if dimension is Dimension.CATEGORY:
        return categories.BY_CODE.get(key, categories.OTHER).name
    return label


RegionDigits = Annotated[int, Query(ge=2, le=6, description="Group regions by province (2), city (4) or county (6).")]


@router.get("/summary", response_model=Summary)
async def summary(
    session: SessionDep,
    scope: DataScopeDep,
    group_by: Annotated[Dimension, Query(description="The dimension to group by.")] = Dimension.CATEGORY,
    since: Annotated[datetime | None, Query(description="Received at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Received before.")] = None,
    region_digits: RegionDigits = 6,
) -> Summary:
    """Volumes, open and overdue counts, timeliness and satisfaction per group, within your data scope."""
    c = Complaint
    key, label = _key(group_by, region_digits)
    now = func.now()
    open_ = c.status.in_(["received", "accepted", "dispatched", "handling"])
    late = or_(
        and_(c.status == "received", c.accept_due < now),
        and_(c.status.in_(["accepted", "dispatched", "handling"]), c.handle_due < now),
    )
    replied = c.replied_at.is_not(None) & c.handle_due.is_not(None)
    statement = (
        select(
            key.label("key"),
            label.label("label"),
            func.count().label("total"),
            func.count().filter(open_).label("open"),
            func.count().filter(late).label("overdue"),
            func.count().filter(c.status.in_(["closed", "visited", "rated"])).label("closed"),
            func.count().filter(c.status == "merged").label("repeats"),
            (
                cast(func.count().filter(replied & (c.replied_at <= c.handle_due)), Float)
                / func.nullif(func.count().filter(replied), 0)
            ).label("on_time"),
            func.avg(c.satisfaction).label("satisfaction"),
        )
        .where(access.visible(scope))
        .group_by(key)
        .order_by(func.count().desc())
        .limit(200)
    )
    if since is not None:
        statement = statement.where(c.received_at >= since)
    if until is not None:
        statement = statement.where(c.received_at < until)
    rows = (await session.execute(statement)).all()
    groups = [
        GroupStats(
            key=str(r.key),
            label=_label(group_by, str(r.key), str(r.label)),
            total=r.total,
            open=r.open,
            overdue=r.overdue,
            closed=r.closed,
            repeats=r.repeats,
            replied_on_time_rate=round(float(r.on_time), 4) if r.on_time is not None else None,
            average_satisfaction=round(float(r.satisfaction), 2) if r.satisfaction is not None else None,
        )
        for r in rows
    ]
    return Summary(group_by=group_by, since=since, until=until, groups=groups)


@router.get("/hotspots", response_model=Hotspots)
async def hotspots(
    session: SessionDep,
    scope: DataScopeDep,
    dimension: Annotated[Dimension, Query(description="industry, region, object or category.")] = Dimension.OBJECT,
    days: Annotated[
        int, Query(ge=1, le=366, description="The window: the last N days, compared with the N before.")
    ] = 30,
    limit: Annotated[int, Query(ge=1, le=100, description="How many hot spots.")] = 10,
    region_digits: RegionDigits = 6,
) -> Hotspots:
    """The groups with the most complaints in the window, with the previous window's count for comparison."""
    c = Complaint
    key, label = _key(dimension, region_digits)
    now = utc_now()
    start, previous = now - timedelta(days=days), now - timedelta(days=2 * days)
    current = func.count().filter(c.received_at >= start)
    statement = (
        select(
            key.label("key"),
            label.label("label"),
            current.label("count"),
            func.count().filter(c.received_at < start).label("previous"),
        )
        .where(access.visible(scope), c.received_at >= previous)
        .group_by(key)
        .having(current > 0)
        .order_by(current.desc(), key)
        .limit(limit)
    )
    if dimension is Dimension.OBJECT:  # complaints about no identifiable target are no hot spot
        statement = statement.where(
            or_(c.target_object_id.is_not(None), c.target_uscc.is_not(None), c.target_name_core.is_not(None))
        )
    rows = (await session.execute(statement)).all()
    items = [
        Hotspot(
            key=str(r.key),
            label=_label(dimension, str(r.key), str(r.label)),
            count=r.count,
            previous_count=r.previous,
            growth=round((r.count - r.previous) / r.previous, 4) if r.previous else None,
        )
        for r in rows
    ]
    return Hotspots(dimension=dimension, days=days, items=items)
