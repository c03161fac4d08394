"""Storing supervised objects: COPY of new objects, one set-based upsert of changed ones, merges.

New objects (the bulk of a first import) are copied straight into the table with their
ObjectCreated events; records of objects already stored go through a staging table, where
unchanged rows are dropped and the rest applied with one upsert that stages ObjectChanged events
in the same statement. API pushes, batch files and events all come through `apply_prepared`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.bulk import SOURCE, SQL_NOW_RFC3339, outbox_select
from datahub_svc.objects.models import ObjectMergeAudit, SupervisedObject
from datahub_svc.objects.prepare import (
    COPY_COLUMNS,
    KIND_ALIASES,
    KNOWN_FIELDS,
    OUTBOX_COLUMNS,
    QUALITY_COLUMNS,
    CleanRow,
    Prepared,
    RowError,
    ScopeCheck,
    StageRow,
    clean_object,
    header_field,
    identity_key,
    prepare_rows,
)
from datahub_svc.objects.schemas import UpsertOutcome
from datahub_svc.quality import service as quality_service
from supervision_schemas.datahub import DATAHUB_OBJECTS_TOPIC, ObjectMerged, ObjectMergedData
from svc_runtime import outbox
from svc_runtime.db import driver_connection, utc_now
from svc_runtime.logging import request_id_var
from svc_runtime.problems import Conflict, NotFound

__all__ = [
    "KIND_ALIASES",
    "KNOWN_FIELDS",
    "CleanRow",
    "RowError",
    "ScopeCheck",
    "StageRow",
    "clean_object",
    "header_field",
    "identity_key",
]

# Fields an update may change; a value the provider left empty keeps what is stored.
_UPDATABLE = (
    "name",
    "uscc",
    "owner_uscc",
    "code",
    "id_number",
    "id_number_masked",
    "legal_representative",
    "address",
    "region_code",
    "department_id",
    "department_name",
    "phone",
    "phone_masked",
    "industry_code",
    "credit_class",
)
_LINEAGE_FIELDS = (
    *(f for f in _UPDATABLE if not f.endswith("_masked")),
    "business_traits",
    "supervision_focus",
    "attributes",
)
_ALL_SET = (*_UPDATABLE, "business_traits", "supervision_focus", "attributes")
_COPY_TYPES = {
    "id": "uuid",
    "department_id": "uuid",
    "provider_department_id": "uuid",
    "business_traits": "text[]",
    "supervision_focus": "text[]",
    "attributes": "jsonb",
    "search_vector": "tsvector",
}
_STAGE_DDL = ", ".join(f"{c} {_COPY_TYPES.get(c, 'text')}" for c in COPY_COLUMNS)


def _new_value(f: str, new: str = "EXCLUDED") -> str:
    if f in ("business_traits", "supervision_focus"):
        return f"CASE WHEN cardinality({new}.{f}) > 0 THEN {new}.{f} ELSE t.{f} END"
    if f == "attributes":
        return f"t.attributes || {new}.attributes"
    if f == "name":
        return f"{new}.name"
    return f"COALESCE({new}.{f}, t.{f})"


def _lineage_sql() -> str:
    """Lineage after an update: the creation entry made explicit, then one entry per changed field."""
    created = (
        "CASE WHEN t.lineage ? '*' THEN t.lineage ELSE t.lineage || jsonb_build_object('*', "
        "jsonb_build_object('source', t.source, 'at', "
        """to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))) END"""
    )
    parts = ", ".join(
        f"'{f}', CASE WHEN ({_new_value(f)}) IS DISTINCT FROM t.{f} "
        f"THEN jsonb_build_object('source', EXCLUDED.source, 'at', {SQL_NOW_RFC3339}) END"
        for f in _LINEAGE_FIELDS
    )
    return f"({created}) || jsonb_strip_nulls(jsonb_build_object({parts}))"


_CURRENT = ", ".join(f"t.{f}" for f in _ALL_SET)
# Staged rows that would change nothing are dropped before the upsert (no row lock, no new version).
DROP_UNCHANGED_SQL = f"""
DELETE FROM stage_objects s USING supervised_objects t
WHERE t.identity_key = s.identity_key
  AND ({_CURRENT}) IS NOT DISTINCT FROM ({", ".join(_new_value(f, "s") for f in _ALL_SET)})
