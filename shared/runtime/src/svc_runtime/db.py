"""Async SQLAlchemy: declarative base, engine, and the session dependency that owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
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


def create_engine(url: str, *, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **kwargs)


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
