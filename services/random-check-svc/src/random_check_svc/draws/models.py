"""Tables of draws: the draw itself and the append-only, hash-chained ledger that proves it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Identity, Integer, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from random_check_svc.models import Base
from svc_runtime.db import utc_now


class DrawStatus(StrEnum):
    COMMITTED = "committed"  # seed hash published, nothing drawn yet
    REVEALED = "revealed"  # drawn, recorded, seed revealed


class LedgerEntry(StrEnum):
    COMMITMENT = "commitment"
    INPUTS = "inputs"
    AVOIDANCE = "avoidance"
    OUTPUTS = "outputs"
    REVEAL = "reveal"


class RcDraw(Base):
    """One draw (批次) of a plan. What proves it lives in `rc_draw_ledger`; this row is its summary."""

    __tablename__ = "rc_draws"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rc_plans.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(comment="The plan's initiating department (data scope).")
    region_code: Mapped[str] = mapped_column(String(6))
    status: Mapped[DrawStatus] = mapped_column(String(10))
    algorithm: Mapped[str] = mapped_column(String(40))
    check_date: Mapped[date] = mapped_column(Date)
    seed_hash: Mapped[str] = mapped_column(String(64))
    sealed_seed: Mapped[bytes] = mapped_column(LargeBinary, comment="Kept secret until the draw is run.")
    seed: Mapped[str | None] = mapped_column(String(64), comment="Revealed after the draw.")
    public_entropy: Mapped[str | None] = mapped_column(String(200))
    inputs_hash: Mapped[str | None] = mapped_column(String(64))
    outputs_hash: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    drawn_by: Mapped[str | None] = mapped_column(String(200))


class RcDrawLedger(Base):
    """Append-only record of every draw (a trigger refuses UPDATE, DELETE and TRUNCATE).

    Each entry's hash covers the previous entry's hash, its body and its blob's SHA-256, so
    changing or removing any entry breaks the chain.
    """

    __tablename__ = "rc_draw_ledger"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    draw_id: Mapped[uuid.UUID] = mapped_column(index=True)
    entry: Mapped[LedgerEntry] = mapped_column(String(12))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    size: Mapped[int] = mapped_column(Integer, default=0, comment="Bytes in blob.")
