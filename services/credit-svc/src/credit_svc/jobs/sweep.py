"""The periodic sweep: records whose validity ended expire, and abnormal-operation entries uncured for
`credit_abnormal_escalation_years` go on the serious-violation list (严重违法失信名单)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import String, cast, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from credit_svc.audit.service import Actor, audit
from credit_svc.dates import today
from credit_svc.grading.models import GradeTrigger
from credit_svc.grading.service import bump_inputs, regrade
from credit_svc.lists.models import CreditList
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.records.models import CreditRecord, RecordStatus, RecordType
from credit_svc.records.service import RECORD_FIELDS, end_record, list_event, snapshot
from credit_svc.settings import CreditSettings
from supervision_schemas.credit import ListAction
from svc_runtime import outbox

_log = logging.getLogger("credit_svc.sweep")
BATCH = 1_000


async def sweep_once(session: AsyncSession, settings: CreditSettings) -> dict[str, int]:
    """One pass (at most BATCH records of each kind), in the caller's transaction."""
    if not await session.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext('credit-svc:sweep'))")):
        return {"expired": 0, "escalated": 0}
    actor = Actor.system("sweep")
    d = today()
    touched: list[uuid.UUID] = []
    expiring = (
        await session.scalars(
            select(CreditRecord)
            .where(CreditRecord.status == RecordStatus.ACTIVE, CreditRecord.effective_until <= d)
            .order_by(CreditRecord.effective_until)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    names = dict(
        (
            await session.execute(
                select(CreditList.id, CreditList.name).where(
                    CreditList.id.in_({r.list_id for r in expiring if r.list_id})
                )
            )
        ).all()
    )
    for record in expiring:
        assert record.effective_until is not None
        await end_record(
            session,
            actor,
            record,
            RecordStatus.EXPIRED,
            record.effective_until,
            "validity ended (期满)",
            list_name=names.get(record.list_id) if record.list_id else None,
            regrade_now=False,
        )
        if record.object_id is not None:
            touched.append(record.object_id)
    escalated = 0
    years = settings.credit_abnormal_escalation_years
    if years > 0:
        escalation = aliased(CreditRecord)
        limit = (
            d.replace(year=d.year - years) if not (d.month == 2 and d.day == 29) else d - timedelta(days=365 * years)
        )
        due = (
            await session.scalars(
                select(CreditRecord)
                .where(
                    CreditRecord.record_type == RecordType.ABNORMAL_OPERATION,
                    CreditRecord.status == RecordStatus.ACTIVE,
                    CreditRecord.effective_from <= limit,
                    CreditRecord.object_id.is_not(None),
                    ~exists().where(escalation.source_ref == func.concat("escalation:", cast(CreditRecord.id, String))),
                )
                .limit(BATCH)
            )
        ).all()
        for abnormal in due:
            serious = CreditRecord(
                id=uuid.uuid4(),
                object_id=abnormal.object_id,
                origin_object_id=abnormal.object_id,
                uscc=abnormal.uscc,
                object_name=abnormal.object_name,
                record_type=RecordType.SERIOUS_VIOLATION,
                status=RecordStatus.ACTIVE,
                automatic=False,
                source="rule:abnormal_escalation",
                source_ref=f"escalation:{abnormal.id}",
                region_code=abnormal.region_code,
                department_id=abnormal.department_id,
                department_name=abnormal.department_name,
                reason=f"列入经营异常名录届满{years}年仍未履行相关义务 (record {abnormal.id})",
                legal_basis="《市场监督管理严重违法失信名单管理办法》",
                decided_on=d,
                effective_from=d,
                public=abnormal.public,
                created_by=actor.subject,
            )
            session.add(serious)
            await session.flush()
            await outbox.stage(session, list_event(serious, ListAction.ADDED))
            await audit(
                session,
                actor,
                action="record.created",
                entity_type="record",
                entity_id=serious.id,
                object_id=serious.object_id,
                region_code=serious.region_code,
                department_id=serious.department_id,
                after=snapshot(serious, *RECORD_FIELDS),
                note=f"escalated from abnormal-operation entry {abnormal.id}",
            )
            assert abnormal.object_id is not None
            touched.append(abnormal.object_id)
            escalated += 1
    if touched:
        known = await bump_inputs(session, touched)
        changed = await regrade(session, known, trigger=GradeTrigger.SWEEP)
        if changed:
            await sync_auto_lists(session, [c[0] for c in changed])
    return {"expired": len(expiring), "escalated": escalated}


async def run_sweeps(sessionmaker: async_sessionmaker[AsyncSession], settings: CreditSettings) -> None:
    """Sweep every `credit_sweep_interval_s` (and again at once while a pass was full)."""
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                result: dict[str, Any] = await sweep_once(session, settings)
            if result["expired"] or result["escalated"]:
                _log.info("credit sweep", extra=result)
            if result["expired"] >= BATCH or result["escalated"] >= BATCH:
                continue
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("credit sweep failed")
        await asyncio.sleep(settings.credit_sweep_interval_s)
