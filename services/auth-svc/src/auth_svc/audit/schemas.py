"""API shapes of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    time: datetime
    actor: str
    actor_roles: list[str]
    client_id: str | None
    action: str
    target_type: str
    target_id: str | None
    region_code: str | None
    department_id: str | None
    details: dict[str, Any]
    ip: str | None
    request_id: str | None
    prev_hash: str
    hash: str
