"""Inspection implementation lists (检查实施清单) with their inspection forms (检查表单)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog_svc.models import Base
from svc_runtime.db import IDMixin, TimestampMixin, utc_now


class ImplementationLevel(StrEnum):
    """The level digit (character 19 of the list code): 1 national ... 5 township."""

    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"

    @property
    def digit(self) -> str:
        return str(list(ImplementationLevel).index(self) + 1)


class InspectionMethod(StrEnum):
    ON_SITE = "on_site"
    NON_SITE = "non_site"
    DOCUMENT_REVIEW = "document_review"


class ListStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ABOLISHED = "abolished"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class InspectionList(IDMixin, TimestampMixin, Base):
    __tablename__ = "inspection_lists"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_items.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    level: Mapped[ImplementationLevel] = mapped_column(_enum(ImplementationLevel, "implementation_level"))
    agency_uscc: Mapped[str] = mapped_column(String(18))
    implementing_agency: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    content: Mapped[str] = mapped_column(Text)
    method: Mapped[InspectionMethod] = mapped_column(_enum(InspectionMethod, "inspection_method"))
    basis: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str | None] = mapped_column(String(100))
    object_scope: Mapped[str | None] = mapped_column(Text)
    form: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    status: Mapped[ListStatus] = mapped_column(_enum(ListStatus, "inspection_list_status"), default=ListStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    abolished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    abolished_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # one list in force per item, level and agency; an abolished one makes way for a new list (a new code)
        Index(
            "uq_inspection_lists_item_id_level_agency",
            "item_id",
            "level",
            "agency_uscc",
            unique=True,
            postgresql_where=text("status <> 'abolished'"),
        ),
    )


class InspectionListVersion(Base):
    """Every published state of a list as an immutable row: its publication, each adjustment, its abolition."""

    __tablename__ = "inspection_list_versions"

    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection_lists.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[ListStatus] = mapped_column(_enum(ListStatus, "inspection_list_status"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=text("now()"))
