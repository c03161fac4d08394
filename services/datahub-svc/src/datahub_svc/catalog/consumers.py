"""Keeps the catalog library current from catalog-svc's events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.catalog.models import CatalogItem
from supervision_schemas.catalog import CATALOG_ITEMS_TOPIC, ItemCreated
from svc_runtime.consumer import Subscription
from svc_runtime.db import utc_now


async def on_items_created(session: AsyncSession, events: Sequence[ItemCreated]) -> None:
    """Upsert the items in one statement; an older event never overwrites a newer one."""
    latest: dict[uuid.UUID, ItemCreated] = {}
    for event in events:
        current = latest.get(event.data.item_id)
        if current is None or current.time <= event.time:
            latest[event.data.item_id] = event
    rows = [
        {
            "item_id": e.data.item_id,
            "code": e.data.code,
            "name": e.data.name,
            "item_type": e.data.item_type.value,
            "supervision_level": e.data.supervision_level.value,
            "implementing_department": e.data.implementing_department,
            "region_code": e.data.region_code,
            "legal_basis": e.data.legal_basis,
            "source_event_id": e.id,
            "source_time": e.time,
            "stored_at": utc_now(),
        }
        for e in latest.values()
    ]
    statement = insert(CatalogItem)
    statement = statement.on_conflict_do_update(
        index_elements=[CatalogItem.item_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "item_id"},
        where=CatalogItem.source_time <= statement.excluded.source_time,
    )
    await session.execute(statement, rows)


subscription = Subscription(
    group="datahub.catalog",
    topics=(CATALOG_ITEMS_TOPIC,),
    handlers={"gov.supervision.catalog.item.created.v1": on_items_created},
)
