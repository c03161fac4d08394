"""Tables of the supervised-object library."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, ForeignKey, Identity, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class SupervisedObject(Base):
    """One supervised object; `identity_key` is what makes a re-sent record the same object."""

    __tablename__ = "supervised_objects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    identity_key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    merged_into: Mapped[uuid.UUID | None] = mapped_column()
    name: Mapped[str] = mapped_column(String(300))
    uscc: Mapped[str | None] = mapped_column(String(18))
    owner_uscc: Mapped[str | None] = mapped_column(String(18))
    code: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    department_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    business_traits: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    supervision_focus: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    credit_class: Mapped[str | None] = mapped_column(String(1))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    lineage: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True)
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_supervised_objects_search_vector", "search_vector", postgresql_using="gin"),
        # Few objects have an owner or a department: partial indexes keep bulk loads cheap.
        Index("ix_supervised_objects_owner_uscc", "owner_uscc", postgresql_where=text("owner_uscc IS NOT NULL")),
        Index(
            "ix_supervised_objects_department_id", "department_id", postgresql_where=text("department_id IS NOT NULL")
        ),
        Index("ix_supervised_objects_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
    )


class ObjectMergeAudit(Base):
    """Audit trail of merges and splits: who joined or separated which objects, when and why."""

    __tablename__ = "object_merge_audit"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    action: Mapped[str] = mapped_column(String(10))
    surviving_object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervised_objects.id"), index=True)
    merged_object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervised_objects.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class ObjectRelink(Base):
    """A record moved from a merged object to the surviving one (so that a split can move it back)."""

    __tablename__ = "object_relinks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    merge_audit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    library: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column()
    from_object_id: Mapped[uuid.UUID] = mapped_column()
    to_object_id: Mapped[uuid.UUID] = mapped_column()
