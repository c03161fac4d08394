"""Completion, problem and on-time disclosure rates by department, industry and credit class."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, cast, extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from random_check_svc.library.models import RcDepartment, RcObject
from random_check_svc.stats.schemas import GroupBy, Statistics, StatRow
from random_check_svc.tasks.models import OPEN_STATUSES, RcTask, RcVisit, TaskStatus
from random_check_svc.tasks.service import task_visible, today
from svc_runtime.scope import DataScope
from svc_runtime.workdays import CHINA_TZ


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(key: str, label: str | None, values: dict[str, int]) -> StatRow:
    return StatRow(
        key=key,
        label=label,
        **values,
        completion_rate=_rate(values["completed"], values["tasks"]),
        problem_rate=_rate(values["problems"], values["completed"]),
        on_time_disclosure_rate=_rate(values["published_on_time"], values["published"]),
    )


async def statistics(
    session: AsyncSession,
    *,
    by: GroupBy,
    scope: DataScope | None,
    year: int | None = None,
    plan_id: uuid.UUID | None = None,
    department_id: uuid.UUID | None = None,
    published_only: bool = False,
) -> Statistics:
    """Aggregate tasks in one statement; `scope=None` with `published_only` is the public view."""
    day: date = today()
    match by:
        case GroupBy.DEPARTMENT:
            key: Any = cast(RcTask.department_id, String)
        case GroupBy.INDUSTRY:
            key = func.coalesce(func.left(RcObject.industry_code, 1), literal("unknown"))
        case GroupBy.CREDIT_CLASS:
            key = func.split_part(RcVisit.stratum, "+", 1)
    done = RcTask.status.in_([TaskStatus.SUBMITTED.value, TaskStatus.PUBLISHED.value])
    published_day = func.date(func.timezone(str(CHINA_TZ), RcTask.published_at))
    statement = (
        select(
            key.label("key"),
            func.count().label("tasks"),
            func.count().filter(done).label("completed"),
            func.count().filter(RcTask.problem_found.is_(True)).label("problems"),
            func.count().filter(RcTask.status == TaskStatus.PUBLISHED.value).label("published"),
            func.count().filter(published_day <= RcTask.disclosure_due).label("published_on_time"),
            func.count().filter(RcTask.status.in_(OPEN_STATUSES), RcTask.due_date < day).label("overdue_open"),
            func.count()
            .filter(
                ((RcTask.status == TaskStatus.SUBMITTED.value) & (RcTask.disclosure_due < day))
                | (published_day > RcTask.disclosure_due)
            )
            .label("disclosure_overdue"),
        )
        .select_from(RcTask)
        .join(RcVisit, RcVisit.id == RcTask.visit_id)
        .outerjoin(RcObject, RcObject.object_id == RcTask.object_id)
        .group_by(key)
        .order_by(key)
    )
    if scope is not None:
        statement = statement.where(task_visible(scope))
    if published_only:
        statement = statement.where(RcTask.status == TaskStatus.PUBLISHED.value)
    if year:
        statement = statement.where(cast(extract("year", RcTask.check_date), Integer) == year)
    if plan_id:
        statement = statement.where(RcTask.plan_id == plan_id)
    if department_id:
        statement = statement.where(RcTask.department_id == department_id)
    rows = (await session.execute(statement)).mappings().all()
    labels: dict[str, str] = {}
    if by is GroupBy.DEPARTMENT and rows:
        ids = [uuid.UUID(r["key"]) for r in rows]
        found = await session.execute(
            select(RcDepartment.department_id, RcDepartment.name).where(RcDepartment.department_id.in_(ids))
        )
        labels = {str(k): v for k, v in found.all()}
    fields = ("tasks", "completed", "problems", "published", "published_on_time", "overdue_open", "disclosure_overdue")
    result = [_row(str(r["key"]), labels.get(str(r["key"])), {f: int(r[f]) for f in fields}) for r in rows]
    total = _row("total", None, {f: sum(int(r[f]) for r in rows) for f in fields})
    return Statistics(by=by, year=year, rows=result, total=total)
