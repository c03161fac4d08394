"""The hand-written migrations create exactly the tables, columns and indexes the models declare."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from catalog_fixtures import Catalog
from sqlalchemy.engine import Connection

from catalog_svc.models import Base
from svc_runtime.db import create_engine

pytest_plugins = ["catalog_fixtures"]


def _only_service_tables(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    return type_ != "table" or name in Base.metadata.tables


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _only_service_tables})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.asyncio(loop_scope="session")
async def test_models_match_the_migrated_schema(catalog: Catalog) -> None:
    engine = create_engine(catalog.url, pool_size=1)
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    await engine.dispose()
    assert diff == []
