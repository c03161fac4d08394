"""HTTP interface of the knowledge base: push (single, batch), search and read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from datahub_svc.access import write_checker
from datahub_svc.cleaning.standardise import search_query
from datahub_svc.knowledge import service as knowledge_service
from datahub_svc.knowledge.models import KnowledgeEntry
from datahub_svc.knowledge.schemas import (
    EntryStatus,
    EntryType,
    KnowledgeBatchIn,
    KnowledgeIn,
    KnowledgeRead,
    KnowledgeSummary,
)
from datahub_svc.objects.endpoints import ERRORS, IdempotencyKeyHeader, _idempotent
from datahub_svc.personnel.schemas import PushResult
from datahub_svc.records import NATIONAL, clean_all, provider_of, source_of
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/knowledge", tags=["knowledge base"])
SORTABLE = {
    "title": KnowledgeEntry.title,
    "issued_on": KnowledgeEntry.issued_on,
    "modified_at": KnowledgeEntry.modified_at,
}


async def _push(session: SessionDep, scope: DataScope, items: list[KnowledgeIn], source: str) -> PushResult:
    check, provider = write_checker(scope), provider_of(scope)
    rows = clean_all(
        items, lambda item, row: knowledge_service.clean_entry(item, row, source=source, provider=provider, check=check)
    )
    return PushResult(ids=await knowledge_service.store(session, rows))


@router.post("", status_code=201, response_model=PushResult, responses=ERRORS)
async def push_entry(
    body: KnowledgeIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record one law, case, plan, rule or risk feature (a re-sent type and code updates it)."""

    async def run() -> tuple[int, PushResult]:
        return 201, await _push(session, scope, [body], source_of(scope))

    return await _idempotent(session, scope, idempotency_key, "POST /knowledge", body, run)


@router.post("/batch", response_model=PushResult, responses=ERRORS)
async def push_entries(
    body: KnowledgeBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record up to 200 knowledge-base entries: all or, if any is invalid, none."""

    async def run() -> tuple[int, PushResult]:
        return 200, await _push(session, scope, body.items, source_of(scope, body.source))

    return await _idempotent(session, scope, idempotency_key, "POST /knowledge/batch", body, run)


@router.get("", response_model=Page[KnowledgeSummary])
async def list_entries(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words of the title, summary or text.")] = None,
    entry_type: Annotated[EntryType | None, Query(description="Only this type.")] = None,
    item_code: Annotated[
        str | None, Query(pattern=r"^\d{14}$", description="Entries citing this catalog item.")
    ] = None,
    status: Annotated[EntryStatus | None, Query(description="in_force, amended, repealed or draft.")] = None,
    tag: Annotated[str | None, Query(max_length=50, description="A tag.")] = None,
    sort: Annotated[str | None, Query(description="title, issued_on or modified_at, `-` for descending.")] = None,
) -> Page[KnowledgeSummary]:
    """Search the knowledge base: nationwide entries and those of your region."""
    k = KnowledgeEntry
    statement = select(k)
    if not scope.unrestricted:
        statement = statement.where((k.region_code == NATIONAL) | k.region_code.startswith(scope.prefix))
    if q and (tsquery := search_query(q)):
        statement = statement.where(k.search_vector.op("@@")(func.to_tsquery("simple", tsquery)))
    if entry_type:
        statement = statement.where(k.entry_type == entry_type.value)
    if item_code:
        statement = statement.where(k.item_codes.contains([item_code]))
    if status:
        statement = statement.where(k.status == status.value)
    if tag:
        statement = statement.where(k.tags.any(tag))  # type: ignore[arg-type]  # ARRAY comparator: value = ANY(column)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-modified_at"), k.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[KnowledgeSummary.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{entry_id}", response_model=KnowledgeRead, responses={404: {"description": "No such entry"}})
async def get_entry(entry_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one knowledge-base entry with its text and articles."""
    entry = await session.get(KnowledgeEntry, entry_id)
    if entry is None:
        raise NotFound(f"knowledge entry {entry_id} does not exist")
    if entry.region_code != NATIONAL:
        scope.check_read(region_code=entry.region_code)
    return KnowledgeRead.model_validate(entry)
