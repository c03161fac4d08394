"""API shapes of data quality."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from supervision_schemas.datahub import QualityDimension


class ErrorStatus(StrEnum):
    OPEN = "open"
    FIXED = "fixed"
    DISMISSED = "dismissed"


class RuleRead(BaseModel):
    id: str
    library: str
    dimension: QualityDimension
    field: str | None
    description: str


class QualityErrorRead(BaseModel):
    """An error in data a department provided; open until corrected (fixed) or dismissed with a reason."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    library: str
    rule: str
    dimension: QualityDimension
    field: str | None
    reason: str
    record_id: uuid.UUID | None
    record_ref: str
    provider_department_id: uuid.UUID | None
    region_code: str | None
    source: str | None
    job_id: uuid.UUID | None
    row_number: int | None
    status: ErrorStatus
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=2, max_length=2000, description="Why the data is right or the rule does not apply.")


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    library: str = Field(description="Which library to check again (objects, behaviour, personnel...).")


class ScanResult(BaseModel):
    library: str
    raised: int
    fixed: int


class ScoreRead(BaseModel):
    """Quality of one department's data in one library: each dimension 0..1, and their mean."""

    library: str
    department_id: uuid.UUID | None
    records: int
    rejected_rows: int
    completeness: float
    validity: float
    timeliness: float
    score: float
    open_errors: int
