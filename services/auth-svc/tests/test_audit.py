"""The audit log: every change recorded, append-only, hash-chained, verifiable, queryable by auditors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
import pytest
from org_helpers import TokenMaker, bearer, create_department, ensure_region, random_province
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth_svc.audit import service as audit_service
from auth_svc.audit.models import AuditRecord
from auth_svc.settings import AuthSettings

pytest_plugins = ["auth_fixtures", "org_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


def _verify_cli(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "auth_svc.audit", "verify"], env=env, capture_output=True, text=True, timeout=60
    )


async def test_changes_are_recorded_with_who_what_when_where(
    auth_http: httpx.AsyncClient, auth_mint: TokenMaker
) -> None:
    token = await auth_mint(roles=("platform_admin",), subject="admin-for-audit")
    headers = {**bearer(token), "x-forwarded-for": "203.0.113.9"}
    province = f"{random_province()}0000"
    await ensure_region(auth_http, headers, province)
    department = await create_department(auth_http, headers, region_code=province)
    r = await auth_http.get(
        "/v1/audit", params={"target_id": department["id"], "action": "department."}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    [record] = r.json()["items"]
    assert record["actor"] == "admin-for-audit"
    assert record["actor_roles"] == ["platform_admin"]
    assert record["action"] == "department.created"
    assert record["ip"] == "203.0.113.9"
    assert record["details"]["name"] == department["name"]
    assert record["request_id"]
    assert len(record["hash"]) == 64
    assert len(record["prev_hash"]) == 64


async def test_only_auditors_and_platform_admins_read_it(auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
    for roles, status in ((("auditor",), 200), (("department_admin",), 403), (("leader",), 403), ((), 403)):
        token = await auth_mint(roles=roles, region_code="110000")
        r = await auth_http.get("/v1/audit", headers=bearer(token))
        assert r.status_code == status, (roles, r.text)
    r = await auth_http.get("/v1/audit")
    assert r.status_code == 401


async def test_rows_cannot_be_updated_or_deleted(
    auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_engine: AsyncEngine
) -> None:
    await ensure_region(auth_http, bearer(await auth_mint()), f"{random_province()}0000")
    for statement in (
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with auth_engine.begin() as connection:
                await connection.execute(text(statement))


async def test_concurrent_appends_form_one_chain(
    auth_sessionmaker: async_sessionmaker[AsyncSession], auth_engine: AsyncEngine
) -> None:
    actor = audit_service.Actor(subject="concurrency-test")

    async def append(i: int) -> None:
        async with auth_sessionmaker() as session, session.begin():
            await audit_service.append(session, actor, action="test.append", target_type="test", target_id=str(i))

    await asyncio.gather(*(append(i) for i in range(12)))
    async with auth_engine.connect() as connection:
        result = await audit_service.verify(connection)
    assert result.ok, result


async def test_verify_detects_a_tampered_row(
    auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_engine: AsyncEngine, auth_settings: AuthSettings
) -> None:
    await ensure_region(auth_http, bearer(await auth_mint()), f"{random_province()}0000")
    ok = await asyncio.to_thread(_verify_cli, auth_settings.database_url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    async with auth_engine.connect() as connection:
        row = (
            await connection.execute(select(AuditRecord.seq, AuditRecord.actor).order_by(AuditRecord.seq).limit(1))
        ).one()
    try:
        async with auth_engine.begin() as connection:  # superuser: switch the guard off and tamper
            await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
            await connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = :seq"), {"seq": row.seq})
            await connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete"))
        broken = await asyncio.to_thread(_verify_cli, auth_settings.database_url)
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert f'"broken_seq": {row.seq}' in broken.stdout
    finally:
        async with auth_engine.begin() as connection:  # restore, so later tests see an intact chain
            await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
            await connection.execute(text("UPDATE audit_log SET actor = :actor WHERE seq = :seq"), dict(row._mapping))
            await connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete"))
    restored = await asyncio.to_thread(_verify_cli, auth_settings.database_url)
    assert restored.returncode == 0, restored.stdout
