"""Builders for the organisation and people tests (through the HTTP API, as a platform administrator)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

TokenMaker = Callable[..., Awaitable[str]]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def random_province() -> str:
    """A province prefix unlikely to collide between tests (regions persist in the session database)."""
    return f"{random.randint(11, 80):02d}"


async def ensure_region(http: httpx.AsyncClient, headers: dict[str, str], code: str, name: str | None = None) -> None:
    response = await http.post("/v1/regions", json={"code": code, "name": name or f"区划{code}"}, headers=headers)
    assert response.status_code in (201, 409), response.text


async def create_department(
    http: httpx.AsyncClient, headers: dict[str, str], *, region_code: str, parent_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"name": unique_name("局"), "type": "market_regulation", "region_code": region_code, "parent_id": parent_id}
    body.update(fields)
    response = await http.post("/v1/departments", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def create_user(
    http: httpx.AsyncClient, headers: dict[str, str], *, department_id: str | None, roles: list[str], **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": unique_name("u"),
        "display_name": "张三",
        "department_id": department_id,
        "roles": roles,
        "password": "correct horse battery",
    }
    body.update(fields)
    response = await http.post("/v1/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
