"""Shapes of risk reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class GroupBy(StrEnum):
    REGION = "region"
    INDUSTRY = "industry"
    MODEL = "model"


class ReportRow(BaseModel):
    group: str
    total: int
    open: int
    red: int
    orange: int
    yellow: int
    blue: int
    disposed: int
    confirmed: int
    false_alarms: int
    disposal_rate: float | None
    precision: float | None


class RiskReport(BaseModel):
    group_by: GroupBy
    date_from: datetime | None
    date_to: datetime | None
    rows: list[ReportRow]
