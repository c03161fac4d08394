"""Red and black lists kept by departments; entries are credit records of type red_list or black_list."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, Boolean, DateTime, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base
from svc_runtime.db import utc_now


class DepartmentListType(StrEnum):
    RED = "red"
    BLACK = "black"


class ListStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class CreditList(Base):
    """A department's red or black list; `auto_classes` adds and removes objects as their class changes."""

    __tablename__ = "credit_lists"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    list_type: Mapped[DepartmentListType] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID] = mapped_column()
    department_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    region_prefix: Mapped[str] = mapped_column(String(6))
    default_validity_days: Mapped[int | None] = mapped_column(Integer)
    auto_classes: Mapped[list[str]] = mapped_column(ARRAY(String(2)), default=list, server_default="{}")
    auto_same_department: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[ListStatus] = mapped_column(String(10), default=ListStatus.ACTIVE)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (UniqueConstraint("department_id", "name", name="uq_credit_lists_department_name"),)
