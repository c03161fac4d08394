"""The hand-written migration creates exactly the tables the models declare; the audit trail is append-only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from credit_svc.models import Base, load_all_models
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.migrations import upgrade
from svc_runtime.testing import create_database, random_ref

pytestmark = pytest.mark.asyncio(loop_scope="session")
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def _only_service_tables(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    return type_ != "table" or name in Base.metadata.tables


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _only_service_tables})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_the_migrated_schema(stack: Profile) -> None:
    load_all_models()
    url = await create_database(stack, random_ref("credit_schema"))
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
        assert diff == []
        async with engine.connect() as connection:  # the runtime's tables are left in place
            assert await connection.scalar(text("SELECT to_regclass('outbox_events') IS NOT NULL"))
            assert await connection.scalar(text("SELECT to_regclass('processed_events') IS NOT NULL"))
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO credit_audit_log (actor, action, entity_type, entity_id) VALUES ('t', 'x', 'y', 'z')")
            )
        for statement in ("UPDATE credit_audit_log SET actor = 'someone else'", "DELETE FROM credit_audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()
