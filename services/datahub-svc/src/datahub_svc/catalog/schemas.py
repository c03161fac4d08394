"""API shapes of the catalog library."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CatalogItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_id: uuid.UUID
    code: str | None
    name: str
    item_type: str
    supervision_level: str
    implementing_department: str
    region_code: str
    legal_basis: str | None
    source_event_id: str
    source_time: datetime
    stored_at: datetime
