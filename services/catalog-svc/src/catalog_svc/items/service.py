"""Supervision item use cases: lifecycle, versions, query; every change stages its event in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, Text, and_, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog_svc.coding import service as coding_service
from catalog_svc.coding.models import CodeTarget
from catalog_svc.errors import IllegalTransition, InvalidField
from catalog_svc.items.models import (
    IN_FORCE,
    ChangeKind,
    ItemClaim,
    ItemKind,
    ItemLegalBasis,
    ItemMapping,
    ItemStatus,
    ItemVersion,
    MappingBasis,
    SupervisionItem,
)
from catalog_svc.items.schemas import (
    Adjustment,
    ClaimCreate,
    FieldDiff,
    ItemCreate,
    ItemRead,
    ItemSummary,
    ItemUpdate,
    LegalBasisIn,
    MappingSuggestion,
    Review,
    StatisticsRow,
    VersionComparison,
)
from catalog_svc.laws.citations import legal_basis_refs
from catalog_svc.laws.models import Law, LawArticle
from catalog_svc.review import service as review_service
from supervision_schemas.catalog import (
    ItemAbolished,
    ItemAbolishedData,
    ItemAdjusted,
    ItemAdjustedData,
    ItemCreated,
    ItemCreatedData,
    ItemPublished,
    ItemPublishedData,
    ItemType,
    LegalBasisRef,
    SupervisionLevel,
)
from supervision_schemas.identifiers import normalise_text
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams, order_by, paginate
from svc_runtime.problems import Conflict, NotFound, Problem
from svc_runtime.scope import DataScope

SOURCE = "/catalog-svc"
UNDER_REVIEW = (ItemStatus.SUBMITTED, ItemStatus.APPROVED, ItemStatus.RETURNED)
SORTABLE = {
    "name": SupervisionItem.name,
    "created_at": SupervisionItem.created_at,
    "code": SupervisionItem.code,
    "published_at": SupervisionItem.published_at,
    "version": SupervisionItem.version,
}

# The lifecycle as data: action -> (statuses it may start from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[ItemStatus], ItemStatus | None]] = {
    "update": (frozenset({ItemStatus.DRAFT, ItemStatus.RETURNED}), None),
    "submit": (frozenset({ItemStatus.DRAFT, ItemStatus.RETURNED}), ItemStatus.SUBMITTED),
    "approve": (frozenset({ItemStatus.SUBMITTED}), ItemStatus.APPROVED),
    "return": (frozenset({ItemStatus.SUBMITTED}), ItemStatus.RETURNED),
    "publish": (frozenset({ItemStatus.APPROVED}), ItemStatus.PUBLISHED),
    "adjust": (frozenset(IN_FORCE), ItemStatus.ADJUSTED),
    "abolish": (frozenset(IN_FORCE), ItemStatus.ABOLISHED),
}
_HINTS = {
    "update": "a submitted, approved or published item cannot be edited in place; adjust a published item instead",
    "publish": "only an approved item can be published (submit it and have it reviewed first)",
}
_VOLATILE = {"version", "status", "created_at", "published_at", "abolished_at"}


class ItemNotFound(NotFound):
    title = "Supervision item not found"


class ItemCodeTaken(Conflict):
    title = "Item code already in use"


def check_transition(item: SupervisionItem, action: str) -> ItemStatus | None:
    allowed, target = TRANSITIONS[action]
    if item.status not in allowed:
        hint = _HINTS.get(action, f"allowed from: {', '.join(sorted(s.value for s in allowed))}")
        raise IllegalTransition(
            f"cannot {action} item {item.id} in status {item.status.value!r}: {hint}",
            current_status=item.status.value,
            action=action,
        )
    return target


def readable(scope: DataScope) -> ColumnElement[bool]:
    """What a caller may read: the published catalog is open to every official; drafts only within scope;
    items under review also to the reviewing departments of the region (事项汇聚审核)."""
    return or_(
        SupervisionItem.status.in_([*IN_FORCE, ItemStatus.ABOLISHED]),
        scope.condition(region=SupervisionItem.region_code, department=SupervisionItem.department_id),
        and_(SupervisionItem.status.in_(UNDER_REVIEW), scope.condition(region=SupervisionItem.region_code)),
    )


def parse_legal_basis(text: str | None) -> list[LegalBasisIn]:
    """《法律》第X条 (possibly several) as structured bases; free text without a title gives none."""
    return [LegalBasisIn(law_title=title, article=article) for title, article in legal_basis_refs(text)]


async def resolve_bases(session: AsyncSession, bases: Sequence[LegalBasisIn]) -> list[ItemLegalBasis]:
    """Resolve bases against the law library; a dangling id is refused with the field that holds it."""
    out: list[ItemLegalBasis] = []
    for i, b in enumerate(bases):
        law: Law | None = None
        article: LawArticle | None = None
        if b.article_id:
            article = await session.get(LawArticle, b.article_id)
            if article is None:
                raise InvalidField(
                    ["body", "legal_bases", i, "article_id"], f"no article {b.article_id} in the law library"
                )
            law = await session.get(Law, article.law_id)
        elif b.law_id:
            law = await session.get(Law, b.law_id)
            if law is None:
                raise InvalidField(["body", "legal_bases", i, "law_id"], f"no law {b.law_id} in the law library")
        elif b.law_title:
            law = await session.scalar(select(Law).where(Law.title == b.law_title))
        if law is not None and article is None and b.article:
            article = await session.scalar(
                select(LawArticle).where(LawArticle.law_id == law.id, LawArticle.article == b.article)
            )
        out.append(
            ItemLegalBasis(
                position=i,
                law_id=law.id if law else None,
                article_id=article.id if article else None,
                law_title=law.title if law else (b.law_title or ""),
                article=article.article if article else b.article,
                clause=b.clause,
            )
        )
    return out


def snapshot(item: SupervisionItem) -> dict[str, Any]:
    return ItemRead.model_validate(item).model_dump(mode="json")


async def record_version(
    session: AsyncSession, item: SupervisionItem, change: ChangeKind, *, actor: str | None, comment: str | None = None
) -> None:
    """Close the current version row and add the next one (every change is a new version)."""
    now = utc_now()
    await session.execute(
        update(ItemVersion).where(ItemVersion.item_id == item.id, ItemVersion.valid_to.is_(None)).values(valid_to=now)
    )
    session.add(
        ItemVersion(
            item_id=item.id,
            version=item.version,
            change=change,
            status=item.status,
            snapshot=snapshot(item),
            comment=comment,
            actor=actor,
            created_at=now,
        )
    )


async def get(
    session: AsyncSession, item_id: uuid.UUID, scope: DataScope, *, for_update: bool = False
) -> SupervisionItem:
    statement = (
        select(SupervisionItem)
        .where(SupervisionItem.id == item_id, readable(scope))
        .options(selectinload(SupervisionItem.legal_bases))
    )
    if for_update:
        statement = statement.with_for_update(of=SupervisionItem)
    item = await session.scalar(statement)
    if item is None:
        raise ItemNotFound(f"no supervision item {item_id} (or it is outside your data scope)")
    return item


async def create(session: AsyncSession, *, data: ItemCreate, scope: DataScope, actor: str | None) -> SupervisionItem:
    """Store a new draft item with its first version and stage `item.created`."""
    department_id = data.department_id or scope.department
    scope.check_write(region_code=data.region_code, department_id=department_id)
    item_id = uuid.uuid4()
    main_item_name = None
    if data.parent_id is not None:
        parent = await session.get(SupervisionItem, data.parent_id)
        if parent is None:
            raise InvalidField("parent_id", f"no supervision item {data.parent_id}")
        if parent.kind is not ItemKind.MAIN:
            raise InvalidField("parent_id", "a sub item's parent must be a main item (two levels only)")
        if parent.status is ItemStatus.ABOLISHED:
            raise InvalidField("parent_id", "the main item is abolished")
        main_item_name = parent.name
    bases = data.legal_bases or parse_legal_basis(data.legal_basis)
    if data.code:
        await coding_service.reserve(session, target=CodeTarget.ITEM, code=data.code, record_id=item_id)
    fields = data.model_dump(exclude={"legal_bases", "department_id"})
    item = SupervisionItem(
        id=item_id,
        **fields,
        department_id=department_id,
        main_item_name=main_item_name,
        status=ItemStatus.DRAFT,
        version=1,
        created_at=utc_now(),
        legal_bases=await resolve_bases(session, bases),
    )
    if item.legal_basis is None and item.legal_bases:
        item.legal_basis = "；".join(f"《{b.law_title}》{b.article or ''}" for b in item.legal_bases)
    session.add(item)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ItemCodeTaken(f"item code {data.code} is already in use") from exc
    await record_version(session, item, ChangeKind.CREATED, actor=actor)
    await outbox.stage(
        session,
        ItemCreated.build(
            source=SOURCE,
            subject=str(item.id),
            data=ItemCreatedData(
                item_id=item.id,
                code=item.code,
                name=item.name,
                item_type=item.item_type,
                supervision_level=item.supervision_level,
                implementing_department=item.implementing_department,
                region_code=item.region_code,
                legal_basis=item.legal_basis,
                created_at=item.created_at,
            ),
        ),
    )
    return item


async def _apply(session: AsyncSession, item: SupervisionItem, changes: ItemUpdate) -> list[str]:
    """Apply the fields given; returns the names of the fields whose value changed."""
    before = snapshot(item)
    values = changes.model_dump(exclude_unset=True, exclude={"legal_bases"})
    for key, value in values.items():
        if key in ("name", "item_type", "supervision_level", "implementing_department") and value is None:
            raise InvalidField(key, "may not be null")
        setattr(item, key, value)
    if changes.legal_bases is not None:
        item.legal_bases = await resolve_bases(session, changes.legal_bases)
    elif "legal_basis" in values:
        item.legal_bases = await resolve_bases(session, parse_legal_basis(changes.legal_basis))
    after = snapshot(item)
    return [k for k in after if k not in _VOLATILE and before.get(k) != after.get(k)]


async def update_item(
    session: AsyncSession, item_id: uuid.UUID, *, data: ItemUpdate, scope: DataScope, actor: str | None
) -> SupervisionItem:
    """Edit a draft or returned item; every edit is a new version."""
    item = await get(session, item_id, scope, for_update=True)
    scope.check_write(region_code=item.region_code, department_id=item.department_id)
    check_transition(item, "update")
    if await _apply(session, item, data):
        item.version += 1
        await record_version(session, item, ChangeKind.UPDATED, actor=actor)
    return item


def _require_legal_basis(item: SupervisionItem) -> None:
    if not item.legal_bases:
        raise InvalidField("legal_bases", "an item needs at least one legal basis (设定依据) before it is submitted")


async def submit(
    session: AsyncSession, item_id: uuid.UUID, *, scope: DataScope, actor: str | None, comment: str | None
) -> SupervisionItem:
    """Submit a draft for aggregation review."""
    item = await get(session, item_id, scope, for_update=True)
    scope.check_write(region_code=item.region_code, department_id=item.department_id)
    target = check_transition(item, "submit")
    _require_legal_basis(item)
    assert target is not None
    item.status = target
    item.version += 1
    await record_version(session, item, ChangeKind.SUBMITTED, actor=actor, comment=comment)
    return item


async def review(
    session: AsyncSession, item_id: uuid.UUID, *, data: Review, scope: DataScope, actor: str | None
) -> SupervisionItem:
    """Approve or return a submitted item: the owner of the region's list reviews it (事项汇聚审核), or, where no
    owner is named, any other department of the region; a department does not review its own items."""
    item = await get(session, item_id, scope, for_update=True)
    scope.check_write(region_code=item.region_code)
    target = check_transition(item, data.decision)
    review_service.check_reviewer(item, await review_service.owner_for(session, item.region_code), scope)
    assert target is not None
    item.status = target
    item.version += 1
    change = ChangeKind.APPROVED if data.decision == "approve" else ChangeKind.RETURNED
    await record_version(session, item, change, actor=actor, comment=data.comment)
    return item


async def review_many(
    session: AsyncSession, item_ids: list[uuid.UUID], *, data: Review, scope: DataScope, actor: str | None
) -> list[SupervisionItem]:
    """Review several items in one transaction: if one cannot be reviewed, none is (the problem names it)."""
    reviewed = []
    for item_id in item_ids:
        try:
            reviewed.append(await review(session, item_id, data=data, scope=scope, actor=actor))
        except Problem as exc:
            raise type(exc)(
                f"item {item_id}: {exc.detail or exc.title}", item_id=str(item_id), **exc.extensions
            ) from exc
    return reviewed


def _snapshot_data(item: SupervisionItem, parent_code: str | None) -> dict[str, Any]:
    assert item.code is not None
    return {
        "item_id": item.id,
        "code": item.code,
        "version": item.version,
        "kind": item.kind.value,
        "parent_id": item.parent_id,
        "parent_code": parent_code,
        "name": item.name,
        "item_type": item.item_type,
        "supervision_level": item.supervision_level,
        "implementing_department": item.implementing_department,
        "department_id": item.department_id,
        "region_code": item.region_code,
        "domain": item.domain,
        "object_types": list(item.object_types),
        "supervision_methods": list(item.supervision_methods),
        "random_check": item.random_check,
        "legal_bases": [
            LegalBasisRef(law_title=b.law_title, article=b.article, law_id=b.law_id, article_id=b.article_id)
            for b in item.legal_bases
        ],
        "effective_from": utc_now(),
    }


async def _parent_code(session: AsyncSession, item: SupervisionItem) -> str | None:
    if item.parent_id is None:
        return None
    parent = await session.get(SupervisionItem, item.parent_id)
    assert parent is not None
    if parent.status not in IN_FORCE or parent.code is None:
        raise IllegalTransition("publish the main item before its sub items")
    return parent.code


async def publish(session: AsyncSession, item_id: uuid.UUID, *, scope: DataScope, actor: str | None) -> SupervisionItem:
    """Publish an approved item: its 14-digit code is generated now (or the reserved one kept) and never changes."""
    item = await get(session, item_id, scope, for_update=True)
    scope.check_write(region_code=item.region_code, department_id=item.department_id)
    target = check_transition(item, "publish")
    assert target is not None
    _require_legal_basis(item)
    parent_code = await _parent_code(session, item)
    if item.code is None:
        item.code = await coding_service.allocate(
            session,
            target=CodeTarget.ITEM,
            record_id=item.id,
            values={"region_code": item.region_code, "item_type": item.item_type.value},
            parent_code=parent_code,
        )
    item.status = target
    item.version += 1
    item.published_at = utc_now()
    await record_version(session, item, ChangeKind.PUBLISHED, actor=actor)
    await outbox.stage(
        session,
        ItemPublished.build(
            source=SOURCE, subject=str(item.id), data=ItemPublishedData(**_snapshot_data(item, parent_code))
        ),
    )
    return item


async def adjust(
    session: AsyncSession, item_id: uuid.UUID, *, data: Adjustment, scope: DataScope, actor: str | None
) -> SupervisionItem:
    """Adjust a published item (立改废释, reform): a new version in force, the same code."""
    item = await get(session, item_id, scope, for_update=True)
    scope.check_write(region_code=item.region_code, department_id=item.department_id)
    target = check_transition(item, "adjust")
    assert target is not None
    changed = await _apply(session, item, data.changes)
    if not changed:
        raise InvalidField("changes", "the adjustment changes nothing")
    _require_legal_basis(item)
    item.status = target
    item.version += 1
    await record_version(session, item, ChangeKind.ADJUSTED, actor=actor, comment=data.reason)
    parent_code = await _parent_code(session, item) if item.parent_id else None
    await outbox.stage(
        session,
        ItemAdjusted.build(
            source=SOURCE,
            subject=str(item.id),
            data=ItemAdjustedData(**_snapshot_data(item, parent_code), changed_fields=changed, reason=data.reason),
        ),
    )
    return item


async def abolish(
    session: AsyncSession, item_id: uuid.UUID, *, reason: str, scope: DataScope, actor: str | None
) -> SupervisionItem:
    """Abolish a published item; its code stays allocated for good."""
    item = await get(session, item_id, scope, for_update=True)
    scope.check_write(region_code=item.region_code, department_id=item.department_id)
    target = check_transition(item, "abolish")
    assert target is not None
    live_subs = await session.scalar(
        select(func.count()).where(SupervisionItem.parent_id == item.id, SupervisionItem.status != ItemStatus.ABOLISHED)
    )
    if live_subs:
        raise IllegalTransition(f"abolish the {live_subs} sub item(s) of this main item first")
    item.status = target
    item.version += 1
    item.abolished_at = utc_now()
    assert item.code is not None
    await coding_service.retire(session, item.code)
    await record_version(session, item, ChangeKind.ABOLISHED, actor=actor, comment=reason)
    await outbox.stage(
        session,
        ItemAbolished.build(
            source=SOURCE,
            subject=str(item.id),
            data=ItemAbolishedData(
                item_id=item.id, code=item.code, version=item.version, reason=reason, abolished_at=item.abolished_at
            ),
        ),
    )
    return item


def item_filters(
    *,
    q: str | None = None,
    item_type: ItemType | None = None,
    region_code: str | None = None,
    department_id: uuid.UUID | None = None,
    domain: str | None = None,
    level: SupervisionLevel | None = None,
    object_type: str | None = None,
    status: ItemStatus | None = None,
    kind: ItemKind | None = None,
    parent_id: uuid.UUID | None = None,
    random_check: bool | None = None,
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if q and (q := normalise_text(q)):
        clauses.append(SupervisionItem.name.ilike(f"%{_escape_like(q)}%", escape="\\"))
        if len(q) > 1:
            # the GIN index on the name's bigrams (migration catalog_svc_0005) finds the candidates;
            # the ILIKE above keeps those where the bigrams are adjacent
            clauses.append(name_bigrams(SupervisionItem.name).contains(name_bigrams(literal(q))))
    if item_type:
        clauses.append(SupervisionItem.item_type == item_type)
    if region_code:
        clauses.append(SupervisionItem.region_code == region_code)
    if department_id:
        clauses.append(SupervisionItem.department_id == department_id)
    if domain:
        clauses.append(SupervisionItem.domain == domain)
    if level:
        clauses.append(SupervisionItem.supervision_level == level)
    if object_type:
        clauses.append(SupervisionItem.object_types.contains([object_type]))
    if status:
        clauses.append(SupervisionItem.status == status)
    if kind:
        clauses.append(SupervisionItem.kind == kind)
    if parent_id:
        clauses.append(SupervisionItem.parent_id == parent_id)
    if random_check is not None:
        clauses.append(SupervisionItem.random_check.is_(random_check))
    return clauses


def name_bigrams(value: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """`catalog_bigrams(value)`: the character pairs of a text, lower-cased (the keyword index's expression)."""
    return func.catalog_bigrams(value, type_=ARRAY(Text))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_items(
    session: AsyncSession, params: PaginationParams, *, scope: DataScope, sort: str | None = None, **filters: Any
) -> tuple[list[Any], int]:
    """Classified query (分类查询) within the caller's scope.

    One statement finds the page's ids and the total in a single pass over the matching rows (a
    window count over narrow rows), then reads the page's items by primary key; only a page past
    the end needs a separate count.
    """
    where = [readable(scope), *item_filters(**filters)]
    ordering = [*order_by(sort, SORTABLE, "-created_at"), SupervisionItem.id]
    page = (
        select(SupervisionItem.id, func.count().over().label("total"))
        .where(*where)
        .order_by(*ordering)
        .offset(params.offset)
        .limit(params.limit)
        .subquery("page")
    )
    rows = (
        await session.execute(
            select(SupervisionItem, page.c.total).join(page, page.c.id == SupervisionItem.id).order_by(*ordering)
        )
    ).all()
    if rows:
        return [r[0] for r in rows], int(rows[0][1])
    if params.offset == 0:
        return [], 0
    return await paginate(session, select(SupervisionItem).where(*where), params)


_GROUPS = {
    "department": SupervisionItem.implementing_department,
    "level": SupervisionItem.supervision_level,
    "type": SupervisionItem.item_type,
    "status": SupervisionItem.status,
    "domain": SupervisionItem.domain,
    "region": SupervisionItem.region_code,
    "kind": SupervisionItem.kind,
}


async def statistics(session: AsyncSession, *, scope: DataScope, group_by: str, **filters: Any) -> list[StatisticsRow]:
    """Counts by department, level, type, status, domain, region or kind."""
    column = _GROUPS.get(group_by)
    if column is None:
        raise InvalidField(
            ["query", "group_by"], f"cannot group by {group_by!r}; allowed: {', '.join(sorted(_GROUPS))}"
        )
    rows = await session.execute(
        select(column, func.count())
        .where(readable(scope), *item_filters(**filters))
        .group_by(column)
        .order_by(func.count().desc())
    )
    return [StatisticsRow(key=None if k is None else str(getattr(k, "value", k)), count=int(n)) for k, n in rows.all()]


async def versions(session: AsyncSession, item_id: uuid.UUID, scope: DataScope) -> list[ItemVersion]:
    await get(session, item_id, scope)
    return list(
        await session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.version))
    )