"""
_EVENT_PAYLOAD = (
    "jsonb_build_object('object_id', id, 'kind', kind, 'name', name, 'uscc', uscc, 'owner_uscc', owner_uscc, "
    "'code', code, 'region_code', region_code, 'department_id', department_id, 'industry_code', industry_code, "
    f"'credit_class', credit_class, 'version', version, 'changed_at', {SQL_NOW_RFC3339})"
)
_COLUMNS = ", ".join(COPY_COLUMNS)
UPSERT_SQL = f"""
WITH up AS (
    INSERT INTO supervised_objects AS t ({_COLUMNS})
    SELECT {_COLUMNS} FROM stage_objects
    ON CONFLICT (identity_key) DO UPDATE SET
        {", ".join(f"{f} = {_new_value(f)}" for f in _ALL_SET)},
        lineage = {_lineage_sql()},
        search_vector = EXCLUDED.search_vector,
        source = EXCLUDED.source,
        provider_department_id = EXCLUDED.provider_department_id,
        version = t.version + 1,
        modified_at = now()
    WHERE ({_CURRENT}) IS DISTINCT FROM ({", ".join(_new_value(f) for f in _ALL_SET)})
    RETURNING t.id, t.identity_key, t.kind, t.name, t.uscc, t.owner_uscc, t.code, t.region_code, t.department_id,
              t.industry_code, t.credit_class, t.version, (t.xmax = 0) AS created
), ev AS (
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    {
    outbox_select(
        event_type_sql="CASE WHEN created THEN 'gov.supervision.datahub.object.created.v1' "
        "ELSE 'gov.supervision.datahub.object.changed.v1' END",
        topic=DATAHUB_OBJECTS_TOPIC,
        subject_sql="id::text",
        payload_sql=_EVENT_PAYLOAD,
    ).replace("{source}", "up")
}
)
SELECT identity_key, id, created FROM up
""".replace(SQL_NOW_RFC3339, "CAST(:now AS text)")
_EXISTING_SQL = "SELECT identity_key, id FROM supervised_objects WHERE identity_key = ANY($1::text[])"


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # identity key -> (object id, outcome) for every object of the batch
    outcomes: dict[str, tuple[uuid.UUID, UpsertOutcome]] = field(default_factory=dict)
    created_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)


def now_rfc3339() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _copy(conn: asyncpg.Connection, table: str, columns: Sequence[str], data: bytes) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 1 << 20):
            yield data[i : i + (1 << 20)]

    await conn.copy_to_table(table, source=chunks(), columns=list(columns), format="text")


async def apply_prepared(
    session: AsyncSession, prepared: Prepared, *, now: str | None = None, track: bool = True
) -> UpsertCounts:
    """Store prepared rows in the session's transaction: COPY the new objects, upsert the known ones.

    New objects come with their ObjectCreated events and the quality errors found while cleaning;
    rows equal to what is stored change nothing (no version, no event); changed objects are checked
    against the quality rules here. If another writer creates one of the "new" objects meanwhile,
    the COPY fails on the identity key and the whole batch goes through the upsert instead.
    """
    counts = UpsertCounts()
    if not prepared.keys:
        return counts
    now = now or now_rfc3339()
    conn = await driver_connection(session)
    existing: dict[str, uuid.UUID] = dict(await conn.fetch(_EXISTING_SQL, prepared.keys))
    new = [i for i, k in enumerate(prepared.keys) if k not in existing] if existing else list(range(len(prepared)))
    old = [i for i, k in enumerate(prepared.keys) if k in existing] if existing else []
    if new:
        try:
            async with session.begin_nested():
                await _copy(conn, "supervised_objects", COPY_COLUMNS, prepared.select(new))
                await _copy(conn, "outbox_events", OUTBOX_COLUMNS, prepared.select(new, events=True))
                chosen = set(new) if old else None
                found = [(q, e) for i, q, e in prepared.quality if chosen is None or i in chosen]
                if found:
                    await _copy(conn, "quality_errors", QUALITY_COLUMNS, "".join(q + "\n" for q, _ in found).encode())
                    await _copy(conn, "outbox_events", OUTBOX_COLUMNS, "".join(e + "\n" for _, e in found).encode())
        except asyncpg.UniqueViolationError:
            old, new = list(range(len(prepared.keys))), []
    if track:
        for i in new:
            counts.outcomes[prepared.keys[i]] = (uuid.UUID(prepared.ids[i]), UpsertOutcome.CREATED)
    counts.created_ids.extend(prepared.ids if len(new) == len(prepared) else [prepared.ids[i] for i in new])
    counts.created = len(new)
    if old:
        await session.execute(
            text(f"CREATE TEMP TABLE IF NOT EXISTS stage_objects ({_STAGE_DDL}) ON COMMIT DELETE ROWS")
        )
        await session.execute(text("TRUNCATE stage_objects"))
        await _copy(conn, "stage_objects", COPY_COLUMNS, prepared.select(old))
        await session.execute(text(DROP_UNCHANGED_SQL))
        result = (await session.execute(text(UPSERT_SQL), {"now": now})).all()
        created_here: list[str] = []
        for r in result:
            if track:
                counts.outcomes[r.identity_key] = (r.id, UpsertOutcome.CREATED if r.created else UpsertOutcome.UPDATED)
            if r.created:
                counts.created += 1
                counts.created_ids.append(str(r.id))
                created_here.append(str(r.id))
            else:
                counts.updated += 1
                counts.changed_ids.append(str(r.id))
        changed = {r.identity_key for r in result}
        for i in old:
            key = prepared.keys[i]
            if key not in changed:
                counts.unchanged += 1
                if track:
                    counts.outcomes[key] = (existing[key], UpsertOutcome.UNCHANGED)
        await quality_service.check_records(session, "objects", created_here, new=True)
        await quality_service.check_records(session, "objects", counts.changed_ids)
    return counts


async def upsert_objects(session: AsyncSession, rows: Sequence[CleanRow]) -> tuple[UpsertCounts, Prepared]:
    """Prepare and store clean rows (API pushes and events); a later row of the same object wins."""
    now = now_rfc3339()
    prepared = prepare_rows(rows, now, request_id_var.get())
    return await apply_prepared(session, prepared, now=now), prepared


async def upsert_staged(
    session: AsyncSession, rows: Sequence[StageRow], *, with_ids: bool = False
) -> tuple[UpsertCounts, list[tuple[int, uuid.UUID, UpsertOutcome]]]:
    """Store clean rows; with `with_ids`, also each row's (row number, object id, outcome)."""
    counts, _ = await upsert_objects(session, rows)
    outcomes: list[tuple[int, uuid.UUID, UpsertOutcome]] = []
    if with_ids:
        for row in rows:
            object_id, outcome = counts.outcomes[row[1]]
            outcomes.append((row[0], object_id, outcome))
    return counts, outcomes


