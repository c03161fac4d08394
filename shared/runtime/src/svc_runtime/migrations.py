"""Alembic per service: the service's own revisions plus the runtime's branch (outbox, processed events).

Each service keeps `migrations/env.py` (which calls `run_env`) and `migrations/versions/`. The
runtime's tables live in one branch shipped with this package, so a change to them is written once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from svc_runtime.db import RuntimeBase

RUNTIME_VERSIONS = Path(__file__).parent / "runtime_migrations" / "versions"


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("version_locations", f"{migrations_dir / 'versions'} {RUNTIME_VERSIONS}")
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s")
    return cfg


def upgrade(migrations_dir: Path, database_url: str) -> None:
    """Apply every pending revision of the service and the runtime (blocking; run in a thread)."""
    command.upgrade(alembic_config(migrations_dir, database_url), "heads")


def revision(migrations_dir: Path, database_url: str, message: str, branch: str) -> None:
    """Autogenerate a revision on the service's branch from its models (review it before committing)."""
    command.revision(
        alembic_config(migrations_dir, database_url), message=message, autogenerate=True, head=f"{branch}@head"
    )


def _do_run(connection: Connection, metadata: list[MetaData]) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_env(service_metadata: MetaData) -> None:
    """Body of a service's `migrations/env.py` (online mode, async engine)."""
    metadata = [service_metadata, RuntimeBase.metadata]
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(_do_run, metadata)
        await engine.dispose()

    asyncio.run(run())
