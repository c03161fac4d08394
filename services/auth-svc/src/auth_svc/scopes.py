"""The scopes the platform's APIs recognise; an OAuth client is granted a subset of them."""

from __future__ import annotations

from typing import Final

# "<service>:read" / "<service>:write" per domain service, plus administration of identity itself.
SUPPORTED_SCOPES: Final[tuple[str, ...]] = (
    "catalog:read",
    "catalog:write",
    "datahub:read",
    "datahub:write",
    "random-check:read",
    "random-check:write",
    "joint:read",
    "joint:write",
    "credit:read",
    "credit:write",
    "risk:read",
    "risk:write",
    "complaint:read",
    "complaint:write",
    "auth:admin",
)

# OpenID Connect scopes: who the user is (openid, profile, email) and refresh tokens (offline_access).
OIDC_SCOPES: Final[tuple[str, ...]] = ("openid", "profile", "email", "offline_access")

PLATFORM_ADMIN_ROLE: Final = "platform_admin"