async def store_objects(
    session: AsyncSession, rows: Sequence[CleanRow]
) -> tuple[UpsertCounts, list[tuple[int, uuid.UUID, UpsertOutcome]]]:
    """Store clean rows and run the library's quality rules on what changed (API pushes and events)."""
    counts, outcomes = await upsert_staged(session, rows, with_ids=True)
    for provider in {r[23] for r in rows}:
        ids = [str(counts.outcomes[r[1]][0]) for r in rows if r[23] == provider]
        await quality_service.resolve_corrected(session, ids, provider)
    return counts, outcomes


async def get_object(session: AsyncSession, object_id: uuid.UUID) -> SupervisedObject:
    obj = await session.get(SupervisedObject, object_id)
    if obj is None:
        raise NotFound(f"supervised object {object_id} is not in the library")
    return obj


async def merge(
    session: AsyncSession,
    surviving: SupervisedObject,
    merged_ids: Sequence[uuid.UUID],
    *,
    actor: str,
    reason: str | None,
) -> list[ObjectMergeAudit]:
    """Merge duplicates into the surviving object: they stay, marked merged, and every step is audited."""
    audits = []
    for merged_id in merged_ids:
        if merged_id == surviving.id:
            raise Conflict("an object cannot be merged into itself")
        other = await get_object(session, merged_id)
        if other.status != "active":
            raise Conflict(f"object {merged_id} is already merged into {other.merged_into}")
        other.status = "merged"
        other.merged_into = surviving.id
        other.modified_at = utc_now()
        audits.append(
            ObjectMergeAudit(
                id=uuid.uuid4(),
                action="merge",
                surviving_object_id=surviving.id,
                merged_object_id=merged_id,
                reason=reason,
                actor=actor,
            )
        )
    if surviving.status != "active":
        raise Conflict("the surviving object is itself merged")
    session.add_all(audits)
    await session.flush()
    for audit in audits:
        await _relink(session, audit)
    await _stage_merge_event(session, surviving.id, list(merged_ids), "merge", reason)
    return audits


