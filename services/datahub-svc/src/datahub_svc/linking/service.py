"""Linking a record to one supervised object: exactly by credit code, else by scored fuzzy match."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.linking.similarity import candidate_query, match_score
from datahub_svc.objects.models import SupervisedObject

# Scores at or above ACCEPT link at once; between REVIEW and ACCEPT a person decides (review queue).
ACCEPT_THRESHOLD = 0.75
REVIEW_THRESHOLD = 0.5
_CANDIDATES_SQL = text(
    """
    SELECT id, name, address, legal_representative, uscc, region_code
    FROM supervised_objects
    WHERE status = 'active' AND search_vector @@ to_tsquery('simple', :q) AND region_code LIKE :prefix
    ORDER BY ts_rank(search_vector, to_tsquery('simple', :q)) DESC
    LIMIT :n
    """
)


@dataclass(frozen=True)
class Candidate:
    object_id: uuid.UUID
    name: str
    uscc: str | None
    region_code: str
    score: float


@dataclass(frozen=True)
class Link:
    object_id: uuid.UUID | None
    method: str
    score: float | None
    candidates: list[Candidate]


async def candidates(
    session: AsyncSession,
    *,
    name: str,
    address: str | None = None,
    legal_representative: str | None = None,
    region_code: str | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """The best-scoring objects for a record without a code (searched within its city when a region is given)."""
    query = candidate_query(name)
    if query is None:
        return []
    prefix = (region_code[:4] if region_code else "") + "%"
    rows = (await session.execute(_CANDIDATES_SQL, {"q": query, "prefix": prefix, "n": 40})).all()
    scored = [
        Candidate(
            r.id,
            r.name,
            r.uscc,
            r.region_code,
            match_score((name, address, legal_representative), (r.name, r.address, r.legal_representative)),
        )
        for r in rows
    ]
    scored.sort(key=lambda c: c.score, reverse=True)
    return scored[:limit]


async def link(
    session: AsyncSession,
    *,
    uscc: str | None,
    name: str,
    address: str | None = None,
    legal_representative: str | None = None,
    region_code: str | None = None,
) -> Link:
    """Exact by unified social credit code (following merges); otherwise fuzzy with thresholds."""
    if uscc:
        row = (
            await session.execute(
                select(SupervisedObject.id, SupervisedObject.merged_into)
                .where(SupervisedObject.identity_key == f"uscc:{uscc}")
                .limit(1)
            )
        ).first()
        if row is not None:
            target = await resolve_object(session, row.merged_into) if row.merged_into else row.id
            return Link(target or row.id, "exact", 1.0, [])
    found = await candidates(
        session, name=name, address=address, legal_representative=legal_representative, region_code=region_code
    )
    if not found or found[0].score < REVIEW_THRESHOLD:
        return Link(None, "none", found[0].score if found else None, found)
    best = found[0]
    if best.score >= ACCEPT_THRESHOLD and (len(found) == 1 or found[1].score < best.score - 0.05):
        return Link(best.object_id, "fuzzy", best.score, found)
    return Link(None, "review", best.score, found)


async def resolve_object(session: AsyncSession, object_id: uuid.UUID) -> uuid.UUID | None:
    """The object a record about `object_id` belongs to now: itself, or where it was merged (chains followed)."""
    current: uuid.UUID | None = object_id
    for _ in range(20):
        merged_into = (
            await session.execute(select(SupervisedObject.merged_into).where(SupervisedObject.id == current))
        ).first()
        if merged_into is None:
            return None if current == object_id else current
        if merged_into[0] is None:
            return current
        current = merged_into[0]
    return current


async def link_any(
    session: AsyncSession,
    *,
    object_id: uuid.UUID | None = None,
    uscc: str | None = None,
    name: str | None = None,
    region_code: str | None = None,
    address: str | None = None,
) -> tuple[uuid.UUID | None, str, float | None]:
    """Link a record of another library (complaint, credit, observation, warning) to its object.

    By the data hub's object id when the sender knows it, else exactly by credit code, else by a fuzzy
    match of the name that clears the accept threshold; uncertain matches stay unlinked.
    """
    if object_id is not None and (found := await resolve_object(session, object_id)) is not None:
        return found, "exact", 1.0
    if not uscc and not name:
        return None, "none", None
    result = await link(session, uscc=uscc, name=name or "", address=address, region_code=region_code)
    if result.method in ("exact", "fuzzy"):
        return result.object_id, result.method, result.score
    return None, "none", result.score
