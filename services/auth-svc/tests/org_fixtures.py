"""Fixtures of the organisation, people and audit tests: tokens signed by auth-svc's own key, builders.

Loaded with `pytest_plugins = ["auth_fixtures", "org_fixtures"]`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
import pytest
from org_helpers import TokenMaker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.keys import service as key_service
from auth_svc.settings import AuthSettings


@pytest.fixture(scope="session")
def auth_mint(auth_settings: AuthSettings, auth_sessionmaker: async_sessionmaker[AsyncSession]) -> TokenMaker:
    """Mint an access token with auth-svc's active key: `await auth_mint(roles=..., region_code=..., department_id=...)`."""

    async def mint(
        *,
        roles: Sequence[str] = ("platform_admin",),
        region_code: str | None = None,
        department_id: uuid.UUID | str | None = None,
        subject: str | None = None,
        **extra: Any,
    ) -> str:
        async with auth_sessionmaker() as session:
            key = await key_service.get_active(session)
        assert key is not None
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": auth_settings.auth_issuer,
            "aud": auth_settings.auth_audience,
            "sub": subject or f"test-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "roles": list(roles),
            **extra,
        }
        if region_code is not None:
            claims["region_code"] = region_code
        if department_id is not None:
            claims["department_id"] = str(department_id)
        return jwt.encode(claims, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid})

    return mint
