"""Events of auth-svc: the organisation tree and its people (统一身份认证)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData

ORG_TOPIC = "supervision.auth.org"
STAFF_TOPIC = "supervision.auth.staff"


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    MOVED = "moved"
    DEACTIVATED = "deactivated"


class RegionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class StaffStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    LEFT = "left"


class RegionChangedData(EventData):
    """An administrative region (GB/T 2260) was created or changed."""

    change: Change
    region_code: str = Field(pattern=r"^\d{6}$")
    name: str
    level: RegionLevel
    parent_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    active: bool
    changed_at: AwareDatetime


class RegionChanged(CloudEvent):
    """`gov.supervision.auth.region.changed.v1` (key: region code)"""

    topic: ClassVar[str] = ORG_TOPIC
    type: Literal["gov.supervision.auth.region.changed.v1"] = "gov.supervision.auth.region.changed.v1"
    data: RegionChangedData


class DepartmentChangedData(EventData):
    """A department was created, changed, moved or deactivated."""

    change: Change
    department_id: uuid.UUID
    name: str
    department_type: str = Field(
        description="e.g. market_regulation, drugs, ecology_environment, emergency, housing, health"
    )
    region_code: str = Field(pattern=r"^\d{6}$")
    parent_id: uuid.UUID | None = None
    credit_code: str | None = Field(default=None, description="Unified social credit code of the agency.")
    active: bool
    changed_at: AwareDatetime


class DepartmentChanged(CloudEvent):
    """`gov.supervision.auth.department.changed.v1` (key: department id)"""

    topic: ClassVar[str] = ORG_TOPIC
    type: Literal["gov.supervision.auth.department.changed.v1"] = "gov.supervision.auth.department.changed.v1"
    data: DepartmentChangedData


class InspectorChangedData(EventData):
    """An inspector (执法人员) was created or changed; random-check-svc keeps its inspector database from these."""

    change: Change
    user_id: uuid.UUID
    name: str
    department_id: uuid.UUID
    region_code: str = Field(pattern=r"^\d{6}$")
    certificate_number: str | None = Field(default=None, description="Enforcement certificate number (执法证号).")
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    qualifications: list[str] = Field(default_factory=list, description="Supervision domains or catalog item codes.")
    status: StaffStatus
    changed_at: AwareDatetime


class InspectorChanged(CloudEvent):
    """`gov.supervision.auth.inspector.changed.v1` (key: user id)"""

    topic: ClassVar[str] = STAFF_TOPIC
    type: Literal["gov.supervision.auth.inspector.changed.v1"] = "gov.supervision.auth.inspector.changed.v1"
    data: InspectorChangedData
