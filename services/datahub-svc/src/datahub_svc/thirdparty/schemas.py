"""API shapes of third-party and key-enterprise data."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ThirdPartyKind(StrEnum):
    """Where the data comes from: the signal channels of risk-svc plus key-enterprise reporting."""

    PUBLIC_OPINION = "public_opinion"
    PRODUCTION = "production"
    MONITORING = "monitoring"
    ADVERTISING_MONITORING = "advertising_monitoring"
    ONLINE_LISTING = "online_listing"
    IOT_READING = "iot_reading"


class ThirdPartyIn(BaseModel):
    """One observation: public opinion, a key enterprise's production figures, a monitoring reading."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(max_length=100, description="The provider's id of the observation.")
    kind: ThirdPartyKind
    category: str | None = Field(default=None, max_length=30, description="drug, food, medical_device...")
    channel: str = Field(max_length=100, description="Platform, medium, sensor or reporting system.")
    observed_at: AwareDatetime
    values: dict[str, float] = Field(
        default_factory=dict, max_length=32, description="Figures: output, energy use, reading, mentions..."
    )
    threshold_exceeded: bool = False
    excerpt: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=2000)
    uscc: str | None = Field(default=None, max_length=40)
    object_name: str = Field(max_length=300)
    region_code: str = Field(max_length=20)
    industry_code: str | None = Field(default=None, max_length=20)
    department_id: uuid.UUID | None = None


class ThirdPartyBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ThirdPartyIn] = Field(min_length=1, max_length=1000)
    source: str | None = Field(default=None, max_length=100)


class ThirdPartyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    category: str | None
    channel: str
    observed_at: datetime
    values: dict[str, Any]
    threshold_exceeded: bool
    excerpt: str | None
    url: str | None
    object_id: uuid.UUID | None
    uscc: str | None
    object_name: str
    region_code: str
    industry_code: str | None
    link_method: str
    source: str | None
