"""The gateway's route table for access: which token scope each service needs, per method class.

Data, not code: `/api/<service>/...` called with a read method (GET, HEAD, OPTIONS) needs
`ROUTE_SCOPES[(service, "read")]`, any other method `ROUTE_SCOPES[(service, "write")]`. Tokens of
platform administrators (`PLATFORM_ADMIN_ROLE` in `roles`) pass without scopes. A service with no
entry here is refused (403) rather than left open. Public routes (settings PUBLIC_PATHS) are not
checked at all; the services still check data scope (region, department) themselves.

Scope names are those auth-svc grants (auth_svc/scopes.py): `<service>:read` / `<service>:write`;
identity administration (`/api/auth/...`) has the single scope `auth:admin`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Access = Literal["read", "write"]

READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
PLATFORM_ADMIN_ROLE: Final = "platform_admin"

ROUTE_SCOPES: Final[Mapping[tuple[str, Access], str]] = {
    ("catalog", "read"): "catalog:read",
    ("catalog", "write"): "catalog:write",
    ("datahub", "read"): "datahub:read",
    ("datahub", "write"): "datahub:write",
    ("random-check", "read"): "random-check:read",
    ("random-check", "write"): "random-check:write",
    ("joint", "read"): "joint:read",
    ("joint", "write"): "joint:write",
    ("credit", "read"): "credit:read",
    ("credit", "write"): "credit:write",
    ("risk", "read"): "risk:read",
    ("risk", "write"): "risk:write",
    ("complaint", "read"): "complaint:read",
    ("complaint", "write"): "complaint:write",
    ("auth", "read"): "auth:admin",
    ("auth", "write"): "auth:admin",
}


def access_of(method: str) -> Access:
    return "read" if method in READ_METHODS else "write"


def required_scope(service: str, method: str) -> str | None:
    """The scope a token needs for this service and method; None when the table has no rule (refuse)."""
    return ROUTE_SCOPES.get((service, access_of(method)))
