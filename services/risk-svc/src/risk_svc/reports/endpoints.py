"""Risk reports for leaders: by region, industry and model, as JSON or CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from risk_svc.reports import service as report_service
from risk_svc.reports.schemas import GroupBy, RiskReport
from svc_runtime.db import SessionDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/warnings",
    response_model=RiskReport,
    responses={200: {"content": {"text/csv": {}}, "description": "The report as JSON, or CSV with format=csv."}},
)
async def warning_report(
    session: SessionDep,
    scope: DataScopeDep,
    group_by: Annotated[GroupBy, Query(description="Group by region, industry (GB/T 4754 section) or model.")],
    date_from: Annotated[datetime | None, Query(description="Warnings raised at or after this time.")] = None,
    date_to: Annotated[datetime | None, Query(description="Warnings raised before this time.")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> RiskReport | Response:
    """Warnings by region, industry or model: counts, levels, disposal rate and precision."""
    report = await report_service.warning_report(session, scope, group_by, date_from, date_to)
    if format == "csv":
        return Response(
            report_service.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="risk-report-{group_by.value}.csv"'},
        )
    return report
