"""Mapping of identities at the upstream (national) issuer to local accounts (mutual recognition)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auth_svc.models import Base
from svc_runtime.db import IDMixin, TimestampMixin


class FederatedIdentity(IDMixin, TimestampMixin, Base):
    """The upstream issuer's value of the subject claim, mapped to one local user."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    issuer: Mapped[str] = mapped_column(String(500), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
