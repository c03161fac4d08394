"""A pooled connection that sat idle is pinged before use: one whose server session ended is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from svc_runtime import db
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import create_database, random_ref


@pytest.mark.asyncio(loop_scope="session")
async def test_idle_connection_whose_backend_was_terminated_is_replaced(
    stack: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await create_database(stack, random_ref("runtime_ping"))
    engine = db.create_engine(url, pool_size=1)
    other = db.create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with other.begin() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # the pooled connection now counts as idle
        async with engine.connect() as conn:
            new_pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert new_pid != pid
    finally:
        await engine.dispose()
        await other.dispose()
