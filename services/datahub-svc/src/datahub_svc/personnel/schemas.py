"""API shapes of the enforcement-personnel library."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from datahub_svc.objects.schemas import ChineseDate


class OfficerStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    LEFT = "left"


class OfficerIn(BaseModel):
    """An enforcement officer as an agency system sends it; identified by the enforcement certificate number."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100, description="姓名.")
    certificate_number: str = Field(max_length=50, description="执法证号: the officer's key in this library.")
    certificate_issuer: str | None = Field(default=None, max_length=200, description="发证机关.")
    certificate_valid_from: ChineseDate = None
    certificate_valid_until: ChineseDate = Field(default=None, description="执法证有效期至.")
    unit: str | None = Field(default=None, max_length=200, description="执法单位 (the unit's name).")
    department_id: uuid.UUID | None = Field(
        default=None, description="The unit as a department of the identity system."
    )
    region_code: str = Field(max_length=20, description="GB/T 2260 region code of the unit.")
    post: str | None = Field(default=None, max_length=100, description="岗位/职务.")
    qualifications: list[str] = Field(default_factory=list, max_length=50, description="执法领域/资格.")
    status: OfficerStatus = OfficerStatus.ACTIVE
    id_number: str | None = Field(default=None, max_length=40, description="Resident ID number (personal data).")
    phone: str | None = Field(default=None, max_length=50, description="Phone (personal data).")


class OfficerBatchIn(BaseModel):
    """Up to 1,000 officers applied together: all of them or, if any is invalid, none."""

    model_config = ConfigDict(extra="forbid")

    items: list[OfficerIn] = Field(min_length=1, max_length=1000)
    source: str | None = Field(default=None, max_length=100)


class OfficerRead(BaseModel):
    """An officer; identity and phone numbers are masked unless the caller's role may see them."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID | None
    name: str
    certificate_number: str | None
    certificate_issuer: str | None
    certificate_valid_from: date | None
    certificate_valid_until: date | None
    unit: str | None
    department_id: uuid.UUID | None
    region_code: str
    post: str | None
    qualifications: list[str]
    status: OfficerStatus
    id_number: str | None
    phone: str | None
    source: str | None
    modified_at: datetime


class PushResult(BaseModel):
    """Ids of the stored records, in the order sent."""

    ids: list[uuid.UUID]
