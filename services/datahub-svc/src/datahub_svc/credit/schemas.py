"""API shapes of the credit library."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from datahub_svc.objects.schemas import ChineseDate
from supervision_schemas.credit import CreditListType, ListAction


class CreditRecordType(StrEnum):
    GRADE = "grade"
    LIST_ENTRY = "list_entry"


class CreditRecordIn(BaseModel):
    """Credit information from another agency: a grade (e.g. a tax credit level) or a list entry (e.g. 失信名单).

    `reference` is the provider's key of the record; a grade replaces the provider's earlier grade of the object.
    """

    model_config = ConfigDict(extra="forbid")

    record_type: CreditRecordType
    reference: str = Field(max_length=100, description="The provider's id of the grade or list entry.")
    uscc: str | None = Field(default=None, max_length=40)
    name: str = Field(max_length=300, description="The object's name.")
    region_code: str = Field(max_length=20)
    risk_class: str | None = Field(default=None, max_length=2, description="Grades: the class, e.g. A-D.")
    score: float | None = None
    scheme: str | None = Field(default=None, max_length=100, description="Grades: which grading scheme.")
    list_type: CreditListType | None = Field(default=None, description="List entries: which list.")
    action: ListAction | None = Field(default=None, description="List entries: added, removed or repaired.")
    reason: str | None = Field(default=None, max_length=2000)
    effective_from: ChineseDate = None
    effective_until: ChineseDate = None
    occurred_at: AwareDatetime


class CreditBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[CreditRecordIn] = Field(min_length=1, max_length=1000)
    source: str | None = Field(default=None, max_length=100)


class CreditRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_type: str
    object_id: uuid.UUID | None
    uscc: str | None
    name: str
    region_code: str
    department_id: uuid.UUID | None
    risk_class: str | None
    previous_class: str | None
    score: float | None
    scheme: str | None
    scheme_version: int | None
    factors: list[Any]
    list_type: str | None
    action: str | None
    reason: str | None
    effective_from: date | None
    effective_until: date | None
    occurred_at: datetime
    link_method: str
    source: str | None
