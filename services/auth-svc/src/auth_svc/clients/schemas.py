"""Management API shapes of OAuth clients (never the secret hash)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class OAuthClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    name: str
    grant_types: list[str]
    allowed_scopes: list[str]
    roles: list[str]
    region_code: str | None
    department_id: str | None
    is_active: bool
    created_at: datetime
