"""HTTP interface of the catalog library."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from datahub_svc.catalog.models import CatalogItem
from datahub_svc.catalog.schemas import CatalogItemRead
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound

router = APIRouter(prefix="/catalog-items", tags=["catalog library"])
SORTABLE = {"name": CatalogItem.name, "stored_at": CatalogItem.stored_at, "code": CatalogItem.code}


@router.get("", response_model=Page[CatalogItemRead])
async def list_catalog_items(
    session: SessionDep,
    principal: CurrentPrincipal,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Text the item name contains.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description="Only items of this region.")] = None,
    sort: Annotated[
        str | None, Query(description="Comma-separated fields, `-` for descending: name, code, stored_at.")
    ] = None,
) -> Page[CatalogItemRead]:
    """List the items of the catalog library."""
    statement = select(CatalogItem)
    if q:
        statement = statement.where(CatalogItem.name.contains(q, autoescape=True))
    if region_code:
        statement = statement.where(CatalogItem.region_code == region_code)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-stored_at"), CatalogItem.item_id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[CatalogItemRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{item_id}", response_model=CatalogItemRead, responses={404: {"description": "Not in the library"}})
async def get_catalog_item(item_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CatalogItemRead:
    """Get one item of the catalog library."""
    item = await session.get(CatalogItem, item_id)
    if item is None:
        raise NotFound(f"catalog item {item_id} is not in the library")
    return CatalogItemRead.model_validate(item)
