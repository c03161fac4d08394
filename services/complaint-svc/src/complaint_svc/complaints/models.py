"""Complaints and reports, their timeline, and idempotency keys of intake."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from complaint_svc.models import Base
from svc_runtime.db import IDMixin, TimestampMixin, utc_now


class Complaint(IDMixin, TimestampMixin, Base):
    """One complaint (投诉) or report (举报), from whichever channel, with its routing, link and deadlines."""

    __tablename__ = "complaints"

    tracking_no: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    channel_ref: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    content_bigrams: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    # routing
    category: Mapped[str] = mapped_column(String(50))
    declared_category: Mapped[str | None] = mapped_column(String(50))
    proposed_category: Mapped[str | None] = mapped_column(String(50))
    proposed_department_type: Mapped[str | None] = mapped_column(String(50))
    confidence: Mapped[float | None] = mapped_column(Float)
    routed_by: Mapped[str] = mapped_column(String(20))
    department_type: Mapped[str | None] = mapped_column(String(50))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    department_name: Mapped[str | None] = mapped_column(String(200))
    # where
    region_code: Mapped[str] = mapped_column(String(6))
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    # target (被投诉举报对象), linked to the data hub
    target_name: Mapped[str | None] = mapped_column(String(300))
    target_name_core: Mapped[str | None] = mapped_column(String(300))
    target_uscc: Mapped[str | None] = mapped_column(String(18))
    target_address: Mapped[str | None] = mapped_column(String(500))
    target_object_id: Mapped[uuid.UUID | None] = mapped_column()
    target_industry_code: Mapped[str | None] = mapped_column(String(20))
    target_department_id: Mapped[uuid.UUID | None] = mapped_column()
    target_department_name: Mapped[str | None] = mapped_column(String(200))
    link_method: Mapped[str] = mapped_column(String(10), default="none")
    link_score: Mapped[float | None] = mapped_column(Float)
    # complainant (personal data encrypted and masked; see complaint_svc.pii)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_masked: Mapped[str | None] = mapped_column(String(100))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(30))
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str | None] = mapped_column(String(30))
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_masked: Mapped[str | None] = mapped_column(String(300))
    # repeats of the same matter
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"))
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    # deadlines (working days) and supervision (督办)
    accept_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handle_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handle_days: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_for: Mapped[str | None] = mapped_column(String(60))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_for: Mapped[str | None] = mapped_column(String(60))
    # result, feedback, rating
    result_code: Mapped[str | None] = mapped_column(String(50))
    result_summary: Mapped[str | None] = mapped_column(Text)
    visit_note: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    signalled: Mapped[bool] = mapped_column(Boolean, default=False)
    media_urls: Mapped[list[str]] = mapped_column(ARRAY(String(2000)), default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        Index(
            "ix_complaints_channel_ref",
            "channel",
            "channel_ref",
            unique=True,
            postgresql_where=text("channel_ref IS NOT NULL"),
        ),
        Index("ix_complaints_region_received", "region_code", "received_at"),
        Index("ix_complaints_department_status", "department_id", "status"),
        Index("ix_complaints_status_received", "status", "received_at"),
        Index("ix_complaints_received", "received_at"),
        Index("ix_complaints_target_object", "target_object_id", postgresql_where=text("target_object_id IS NOT NULL")),
        Index("ix_complaints_target_uscc", "target_uscc", postgresql_where=text("target_uscc IS NOT NULL")),
        Index(
            "ix_complaints_target_name_core",
            "target_name_core",
            "category",
            postgresql_where=text("target_name_core IS NOT NULL"),
        ),
        Index("ix_complaints_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
        Index(
            "ix_complaints_open_due",
            "status",
            "accept_due",
            "handle_due",
            postgresql_where=text("status IN ('received', 'accepted', 'dispatched', 'handling')"),
        ),
    )


class ComplaintEvent(Base):
    """The append-only timeline: who did what to a complaint, when, and why."""

    __tablename__ = "complaint_events"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    __table_args__ = (Index("ix_complaint_events_complaint", "complaint_id", "seq"),)


class IntakeKey(Base):
    """An idempotency key of intake: the same submission again returns the complaint it created."""

    __tablename__ = "intake_keys"

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
