"""Staff administration: creation, invitations, roles (who may grant what), status, inspector events."""

from __future__ import annotations

import uuid

import httpx
import pytest
from org_helpers import TokenMaker, bearer, create_department, create_user, ensure_region, random_province, unique_name
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from supervision_schemas.auth import InspectorChanged
from svc_runtime.outbox import OutboxEvent

pytest_plugins = ["auth_fixtures", "org_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _department(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    p = random_province()
    await ensure_region(http, headers, f"{p}0000")
    return await create_department(http, headers, region_code=f"{p}0000")


async def test_inspector_lifecycle_publishes_events(
    auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = bearer(await auth_mint())
    department = await _department(auth_http, admin)
    user = await create_user(
        auth_http,
        admin,
        department_id=department["id"],
        roles=["inspector"],
        certificate_number=f"GS{uuid.uuid4().int % 10**10:010d}",
        certificate_valid_from="2025-01-01",
        certificate_valid_until="2028-12-31",
        qualifications=["食品安全", "10000000000001"],
    )
    assert user["region_code"] == department["region_code"]
    assert "password_hash" not in user
    r = await auth_http.post(f"/v1/users/{user['id']}/leave", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "left", r.text
    r = await auth_http.post(f"/v1/users/{user['id']}/enable", headers=admin)
    assert r.status_code == 409, r.text
    async with auth_sessionmaker() as session:
        rows = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.key == user["id"]).order_by(OutboxEvent.seq))
        ).all()
    assert [row.headers["ce_type"] for row in rows] == [InspectorChanged.model_fields["type"].default] * 2
    assert [row.topic for row in rows] == ["supervision.auth.staff"] * 2


async def test_bad_inspector_fields_are_refused(auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
    admin = bearer(await auth_mint())
    department = await _department(auth_http, admin)
    base = {
        "username": unique_name("u"),
        "display_name": "李四",
        "department_id": department["id"],
        "password": "x" * 12,
    }
    for extra in (
        {"qualifications": ["1234"]},
        {"certificate_valid_from": "2026-01-01", "certificate_valid_until": "2025-01-01"},
        {"roles": ["superuser"]},
        {"password": "short"},
        {"is_admin": True},
    ):
        r = await auth_http.post("/v1/users", json={**base, **extra}, headers=admin)
        assert r.status_code == 422, (extra, r.text)
    r = await auth_http.post("/v1/users", json={**base, "certificate_number": "DUP-0001"}, headers=admin)
    assert r.status_code in (201, 409), r.text
    r = await auth_http.post(
        "/v1/users", json={**base, "username": unique_name("u"), "certificate_number": "DUP-0001"}, headers=admin
    )
    assert r.status_code == 409, r.text


async def test_invitation_sets_the_first_password_once(auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
    admin = bearer(await auth_mint())
    department = await _department(auth_http, admin)
    user = await create_user(auth_http, admin, department_id=department["id"], roles=["inspector"], password=None)
    token = user["invitation_token"]
    assert token
    body = {"username": user["username"], "token": token, "password": "a brand new password"}
    r = await auth_http.post("/v1/users/invitations/accept", json={**body, "token": "x" * 40})
    assert r.status_code == 401, r.text
    r = await auth_http.post("/v1/users/invitations/accept", json=body)
    assert r.status_code == 200, r.text
    r = await auth_http.post("/v1/users/invitations/accept", json=body)
    assert r.status_code == 401, r.text


async def test_department_admins_grant_only_department_roles(
    auth_http: httpx.AsyncClient, auth_mint: TokenMaker
) -> None:
    admin = bearer(await auth_mint())
    department = await _department(auth_http, admin)
    dept_admin_user = await create_user(auth_http, admin, department_id=department["id"], roles=["department_admin"])
    dept_admin = bearer(
        await auth_mint(
            roles=("department_admin",),
            region_code=department["region_code"],
            department_id=department["id"],
            subject=dept_admin_user["id"],
        )
    )
    staff = await create_user(auth_http, dept_admin, department_id=department["id"], roles=["inspector"])
    for roles in (["platform_admin"], ["auditor"], ["agency_system"]):
        r = await auth_http.put(f"/v1/users/{staff['id']}/roles", json={"roles": roles}, headers=dept_admin)
        assert r.status_code == 403, (roles, r.text)
    r = await auth_http.put(
        f"/v1/users/{staff['id']}/roles", json={"roles": ["inspector", "leader"]}, headers=dept_admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["inspector", "leader"], r.text
    r = await auth_http.put(
        f"/v1/users/{dept_admin_user['id']}/roles", json={"roles": ["platform_admin"]}, headers=dept_admin
    )
    assert r.status_code == 403, r.text
    r = await auth_http.post(
        "/v1/users",
        json={
            "username": unique_name("u"),
            "display_name": "x",
            "roles": ["platform_admin"],
            "password": "x" * 12,
            "department_id": department["id"],
        },
        headers=dept_admin,
    )
    assert r.status_code == 403, r.text
    r = await auth_http.put(f"/v1/users/{staff['id']}/roles", json={"roles": ["platform_admin"]}, headers=admin)
    assert r.status_code == 200, r.text
    # Now a platform admin: the department admin may no longer manage the account.
    r = await auth_http.post(f"/v1/users/{staff['id']}/disable", headers=dept_admin)
    assert r.status_code == 403, r.text
