"""API shapes of regions and departments (unknown fields refused, identifiers validated and normalised)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from auth_svc.org.models import DepartmentStatus, DepartmentType
from supervision_schemas.auth import RegionLevel
from supervision_schemas.identifiers import UnifiedSocialCreditCode, normalise_text, validate_region_code

NATIONAL_CODES = ("000000", "100000")


def validate_any_region_code(value: str) -> str:
    """A GB/T 2260 code, or 000000/100000 for the national level."""
    code = normalise_text(value)
    return code if code in NATIONAL_CODES else validate_region_code(code)


AnyRegionCode = Annotated[str, AfterValidator(validate_any_region_code)]
Name = Annotated[str, AfterValidator(normalise_text), StringConstraints(min_length=1, max_length=100)]
LongName = Annotated[str, AfterValidator(normalise_text), StringConstraints(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegionCreate(Strict):
    code: AnyRegionCode
    name: Name
    level: RegionLevel | None = Field(default=None, description="Follows from the code; refused if it differs.")
    parent_code: AnyRegionCode | None = Field(
        default=None, description="Defaults to the nearest existing ancestor (city, then province, then national)."
    )


class RegionUpdate(Strict):
    name: Name | None = None
    active: bool | None = None


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    active: bool
    created_at: datetime
    modified_at: datetime | None


class DepartmentCreate(Strict):
    name: LongName
    type: DepartmentType
    region_code: AnyRegionCode
    parent_id: uuid.UUID | None = None
    credit_code: UnifiedSocialCreditCode | None = None


class DepartmentUpdate(Strict):
    name: LongName | None = None
    type: DepartmentType | None = None
    credit_code: UnifiedSocialCreditCode | None = None
    status: DepartmentStatus | None = None


class DepartmentMove(Strict):
    parent_id: uuid.UUID | None = Field(description="New parent department (null: none).")
    region_code: AnyRegionCode | None = Field(default=None, description="New region (default: unchanged).")


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    type: DepartmentType
    region_code: str
    parent_id: uuid.UUID | None
    credit_code: str | None
    status: DepartmentStatus
    created_at: datetime
    modified_at: datetime | None


class ImportRowError(BaseModel):
    line: int = Field(description="Line number in the file (the header is line 1).")
    field: str | None
    message: str


class ImportReport(BaseModel):
    total_rows: int
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError]
