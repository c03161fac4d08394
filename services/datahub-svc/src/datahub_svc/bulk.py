"""Bulk loading helpers: COPY into a session-local staging table inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from svc_runtime.db import driver_connection

SOURCE = "/datahub-svc"
# RFC 3339 in UTC, as CloudEvents `time`, for events built in SQL.
SQL_NOW_RFC3339 = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


async def copy_to_staging(
    session: AsyncSession, table: str, ddl: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]
) -> None:
    """(Re)create the temp staging table for this transaction and COPY the records into it."""
    await session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({ddl}) ON COMMIT DELETE ROWS"))
    await session.execute(text(f"TRUNCATE {table}"))
    conn = await driver_connection(session)
    await conn.copy_records_to_table(table, records=records, columns=list(columns))


def outbox_select(*, event_type_sql: str, topic: str, subject_sql: str, payload_sql: str, source: str = SOURCE) -> str:
    """SELECT list of outbox rows for events built in SQL (one per row of the FROM clause that follows).

    The shape is exactly what `svc_runtime.outbox.outbox_row` writes for a pydantic event; the
    contract tests parse these rows with the consumers' parser.
    """
    return f"""
        SELECT e.eid, e.etype, '{topic}', e.subject,
               jsonb_build_object('ce_id', e.eid, 'ce_source', '{source}', 'ce_type', e.etype,
                                  'ce_specversion', '1.0', 'ce_time', e.etime, 'ce_subject', e.subject,
                                  'content-type', 'application/json'),
               convert_to(e.payload::text, 'UTF8')
        FROM (SELECT gen_random_uuid()::text AS eid, {event_type_sql} AS etype, {subject_sql} AS subject,
                     {SQL_NOW_RFC3339} AS etime, {payload_sql} AS payload
              FROM {{source}}) e
    """
