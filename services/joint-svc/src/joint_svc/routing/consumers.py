"""Keeps the department directory and the catalog items current from auth-svc's and catalog-svc's events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.routing.models import CatalogItem, Department
from supervision_schemas.auth import ORG_TOPIC, DepartmentChanged
from supervision_schemas.catalog import CATALOG_ITEMS_TOPIC, ItemAbolished, ItemAdjusted, ItemPublished
from svc_runtime.consumer import Subscription


async def on_departments(session: AsyncSession, events: Sequence[DepartmentChanged]) -> None:
    """Upsert departments; an older event never overwrites a newer one."""
    latest: dict[object, DepartmentChanged] = {}
    for e in events:
        current = latest.get(e.data.department_id)
        if current is None or current.data.changed_at <= e.data.changed_at:
            latest[e.data.department_id] = e
    rows = [
        {
            "department_id": e.data.department_id,
            "name": e.data.name,
            "department_type": e.data.department_type,
            "region_code": e.data.region_code,
            "parent_id": e.data.parent_id,
            "credit_code": e.data.credit_code,
            "active": e.data.active,
            "changed_at": e.data.changed_at,
        }
        for e in latest.values()
    ]
    statement = insert(Department)
    statement = statement.on_conflict_do_update(
        index_elements=[Department.department_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "department_id"},
        where=Department.changed_at <= statement.excluded.changed_at,
    )
    await session.execute(statement, rows)


async def on_items(session: AsyncSession, events: Sequence[ItemPublished | ItemAdjusted]) -> None:
    """Upsert published items by code; an older version never overwrites a newer one."""
    latest: dict[str, ItemPublished | ItemAdjusted] = {}
    for e in events:
        current = latest.get(e.data.code)
        if current is None or current.data.version <= e.data.version:
            latest[e.data.code] = e
    rows = [
        {
            "code": e.data.code,
            "item_id": e.data.item_id,
            "name": e.data.name,
            "department_id": e.data.department_id,
            "implementing_department": e.data.implementing_department,
            "region_code": e.data.region_code,
            "domain": e.data.domain,
            "active": True,
            "version": e.data.version,
        }
        for e in latest.values()
    ]
    statement = insert(CatalogItem)
    statement = statement.on_conflict_do_update(
        index_elements=[CatalogItem.code],
        set_={k: statement.excluded[k] for k in rows[0] if k != "code"},
        where=CatalogItem.version <= statement.excluded.version,
    )
    await session.execute(statement, rows)


async def on_items_abolished(session: AsyncSession, events: Sequence[ItemAbolished]) -> None:
    for e in events:
        await session.execute(
            update(CatalogItem)
            .where(CatalogItem.code == e.data.code, CatalogItem.version <= e.data.version)
            .values(active=False, version=e.data.version)
        )


def subscription(group: str = "joint.directory") -> Subscription:
    return Subscription(
        group=group,
        topics=(ORG_TOPIC, CATALOG_ITEMS_TOPIC),
        handlers={
            "gov.supervision.auth.department.changed.v1": on_departments,
            "gov.supervision.catalog.item.published.v1": on_items,
            "gov.supervision.catalog.item.adjusted.v1": on_items,
            "gov.supervision.catalog.item.abolished.v1": on_items_abolished,
        },
    )
