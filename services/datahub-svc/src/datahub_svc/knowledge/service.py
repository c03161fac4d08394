"""Cleaning and storing knowledge-base entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import cast, func
from sqlalchemy.dialects.postgresql import TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.access import WriteScope
from datahub_svc.cleaning.standardise import clean_item_code, tsvector_literal
from datahub_svc.knowledge.models import KnowledgeEntry
from datahub_svc.knowledge.schemas import KnowledgeIn
from datahub_svc.objects.prepare import RowError, _tags
from datahub_svc.quality import service as quality_service
from datahub_svc.records import RowCleaner

_FIELDS = (
    "entry_type",
    "code",
    "title",
    "issuer",
    "issued_on",
    "effective_on",
    "expires_on",
    "status",
    "region_code",
    "industry_codes",
    "item_codes",
    "tags",
    "summary",
    "body",
    "articles",
    "attributes",
    "search_vector",
    "source",
    "provider_department_id",
)
_MAX_ATTRIBUTES = 100_000
# The full-text index covers the title, summary and the first part of the body (long texts would
# make every write rebuild a huge entry; the whole body stays readable).
_INDEXED_BODY = 20_000


def clean_entry(
    item: KnowledgeIn, row: int, *, source: str, provider: uuid.UUID | None, check: WriteScope | None
) -> tuple[dict[str, Any] | None, list[RowError]]:
    c = RowCleaner(row)
    code = c.text("code", item.code, 200, required=True)
    region = c.region("region_code", item.region_code, national=True)
    item_codes = [x for x in (c("item_codes", v, clean_item_code) for v in item.item_codes) if x]
    if item.effective_on and item.expires_on and item.expires_on < item.effective_on:
        c.fail("expires_on", "expires before it takes effect")
    if len(orjson.dumps(item.attributes)) > _MAX_ATTRIBUTES:
        c.fail("attributes", f"larger than {_MAX_ATTRIBUTES} bytes")
    title = c.text("title", item.title, 500, required=True)
    summary = c.text("summary", item.summary, 4000)
    values = {
        "entry_key": f"{item.entry_type.value}:{code}",
        "entry_type": item.entry_type.value,
        "code": code,
        "title": title,
        "issuer": c.text("issuer", item.issuer, 200),
        "issued_on": item.issued_on,
        "effective_on": item.effective_on,
        "expires_on": item.expires_on,
        "status": item.status.value,
        "region_code": region,
        "industry_codes": [x.upper() for x in c("industry_codes", item.industry_codes, _tags) or []],
        "item_codes": item_codes,
        "tags": c("tags", item.tags, _tags) or [],
        "summary": summary,
        "body": item.body,
        "articles": [a.model_dump() for a in item.articles],
        "attributes": item.attributes,
        "source": source,
        "provider_department_id": provider,
    }
    # Nationwide entries are written by platform administrators (whose scope covers every region).
    c.scope(check, region, None)
    return (None, c.errors) if c.errors else (values, [])


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    latest = {r["entry_key"]: dict(r) for r in rows}
    for r in latest.values():
        body = (r["body"] or "")[:_INDEXED_BODY]
        r["search_vector"] = cast(
            tsvector_literal(r["title"], r["code"], r["issuer"], r["summary"], " ".join(r["tags"]), body), TSVECTOR
        )
    statement = insert(KnowledgeEntry).values(list(latest.values()))
    upsert = statement.on_conflict_do_update(
        index_elements=[KnowledgeEntry.entry_key],
        set_={**{f: statement.excluded[f] for f in _FIELDS}, "modified_at": func.now()},
    ).returning(KnowledgeEntry.entry_key, KnowledgeEntry.id)
    stored: dict[str, uuid.UUID] = dict((await session.execute(upsert)).all())
    await quality_service.check_records(session, "knowledge", list(stored.values()))
    return [stored[r["entry_key"]] for r in rows]
