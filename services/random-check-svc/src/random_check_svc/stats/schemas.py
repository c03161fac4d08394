"""API shapes of statistics."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class GroupBy(StrEnum):
    DEPARTMENT = "department"
    INDUSTRY = "industry"  # GB/T 4754 section (first character of the industry code)
    CREDIT_CLASS = "credit_class"  # class at draw time; not public


class StatRow(BaseModel):
    key: str
    label: str | None = None
    tasks: int
    completed: int
    problems: int
    published: int
    published_on_time: int
    overdue_open: int
    disclosure_overdue: int
    completion_rate: float | None
    problem_rate: float | None
    on_time_disclosure_rate: float | None


class Statistics(BaseModel):
    by: GroupBy
    year: int | None
    rows: list[StatRow]
    total: StatRow
