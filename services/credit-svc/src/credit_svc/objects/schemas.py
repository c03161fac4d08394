"""API shapes of the object view and credit profiles."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from credit_svc.grading.schemas import GradeRead
from credit_svc.records.schemas import RecordRead


class CreditObjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object_id: uuid.UUID
    kind: str
    name: str
    uscc: str | None
    owner_uscc: str | None
    code: str | None
    region_code: str
    department_id: uuid.UUID | None
    industry_code: str | None
    status: str
    merged_into: uuid.UUID | None
    version: int
    updated_at: datetime
    risk_class: str | None = None
    score: float | None = None


class WarningSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    warning_id: uuid.UUID
    level: str
    title: str
    model_key: str
    score: float
    raised_at: datetime


class CreditProfile(BaseModel):
    """Everything credit-svc knows about an object: grade, records in force and open warnings."""

    object: CreditObjectRead
    grade: GradeRead | None
    records: list[RecordRead]
    open_warnings: list[WarningSummary]
