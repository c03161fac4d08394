"""Dynamic lists: a department list with `auto_classes` holds exactly the objects of its region (and, if
set, its department) graded in those classes. Entries it makes are `automatic`, not public (classes are
not disclosed) and not counted by grading (no feedback from a list onto the grade that fills it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.dates import today
from credit_svc.sqlevents import now_text, outbox_insert_sql
from supervision_schemas.credit import CREDIT_LISTS_TOPIC
from svc_runtime.logging import request_id_var

LIST_CHANGED = "gov.supervision.credit.list.changed.v1"
RULE_ACTOR = "credit-svc:list-rule"

_PAYLOAD = """jsonb_build_object('entry_id', x.id, 'list_type', CASE x.record_type WHEN 'red_list' THEN 'red' ELSE 'black' END,
    'action', '{action}', 'object_id', x.object_id, 'uscc', x.uscc, 'name', x.object_name,
    'region_code', x.region_code, 'department_id', x.department_id, 'reason', {reason},
    'effective_from', x.effective_from, 'effective_until', x.effective_until, 'changed_at', CAST(:now AS text),
    'list_id', x.list_id, 'list_name', l.name, 'department_name', x.department_name, 'automatic', true)"""

_AUDIT = """INSERT INTO credit_audit_log (actor, action, entity_type, entity_id, object_id, region_code, department_id,
        after, request_id)
    SELECT '{actor}', '{action}', 'record', x.id::text, x.object_id, x.region_code, x.department_id,
           jsonb_build_object('list_id', x.list_id, 'status', x.status, 'reason', {reason}, 'automatic', true),
           CAST(:rid AS text)
    FROM x"""

_QUALIFIES = """g.risk_class = ANY(l.auto_classes) AND o.status = 'active'
    AND o.region_code LIKE l.region_prefix || '%'
    AND (NOT l.auto_same_department OR o.department_id = l.department_id)"""

ADD_SQL = f"""
WITH x AS (
    INSERT INTO credit_records (id, object_id, origin_object_id, uscc, object_name, record_type, list_id, status,
        automatic, source, region_code, department_id, department_name, reason, decided_on, effective_from,
        public, created_by, created_at, updated_at)
    SELECT gen_random_uuid(), o.object_id, o.object_id, o.uscc, o.name,
           CASE l.list_type WHEN 'red' THEN 'red_list' ELSE 'black_list' END, l.id, 'active', true,
           'rule:auto_classes', o.region_code, l.department_id, l.department_name,
           '信用风险分类为' || g.risk_class || '类，按名单规则列入', CAST(:today AS date), CAST(:today AS date),
           false, '{RULE_ACTOR}', now(), now()
    FROM credit_lists l
    JOIN credit_grades g ON {{ids_g}}
    JOIN credit_objects o ON o.object_id = g.object_id
    WHERE l.status = 'active' AND cardinality(l.auto_classes) > 0 AND {_QUALIFIES}
    ON CONFLICT (list_id, object_id) WHERE list_id IS NOT NULL AND status = 'active' DO NOTHING
    RETURNING *
), aud AS (
    {_AUDIT.format(actor=RULE_ACTOR, action="record.created", reason="x.reason")}
), ev AS (
    {
    outbox_insert_sql(
        event_type_sql=f"'{LIST_CHANGED}'",
        topic=CREDIT_LISTS_TOPIC,
        subject_sql="x.object_id::text",
        payload_sql=_PAYLOAD.format(action="added", reason="x.reason"),
        from_sql="x JOIN credit_lists l ON l.id = x.list_id",
    )
}
)
SELECT count(*) FROM x
"""

REMOVE_SQL = f"""
WITH x AS (
    UPDATE credit_records r SET status = 'removed', ended_on = CAST(:today AS date), updated_at = now(),
        end_reason = '信用风险分类变化，按名单规则移出'
    FROM credit_lists l
    WHERE r.list_id = l.id AND r.automatic AND r.status = 'active' AND {{ids_r}}
      AND NOT (l.status = 'active' AND EXISTS (
          SELECT 1 FROM credit_grades g JOIN credit_objects o ON o.object_id = g.object_id
          WHERE g.object_id = r.object_id AND {_QUALIFIES}))
    RETURNING r.*
), aud AS (
    {_AUDIT.format(actor=RULE_ACTOR, action="record.removed", reason="x.end_reason")}
), ev AS (
    {
    outbox_insert_sql(
        event_type_sql=f"'{LIST_CHANGED}'",
        topic=CREDIT_LISTS_TOPIC,
        subject_sql="x.object_id::text",
        payload_sql=_PAYLOAD.format(action="removed", reason="x.end_reason"),
        from_sql="x JOIN credit_lists l ON l.id = x.list_id",
    )
}
)
SELECT count(*) FROM x
"""


async def sync_auto_lists(
    session: AsyncSession, object_ids: Sequence[uuid.UUID] | None, *, list_id: uuid.UUID | None = None
) -> tuple[int, int]:
    """Bring rule-made entries in line with current grades (of these objects, or of all); returns (added, removed)."""
    # Without a rule there is nothing to do: changing or archiving a list syncs its entries at once, so
    # rule-made entries exist only while their list has a rule.
    if list_id is None and not await session.scalar(
        text("SELECT EXISTS (SELECT 1 FROM credit_lists WHERE cardinality(auto_classes) > 0)")
    ):
        return 0, 0
    params: dict[str, object] = {"today": today(), "now": now_text(), "rid": request_id_var.get()}
    ids_g, ids_r = "g.object_id IS NOT NULL", "TRUE"
    if object_ids is not None:
        params["ids"] = [str(i) for i in object_ids]
        ids_g = "g.object_id = ANY(CAST(:ids AS uuid[]))"
        ids_r = "r.object_id = ANY(CAST(:ids AS uuid[]))"
    if list_id is not None:
        params["list_id"] = str(list_id)
        ids_r += " AND r.list_id = CAST(:list_id AS uuid)"
        ids_g += " AND l.id = CAST(:list_id AS uuid)"
    removed = int(await session.scalar(text(REMOVE_SQL.replace("{ids_r}", ids_r)), params) or 0)
    added = int(await session.scalar(text(ADD_SQL.replace("{ids_g}", ids_g)), params) or 0)
    return added, removed
