"""HTTP interface of supervision items: catalog management, review, publication, versions, claims, mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from catalog_svc.items import service as item_service
from catalog_svc.items.kinds import ObjectType
from catalog_svc.items.models import ItemKind, ItemStatus
from catalog_svc.items.schemas import (
    Abolition,
    Adjustment,
    ClaimCreate,
    ClaimRead,
    Comment,
    ItemCreate,
    ItemRead,
    ItemSummary,
    ItemUpdate,
    MappingCreate,
    MappingRead,
    MappingSuggestion,
    Review,
    Statistics,
    VersionComparison,
    VersionRead,
)
from catalog_svc.review import service as review_service
from catalog_svc.review.schemas import BatchReview, QueuedItem
from catalog_svc.validation.service import ValidationCacheDep
from supervision_schemas.catalog import ItemType, SupervisionLevel
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/items", tags=["items"])

CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Illegal lifecycle transition or code conflict"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such item in your scope"}}
Q = Annotated[str | None, Query(max_length=100, description="Chinese keyword the item name contains.")]
TypeQ = Annotated[ItemType | None, Query(description="Only items of this type.")]
RegionQ = Annotated[str | None, Query(pattern=r"^\d{6}$", description="Only items of this region.")]
DeptQ = Annotated[uuid.UUID | None, Query(description="Only items of this department.")]
DomainQ = Annotated[str | None, Query(max_length=60, description="Only items of this field (业务领域).")]
LevelQ = Annotated[SupervisionLevel | None, Query(description="Only items of this supervision level.")]
ObjectQ = Annotated[ObjectType | None, Query(description="Only items supervising this object type.")]
StatusQ = Annotated[ItemStatus | None, Query(description="Only items in this status.")]
KindQ = Annotated[ItemKind | None, Query(description="Only main or only sub items.")]
ParentQ = Annotated[uuid.UUID | None, Query(description="Only the sub items of this main item.")]
RandomQ = Annotated[bool | None, Query(description="Only random-check items (or only the others).")]


@router.post("", response_model=ItemRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def create_item(
    data: ItemCreate, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> ItemRead:
    """Create a draft supervision item (主项, or 子项 with parent_id)."""
    item = await item_service.create(session, data=data, scope=scope, actor=principal.subject)
    return ItemRead.model_validate(item)


@router.get("", response_model=Page[ItemSummary])
async def list_items(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Q = None,
    item_type: TypeQ = None,
    region_code: RegionQ = None,
    department_id: DeptQ = None,
    domain: DomainQ = None,
    level: LevelQ = None,
    object_type: ObjectQ = None,
    status: StatusQ = None,
    kind: KindQ = None,
    parent_id: ParentQ = None,
    random_check: RandomQ = None,
    sort: Annotated[
        str | None,
        Query(description="Comma-separated fields, `-` for descending: name, code, created_at, published_at, version."),
    ] = None,
) -> Page[ItemSummary]:
    """Classified query of supervision items (分类查询)."""
    items, total = await item_service.list_items(
        session,
        pagination,
        scope=scope,
        sort=sort,
        q=q,
        item_type=item_type,
        region_code=region_code,
        department_id=department_id,
        domain=domain,
        level=level,
        object_type=object_type,
        status=status,
        kind=kind,
        parent_id=parent_id,
        random_check=random_check,
    )
    return Page(
        items=[ItemSummary.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/statistics", response_model=Statistics)
async def item_statistics(
    session: SessionDep,
    scope: DataScopeDep,
    group_by: Annotated[str, Query(description="department, level, type, status, domain, region or kind.")] = "status",
    q: Q = None,
    item_type: TypeQ = None,
    level: LevelQ = None,
    status: StatusQ = None,
    domain: DomainQ = None,
) -> Statistics:
    """Count items by department, level, type, status, domain, region or kind."""
    rows = await item_service.statistics(
        session, scope=scope, group_by=group_by, q=q, item_type=item_type, level=level, status=status, domain=domain
    )
    return Statistics(group_by=group_by, total=sum(r.count for r in rows), rows=rows)


@router.get("/review-queue", response_model=Page[QueuedItem])
async def review_queue(session: SessionDep, scope: DataScopeDep, pagination: PaginationDep) -> Page[QueuedItem]:
    """List the submitted items waiting for your review (事项汇聚审核), oldest first."""
    rows, total = await review_service.queue(session, pagination, scope=scope)
    return Page(
        items=[QueuedItem(**ItemSummary.model_validate(i).model_dump(), reviewer=reviewer) for i, reviewer in rows],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.post(
    "/reviews",
    response_model=list[ItemRead],
    responses={403: {"description": "Not the reviewer of an item"}, **NOT_FOUND, **CONFLICT},
)
async def review_items(
    data: BatchReview, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> list[ItemRead]:
    """Approve or return several submitted items at once; if one cannot be reviewed, none is."""
    items = await item_service.review_many(
        session,
        data.item_ids,
        data=Review(decision=data.decision, comment=data.comment),
        scope=scope,
        actor=principal.subject,
    )
    return [ItemRead.model_validate(i) for i in items]


@router.get("/as-of", response_model=Page[VersionRead])
async def catalog_as_of(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    at: Annotated[AwareDatetime, Query(description="The moment (RFC 3339 with offset).")],
) -> Page[VersionRead]:
    """List what the published catalog said at a past moment."""
    rows, total = await item_service.catalog_as_of(session, at, pagination, scope)
    return Page(
        items=[VersionRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{item_id}", response_model=ItemRead, responses=NOT_FOUND)
async def get_item(item_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> ItemRead:
    """Get a supervision item by id."""
    return ItemRead.model_validate(await item_service.get(session, item_id, scope))


@router.patch("/{item_id}", response_model=ItemRead, responses={**NOT_FOUND, **CONFLICT})
async def update_item(
    item_id: uuid.UUID, data: ItemUpdate, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> ItemRead:
    """Edit a draft or returned item (a new version)."""
    item = await item_service.update_item(session, item_id, data=data, scope=scope, actor=principal.subject)
    return ItemRead.model_validate(item)


@router.post("/{item_id}/submit", response_model=ItemRead, responses={**NOT_FOUND, **CONFLICT})
async def submit_item(
    item_id: uuid.UUID,
    session: SessionDep,
    scope: DataScopeDep,
    principal: CurrentPrincipal,
    data: Comment | None = None,
) -> ItemRead:
    """Submit a draft item for aggregation review."""
    item = await item_service.submit(
        session, item_id, scope=scope, actor=principal.subject, comment=data.comment if data else None
    )
    return ItemRead.model_validate(item)


@router.post("/{item_id}/review", response_model=ItemRead, responses={**NOT_FOUND, **CONFLICT})
async def review_item(
    item_id: uuid.UUID, data: Review, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> ItemRead:
    """Approve or return (with comments) a submitted item."""
    return ItemRead.model_validate(
        await item_service.review(session, item_id, data=data, scope=scope, actor=principal.subject)
    )


@router.post("/{item_id}/publish", response_model=ItemRead, responses={**NOT_FOUND, **CONFLICT})
async def publish_item(
    item_id: uuid.UUID, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal, cache: ValidationCacheDep
) -> ItemRead:
    """Publish an approved item; its 14-digit code is generated now and never changes."""
    item = await item_service.publish(session, item_id, scope=scope, actor=principal.subject)
    await cache.bump()
    return ItemRead.model_validate(item)


@router.post("/{item_id}/adjust", response_model=ItemRead, responses={**NOT_FOUND, **CONFLICT})
async def adjust_item(
    item_id: uuid.UUID,
    data: Adjustment,
    session: SessionDep,
    scope: DataScopeDep,
    principal: CurrentPrincipal,
    cache: ValidationCacheDep,
) -> ItemRead:
    """Adjust a published item: a new version in force under the same code."""
    item = await item_service.adjust(session, item_id, data=data, scope=scope, actor=principal.subject)
    await cache.bump()
    return ItemRead.model_validate(item)


@router.post("/{item_id}/abolish", response_model=ItemRead, responses={**NOT_FOUND, **CONFLICT})
async def abolish_item(
    item_id: uuid.UUID,
    data: Abolition,
    session: SessionDep,
    scope: DataScopeDep,
    principal: CurrentPrincipal,
    cache: ValidationCacheDep,
) -> ItemRead:
    """Abolish a published item; its code is never reused."""
    item = await item_service.abolish(session, item_id, reason=data.reason, scope=scope, actor=principal.subject)
    await cache.bump()
    return ItemRead.model_validate(item)


@router.get("/{item_id}/versions", response_model=list[VersionRead], responses=NOT_FOUND)
async def list_versions(item_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[VersionRead]:
    """List every version of an item."""
    return [VersionRead.model_validate(v) for v in await item_service.versions(session, item_id, scope)]


@router.get("/{item_id}/versions/compare", response_model=VersionComparison, responses=NOT_FOUND)
async def compare_versions(
    item_id: uuid.UUID,
    session: SessionDep,
    scope: DataScopeDep,
    from_version: Annotated[int, Query(alias="from", ge=1, description="Older version number.")],
    to_version: Annotated[int, Query(alias="to", ge=1, description="Newer version number.")],
) -> VersionComparison:
    """Compare two versions of an item field by field."""
    return await item_service.compare(session, item_id, from_version, to_version, scope)


@router.get("/{item_id}/versions/{number}", response_model=VersionRead, responses=NOT_FOUND)
async def get_version(item_id: uuid.UUID, number: int, session: SessionDep, scope: DataScopeDep) -> VersionRead:
    """Get one version of an item."""
    return VersionRead.model_validate(await item_service.version(session, item_id, number, scope))


@router.get("/{item_id}/as-of", response_model=VersionRead, responses=NOT_FOUND)
async def item_as_of(
    item_id: uuid.UUID,
    session: SessionDep,
    scope: DataScopeDep,
    at: Annotated[datetime, Query(description="The moment (RFC 3339 with offset).")],
) -> VersionRead:
    """Get the version of an item that was current at a moment."""
    return VersionRead.model_validate(await item_service.as_of(session, item_id, at, scope))


@router.post("/{item_id}/claims", response_model=ClaimRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def claim_item(
    item_id: uuid.UUID, data: ClaimCreate, session: SessionDep, scope: DataScopeDep, cache: ValidationCacheDep
) -> ClaimRead:
    """Claim (认领) a published item for a department's own level and region."""
    row = await item_service.claim(session, item_id, data=data, scope=scope)
    await cache.bump()
    return ClaimRead.model_validate(row)


@router.get("/{item_id}/claims", response_model=list[ClaimRead], responses=NOT_FOUND)
async def list_claims(item_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[ClaimRead]:
    """List the departments that claimed an item."""
    return [ClaimRead.model_validate(c) for c in await item_service.claims(session, item_id, scope)]


@router.post("/{item_id}/mappings", response_model=MappingRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def map_item(item_id: uuid.UUID, data: MappingCreate, session: SessionDep, scope: DataScopeDep) -> MappingRead:
    """Map a local item to a provincial or national item."""
    row = await item_service.add_mapping(session, item_id, target_id=data.target_item_id, scope=scope)
    return MappingRead.model_validate(row)


@router.get("/{item_id}/mappings", response_model=list[MappingRead], responses=NOT_FOUND)
async def list_mappings(item_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[MappingRead]:
    """List the mappings from and to an item."""
    return [MappingRead.model_validate(m) for m in await item_service.mappings(session, item_id, scope)]


@router.get("/{item_id}/mapping-suggestions", response_model=list[MappingSuggestion], responses=NOT_FOUND)
async def mapping_suggestions(item_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[MappingSuggestion]:
    """Suggest higher-level items with the same legal basis (法定依据同源)."""
    return await item_service.suggest_mappings(session, item_id, scope)
