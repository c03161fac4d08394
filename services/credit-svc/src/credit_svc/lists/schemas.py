"""API shapes of department red and black lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from credit_svc.lists.models import DepartmentListType, ListStatus
from supervision_schemas.identifiers import NormalisedStr, RegionCode

ClassLabel = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListCreate(Strict):
    """A department's red or black list."""

    list_type: DepartmentListType
    name: NormalisedStr = Field(min_length=2, max_length=200)
    description: NormalisedStr | None = Field(default=None, max_length=4000)
    criteria: NormalisedStr | None = Field(default=None, max_length=4000, description="认定标准: who goes on it.")
    department_id: uuid.UUID | None = Field(default=None, description="Owning department (default: yours).")
    department_name: NormalisedStr | None = Field(default=None, max_length=200)
    region_code: RegionCode | None = Field(default=None, description="Region the list covers (default: yours).")
    default_validity_days: int | None = Field(default=None, ge=1, le=3650, description="Validity of a new entry.")
    auto_classes: list[ClassLabel] = Field(
        default_factory=list,
        max_length=10,
        description='Objects graded in these classes join and leave the list automatically (e.g. ["D"]).',
    )
    auto_same_department: bool = Field(
        default=False, description="Automatic entries only for objects this department supervises."
    )


class ListUpdate(Strict):
    """Fields of a list that can change (entries made by a changed rule are brought in line at once)."""

    name: NormalisedStr | None = Field(default=None, min_length=2, max_length=200)
    description: NormalisedStr | None = Field(default=None, max_length=4000)
    criteria: NormalisedStr | None = Field(default=None, max_length=4000)
    default_validity_days: int | None = Field(default=None, ge=1, le=3650)
    auto_classes: list[ClassLabel] | None = Field(default=None, max_length=10)
    auto_same_department: bool | None = None
    status: ListStatus | None = None


class ListRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    list_type: DepartmentListType
    name: str
    description: str | None
    criteria: str | None
    department_id: uuid.UUID
    department_name: str | None
    region_code: str
    default_validity_days: int | None
    auto_classes: list[str]
    auto_same_department: bool
    status: ListStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    active_entries: int = 0


class EntryCreate(Strict):
    """Put an object on a department list by decision."""

    object_id: uuid.UUID
    reason: NormalisedStr = Field(min_length=2, max_length=4000)
    decided_on: date
    effective_until: date | None = Field(default=None, description="Default: decided_on + the list's validity.")
    legal_basis: NormalisedStr | None = Field(default=None, max_length=4000)
    document_number: NormalisedStr | None = Field(default=None, max_length=100)
    public: bool = True

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.effective_until is not None and self.effective_until <= self.decided_on:
            raise ValueError("effective_until must be after decided_on")
        return self
