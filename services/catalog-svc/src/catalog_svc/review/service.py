"""Aggregation review (事项汇聚审核): who reviews a submitted item, and the queue of what waits for a reviewer.

Where a region has a list owner (the department that owns the region's list, set by platform
administrators), the nearest owner up the region tree (the region itself, its city, its province,
the country) reviews the region's items. Where none is set, any other department of the region may.
A department never reviews its own items.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_svc.errors import IllegalTransition
from catalog_svc.items.models import ItemStatus, SupervisionItem
from catalog_svc.review.models import ListOwner
from catalog_svc.review.schemas import ListOwnerSet
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, OutOfScope

NATIONAL = "100000"


def owner_regions(region_code: str) -> list[str]:
    """The region and the regions above it, nearest first."""
    return list(dict.fromkeys([region_code, region_code[:4] + "00", region_code[:2] + "0000", NATIONAL]))


async def owner_for(session: AsyncSession, region_code: str) -> ListOwner | None:
    regions = owner_regions(region_code)
    owners = {
        o.region_code: o for o in await session.scalars(select(ListOwner).where(ListOwner.region_code.in_(regions)))
    }
    return next((owners[r] for r in regions if r in owners), None)


def check_reviewer(item: SupervisionItem, owner: ListOwner | None, scope: DataScope) -> None:
    """Refuse a reviewer that is not the owner of the item's list (or that submitted the item)."""
    if scope.unrestricted:
        return
    if item.department_id is not None and scope.department == item.department_id:
        raise IllegalTransition("a department cannot review its own item; the owner of the list reviews it")
    if owner is not None and scope.department != owner.department_id:
        raise OutOfScope(
            f"items of region {item.region_code} are reviewed by {owner.department_name}, the owner of the list"
        )


async def set_owner(session: AsyncSession, region_code: str, *, data: ListOwnerSet, scope: DataScope) -> ListOwner:
    if not scope.unrestricted:
        raise OutOfScope("only platform administrators name the owners of lists")
    owner = await session.get(ListOwner, region_code)
    if owner is None:
        owner = ListOwner(region_code=region_code, created_at=utc_now(), **data.model_dump())
        session.add(owner)
    else:
        owner.department_id = data.department_id
        owner.department_name = data.department_name
    await session.flush()
    return owner


async def remove_owner(session: AsyncSession, region_code: str, *, scope: DataScope) -> None:
    if not scope.unrestricted:
        raise OutOfScope("only platform administrators name the owners of lists")
    owner = await session.get(ListOwner, region_code)
    if owner is None:
        raise NotFound(f"region {region_code} has no list owner")
    await session.delete(owner)


async def owners(session: AsyncSession) -> list[ListOwner]:
    return list(await session.scalars(select(ListOwner).order_by(ListOwner.region_code)))


def _nearest_owner() -> Any:
    """Correlated subquery: the nearest list owner of each item's region."""
    region = SupervisionItem.region_code
    candidates = [
        region,
        func.substr(region, 1, 4) + "00",
        func.substr(region, 1, 2) + "0000",
        cast(literal(NATIONAL), String),
    ]
    rank = case(*[(ListOwner.region_code == c, n) for n, c in enumerate(candidates)], else_=9)
    return (
        select(ListOwner.department_id, ListOwner.department_name)
        .where(ListOwner.region_code.in_(candidates))
        .order_by(rank)
        .limit(1)
        .correlate(SupervisionItem)
        .lateral("owner")
    )


async def queue(
    session: AsyncSession, params: PaginationParams, *, scope: DataScope
) -> tuple[list[tuple[SupervisionItem, str | None]], int]:
    """Submitted items in the caller's region that the caller may review, oldest first."""
    owner = _nearest_owner()
    statement = (
        select(SupervisionItem, owner.c.department_name)
        .outerjoin(owner, literal(True))
        .where(
            SupervisionItem.status == ItemStatus.SUBMITTED,
            scope.condition(region=SupervisionItem.region_code),
        )
    )
    if not scope.unrestricted:
        mine = scope.department
        statement = statement.where(
            or_(SupervisionItem.department_id.is_(None), SupervisionItem.department_id != mine),
            or_(owner.c.department_id == mine, and_(owner.c.department_id.is_(None), literal(mine is not None))),
        )
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = (
        await session.execute(
            statement.order_by(SupervisionItem.modified_at, SupervisionItem.id)
            .offset(params.offset)
            .limit(params.limit)
        )
    ).all()
    return [(r[0], r[1]) for r in rows], int(total or 0)
