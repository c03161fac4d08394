"""Volumes, timeliness and overdue tasks, grouped by department or kind, over the tasks in scope."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, Select, String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from joint_svc.engine.machines import OPEN_NATIONAL
from joint_svc.stats.schemas import GroupBy, StatsReport, StatsRow
from joint_svc.tasks.models import JointTask
from joint_svc.tasks.service import scope_condition
from supervision_schemas.joint import JointTaskKind, TaskOrigin
from svc_runtime.db import utc_now
from svc_runtime.scope import DataScope
from svc_runtime.workdays import CHINA_TZ

T = JointTask


def _columns(now: datetime) -> list[ColumnElement[Any]]:
    completed_at = func.coalesce(T.fed_back_at, T.ended_at)
    done = and_(T.national_status.in_(("feedback", "ended")), T.state != "cancelled")
    hours = lambda a, b: func.extract("epoch", a - b) / 3600.0  # noqa: E731
    return [
        func.count().label("total"),
        func.count().filter(T.national_status == "dispatched").label("dispatched"),
        func.count().filter(T.national_status == "claimed").label("claimed"),
        func.count().filter(T.national_status == "feedback").label("feedback"),
        func.count().filter(and_(T.national_status == "ended", T.state != "cancelled")).label("ended"),
        func.count().filter(T.state == "cancelled").label("cancelled"),
        func.count().filter(done).label("completed"),
        func.count().filter(and_(done, T.deadline.is_not(None), completed_at <= T.deadline)).label("on_time"),
        func.count().filter(and_(done, T.deadline.is_not(None), completed_at > T.deadline)).label("late"),
        func.count().filter(T.national_status.in_(OPEN_NATIONAL)).label("open"),
        func.count().filter(and_(T.national_status.in_(OPEN_NATIONAL), T.deadline < now)).label("overdue"),
        func.count().filter(T.escalation_level > 0).label("escalated"),
        cast(func.avg(hours(T.claimed_at, T.created_at)), Float).label("avg_claim_hours"),
        cast(func.avg(hours(completed_at, T.created_at)).filter(done), Float).label("avg_completion_hours"),
    ]


def _row(key: str | None, name: str | None, r: Any) -> StatsRow:
    with_deadline = r.on_time + r.late
    return StatsRow(
        key=key,
        name=name,
        total=r.total,
        dispatched=r.dispatched,
        claimed=r.claimed,
        feedback=r.feedback,
        ended=r.ended,
        cancelled=r.cancelled,
        completed=r.completed,
        completed_on_time=r.on_time,
        completed_late=r.late,
        open=r.open,
        overdue=r.overdue,
        escalated=r.escalated,
        timeliness_rate=round(r.on_time / with_deadline, 4) if with_deadline else None,
        avg_claim_hours=round(r.avg_claim_hours, 2) if r.avg_claim_hours is not None else None,
        avg_completion_hours=round(r.avg_completion_hours, 2) if r.avg_completion_hours is not None else None,
    )


def _filtered(
    statement: Select[Any],
    scope: DataScope,
    *,
    kind: JointTaskKind | None,
    origin: TaskOrigin | None,
    region_code: str | None,
    created_from: date | None,
    created_to: date | None,
) -> Select[Any]:
    statement = statement.where(scope_condition(scope), T.kind != JointTaskKind.CAMPAIGN.value)
    if kind is not None:
        statement = statement.where(T.kind == kind.value)
    if origin is not None:
        statement = statement.where(T.origin == origin.value)
    if region_code is not None:
        statement = statement.where(T.region_code.startswith(region_code, autoescape=True))
    if created_from is not None:
        statement = statement.where(T.created_at >= datetime.combine(created_from, datetime.min.time(), CHINA_TZ))
    if created_to is not None:
        statement = statement.where(T.created_at < datetime.combine(created_to, datetime.max.time(), CHINA_TZ))
    return statement


async def report(
    session: AsyncSession,
    scope: DataScope,
    *,
    group_by: GroupBy,
    kind: JointTaskKind | None = None,
    origin: TaskOrigin | None = None,
    region_code: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> StatsReport:
    """Counts by national status, completions on time and late, open and overdue tasks, average durations."""
    now = utc_now()
    filters: dict[str, Any] = {
        "kind": kind,
        "origin": origin,
        "region_code": region_code,
        "created_from": created_from,
        "created_to": created_to,
    }
    key: ColumnElement[Any]
    name: ColumnElement[Any]
    if group_by is GroupBy.ASSIGNEE:
        key, name = cast(T.assignee_department_id, String).label("k"), func.max(T.assignee_department_name)
    elif group_by is GroupBy.INITIATOR:
        key, name = cast(T.initiator_department_id, String).label("k"), func.max(T.initiator_department_name)
    else:
        key, name = T.kind.label("k"), literal(None)
    grouped = (
        _filtered(select(key, name.label("n"), *_columns(now)), scope, **filters)
        .group_by(key)
        .order_by(func.count().desc(), key)
    )
    rows = [_row(r.k, r.n, r) for r in (await session.execute(grouped)).all()]
    total = (await session.execute(_filtered(select(*_columns(now)), scope, **filters))).one()
    return StatsReport(group_by=group_by, generated_at=now, totals=_row(None, None, total), rows=rows)
