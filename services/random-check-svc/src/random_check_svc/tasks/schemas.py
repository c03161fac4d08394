"""API shapes of tasks, results, evidence and the mobile views."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from random_check_svc.tasks.models import TaskStatus
from supervision_schemas.randomcheck import ResultCategory


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    visit_id: uuid.UUID
    draw_id: uuid.UUID
    plan_id: uuid.UUID
    department_id: uuid.UUID
    object_id: uuid.UUID
    object_name: str | None = None
    uscc: str | None = None
    region_code: str
    joint: bool = False
    item_codes: list[str]
    inspector_ids: list[uuid.UUID]
    status: TaskStatus
    check_date: date
    due_date: date
    overdue: bool = False
    category: ResultCategory | None
    problem_found: bool | None
    summary: str | None
    findings: str | None
    forms: dict[str, Any] | None
    inspection_list_codes: list[str] | None
    checked_on: date | None
    submitted_at: datetime | None
    submitted_by: str | None
    disclosure_due: date | None
    disclosure_overdue: bool = False
    published_at: datetime | None
    published_by: str | None = Field(
        default=None, description="Who disclosed it (`random-check-svc:auto-disclosure` when the deadline came)."
    )


class ResultSubmit(BaseModel):
    """A check's result, entered on the inspection forms of the task's items."""

    model_config = ConfigDict(extra="forbid")

    category: ResultCategory
    checked_on: date = Field(description="The day the check ended; disclosure is due 20 working days later.")
    summary: str | None = Field(default=None, max_length=2000, description="Public summary (disclosed).")
    findings: str | None = Field(default=None, max_length=10_000, description="Internal notes (never disclosed).")
    forms: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per item code, the form's values keyed by field key."
    )


class PublishRequest(BaseModel):
    """Disclose results: these tasks (all must be finished), or every finished task of the draw in your department."""

    model_config = ConfigDict(extra="forbid")

    task_ids: list[uuid.UUID] | None = Field(default=None, max_length=5000)


class PublishResult(BaseModel):
    published: int
    task_ids: list[uuid.UUID]


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    task_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str | None
    uploaded_by: str
    uploaded_at: datetime


class MobileFormField(BaseModel):
    key: str
    label: str
    type: str
    required: bool = False
    options: list[str] = Field(default_factory=list)


class MobileItem(BaseModel):
    code: str
    name: str | None
    inspection_list_code: str | None
    form: list[MobileFormField]


class MobileTask(BaseModel):
    """Everything the enforcement app needs to do one check offline, in one compact record."""

    id: uuid.UUID
    status: TaskStatus
    object_name: str | None
    uscc: str | None
    region_code: str
    check_date: date
    due_date: date
    overdue: bool
    joint: bool
    items: list[MobileItem]
    co_inspectors: list[str] = Field(description="Names of the other inspectors drawn for this task.")
    category: ResultCategory | None
