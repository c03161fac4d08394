"""Keeping the object view and the grading inputs current (set-based statements, one per event run)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from supervision_schemas.datahub import ObjectData

_RELEVANT = ("kind", "uscc", "owner_uscc", "code", "region_code", "department_id", "industry_code")

UPSERT_OBJECTS_SQL = f"""
INSERT INTO credit_objects AS t (object_id, kind, name, uscc, owner_uscc, code, region_code, department_id,
    industry_code, version, source_time, input_version, first_seen_at, updated_at)
SELECT * , 1, now(), now() FROM unnest(
    CAST(:object_id AS uuid[]), CAST(:kind AS text[]), CAST(:name AS text[]), CAST(:uscc AS text[]),
    CAST(:owner_uscc AS text[]), CAST(:code AS text[]), CAST(:region_code AS text[]),
    CAST(:department_id AS uuid[]), CAST(:industry_code AS text[]), CAST(:version AS int[]),
    CAST(:source_time AS timestamptz[]))
ON CONFLICT (object_id) DO UPDATE SET
    kind = EXCLUDED.kind, name = EXCLUDED.name, uscc = EXCLUDED.uscc, owner_uscc = EXCLUDED.owner_uscc,
    code = EXCLUDED.code, region_code = EXCLUDED.region_code, department_id = EXCLUDED.department_id,
    industry_code = EXCLUDED.industry_code, version = EXCLUDED.version, source_time = EXCLUDED.source_time,
    input_version = t.input_version + CASE WHEN ({", ".join(f"t.{c}" for c in _RELEVANT)})
        IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _RELEVANT)}) THEN 1 ELSE 0 END,
    updated_at = now()
WHERE (t.version, t.source_time) <= (EXCLUDED.version, EXCLUDED.source_time)
  AND (t.name, {", ".join(f"t.{c}" for c in _RELEVANT)})
      IS DISTINCT FROM (EXCLUDED.name, {", ".join(f"EXCLUDED.{c}" for c in _RELEVANT)})
