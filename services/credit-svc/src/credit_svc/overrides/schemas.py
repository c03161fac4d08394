"""API shapes of manual class overrides."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from credit_svc.overrides.models import OverrideStatus
from supervision_schemas.identifiers import NormalisedStr


class OverrideCreate(BaseModel):
    """Set an object's risk class by decision, for a limited period (the rules' class resumes after it)."""

    model_config = ConfigDict(extra="forbid")

    risk_class: str = Field(pattern=r"^[A-Z]$", description="A class label of the object's scheme, e.g. A..D.")
    reason: NormalisedStr = Field(min_length=5, max_length=4000, description="Why the rules' class is not right.")
    legal_basis: NormalisedStr = Field(min_length=2, max_length=4000, description="设定依据: the rule that allows it.")
    document_number: NormalisedStr | None = Field(default=None, max_length=100, description="决定书文号, if any.")
    valid_from: date | None = Field(default=None, description="First day in force (default: today, China time).")
    valid_until: date = Field(description="First day no longer in force: the automatic class resumes on it.")

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.valid_from is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class OverrideLift(BaseModel):
    """End an override before its validity ends."""

    model_config = ConfigDict(extra="forbid")

    reason: NormalisedStr = Field(min_length=5, max_length=4000)


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_id: uuid.UUID
    risk_class: str
    automatic_class: str | None = Field(description="The rules' class when the override was decided.")
    status: OverrideStatus
    in_force: bool = Field(default=False, description="Active and within its validity today.")
    reason: str
    legal_basis: str
    document_number: str | None
    valid_from: date
    valid_until: date
    region_code: str
    department_id: uuid.UUID | None
    decided_by: str
    decided_by_department_id: uuid.UUID | None
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None