# Every library whose records point at an object, and the column that does.
LINKED_LIBRARIES: dict[str, tuple[str, str]] = {
    "behaviour": ("behaviour_records", "object_id"),
    "complaints": ("complaints", "object_id"),
    "credit": ("credit_records", "object_id"),
    "thirdparty": ("thirdparty_records", "object_id"),
    "risk_warnings": ("risk_warnings", "object_id"),
    "link_reviews": ("link_reviews", "candidate_object_id"),
}


async def _relink(session: AsyncSession, audit: ObjectMergeAudit) -> None:
    """Move the records of the merged object to the surviving one, remembering each move for a split."""
    for library, (table, column) in LINKED_LIBRARIES.items():
        await session.execute(
            text(
                f"""
                WITH moved AS (
                    UPDATE {table} SET {column} = CAST(:to AS uuid) WHERE {column} = CAST(:from_ AS uuid) RETURNING id
                )
                INSERT INTO object_relinks (merge_audit_id, library, record_id, from_object_id, to_object_id)
                SELECT CAST(:audit AS uuid), :library, id, CAST(:from_ AS uuid), CAST(:to AS uuid) FROM moved
                """
            ),
            {
                "to": str(audit.surviving_object_id),
                "from_": str(audit.merged_object_id),
                "audit": str(audit.id),
                "library": library,
            },
        )


async def _unlink(session: AsyncSession, surviving_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """Move back the records the last merge of this pair moved (those still on the surviving object)."""
    last_merge = await session.scalar(
        select(ObjectMergeAudit.id)
        .where(
            ObjectMergeAudit.action == "merge",
            ObjectMergeAudit.surviving_object_id == surviving_id,
            ObjectMergeAudit.merged_object_id == merged_id,
        )
        .order_by(ObjectMergeAudit.at.desc())
        .limit(1)
    )
    if last_merge is None:
        return
    for library, (table, column) in LINKED_LIBRARIES.items():
        await session.execute(
            text(
                f"""
                UPDATE {table} t SET {column} = r.from_object_id
                FROM object_relinks r
                WHERE r.merge_audit_id = CAST(:audit AS uuid) AND r.library = :library AND t.id = r.record_id
                  AND t.{column} = r.to_object_id
                """
            ),
            {"audit": str(last_merge), "library": library},
        )


async def split(
    session: AsyncSession, surviving: SupervisedObject, merged_id: uuid.UUID, *, actor: str, reason: str | None
) -> ObjectMergeAudit:
    """Undo a merge: the merged object becomes active again on its own."""
    other = await get_object(session, merged_id)
    if other.merged_into != surviving.id:
        raise Conflict(f"object {merged_id} is not merged into {surviving.id}")
    await session.execute(
        update(SupervisedObject)
        .where(SupervisedObject.id == merged_id)
        .values(status="active", merged_into=None, modified_at=utc_now())
    )
    await _unlink(session, surviving.id, merged_id)
    audit = ObjectMergeAudit(
        action="split", surviving_object_id=surviving.id, merged_object_id=merged_id, reason=reason, actor=actor
    )
    session.add(audit)
    await _stage_merge_event(session, surviving.id, [merged_id], "split", reason)
    return audit


async def _stage_merge_event(
    session: AsyncSession, surviving_id: uuid.UUID, merged: list[uuid.UUID], action: str, reason: str | None
) -> None:
    event = ObjectMerged.build(
        source=SOURCE,
        subject=str(surviving_id),
        data=ObjectMergedData(
            surviving_object_id=surviving_id,
            merged_object_ids=merged,
            action=action,
            reason=reason,
            merged_at=utc_now(),
        ),
    )
    await outbox.stage(session, event)
