"""Outbox rows built in SQL, for events about many rows at once (the shape `svc_runtime.outbox.outbox_row` writes).

Statements using `outbox_insert_sql` bind `:now` (RFC 3339 UTC text, the event time) and `:rid`
(the request id, or NULL). The contract tests parse these rows with the consumers' parser.
"""

from __future__ import annotations

from datetime import UTC, datetime

SOURCE = "/credit-svc"


def outbox_insert_sql(*, event_type_sql: str, topic: str, subject_sql: str, payload_sql: str, from_sql: str) -> str:
    """INSERT INTO outbox_events one event per row of `from_sql` (which may end in a WHERE clause)."""
    return f"""
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    SELECT e.eid, e.etype, '{topic}', e.subject,
           h.common || jsonb_build_object('ce_id', e.eid, 'ce_type', e.etype, 'ce_subject', e.subject),
           convert_to(e.payload::text, 'UTF8')
    FROM (SELECT gen_random_uuid()::text AS eid, {event_type_sql} AS etype, {subject_sql} AS subject,
                 {payload_sql} AS payload
          FROM {from_sql}) e,
         (SELECT jsonb_build_object('ce_source', '{SOURCE}', 'ce_specversion', '1.0', 'ce_time', CAST(:now AS text),
                                    'content-type', 'application/json')
                 || CASE WHEN CAST(:rid AS text) IS NULL THEN '{{}}'::jsonb
                         ELSE jsonb_build_object('x-request-id', CAST(:rid AS text)) END AS common) h
    """


def now_text() -> str:
    """The current time as events carry it (RFC 3339, UTC, microseconds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
