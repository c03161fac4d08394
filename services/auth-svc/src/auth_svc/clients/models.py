"""OAuth clients: agency systems and platform services that sign in with their own credentials."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from auth_svc.models import Base
from svc_runtime.db import IDMixin, TimestampMixin


class OAuthClient(IDMixin, TimestampMixin, Base):
    """A registered client with its grants, allowed scopes, roles and (optionally) data scope."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # argon2id hash (auth_svc.hashing); None for public clients, which cannot use client credentials.
    secret_hash: Mapped[str | None] = mapped_column(String(255))
    grant_types: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False, default=list)
    allowed_scopes: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, default=list)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, default=list)
    # GB/T 2260 administrative division code and department of the data scope, when restricted.
    region_code: Mapped[str | None] = mapped_column(String(12))
    department_id: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Authorization code flow: exact-match redirect URIs, and where RP-initiated logout may return to.
    redirect_uris: Mapped[list[str]] = mapped_column(
        ARRAY(String(2000)), nullable=False, default=list, server_default="{}"
    )
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(
        ARRAY(String(2000)), nullable=False, default=list, server_default="{}"
    )

    @property
    def is_public(self) -> bool:
        """A public client (browser or mobile app) has no secret and must use PKCE."""
        return self.secret_hash is None
