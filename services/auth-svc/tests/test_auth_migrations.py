"""The hand-written migration creates exactly the tables the models declare."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from auth_svc.models import Base

pytest_plugins = ["auth_fixtures"]


def _only_service_tables(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    return type_ != "table" or name in Base.metadata.tables


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _only_service_tables})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.asyncio(loop_scope="session")
async def test_models_match_the_migrated_schema(auth_engine: AsyncEngine) -> None:
    async with auth_engine.connect() as connection:
        diff = await connection.run_sync(_diff)

    assert diff == []
