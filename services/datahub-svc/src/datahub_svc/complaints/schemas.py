"""API shapes of the complaints library."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from supervision_schemas.complaint import ComplaintKind, ComplaintStatus


class ComplaintIn(BaseModel):
    """A complaint or report from a hotline or agency system; identified by channel and the provider's number.

    The target should be complete: credit code, name, industry and supervising department.
    """

    model_config = ConfigDict(extra="forbid")

    number: str = Field(max_length=100, description="The provider's complaint or work-order number (工单号).")
    channel: str = Field(max_length=50, description="12345, 12315, national, web, letter...")
    kind: ComplaintKind = ComplaintKind.COMPLAINT
    category: str | None = Field(default=None, max_length=50)
    summary: str | None = Field(default=None, max_length=4000, description="诉求内容.")
    received_at: AwareDatetime
    status: ComplaintStatus = ComplaintStatus.RECEIVED
    closed_at: AwareDatetime | None = None
    result_code: str | None = Field(default=None, max_length=50)
    result_summary: str | None = Field(default=None, max_length=4000, description="处理结果.")
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    anonymous: bool = False
    complainant_name: str | None = Field(default=None, max_length=100, description="Personal data.")
    complainant_phone: str | None = Field(default=None, max_length=50, description="Personal data.")
    region_code: str = Field(max_length=20)
    department_id: uuid.UUID | None = Field(default=None, description="The handling (supervising) department.")
    department_name: str | None = Field(default=None, max_length=200)
    target_name: str | None = Field(default=None, max_length=300, description="被投诉对象名称.")
    target_uscc: str | None = Field(default=None, max_length=40)
    target_industry_code: str | None = Field(default=None, max_length=20)


class ComplaintBatchIn(BaseModel):
    """Up to 1,000 complaints applied together: all of them or, if any is invalid, none."""

    model_config = ConfigDict(extra="forbid")

    items: list[ComplaintIn] = Field(min_length=1, max_length=1000)
    source: str | None = Field(default=None, max_length=100)


class ComplaintRead(BaseModel):
    """A complaint; the complainant's name and phone are masked unless the caller's role may see them."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    complaint_key: str
    tracking_no: str | None
    kind: str
    channel: str
    channel_ref: str | None
    category: str | None
    summary: str | None
    status: str
    received_at: datetime
    closed_at: datetime | None
    result_code: str | None
    result_summary: str | None
    satisfaction: int | None
    anonymous: bool
    complainant_name: str | None
    complainant_phone: str | None
    region_code: str
    department_id: uuid.UUID | None
    department_name: str | None
    target_name: str | None
    target_uscc: str | None
    target_industry_code: str | None
    object_id: uuid.UUID | None
    link_method: str
    source: str | None
    modified_at: datetime
