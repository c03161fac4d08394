"""Management API shapes of signing keys (never the private half)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class SigningKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kid: str
    algorithm: str
    active: bool
    created_at: datetime
    retired_at: datetime | None
    expires_at: datetime | None


class KeyRotation(BaseModel):
    active: SigningKeyRead
    retired: SigningKeyRead | None
