"""API shapes of inspection implementation lists."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog_svc.inspection.forms import FieldError, FormField, check_form_definition
from catalog_svc.inspection.models import ImplementationLevel, InspectionMethod, ListStatus
from supervision_schemas.identifiers import NormalisedStr, RegionCode, UnifiedSocialCreditCode


class InspectionListCreate(BaseModel):
    """A 检查实施清单 for one (sub) item at one level, implemented by one agency."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_id: uuid.UUID
    level: ImplementationLevel
    agency_uscc: UnifiedSocialCreditCode = Field(description="Implementing agency's 18-character USCC.")
    implementing_agency: NormalisedStr = Field(min_length=1, max_length=200)
    department_id: uuid.UUID | None = Field(default=None, description="Default: the caller's department.")
    region_code: RegionCode
    content: NormalisedStr = Field(min_length=1, max_length=8000, description="检查内容")
    method: InspectionMethod
    basis: NormalisedStr | None = Field(default=None, max_length=4000, description="检查依据")
    frequency: NormalisedStr | None = Field(default=None, max_length=100, description="检查频次, e.g. 每年不少于1次")
    object_scope: NormalisedStr | None = Field(default=None, max_length=4000, description="检查对象范围")
    form: list[FormField] = Field(default_factory=list, max_length=200)

    @field_validator("form")
    @classmethod
    def _unique_keys(cls, value: list[FormField]) -> list[FormField]:
        check_form_definition(value)
        return value


class InspectionListChanges(BaseModel):
    """What an adjustment of a published list changes (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    content: NormalisedStr | None = Field(default=None, min_length=1, max_length=8000, description="检查内容")
    method: InspectionMethod | None = None
    basis: NormalisedStr | None = Field(default=None, max_length=4000, description="检查依据")
    frequency: NormalisedStr | None = Field(default=None, max_length=100, description="检查频次")
    object_scope: NormalisedStr | None = Field(default=None, max_length=4000, description="检查对象范围")
    form: list[FormField] | None = Field(default=None, max_length=200, description="The whole new form.")

    @field_validator("form")
    @classmethod
    def _unique_keys(cls, value: list[FormField] | None) -> list[FormField] | None:
        if value is not None:
            check_form_definition(value)
        return value


class InspectionListAdjustment(BaseModel):
    """Adjustment of a published list (e.g. after its basis was amended): a new version under the same code."""

    model_config = ConfigDict(extra="forbid")

    changes: InspectionListChanges
    reason: NormalisedStr = Field(min_length=1, max_length=2000)


class InspectionListAbolition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: NormalisedStr = Field(min_length=1, max_length=2000)


class InspectionListRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    code: str | None
    level: ImplementationLevel
    agency_uscc: str
    implementing_agency: str
    department_id: uuid.UUID | None
    region_code: str
    content: str
    method: InspectionMethod
    basis: str | None
    frequency: str | None
    object_scope: str | None
    form: list[FormField]
    status: ListStatus
    version: int
    published_at: datetime | None
    abolished_at: datetime | None = None
    abolished_reason: str | None = None
    created_at: datetime


class FilledForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any]


class FormCheck(BaseModel):
    valid: bool
    errors: list[FieldError]


class ListVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    status: ListStatus
    reason: str | None
    actor: str | None
    created_at: datetime
    snapshot: dict[str, Any]
