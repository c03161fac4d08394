"""API shapes of data sharing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class DatasetRead(BaseModel):
    name: str
    title: str
    fields: list[str]
    personal_fields: list[str]
    department_scoped: bool
    filters: list[str]


class AccessLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    subject: str
    client_id: str | None
    roles: list[str]
    region_code: str | None
    department_id: uuid.UUID | None
    action: str
    dataset: str
    record_ref: str | None
    filters: dict[str, Any]
    records: int
    masked: bool
    request_id: str | None
