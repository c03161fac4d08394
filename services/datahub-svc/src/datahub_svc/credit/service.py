"""Storing credit grades and list entries; a grade of credit-svc also sets the object's credit-class tag."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.access import WriteScope
from datahub_svc.credit.models import CreditRecord
from datahub_svc.credit.schemas import CreditRecordIn, CreditRecordType
from datahub_svc.linking import service as linking_service
from datahub_svc.objects.prepare import RowError
from datahub_svc.quality import service as quality_service
from datahub_svc.records import RowCleaner
from supervision_schemas.credit import GradeChanged, ListEntryChanged
from svc_runtime.db import utc_now

_FIELDS = (
    "record_type",
    "object_id",
    "uscc",
    "name",
    "region_code",
    "department_id",
    "risk_class",
    "previous_class",
    "score",
    "scheme",
    "scheme_version",
    "factors",
    "list_type",
    "action",
    "reason",
    "effective_from",
    "effective_until",
    "occurred_at",
    "link_method",
    "source",
    "provider_department_id",
)


def clean_record(
    item: CreditRecordIn, row: int, *, source: str, provider: uuid.UUID | None, check: WriteScope | None
) -> tuple[dict[str, Any] | None, list[RowError]]:
    c = RowCleaner(row)
    reference = c.text("reference", item.reference, 100, required=True)
    region = c.region("region_code", item.region_code)
    uscc = c.uscc("uscc", item.uscc)
    risk_class = c.text("risk_class", item.risk_class, 2)
    if item.record_type is CreditRecordType.GRADE:
        if risk_class is None:
            c.fail("risk_class", "required for a grade")
        key = f"grade:{source}:{uscc or reference}"
    else:
        if item.list_type is None or item.action is None:
            c.fail("list_type", "a list entry needs list_type and action")
        key = f"list:{source}:{reference}"
    if item.effective_from and item.effective_until and item.effective_until < item.effective_from:
        c.fail("effective_until", "ends before it starts")
    values: dict[str, Any] = {
        "record_key": key,
        "record_type": item.record_type.value,
        "object_id": None,
        "uscc": uscc,
        "name": c.text("name", item.name, 300, required=True),
        "region_code": region,
        "department_id": provider,
        "risk_class": risk_class.upper() if risk_class else None,
        "previous_class": None,
        "score": item.score,
        "scheme": c.text("scheme", item.scheme, 100),
        "scheme_version": None,
        "factors": [],
        "list_type": item.list_type.value if item.list_type else None,
        "action": item.action.value if item.action else None,
        "reason": c.text("reason", item.reason, 2000),
        "effective_from": item.effective_from,
        "effective_until": item.effective_until,
        "occurred_at": item.occurred_at,
        "source": source,
        "provider_department_id": provider,
    }
    c.scope(check, region, None)
    return (None, c.errors) if c.errors else (values, [])


def from_grade(event: GradeChanged) -> dict[str, Any]:
    d = event.data
    return {
        "record_key": f"grade:credit-svc:{d.object_id}",
        "record_type": "grade",
        "object_id": d.object_id,
        "uscc": d.uscc,
        "name": d.name,
        "region_code": d.region_code,
        "department_id": d.department_id,
        "risk_class": d.risk_class,
        "previous_class": d.previous_class,
        "score": d.score,
        "scheme": d.scheme_id,
        "scheme_version": d.scheme_version,
        "factors": [f.model_dump() for f in d.factors],
        "list_type": None,
        "action": None,
        "reason": None,
        "effective_from": None,
        "effective_until": None,
        "occurred_at": d.graded_at,
        "source": event.source,
        "provider_department_id": d.department_id,
    }


def from_list_entry(event: ListEntryChanged) -> dict[str, Any]:
    d = event.data
    return {
        "record_key": f"list:credit-svc:{d.entry_id}",
        "record_type": "list_entry",
        "object_id": d.object_id,
        "uscc": d.uscc,
        "name": d.name,
        "region_code": d.region_code,
        "department_id": d.department_id,
        "risk_class": None,
        "previous_class": None,
        "score": None,
        "scheme": None,
        "scheme_version": None,
        "factors": [],
        "list_type": d.list_type.value,
        "action": d.action.value,
        "reason": d.reason,
        "effective_from": d.effective_from,
        "effective_until": d.effective_until,
        "occurred_at": d.changed_at,
        "source": event.source,
        "provider_department_id": d.department_id,
    }


# The credit-class tag of an object follows credit-svc's grade. No ObjectChanged is sent for it:
# GradeChanged is the fact consumers already get, and credit-svc regrades on object changes.
_TAG_SQL = text(
    """
    UPDATE supervised_objects t SET credit_class = g.risk_class, modified_at = now(),
        lineage = t.lineage || jsonb_build_object('credit_class',
            jsonb_build_object('source', g.source, 'at', to_char(g.occurred_at AT TIME ZONE 'UTC',
                                                                  'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))
    FROM credit_records g
    WHERE g.id = ANY(CAST(:ids AS uuid[])) AND g.record_type = 'grade' AND g.source = '/credit-svc'
      AND g.object_id = t.id AND g.risk_class IN ('A', 'B', 'C', 'D', 'E')
      AND t.credit_class IS DISTINCT FROM g.risk_class
    """
)


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Link and upsert by key (an older record never overwrites a newer one); tags and quality follow."""
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["record_key"] not in latest or latest[r["record_key"]]["occurred_at"] <= r["occurred_at"]:
            latest[r["record_key"]] = dict(r)
    for r in latest.values():
        object_id, method, _ = await linking_service.link_any(
            session, object_id=r["object_id"], uscc=r["uscc"], name=r["name"], region_code=r["region_code"]
        )
        r.update(object_id=object_id, link_method=method, modified_at=utc_now())
    statement = insert(CreditRecord).values(list(latest.values()))
    upsert = statement.on_conflict_do_update(
        index_elements=[CreditRecord.record_key],
        set_={**{f: statement.excluded[f] for f in _FIELDS}, "modified_at": func.now()},
        where=CreditRecord.occurred_at <= statement.excluded.occurred_at,
    ).returning(CreditRecord.record_key, CreditRecord.id)
    stored: dict[str, uuid.UUID] = dict((await session.execute(upsert)).all())
    missing = [k for k in latest if k not in stored]
    if missing:
        stored.update(
            (
                await session.execute(
                    CreditRecord.__table__.select()
                    .with_only_columns(CreditRecord.record_key, CreditRecord.id)
                    .where(CreditRecord.record_key.in_(missing))
                )
            ).all()
        )
    ids = [str(i) for i in stored.values()]
    await session.execute(_TAG_SQL, {"ids": ids})
    await quality_service.check_records(session, "credit", ids)
    return [stored[r["record_key"]] for r in rows]
