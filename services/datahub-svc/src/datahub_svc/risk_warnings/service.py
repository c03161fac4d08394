"""Keeping risk-svc's warnings, linked to their objects, for profiles."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.linking import service as linking_service
from datahub_svc.risk_warnings.models import RiskWarning
from supervision_schemas.risk import WarningClosed, WarningRaised, WarningUpdated

_FIELDS = (
    "title",
    "level",
    "score",
    "domain",
    "rule_id",
    "responsible_department_id",
    "responsible_department",
    "updated_at",
    "object_id",
    "uscc",
    "name",
    "region_code",
)


async def store_warnings(session: AsyncSession, events: Sequence[WarningRaised | WarningUpdated]) -> None:
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    for e in events:
        d = e.data
        object_id = None
        if d.object.object_id:
            try:
                object_id = uuid.UUID(d.object.object_id)
            except ValueError:
                object_id = None
        rows[d.warning_id] = {
            "id": d.warning_id,
            "object_key": d.object.key,
            "object_id": object_id,
            "uscc": d.object.uscc,
            "name": d.object.name,
            "region_code": d.object.region_code,
            "title": d.title,
            "level": d.level.value,
            "score": d.score,
            "domain": d.domain.value,
            "rule_id": d.rule_id,
            "responsible_department_id": d.responsible_department_id,
            "responsible_department": d.responsible_department,
            "status": "open",
            "raised_at": d.raised_at,
            "updated_at": d.updated_at,
        }
    for r in rows.values():
        r["object_id"], _, _ = await linking_service.link_any(
            session, object_id=r["object_id"], uscc=r["uscc"], name=r["name"], region_code=r["region_code"]
        )
    statement = insert(RiskWarning).values(list(rows.values()))
    statement = statement.on_conflict_do_update(
        index_elements=[RiskWarning.id],
        set_={f: statement.excluded[f] for f in _FIELDS},
        where=RiskWarning.updated_at <= statement.excluded.updated_at,
    )
    await session.execute(statement)


async def close_warnings(session: AsyncSession, events: Sequence[WarningClosed]) -> None:
    for e in events:
        await session.execute(
            update(RiskWarning)
            .where(RiskWarning.id == e.data.warning_id)
            .values(status="closed", outcome=e.data.outcome.value, closed_at=e.data.closed_at)
        )
