"""API shapes of check plans."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from random_check_svc.plans.models import PlanKind, PlanStatus
from supervision_schemas.datahub import ObjectKind


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Ratio = Annotated[
    float, Field(ge=0.0, le=1.0, description="Share of the stratum drawn, 0..1."), AfterValidator(_finite)
]
ItemCodeStr = Annotated[str, StringConstraints(pattern=r"^\d{14}$")]
IndustryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,10}$")]


class PlanDepartmentIn(BaseModel):
    """A participating department and the random-check items it checks on each visit."""

    model_config = ConfigDict(extra="forbid")

    department_id: uuid.UUID
    item_codes: list[ItemCodeStr] = Field(min_length=1, max_length=30)


class PlanCreate(BaseModel):
    """A check plan (抽查计划) for a year; several departments make it a joint plan (进一次门、查多项事)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    region_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="Objects of this region are drawn (default: yours)."
    )
    department_id: uuid.UUID | None = Field(default=None, description="Initiating department (default: yours).")
    departments: list[PlanDepartmentIn] = Field(
        min_length=1, max_length=20, description="Participants, the initiating department among them."
    )
    class_ratios: dict[str, Ratio] = Field(
        default_factory=dict, description='Ratio per credit class, e.g. {"A": 0, "B": 0.05, "D": 0.7}; others default.'
    )
    lead_ratio: Ratio | None = Field(default=None, description="Ratio for objects with an open lead.")
    object_kinds: list[ObjectKind] = Field(default_factory=list, max_length=6, description="Only these kinds.")
    industry_codes: list[IndustryCode] = Field(default_factory=list, max_length=50, description="Industry prefixes.")
    recent_check_days: int | None = Field(
        default=None, ge=0, le=3650, description="Skip objects checked this recently."
    )
    max_checks_per_period: int | None = Field(
        default=None, ge=1, le=100, description="Cap of checks of one object across departments per period."
    )
    cap_period_days: int | None = Field(default=None, ge=1, le=3650)
    inspectors_per_object: int = Field(default=2, ge=2, le=10, description="Inspectors per department and object.")
    task_deadline_workdays: int | None = Field(default=None, ge=1, le=250)
    description: str | None = Field(default=None, max_length=4000)


class PlanUpdate(BaseModel):
    """Change a plan before its first draw has run (afterwards it is on record)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    class_ratios: dict[str, Ratio] | None = None
    lead_ratio: Ratio | None = None
    recent_check_days: int | None = Field(default=None, ge=0, le=3650)
    max_checks_per_period: int | None = Field(default=None, ge=1, le=100)
    cap_period_days: int | None = Field(default=None, ge=1, le=3650)
    inspectors_per_object: int | None = Field(default=None, ge=2, le=10)
    task_deadline_workdays: int | None = Field(default=None, ge=1, le=250)
    description: str | None = Field(default=None, max_length=4000)


class PlanDepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    department_id: uuid.UUID
    department_name: str | None = None
    item_codes: list[str]


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    year: int
    kind: PlanKind
    status: PlanStatus
    department_id: uuid.UUID
    region_code: str
    departments: list[PlanDepartmentRead]
    class_ratios: dict[str, float]
    lead_ratio: float
    object_kinds: list[str]
    industry_codes: list[str]
    recent_check_days: int
    max_checks_per_period: int
    cap_period_days: int
    inspectors_per_object: int
    task_deadline_workdays: int
    description: str | None
    created_by: str
    created_at: datetime
