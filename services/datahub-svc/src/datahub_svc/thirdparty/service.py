"""Cleaning, linking and storing third-party observations (agency pushes and risk signals)."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import cast, func
from sqlalchemy.dialects.postgresql import TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.access import WriteScope
from datahub_svc.cleaning.standardise import tsvector_literal
from datahub_svc.linking import service as linking_service
from datahub_svc.objects.prepare import RowError
from datahub_svc.quality import service as quality_service
from datahub_svc.records import RowCleaner
from datahub_svc.thirdparty.models import ThirdPartyRecord
from datahub_svc.thirdparty.schemas import ThirdPartyIn
from supervision_schemas.signals import MAX_CLOCK_SKEW, ObservationRecorded
from svc_runtime.db import utc_now

_INDUSTRY = re.compile(r"^[A-T](\d{2,4})?$")
_FIELDS = (
    "kind",
    "category",
    "channel",
    "observed_at",
    "values",
    "threshold_exceeded",
    "excerpt",
    "url",
    "object_id",
    "uscc",
    "object_name",
    "region_code",
    "industry_code",
    "department_id",
    "link_method",
    "search_vector",
    "source",
    "provider_department_id",
)


def clean_observation(
    item: ThirdPartyIn, row: int, *, source: str, provider: uuid.UUID | None, check: WriteScope | None
) -> tuple[dict[str, Any] | None, list[RowError]]:
    c = RowCleaner(row)
    reference = c.text("reference", item.reference, 100, required=True)
    region = c.region("region_code", item.region_code)
    industry = c.text("industry_code", item.industry_code, 10)
    if industry is not None:
        industry = industry.upper()
        if not _INDUSTRY.match(industry):
            c.fail("industry_code", "not a GB/T 4754 industry code (a letter A-T and 2-4 digits)")
    for name, value in item.values.items():
        if not name or len(name) > 64 or not math.isfinite(value):
            c.fail("values", f"value {name[:64]!r} needs a name of 1-64 characters and a finite number")
    if item.observed_at > utc_now() + MAX_CLOCK_SKEW:
        c.fail("observed_at", "lies in the future")
    values = {
        "record_key": f"{source}:{reference}",
        "kind": item.kind.value,
        "category": c.text("category", item.category, 30),
        "channel": c.text("channel", item.channel, 100, required=True),
        "observed_at": item.observed_at,
        "values": dict(item.values),
        "threshold_exceeded": item.threshold_exceeded,
        "excerpt": c.text("excerpt", item.excerpt, 2000),
        "url": c.text("url", item.url, 2000),
        "object_id": None,
        "uscc": c.uscc("uscc", item.uscc),
        "object_name": c.text("object_name", item.object_name, 300, required=True),
        "region_code": region,
        "industry_code": industry,
        "department_id": item.department_id,
        "source": source,
        "provider_department_id": provider,
    }
    c.scope(check, region, item.department_id)
    return (None, c.errors) if c.errors else (values, [])


def from_event(event: ObservationRecorded) -> dict[str, Any]:
    d = event.data
    object_id = None
    if d.object.object_id:
        try:
            object_id = uuid.UUID(d.object.object_id)
        except ValueError:
            object_id = None
    return {
        "record_key": str(d.observation_id),
        "kind": d.kind.value,
        "category": d.category.value,
        "channel": d.channel,
        "observed_at": d.observed_at,
        "values": dict(d.values),
        "threshold_exceeded": d.threshold_exceeded,
        "excerpt": d.excerpt,
        "url": d.url,
        "object_id": object_id,
        "uscc": d.object.uscc,
        "object_name": d.object.name,
        "region_code": d.object.region_code,
        "industry_code": d.object.industry_code,
        "department_id": d.object.department_id,
        "source": event.source,
        "provider_department_id": d.object.department_id,
    }


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Link and upsert observations by key; the library's quality rules run on them."""
    latest = {r["record_key"]: dict(r) for r in rows}
    for r in latest.values():
        object_id, method, _ = await linking_service.link_any(
            session, object_id=r["object_id"], uscc=r["uscc"], name=r["object_name"], region_code=r["region_code"]
        )
        text = " ".join(filter(None, (r["object_name"], r["excerpt"], r["channel"])))
        r.update(
            object_id=object_id,
            link_method=method,
            search_vector=cast(tsvector_literal(text, r["uscc"]), TSVECTOR),
            modified_at=utc_now(),
        )
    statement = insert(ThirdPartyRecord).values(list(latest.values()))
    upsert = statement.on_conflict_do_update(
        index_elements=[ThirdPartyRecord.record_key],
        set_={**{f: statement.excluded[f] for f in _FIELDS}, "modified_at": func.now()},
    ).returning(ThirdPartyRecord.record_key, ThirdPartyRecord.id)
    stored: dict[str, uuid.UUID] = dict((await session.execute(upsert)).all())
    await quality_service.check_records(session, "thirdparty", list(stored.values()))
    return [stored[r["record_key"]] for r in rows]
