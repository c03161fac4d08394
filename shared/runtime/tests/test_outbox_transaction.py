"""Events staged through COPY belong to the caller's transaction, even when staging is its first statement."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.migrations import upgrade
from svc_runtime.outbox import stage_many
from svc_runtime.testing import create_database, random_ref, sample_item_created


@pytest.mark.asyncio(loop_scope="session")
async def test_copied_events_roll_back_with_the_transaction(stack: Profile) -> None:
    url = await create_database(stack, random_ref("runtime_outbox"))
    await asyncio.to_thread(upgrade, repo_root() / "services" / "catalog-svc" / "migrations", url)
    engine = create_engine(url, pool_size=1)
    sessionmaker = create_sessionmaker(engine)

    async def stage_then_fail() -> None:
        # 100 events go through COPY on the driver; nothing else ran in the transaction before.
        async with sessionmaker() as session, session.begin():
            await stage_many(session, [sample_item_created(i) for i in range(100)])
            raise RuntimeError("the state change failed")

    try:
        with pytest.raises(RuntimeError):
            await stage_then_fail()
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM outbox_events")) == 0

        async with sessionmaker() as session, session.begin():
            await stage_many(session, [sample_item_created(i) for i in range(100)])
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM outbox_events WHERE sent_at IS NULL")) == 100
    finally:
        await engine.dispose()
