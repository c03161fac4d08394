"""API shapes of schemes, grades, explanations and history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from credit_svc.grading.indicators import Category, SchemeDefinition
from credit_svc.grading.models import GradeTrigger, SchemeStatus
from credit_svc.overrides.schemas import OverrideRead


class SchemeCreate(SchemeDefinition):
    """A new version of a scheme (a new key starts at version 1); it starts as a draft."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9-]{1,63}$", description="Scheme key, e.g. `samr-2022`.")
    name: str = Field(min_length=2, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    region_prefix: str = Field(
        default="",
        pattern=r"^(\d{2}|\d{4}|\d{6})?$",
        description="Region (GB/T 2260 prefix: 2, 4 or 6 digits) the scheme grades; empty for national.",
    )


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recompute: bool = Field(default=True, description="Start a full recompute once activated.")


class SchemeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    version: int
    name: str
    description: str | None
    region_prefix: str
    status: SchemeStatus
    base_score: float
    min_score: float
    max_score: float
    classes: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    forced: list[dict[str, Any]]
    model_weight: float
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None


class FeatureInfo(BaseModel):
    name: str
    category: Category
    windowed: bool
    unit: str
    description: str


class Factor(BaseModel):
    """One indicator's part in a grade."""

    indicator: str
    name: str
    category: str
    value: float = Field(description="The feature value the indicator read.")
    contribution: float = Field(description="Points added to (or taken from) the base score.")


class GradeRead(BaseModel):
    """An object's current grade with the factors that make it up and what moved it last."""

    object_id: uuid.UUID
    uscc: str | None
    name: str
    kind: str
    region_code: str
    department_id: uuid.UUID | None
    industry_code: str | None
    risk_class: str
    class_meaning: str | None
    score: float
    rule_score: float
    model_score: float | None
    base_score: float | None
    scheme_key: str
    scheme_version: int
    automatic_class: str | None = Field(default=None, description="The rules' class (differs under an override).")
    override: OverrideRead | None = Field(default=None, description="The manual override that set the class, if any.")
    previous_class: str | None
    previous_score: float | None
    factors: list[Factor] = Field(description="Indicators that add or take points, largest first.")
    moved_by: list[Factor] = Field(description="Change of each indicator's contribution at the last change.")
    trigger: GradeTrigger
    trigger_ref: str | None
    graded_at: datetime


class HistoryRead(BaseModel):
    id: int
    object_id: uuid.UUID
    scheme_key: str
    scheme_version: int
    score: float
    rule_score: float
    model_score: float | None
    risk_class: str
    previous_class: str | None
    previous_score: float | None
    automatic_class: str | None = Field(default=None, description="The rules' class at this entry.")
    override_id: uuid.UUID | None = Field(default=None, description="The override that set the class, if any.")
    factors: list[Factor]
    trigger: GradeTrigger
    trigger_ref: str | None
    graded_at: datetime


class ClassCount(BaseModel):
    risk_class: str
    objects: int
    share: float


class Distribution(BaseModel):
    total: int
    classes: list[ClassCount]
    ungraded: int = Field(description="Active objects in scope without a grade yet.")
