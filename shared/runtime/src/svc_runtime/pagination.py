"""Pagination and sorting for list endpoints: `?page=&limit=&sort=` and one response shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, SQLColumnExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from svc_runtime.problems import Problem

T = TypeVar("T")


class PaginationParams(BaseModel):
    page: int = Field(1, ge=1)
    limit: int = Field(20, ge=1, le=100)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def _pagination(
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100).")] = 20,
) -> PaginationParams:
    return PaginationParams(page=page, limit=limit)


PaginationDep = Annotated[PaginationParams, Depends(_pagination)]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total count of matching items."""

    items: list[T]
    total: int
    page: int
    limit: int


class InvalidSort(Problem):
    status = 400
    title = "Invalid sort"


def order_by(
    sort: str | None, columns: Mapping[str, SQLColumnExpression[Any]], default: str
) -> list[ColumnElement[Any]]:
    """`sort=name,-created_at` into ORDER BY clauses over the allowed columns."""
    clauses: list[ColumnElement[Any]] = []
    for part in (sort or default).split(","):
        part = part.strip()
        if not part:
            continue
        desc = part.startswith("-")
        name = part.lstrip("-+")
        column = columns.get(name)
        if column is None:
            raise InvalidSort(f"cannot sort by {name!r}; allowed: {', '.join(sorted(columns))}")
        clauses.append(column.desc() if desc else column.asc())
    return clauses


async def paginate(
    session: AsyncSession, statement: Select[*tuple[Any, ...]], params: PaginationParams
) -> tuple[list[Any], int]:
    """Run a select for one page and count every matching row."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.scalars(statement.offset(params.offset).limit(params.limit))).all()
    return list(rows), int(total or 0)
