"""People who sign in: staff of departments with roles, and for inspectors their enforcement certificate."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from auth_svc.models import Base
from supervision_schemas.auth import StaffStatus
from svc_runtime.db import IDMixin, TimestampMixin

STAFF_STATUSES = tuple(s.value for s in StaffStatus)


class User(IDMixin, TimestampMixin, Base):
    """A user account: argon2id password hash, roles, department and region, lockout and TOTP state."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("status IN ('active', 'disabled', 'left')", name="status"),)

    username: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=StaffStatus.ACTIVE.value)
    # None only for platform-wide accounts (platform administrators).
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Login protection: consecutive failures, and the time until which the account refuses logins.
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # TOTP second factor: the secret encrypted (auth_svc.users.totp); enabled once a code confirmed it.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Time step of the last accepted code: a code is accepted once (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Invitation: SHA-256 of a one-time token with which the invitee sets the first password.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64))
    invite_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Inspectors (执法人员): enforcement certificate and what they may inspect.
    certificate_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    certificate_valid_from: Mapped[date | None] = mapped_column(Date)
    certificate_valid_until: Mapped[date | None] = mapped_column(Date)
    qualifications: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, default=list, server_default="{}"
    )

    @property
    def is_active(self) -> bool:
        """Whether the account may sign in (status active; a lock is checked separately)."""
        return self.status == StaffStatus.ACTIVE.value

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None