async def version(session: AsyncSession, item_id: uuid.UUID, number: int, scope: DataScope) -> ItemVersion:
    await get(session, item_id, scope)
    row = await session.scalar(select(ItemVersion).where(ItemVersion.item_id == item_id, ItemVersion.version == number))
    if row is None:
        raise NotFound(f"item {item_id} has no version {number}")
    return row


async def compare(session: AsyncSession, item_id: uuid.UUID, a: int, b: int, scope: DataScope) -> VersionComparison:
    """Field-by-field differences between two versions."""
    va, vb = await version(session, item_id, a, scope), await version(session, item_id, b, scope)
    keys = sorted(set(va.snapshot) | set(vb.snapshot))
    diffs = [
        FieldDiff(field=k, before=va.snapshot.get(k), after=vb.snapshot.get(k))
        for k in keys
        if va.snapshot.get(k) != vb.snapshot.get(k)
    ]
    return VersionComparison(item_id=item_id, from_version=a, to_version=b, differences=diffs)


async def as_of(session: AsyncSession, item_id: uuid.UUID, at: datetime, scope: DataScope) -> ItemVersion:
    """The version of an item that was current at a moment."""
    await get(session, item_id, scope)
    row = await session.scalar(
        select(ItemVersion)
        .where(ItemVersion.item_id == item_id, ItemVersion.created_at <= at)
        .order_by(ItemVersion.created_at.desc(), ItemVersion.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound(f"item {item_id} did not exist at {at.isoformat()}")
    return row


async def catalog_as_of(
    session: AsyncSession, at: datetime, params: PaginationParams, scope: DataScope
) -> tuple[list[ItemVersion], int]:
    """What the published catalog said at a moment: each item's version then, if it was in force."""
    current = (
        select(ItemVersion)
        .join(SupervisionItem, SupervisionItem.id == ItemVersion.item_id)
        .where(
            ItemVersion.created_at <= at,
            or_(ItemVersion.valid_to.is_(None), ItemVersion.valid_to > at),
            ItemVersion.status.in_(IN_FORCE),
            readable(scope),
        )
        .order_by(ItemVersion.created_at, ItemVersion.item_id)
    )
    return await paginate(session, current, params)


async def claim(session: AsyncSession, item_id: uuid.UUID, *, data: ClaimCreate, scope: DataScope) -> ItemClaim:
    """A department claims (认领) a published provincial or national item for its level."""
    item = await get(session, item_id, scope)
    if item.status not in IN_FORCE:
        raise IllegalTransition(f"only a published item can be claimed (this one is {item.status.value!r})")
    department_id = data.department_id or scope.department
    if department_id is None:
        raise InvalidField("department_id", "give the claiming department")
    scope.check_write(region_code=data.region_code, department_id=department_id)
    if not data.region_code.startswith(_prefix(item.region_code)):
        raise InvalidField(
            "region_code", f"region {data.region_code} lies outside the item's region {item.region_code}"
        )
    row = ItemClaim(
        id=uuid.uuid4(), item_id=item.id, department_id=department_id, **data.model_dump(exclude={"department_id"})
    )
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("this department has already claimed the item") from exc
    return row


def _prefix(region_code: str) -> str:
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code


async def claims(session: AsyncSession, item_id: uuid.UUID, scope: DataScope) -> list[ItemClaim]:
    await get(session, item_id, scope)
    return list(
        await session.scalars(select(ItemClaim).where(ItemClaim.item_id == item_id).order_by(ItemClaim.created_at))
    )


async def add_mapping(
    session: AsyncSession,
    item_id: uuid.UUID,
    *,
    target_id: uuid.UUID,
    scope: DataScope,
    basis: MappingBasis = MappingBasis.MANUAL,
) -> ItemMapping:
    """Map a local item to a provincial or national one; cycles and self-references are refused."""
    item = await get(session, item_id, scope)
    scope.check_write(region_code=item.region_code, department_id=item.department_id)
    if target_id == item_id:
        raise InvalidField("target_item_id", "an item cannot map to itself")
    target = await session.get(SupervisionItem, target_id)
    if target is None:
        raise InvalidField("target_item_id", f"no supervision item {target_id}")
    reachable = await session.scalar(
        select(func.count()).select_from(
            select(ItemMapping.local_item_id)
            .where(ItemMapping.local_item_id == target_id, ItemMapping.target_item_id == item_id)
            .subquery()
        )
    )
    chain = {target_id}
    frontier = {target_id}
    while frontier and not reachable:
        nxt = set(
            await session.scalars(select(ItemMapping.target_item_id).where(ItemMapping.local_item_id.in_(frontier)))
        )
        if item_id in nxt:
            reachable = 1
        frontier = nxt - chain
        chain |= nxt
    if reachable:
        raise InvalidField(
            "target_item_id", "the mapping would make a cycle (the target already maps back to this item)"
        )
    row = ItemMapping(id=uuid.uuid4(), local_item_id=item_id, target_item_id=target_id, basis=basis)
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("the mapping exists already") from exc
    return row


async def mappings(session: AsyncSession, item_id: uuid.UUID, scope: DataScope) -> list[ItemMapping]:
    await get(session, item_id, scope)
    return list(
        await session.scalars(
            select(ItemMapping).where(or_(ItemMapping.local_item_id == item_id, ItemMapping.target_item_id == item_id))
        )
    )


_HIGHER = {
    SupervisionLevel.COUNTY: (SupervisionLevel.CITY, SupervisionLevel.PROVINCE, SupervisionLevel.NATIONAL),
    SupervisionLevel.CITY: (SupervisionLevel.PROVINCE, SupervisionLevel.NATIONAL),
    SupervisionLevel.PROVINCE: (SupervisionLevel.NATIONAL,),
    SupervisionLevel.NATIONAL: (),
}


async def suggest_mappings(
    session: AsyncSession, item_id: uuid.UUID, scope: DataScope, limit: int = 10
) -> list[MappingSuggestion]:
    """Higher-level items resting on the same law articles (法定依据同源), ranked by shared bases and name similarity."""
    item = await get(session, item_id, scope)
    keys = [(b.law_title, b.article) for b in item.legal_bases]
    levels = _HIGHER[item.supervision_level] or tuple(SupervisionLevel)
    if not keys:
        return []
    same = or_(
        *[
            and_(ItemLegalBasis.law_title == t, ItemLegalBasis.article == a if a else ItemLegalBasis.article.is_(None))
            for t, a in keys
        ]
    )
    shared = func.array_agg(
        func.concat("《", ItemLegalBasis.law_title, "》", func.coalesce(ItemLegalBasis.article, ""))
    )
    similarity = func.similarity(SupervisionItem.name, item.name)
    rows = await session.execute(
        select(SupervisionItem, shared, similarity)
        .join(ItemLegalBasis, ItemLegalBasis.item_id == SupervisionItem.id)
        .where(
            same,
            SupervisionItem.id != item.id,
            SupervisionItem.supervision_level.in_(levels),
            SupervisionItem.status.in_(IN_FORCE),
        )
        .group_by(SupervisionItem.id)
        .order_by(func.count().desc(), similarity.desc())
        .limit(limit)
    )
    out = []
    for candidate, bases, sim in rows.all():
        score = round(len(bases) / max(len(keys), 1) * 0.7 + float(sim) * 0.3, 3)
        out.append(
            MappingSuggestion(
                item=ItemSummary.model_validate(candidate),
                shared_legal_bases=sorted(set(bases)),
                name_similarity=round(float(sim), 3),
                score=score,
            )
        )
    return out
