"""Async SQLAlchemy: declarative base, engine, and the session dependency that owns the transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, func, select, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svc_runtime.problems import NotFound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class RuntimeBase(DeclarativeBase):
    """Base of the runtime's own tables (outbox, processed events), present in every service database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IDMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utc_now, server_default=func.now()
    )
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), onupdate=utc_now)


# A pooled connection idle for longer than this is pinged before use (the server may have restarted).
PING_AFTER_IDLE_S = 2.0


def create_engine(url: str, *, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    """An asyncpg engine whose pool pings a connection only when it sat idle (see `PING_AFTER_IDLE_S`).

    SQLAlchemy's `pool_pre_ping` pings on every checkout: three round trips (BEGIN, `;`, ROLLBACK) with
    the asyncpg driver, on every transaction of the outbox relay and the consumers, which check out a
    connection many times a second. A connection in such steady use has just proved itself.
    """
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, **kwargs)
    event.listen(engine.sync_engine.pool, "connect", _note_checkin)  # a new connection needs no ping
    event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return engine


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is not None and time.monotonic() - checked_in_at < PING_AFTER_IDLE_S:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:  # the pool replaces the connection and tries again
        raise DisconnectionError(f"stale pooled connection: {exc!r}") from exc


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler succeeds, rolled back when it raises."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response is sent, so a client never sees success
# for a change that failed to commit (FastAPI would otherwise run the exit code after sending).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


_Row = TypeVar("_Row", bound=DeclarativeBase)


async def get_or_not_found(
    session: AsyncSession, model: type[_Row], ident: uuid.UUID, *, for_update: bool = False, missing: str
) -> _Row:
    """The row of `model` with this id (locked FOR UPDATE if asked), or a 404 problem saying `missing`."""
    statement = select(model).where(model.id == ident)  # type: ignore[attr-defined]
    if for_update:
        statement = statement.with_for_update()
    row = await session.scalar(statement)
    if row is None:
        raise NotFound(missing)
    return row


async def driver_connection(target: AsyncSession | AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a session or connection, inside its transaction (for COPY and hot reads).

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement: work done on the driver
    before any statement would run outside the transaction (autocommitted, surviving a rollback), so a
    transaction not yet begun is begun here.
    """
    connection = await target.connection() if isinstance(target, AsyncSession) else target
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if connection.in_transaction() and not driver.is_in_transaction():
        await connection.execute(text("SELECT 1"))
    return driver
