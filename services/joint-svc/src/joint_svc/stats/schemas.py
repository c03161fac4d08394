"""Response models of the statistics."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class GroupBy(StrEnum):
    ASSIGNEE = "assignee"  # the receiving department (how well it handles what it gets)
    INITIATOR = "initiator"  # the sending department
    KIND = "kind"


class StatsRow(BaseModel):
    """Volumes and timeliness of one group of tasks."""

    key: str | None
    name: str | None
    total: int
    dispatched: int
    claimed: int
    feedback: int
    ended: int
    cancelled: int
    completed: int
    completed_on_time: int
    completed_late: int
    open: int
    overdue: int
    escalated: int
    timeliness_rate: float | None
    avg_claim_hours: float | None
    avg_completion_hours: float | None


class StatsReport(BaseModel):
    """Statistics over the tasks in your scope (for the evaluation of supervision efficiency)."""

    group_by: GroupBy
    generated_at: datetime
    totals: StatsRow
    rows: list[StatsRow]
