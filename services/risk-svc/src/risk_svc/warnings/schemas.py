"""API shapes of warnings and disposal feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from risk_svc.warnings.models import WarningStatus
from supervision_schemas.identifiers import NormalisedStr
from supervision_schemas.risk import DisposalOutcome, WarningLevel


class FeedbackCreate(BaseModel):
    """How the responsible department disposed of a warning."""

    model_config = ConfigDict(extra="forbid")

    outcome: DisposalOutcome
    action: NormalisedStr | None = Field(default=None, max_length=2000, description="What was done (核查处置).")
    note: NormalisedStr | None = Field(default=None, max_length=2000)


class DisposalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    warning_id: uuid.UUID
    model_key: str
    model_version: int
    outcome: DisposalOutcome
    action: str | None
    note: str | None
    recorded_by: str
    recorded_at: datetime
    source: str = Field(
        description="Where the feedback came from: /risk-svc (this API) or /joint-svc (a disposal task)."
    )


class WarningRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_key: str
    object_name: str
    uscc: str | None
    object_id: str | None
    region_code: str
    industry_code: str | None
    model_key: str
    model_version: int
    rule_id: str
    title: str
    domain: str
    level: WarningLevel
    score: float
    status: WarningStatus
    responsible_department_id: uuid.UUID | None
    responsible_department: str
    evidence: dict[str, Any]
    properties: dict[str, Any]
    update_count: int
    raised_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    outcome: DisposalOutcome | None
