"""The evidence pack (basisData) per object: kept from events, attached to the objects of new tasks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.evidence.models import ObjectEvidence
from supervision_schemas.joint import JointBasisData, JointRiskWarningRecord, JointSuperviseObject
from supervision_schemas.risk import WarningData
from svc_runtime.db import utc_now

LIST_FIELDS = ("operating_abnormal", "serious_illegal", "complaint_info", "tip_info", "risk_warning")
KEEP = {"operating_abnormal": 100, "serious_illegal": 100, "complaint_info": 50, "tip_info": 50, "risk_warning": 50}
ID_FIELD = {
    "operating_abnormal": "entry_id",
    "serious_illegal": "entry_id",
    "complaint_info": "complaint_id",
    "tip_info": "complaint_id",
    "risk_warning": "fxyj_id",
}


def object_key(uscc: str | None, object_id: str | None) -> str:
    return uscc or f"obj:{object_id}"


def warning_record(w: WarningData) -> JointRiskWarningRecord:
    """A risk warning in the national record's fields."""
    return JointRiskWarningRecord(
        fxyj_id=str(w.warning_id),
        risk_object=w.object.name,
        risk_object_cert_code=w.object.uscc,
        domain=w.domain.value,
        province=w.province,
        title=w.title,
        level=w.level.value,
        created_at=w.raised_at,
        source=w.source,
        rule_id=w.rule_id,
        props=dict(w.properties),
    )


Mutation = Callable[[dict[str, Any]], None]


async def update(
    session: AsyncSession, changes: Sequence[tuple[str, str | None, str | None, Mutation]], at: datetime | None = None
) -> None:
    """Apply changes (key, uscc, object id, mutation of the row's fields) to the evidence rows, in order."""
    if not changes:
        return
    keys = sorted({c[0] for c in changes})
    rows: dict[str, dict[str, Any]] = {}
    for row in (
        await session.scalars(
            select(ObjectEvidence)
            .where(ObjectEvidence.object_key.in_(keys))
            .order_by(ObjectEvidence.object_key)
            .with_for_update()
        )
    ).all():
        rows[row.object_key] = {
            "object_key": row.object_key,
            "uscc": row.uscc,
            "object_id": row.object_id,
            "credit_assess": row.credit_assess,
            **{f: list(getattr(row, f)) for f in LIST_FIELDS},
        }
    for key, uscc, object_id, mutate in changes:
        merged = rows.setdefault(
            key,
            {"object_key": key, "uscc": uscc, "object_id": object_id, "credit_assess": None}
            | {f: [] for f in LIST_FIELDS},
        )
        merged["uscc"] = merged["uscc"] or uscc
        merged["object_id"] = merged["object_id"] or object_id
        mutate(merged)
    now = at or utc_now()
    values = [{**r, "updated_at": now} for r in rows.values()]
    statement = insert(ObjectEvidence)
    statement = statement.on_conflict_do_update(
        index_elements=[ObjectEvidence.object_key],
        set_={k: statement.excluded[k] for k in values[0] if k != "object_key"},
    )
    await session.execute(statement, values)


def upsert_entry(field: str, entry: dict[str, Any]) -> Mutation:
    """Put an entry in one of the lists (replacing the one with the same id), newest first, bounded."""
    id_field = ID_FIELD[field]

    def mutate(row: dict[str, Any]) -> None:
        kept = [e for e in row[field] if e.get(id_field) != entry.get(id_field)]
        row[field] = [entry, *kept][: KEEP[field]]

    return mutate


def remove_entry(field: str, entry_id: str) -> Mutation:
    id_field = ID_FIELD[field]

    def mutate(row: dict[str, Any]) -> None:
        row[field] = [e for e in row[field] if e.get(id_field) != entry_id]

    return mutate


def set_credit(value: dict[str, Any]) -> Mutation:
    def mutate(row: dict[str, Any]) -> None:
        row["credit_assess"] = value

    return mutate


async def complete(session: AsyncSession, objects: Sequence[JointSuperviseObject]) -> list[dict[str, Any]]:
    """The objects as stored on a task: each one's evidence completed from what the platform knows."""
    if not objects:
        return []
    keys: set[str] = set()
    ids: set[str] = set()
    for o in objects:
        if o.code:
            keys.add(o.code)
        if o.object_id:
            keys.add(f"obj:{o.object_id}")
            ids.add(o.object_id)
    known: list[ObjectEvidence] = []
    if keys:
        known = list(
            (
                await session.scalars(
                    select(ObjectEvidence).where(
                        or_(ObjectEvidence.object_key.in_(keys), ObjectEvidence.object_id.in_(ids))
                    )
                )
            ).all()
        )
    by_key: dict[str, list[ObjectEvidence]] = {}
    for e in known:
        by_key.setdefault(e.object_key, []).append(e)
        if e.object_id:
            by_key.setdefault(f"id:{e.object_id}", []).append(e)
    out = []
    for o in objects:
        mine: dict[str, ObjectEvidence] = {}
        for k in (o.code, f"obj:{o.object_id}" if o.object_id else None, f"id:{o.object_id}" if o.object_id else None):
            for e in by_key.get(k or "", []):
                mine[e.object_key] = e
        out.append(merge(o, list(mine.values())).model_dump(mode="json") if mine else o.model_dump(mode="json"))
    return out


def merge(obj: JointSuperviseObject, known: Sequence[ObjectEvidence]) -> JointSuperviseObject:
    """What the sender gave wins; what the platform knows fills in (lists joined without duplicates)."""
    given = obj.basis_data.model_dump(mode="json")
    for row in known:
        if given.get("credit_assess") is None and row.credit_assess is not None:
            given["credit_assess"] = row.credit_assess
        for f in LIST_FIELDS:
            seen = {e.get(ID_FIELD[f]) for e in given[f]}
            given[f] = given[f] + [e for e in getattr(row, f) if e.get(ID_FIELD[f]) not in seen]
    for f in LIST_FIELDS:
        given[f] = given[f][: KEEP[f]]
    return obj.model_copy(update={"basis_data": JointBasisData.model_validate(given)})
