"""Signing keys of the tokens auth-svc issues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from auth_svc.models import Base
from svc_runtime.db import utc_now


class SigningKey(Base):
    """An RSA key pair; exactly one is active (signs), the others stay published until their tokens expire.

    The private key is stored as unencrypted PKCS#8 PEM in this service's database. In production it
    should live in a KMS/HSM (sign through its API, keep only the key reference and public JWK here).
    """

    __tablename__ = "signing_keys"
    __table_args__ = (Index("uq_signing_keys_active", "active", unique=True, postgresql_where=text("active")),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), nullable=False, default="RS256")
    private_key_pem: Mapped[str] = mapped_column(Text, nullable=False)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utc_now, server_default=func.now()
    )
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