RETURNING t.object_id
"""

# Inputs that arrived before their object (keyed by credit code) are attached when it arrives.
ATTACH_SQL = [
    f"""UPDATE {table} x SET object_id = o.object_id{", origin_object_id = o.object_id" if origin else ""}
        FROM credit_objects o
        WHERE x.object_id IS NULL AND x.uscc = o.uscc AND o.uscc IS NOT NULL AND o.status = 'active'
          AND o.object_id = ANY(CAST(:ids AS uuid[]))
        RETURNING o.object_id"""
    for table, origin in (("credit_signals", True), ("credit_records", True), ("credit_warnings", False))
]


async def upsert_objects(session: AsyncSession, objects: Sequence[tuple[ObjectData, datetime]]) -> list[uuid.UUID]:
    """Store the newest state of each object; returns the objects stored (new or changed)."""
    latest: dict[uuid.UUID, tuple[ObjectData, datetime]] = {}
    for data, at in objects:
        current = latest.get(data.object_id)
        if current is None or (current[0].version, current[1]) <= (data.version, at):
            latest[data.object_id] = (data, at)
    rows = list(latest.values())
    params = {
        "object_id": [str(d.object_id) for d, _ in rows],
        "kind": [d.kind.value for d, _ in rows],
        "name": [d.name[:300] for d, _ in rows],
        "uscc": [d.uscc for d, _ in rows],
        "owner_uscc": [d.owner_uscc for d, _ in rows],
        "code": [d.code[:100] if d.code else None for d, _ in rows],
        "region_code": [d.region_code for d, _ in rows],
        "department_id": [str(d.department_id) if d.department_id else None for d, _ in rows],
        "industry_code": [d.industry_code[:10] if d.industry_code else None for d, _ in rows],
        "version": [d.version for d, _ in rows],
        "source_time": [at for _, at in rows],
    }
    stored = list((await session.execute(text(UPSERT_OBJECTS_SQL), params)).scalars().all())
    if stored:
        ids = [str(i) for i in stored]
        for statement in ATTACH_SQL:
            await session.execute(text(statement), {"ids": ids})
    return stored


@dataclass(frozen=True)
class Ref:
    """How an event names its object: an object id (if linked) and/or a credit code."""

    object_id: uuid.UUID | None
    uscc: str | None


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def resolve(session: AsyncSession, refs: Sequence[Ref]) -> list[uuid.UUID | None]:
    """The object of each reference: its object id when the data hub linked it, else the active object with
    the credit code (None while no such object is known: the input is attached when it arrives)."""
    codes = list({r.uscc for r in refs if r.object_id is None and r.uscc})
    by_code: dict[str, uuid.UUID] = {}
    if codes:
        for object_id, uscc in (
            await session.execute(
                text(
                    "SELECT object_id, uscc FROM credit_objects "
                    "WHERE uscc = ANY(CAST(:codes AS text[])) AND status = 'active' ORDER BY updated_at"
                ),
                {"codes": codes},
            )
        ).all():
            by_code[uscc] = object_id
    return [r.object_id if r.object_id is not None else by_code.get(r.uscc or "") for r in refs]


@dataclass(frozen=True)
class SignalRow:
    object_id: uuid.UUID | None
    uscc: str | None
    kind: str
    occurred_on: date
    amount: float | None
    source_ref: str
    department_id: uuid.UUID | None


async def upsert_signals(session: AsyncSession, rows: Sequence[SignalRow]) -> list[uuid.UUID]:
    """Insert signals (a re-sent source corrects the stored one); returns the objects whose inputs changed."""
    unique = {r.source_ref: r for r in rows}
    rows = list(unique.values())
    if not rows:
        return []
    result = await session.execute(
        text(
            """
            INSERT INTO credit_signals AS t (object_id, origin_object_id, uscc, kind, occurred_on, amount, source_ref,
                department_id)
            SELECT o, o, u, k, d, a, r, dep FROM unnest(
                CAST(:object_id AS uuid[]), CAST(:uscc AS text[]), CAST(:kind AS text[]), CAST(:occurred_on AS date[]),
                CAST(:amount AS float8[]), CAST(:source_ref AS text[]), CAST(:department_id AS uuid[]))
                AS s(o, u, k, d, a, r, dep)
            ON CONFLICT (source_ref) DO UPDATE SET kind = EXCLUDED.kind, occurred_on = EXCLUDED.occurred_on,
                amount = EXCLUDED.amount
            WHERE (t.kind, t.occurred_on, t.amount) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.occurred_on, EXCLUDED.amount)
            RETURNING t.object_id
            """
        ),
        {
            "object_id": [str(r.object_id) if r.object_id else None for r in rows],
            "uscc": [r.uscc for r in rows],
            "kind": [r.kind for r in rows],
            "occurred_on": [r.occurred_on for r in rows],
            "amount": [r.amount for r in rows],
            "source_ref": [r.source_ref for r in rows],
            "department_id": [str(r.department_id) if r.department_id else None for r in rows],
        },
    )
    return [i for i in result.scalars().all() if i is not None]


@dataclass(frozen=True)
class PenaltyRow:
    object_id: uuid.UUID | None
    uscc: str | None
    object_name: str
    region_code: str
    department_id: uuid.UUID | None
    reason: str
    document_number: str
    amount: str | None
    decided_on: date
    source_ref: str


async def upsert_penalties(session: AsyncSession, rows: Sequence[PenaltyRow], publicity_days: int) -> list[uuid.UUID]:
    """Penalty records from the behaviour library (行政处罚); returns the objects whose inputs changed."""
    unique = list({r.source_ref: r for r in rows}.values())
    if not unique:
        return []
    result = await session.execute(
        text(
            """
            INSERT INTO credit_records AS t (id, object_id, origin_object_id, uscc, object_name, record_type, status,
                automatic, source, source_ref, region_code, department_id, reason, document_number, amount,
                decided_on, effective_from, effective_until, public, created_by, created_at, updated_at)
            SELECT gen_random_uuid(), o, o, u, n, 'penalty', 'active', false, 'datahub', r, reg, dep, rsn, doc,
                   CAST(NULLIF(amt, '') AS numeric), d, d, d + CAST(:days AS int), true, 'credit-svc:events', now(), now()
            FROM unnest(CAST(:object_id AS uuid[]), CAST(:uscc AS text[]), CAST(:name AS text[]),
                        CAST(:source_ref AS text[]), CAST(:region AS text[]), CAST(:department_id AS uuid[]),
                        CAST(:reason AS text[]), CAST(:doc AS text[]), CAST(:amount AS text[]),
                        CAST(:decided_on AS date[])) AS s(o, u, n, r, reg, dep, rsn, doc, amt, d)
            ON CONFLICT (source_ref) DO UPDATE SET amount = EXCLUDED.amount, decided_on = EXCLUDED.decided_on,
                reason = EXCLUDED.reason, document_number = EXCLUDED.document_number, updated_at = now()
            WHERE (t.amount, t.decided_on, t.reason, t.document_number)
                IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.decided_on, EXCLUDED.reason, EXCLUDED.document_number)
            RETURNING t.object_id
            """
        ),
        {
            "object_id": [str(r.object_id) if r.object_id else None for r in unique],
            "uscc": [r.uscc for r in unique],
            "name": [r.object_name[:300] for r in unique],
            "source_ref": [r.source_ref for r in unique],
            "region": [r.region_code for r in unique],
            "department_id": [str(r.department_id) if r.department_id else None for r in unique],
            "reason": [r.reason for r in unique],
            "doc": [r.document_number[:100] for r in unique],
            "amount": [r.amount or "" for r in unique],
            "decided_on": [r.decided_on for r in unique],
            "days": publicity_days,
        },
    )
    return [i for i in result.scalars().all() if i is not None]


@dataclass(frozen=True)
class WarningRow:
    warning_id: uuid.UUID
    object_id: uuid.UUID | None
    object_key: str
    uscc: str | None
    level: str
    level_rank: int
    score: float
    model_key: str
    title: str
    raised_at: datetime
    updated_at: datetime


async def upsert_warnings(session: AsyncSession, rows: Sequence[WarningRow]) -> list[uuid.UUID]:
    """Open or update risk warnings (never reopening a closed one); returns the objects whose inputs changed."""
    latest: dict[uuid.UUID, WarningRow] = {}
    for r in rows:
        if r.warning_id not in latest or latest[r.warning_id].updated_at <= r.updated_at:
            latest[r.warning_id] = r
    unique = list(latest.values())
    if not unique:
        return []
    result = await session.execute(
        text(
            """
            INSERT INTO credit_warnings AS t (warning_id, object_id, object_key, uscc, level, level_rank, score,
                model_key, title, status, raised_at, updated_at)
            SELECT w, o, k, u, l, lr, s, m, ti, 'open', ra, ua FROM unnest(
                CAST(:warning_id AS uuid[]), CAST(:object_id AS uuid[]), CAST(:object_key AS text[]),
                CAST(:uscc AS text[]), CAST(:level AS text[]), CAST(:level_rank AS int2[]), CAST(:score AS float8[]),
                CAST(:model_key AS text[]), CAST(:title AS text[]), CAST(:raised_at AS timestamptz[]),
                CAST(:updated_at AS timestamptz[])) AS x(w, o, k, u, l, lr, s, m, ti, ra, ua)
            ON CONFLICT (warning_id) DO UPDATE SET level = EXCLUDED.level, level_rank = EXCLUDED.level_rank,
                score = EXCLUDED.score, title = EXCLUDED.title, updated_at = EXCLUDED.updated_at
            WHERE t.status = 'open' AND t.updated_at <= EXCLUDED.updated_at
              AND (t.level, t.score) IS DISTINCT FROM (EXCLUDED.level, EXCLUDED.score)
            RETURNING t.object_id
            """
        ),
        {
            "warning_id": [str(r.warning_id) for r in unique],
            "object_id": [str(r.object_id) if r.object_id else None for r in unique],
            "object_key": [r.object_key[:200] for r in unique],
            "uscc": [r.uscc for r in unique],
            "level": [r.level for r in unique],
            "level_rank": [r.level_rank for r in unique],
            "score": [r.score for r in unique],
            "model_key": [r.model_key[:64] for r in unique],
            "title": [r.title[:300] for r in unique],
            "raised_at": [r.raised_at for r in unique],
            "updated_at": [r.updated_at for r in unique],
        },
    )
    return [i for i in result.scalars().all() if i is not None]


async def close_warnings(session: AsyncSession, closures: Sequence[tuple[uuid.UUID, str, datetime]]) -> list[uuid.UUID]:
    """Close warnings (warning id, outcome, closed at); returns the objects whose inputs changed."""
    if not closures:
        return []
    result = await session.execute(
        text(
            """
            UPDATE credit_warnings t SET status = 'closed', outcome = c.outcome, closed_at = c.closed_at,
                updated_at = c.closed_at
            FROM unnest(CAST(:ids AS uuid[]), CAST(:outcomes AS text[]), CAST(:closed AS timestamptz[]))
                AS c(warning_id, outcome, closed_at)
            WHERE t.warning_id = c.warning_id AND t.status = 'open'
            RETURNING t.object_id
            """
        ),
        {
            "ids": [str(w) for w, _, _ in closures],
            "outcomes": [o for _, o, _ in closures],
            "closed": [at for _, _, at in closures],
        },
    )
    return [i for i in result.scalars().all() if i is not None]


async def merge(session: AsyncSession, surviving: uuid.UUID, merged: Sequence[uuid.UUID], today: date) -> None:
    """Duplicates merged into `surviving`: their inputs become the survivor's; their grades are dropped."""
    params = {"s": str(surviving), "m": [str(m) for m in merged], "today": today}
    await session.execute(
        text(
            "UPDATE credit_objects SET status = 'merged', merged_into = CAST(:s AS uuid), updated_at = now(), "
            "input_version = input_version + 1 WHERE object_id = ANY(CAST(:m AS uuid[]))"
        ),
        params,
    )
    # One active entry per list: entries of duplicates on a list the survivor (or another duplicate) is on end.
    await session.execute(
        text(
            """
            UPDATE credit_records r SET status = 'removed', ended_on = CAST(:today AS date), updated_at = now(),
                end_reason = 'merged into ' || CAST(:s AS text)
            FROM (SELECT id, row_number() OVER (PARTITION BY list_id
                          ORDER BY (object_id = CAST(:s AS uuid)) DESC, created_at, id) AS n
                  FROM credit_records
                  WHERE list_id IS NOT NULL AND status = 'active'
                    AND (object_id = CAST(:s AS uuid) OR object_id = ANY(CAST(:m AS uuid[])))) d
            WHERE r.id = d.id AND d.n > 1
            """
        ),
        params,
    )
    for table in ("credit_signals", "credit_records", "credit_warnings"):
        await session.execute(
            text(f"UPDATE {table} SET object_id = CAST(:s AS uuid) WHERE object_id = ANY(CAST(:m AS uuid[]))"), params
        )
    await session.execute(text("DELETE FROM credit_grades WHERE object_id = ANY(CAST(:m AS uuid[]))"), params)


async def split(session: AsyncSession, surviving: uuid.UUID, separated: Sequence[uuid.UUID]) -> None:
    """A merge undone: the separated objects are active again with the inputs that came with them."""
    params = {"s": str(surviving), "m": [str(m) for m in separated]}
    await session.execute(
        text(
            "UPDATE credit_objects SET status = 'active', merged_into = NULL, updated_at = now(), "
            "input_version = input_version + 1 WHERE object_id = ANY(CAST(:m AS uuid[]))"
        ),
        params,
    )
    for table in ("credit_signals", "credit_records"):
        await session.execute(
            text(
                f"UPDATE {table} SET object_id = origin_object_id "
                "WHERE object_id = CAST(:s AS uuid) AND origin_object_id = ANY(CAST(:m AS uuid[]))"
            ),
            params,
        )


def adverse_observation(values: dict[str, float], threshold_exceeded: bool) -> bool:
    """Whether a third-party observation counts against the object."""
    return (
        threshold_exceeded
        or values.get("severity", 0.0) >= 0.5
        or values.get("unlicensed", 0.0) > 0
        or values.get("unregistered", 0.0) > 0
        or values.get("sentiment", 0.0) <= -0.5
    )
