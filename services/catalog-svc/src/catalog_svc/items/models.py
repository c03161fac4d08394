"""Supervision items (监管事项): main items (主项), sub items (子项), their versions, claims and mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog_svc.items.kinds import ItemKind as ItemKind
from catalog_svc.items.kinds import ObjectType as ObjectType
from catalog_svc.items.kinds import SupervisionMethod as SupervisionMethod
from catalog_svc.models import Base
from supervision_schemas.catalog import ItemType, SupervisionLevel
from svc_runtime.db import IDMixin, TimestampMixin, utc_now


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class ItemStatus(StrEnum):
    """Lifecycle status; `published` and `adjusted` are in force."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"
    ADJUSTED = "adjusted"
    ABOLISHED = "abolished"


IN_FORCE = (ItemStatus.PUBLISHED, ItemStatus.ADJUSTED)


class ItemSource(StrEnum):
    LOCAL = "local"
    PROVINCIAL = "provincial"
    NATIONAL = "national"


class ChangeKind(StrEnum):
    """What made a new version row."""

    CREATED = "created"
    UPDATED = "updated"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    PUBLISHED = "published"
    ADJUSTED = "adjusted"
    ABOLISHED = "abolished"
    IMPORTED = "imported"


class MappingBasis(StrEnum):
    SAME_LEGAL_BASIS = "same_legal_basis"
    MANUAL = "manual"
    IMPORTED = "imported"


class SupervisionItem(IDMixin, TimestampMixin, Base):
    __tablename__ = "supervision_items"

    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "item_kind"), default=ItemKind.MAIN)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("supervision_items.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    main_item_name: Mapped[str | None] = mapped_column(String(300))
    item_type: Mapped[ItemType] = mapped_column(_enum(ItemType, "item_type"))
    supervision_level: Mapped[SupervisionLevel] = mapped_column(_enum(SupervisionLevel, "supervision_level"))
    implementing_department: Mapped[str] = mapped_column(String(200))
    guiding_department: Mapped[str | None] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    agency_uscc: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    domain: Mapped[str | None] = mapped_column(String(60), index=True)
    supervision_methods: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    measures: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    object_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    process: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    random_check: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "item_status"), default=ItemStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[ItemSource] = mapped_column(_enum(ItemSource, "item_source"), default=ItemSource.LOCAL)
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    abolished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    legal_bases: Mapped[list[ItemLegalBasis]] = relationship(
        lazy="raise", order_by="ItemLegalBasis.position", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        # Chinese keywords: bigrams of the name (migration catalog_svc_0005), checked for adjacency by ILIKE
        Index("ix_supervision_items_name_bigrams", text("catalog_bigrams(name::text)"), postgresql_using="gin"),
        Index("ix_supervision_items_object_types", "object_types", postgresql_using="gin"),
        Index("ix_supervision_items_status_level", "status", "supervision_level"),
        Index("ix_supervision_items_created_at_id", "created_at", "id"),
    )


class ItemLegalBasis(Base):
    """One 设定依据 of an item, pointing into the law library when the article is known there."""

    __tablename__ = "item_legal_bases"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_items.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    law_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("laws.id"))
    article_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("law_articles.id"))
    law_title: Mapped[str] = mapped_column(String(300))
    article: Mapped[str | None] = mapped_column(String(100))
    clause: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_item_legal_bases_law_article", "law_title", "article"),
        Index("ix_item_legal_bases_law_id", "law_id", postgresql_where=text("law_id IS NOT NULL")),
        Index("ix_item_legal_bases_article_id", "article_id", postgresql_where=text("article_id IS NOT NULL")),
    )


class ItemVersion(Base):
    """Every change of an item as an immutable row; valid from `created_at` until `valid_to`."""

    __tablename__ = "item_versions"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_items.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    change: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind, "item_change_kind"))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "item_status"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    comment: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=text("now()"))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ItemClaim(IDMixin, Base):
    """A department claims (认领) a provincial or national item for its own level and region."""

    __tablename__ = "item_claims"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_items.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column()
    department_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    supervision_level: Mapped[SupervisionLevel] = mapped_column(_enum(SupervisionLevel, "supervision_level"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=text("now()"))

    __table_args__ = (UniqueConstraint("item_id", "department_id", name="uq_item_claims_item_id_department_id"),)


class ItemMapping(IDMixin, Base):
    """A local item corresponds to a provincial or national item (法定依据同源)."""

    __tablename__ = "item_mappings"

    local_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_items.id"), index=True)
    target_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_items.id"), index=True)
    basis: Mapped[MappingBasis] = mapped_column(_enum(MappingBasis, "mapping_basis"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=text("now()"))

    __table_args__ = (
        UniqueConstraint("local_item_id", "target_item_id", name="uq_item_mappings_local_item_id_target_item_id"),
    )
