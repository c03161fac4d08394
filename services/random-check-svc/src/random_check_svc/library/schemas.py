"""API shapes of the list and the two databases."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from random_check_svc.library.models import ConflictReason, ItemStatus, ObjectStatus


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_id: uuid.UUID
    code: str
    version: int
    kind: str
    parent_code: str | None
    name: str
    item_type: str
    supervision_level: str
    implementing_department: str
    department_id: uuid.UUID | None
    region_code: str
    domain: str | None
    object_types: list[str]
    random_check: bool
    status: ItemStatus


class FormFieldRead(BaseModel):
    key: str
    label: str
    type: str
    required: bool = False
    options: list[str] = Field(default_factory=list)


class InspectionFormRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    list_id: uuid.UUID
    code: str
    item_code: str
    version: int
    implementing_agency: str
    method: str
    form: list[FormFieldRead]
    published_at: datetime


class ObjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object_id: uuid.UUID
    kind: str | None
    name: str
    uscc: str | None
    region_code: str
    department_id: uuid.UUID | None
    industry_code: str | None
    status: ObjectStatus
    status_reason: str | None
    merged_into: uuid.UUID | None
    credit_class: str | None = Field(description="Credit risk class (not public).")
    version: int


class ObjectStatusUpdate(BaseModel):
    """Take an object out of the population (注销/吊销/关闭) or bring it back."""

    model_config = ConfigDict(extra="forbid")

    status: ObjectStatus = Field(description="`active` or `deregistered` (merges come from the data hub).")
    reason: str = Field(min_length=1, max_length=500)


class InspectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    name: str
    department_id: uuid.UUID
    region_code: str
    certificate_number: str | None
    certificate_valid_from: date | None
    certificate_valid_until: date | None
    qualifications: list[str]
    status: str


class ConflictCreate(BaseModel):
    """Declare a conflict of interest (利害关系): the inspector will never be drawn for the object."""

    model_config = ConfigDict(extra="forbid")

    inspector_id: uuid.UUID
    object_id: uuid.UUID
    reason: ConflictReason
    note: str | None = Field(default=None, max_length=1000)


class ConflictRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    inspector_id: uuid.UUID
    object_id: uuid.UUID
    reason: ConflictReason
    note: str | None
    department_id: uuid.UUID
    region_code: str
    declared_by: str
    declared_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
