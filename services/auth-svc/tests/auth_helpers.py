"""Types and helpers that auth-svc's test modules import (the fixtures are in auth_fixtures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import httpx


class ClientMaker(Protocol):
    async def __call__(
        self,
        *,
        scopes: Sequence[str] = ...,
        roles: Sequence[str] = ...,
        grant_types: Sequence[str] = ...,
        region_code: str | None = ...,
        department_id: str | None = ...,
        is_active: bool = ...,
    ) -> tuple[str, str]: ...


async def get_token(http: httpx.AsyncClient, auth: tuple[str, str], **form: str) -> str:
    """An access token for the client with these credentials (HTTP Basic)."""
    response = await http.post("/token", auth=auth, data={"grant_type": "client_credentials", **form})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
