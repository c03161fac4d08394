"""Local views of the data hub's supervised objects and auth-svc's departments, kept from their events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from complaint_svc.models import Base


class ObjectView(Base):
    """A supervised object as the data hub last described it (enough to link and route complaints)."""

    __tablename__ = "object_view"

    object_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(300))
    name_core: Mapped[str] = mapped_column(String(300))
    name_bigrams: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    uscc: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    industry_code: Mapped[str | None] = mapped_column(String(20))
    merged_into: Mapped[uuid.UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_object_view_uscc", "uscc", postgresql_where=text("uscc IS NOT NULL")),
        Index("ix_object_view_name_bigrams", "name_bigrams", postgresql_using="gin"),
    )


class DepartmentView(Base):
    """A department of the organisation tree (for routing by department type and region)."""

    __tablename__ = "department_view"

    department_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_type: Mapped[str] = mapped_column(String(50))
    region_code: Mapped[str] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_department_view_type_region", "department_type", "region_code"),)
