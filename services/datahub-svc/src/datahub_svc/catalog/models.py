"""The catalog library (监管事项库): the supervision items of catalog-svc, kept from its events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class CatalogItem(Base):
    __tablename__ = "catalog_items"

    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    item_type: Mapped[str] = mapped_column(String(50))
    supervision_level: Mapped[str] = mapped_column(String(20))
    implementing_department: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    source_event_id: Mapped[str] = mapped_column(String(200))
    source_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
