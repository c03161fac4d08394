"""The hand-written migrations create exactly the tables the models declare, and the ledger refuses changes."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rc_helpers import World
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from random_check_svc.models import Base

pytest_plugins = ["rc_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


def _only_service_tables(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    return type_ != "table" or name in Base.metadata.tables


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _only_service_tables})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_the_migrated_schema(world: World) -> None:
    async with world.engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE rc_draw_ledger SET body = '{}'",
        "DELETE FROM rc_draw_ledger",
        "TRUNCATE rc_draw_ledger",
    ],
)
async def test_the_draw_ledger_refuses_changes(world: World, statement: str) -> None:
    await world.execute(
        "INSERT INTO rc_draw_ledger (draw_id, entry, body, prev_hash, entry_hash, size) "
        "VALUES (gen_random_uuid(), 'commitment', '{}', repeat('0', 64), md5(random()::text) || md5(random()::text), 0)"
    )
    with pytest.raises(DBAPIError, match="append-only"):
        await world.execute(statement)
    assert await world.scalar("SELECT count(*) FROM rc_draw_ledger") >= 1
