"""Request and response models of supervision routes and departments."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from supervision_schemas.identifiers import ItemCode, NormalisedStr


class RouteCreate(BaseModel):
    """A rule naming the supervising department for an item and/or industry within a region."""

    model_config = ConfigDict(extra="forbid")

    item_code: ItemCode | None = Field(default=None, description="14-digit supervision (or licence) item code.")
    industry_code: str | None = Field(
        default=None, pattern=r"^[A-T](\d{2,4})?$", description="GB/T 4754 industry code or prefix, e.g. F52."
    )
    region_code: str = Field(pattern=r"^\d{6}$", description="The region (subtree) the rule applies to.")
    department_id: uuid.UUID = Field(description="The supervising department.")
    note: NormalisedStr | None = Field(default=None, max_length=500)


class RouteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_code: str | None
    industry_code: str | None
    region_code: str
    department_id: uuid.UUID
    department_name: str
    note: str | None
    created_by: str
    created_at: datetime


class SupervisorRead(BaseModel):
    """The department a route or the catalog names for an item, industry and region."""

    department_id: uuid.UUID
    name: str
    region_code: str


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    department_id: uuid.UUID
    name: str
    department_type: str
    region_code: str
    parent_id: uuid.UUID | None
    credit_code: str | None
    active: bool
