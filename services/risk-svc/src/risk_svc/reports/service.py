"""Risk reports: warnings by region, industry or model with levels and disposal rates, within data scope."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import SQLColumnExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.reports.schemas import GroupBy, ReportRow, RiskReport
from risk_svc.warnings.models import RiskWarning, WarningStatus
from supervision_schemas.risk import DisposalOutcome, WarningLevel
from svc_runtime.scope import DataScope


async def warning_report(
    session: AsyncSession, scope: DataScope, group_by: GroupBy, date_from: datetime | None, date_to: datetime | None
) -> RiskReport:
    w = RiskWarning
    group: SQLColumnExpression[Any]
    match group_by:
        case GroupBy.REGION:
            group = w.region_code
        case GroupBy.INDUSTRY:
            group = func.coalesce(func.left(w.industry_code, 1), "unknown")
        case GroupBy.MODEL:
            group = w.model_key
    level_counts = [func.count().filter(w.level == lv.value) for lv in WarningLevel]
    stmt = select(
        group.label("g"),
        func.count(),
        func.count().filter(w.status == WarningStatus.OPEN),
        *level_counts,
        func.count().filter(w.status == WarningStatus.CLOSED),
        func.count().filter(w.outcome.in_([DisposalOutcome.CONFIRMED, DisposalOutcome.ACTION_TAKEN])),
        func.count().filter(w.outcome == DisposalOutcome.FALSE_ALARM),
    )
    stmt = scope.filter(stmt, region=w.region_code, department=w.responsible_department_id)
    if date_from is not None:
        stmt = stmt.where(w.raised_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(w.raised_at < date_to)
    rows = []
    for g, total, open_, red, orange, yellow, blue, disposed, confirmed, false_alarms in (
        await session.execute(stmt.group_by(group).order_by(group))
    ).all():
        rows.append(
            ReportRow(
                group=str(g),
                total=total,
                open=open_,
                red=red,
                orange=orange,
                yellow=yellow,
                blue=blue,
                disposed=disposed,
                confirmed=confirmed,
                false_alarms=false_alarms,
                disposal_rate=round(disposed / total, 4) if total else None,
                precision=round(confirmed / (confirmed + false_alarms), 4) if confirmed + false_alarms else None,
            )
        )
    return RiskReport(group_by=group_by, date_from=date_from, date_to=date_to, rows=rows)


def to_csv(report: RiskReport) -> str:
    out = io.StringIO()
    fields = list(ReportRow.model_fields)
    writer = csv.DictWriter(out, fieldnames=[report.group_by.value, *fields[1:]])
    writer.writeheader()
    for row in report.rows:
        data = row.model_dump()
        data[report.group_by.value] = data.pop("group")
        writer.writerow(data)
    return out.getvalue()
