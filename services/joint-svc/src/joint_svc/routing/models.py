"""The department directory (from auth-svc's events), supervision routes and catalog items (from catalog-svc)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from joint_svc.models import Base
from svc_runtime.db import utc_now


class Department(Base):
    """A department of the organisation tree, kept from `DepartmentChanged` events."""

    __tablename__ = "joint_departments"

    department_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_type: Mapped[str] = mapped_column(String(50))
    region_code: Mapped[str] = mapped_column(String(6))
    parent_id: Mapped[uuid.UUID | None] = mapped_column()
    credit_code: Mapped[str | None] = mapped_column(String(18))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_joint_departments_region_type", "region_code", "department_type"),
        Index("ix_joint_departments_credit_code", "credit_code"),
    )


class SupervisionRoute(Base):
    """Which department supervises what an approval or a warning is about: by item, industry and region."""

    __tablename__ = "joint_routes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_code: Mapped[str | None] = mapped_column(String(14))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID] = mapped_column()
    department_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        UniqueConstraint(
            "item_code",
            "industry_code",
            "region_code",
            name="uq_joint_routes_match",
            postgresql_nulls_not_distinct=True,
        ),
    )


class CatalogItem(Base):
    """A published supervision item with its implementing department, kept from catalog-svc's events."""

    __tablename__ = "joint_catalog_items"

    code: Mapped[str] = mapped_column(String(14), primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    implementing_department: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    domain: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column()
