"""Keeps the catalog library current from catalog-svc's events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from supervision_schemas.catalog import CATALOG_ITEMS_TOPIC, ItemCreated
from svc_runtime.consumer import Subscription

# One statement with a parameter per column (arrays), not per value: cheap to bind for thousands of rows.
_UPSERT = text(
    """
    INSERT INTO catalog_items (item_id, code, name, item_type, supervision_level, implementing_department,
                               region_code, legal_basis, source_event_id, source_time, stored_at)
    SELECT *, now() FROM unnest(
        CAST(:item_id AS uuid[]), CAST(:code AS text[]), CAST(:name AS text[]), CAST(:item_type AS text[]),
        CAST(:level AS text[]), CAST(:department AS text[]), CAST(:region AS text[]),
        CAST(:legal_basis AS text[]), CAST(:event_id AS text[]), CAST(:time AS timestamptz[]))
    ON CONFLICT (item_id) DO UPDATE SET
        code = excluded.code, name = excluded.name, item_type = excluded.item_type,
        supervision_level = excluded.supervision_level, implementing_department = excluded.implementing_department,
        region_code = excluded.region_code, legal_basis = excluded.legal_basis,
        source_event_id = excluded.source_event_id, source_time = excluded.source_time, stored_at = excluded.stored_at
    WHERE catalog_items.source_time <= excluded.source_time
    """
)


async def on_items_created(session: AsyncSession, events: Sequence[ItemCreated]) -> None:
    """Upsert the items in one statement; an older event never overwrites a newer one."""
    latest: dict[uuid.UUID, ItemCreated] = {}
    for event in events:
        current = latest.get(event.data.item_id)
        if current is None or current.time <= event.time:
            latest[event.data.item_id] = event
    chosen = list(latest.values())
    await session.execute(
        _UPSERT,
        {
            "item_id": [e.data.item_id for e in chosen],
            "code": [e.data.code for e in chosen],
            "name": [e.data.name for e in chosen],
            "item_type": [e.data.item_type.value for e in chosen],
            "level": [e.data.supervision_level.value for e in chosen],
            "department": [e.data.implementing_department for e in chosen],
            "region": [e.data.region_code for e in chosen],
            "legal_basis": [e.data.legal_basis for e in chosen],
            "event_id": [e.id for e in chosen],
            "time": [e.time for e in chosen],
        },
    )


subscription = Subscription(
    group="datahub.catalog",
    topics=(CATALOG_ITEMS_TOPIC,),
    handlers={"gov.supervision.catalog.item.created.v1": on_items_created},
)
