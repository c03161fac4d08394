"""Manual class overrides (人工调整): decided with reason, legal basis and validity, audited, and applied
through the grade write path (history entry, `GradeChanged` with trigger `override`); when one expires or
is lifted the object is regraded and the rules' class resumes (trigger `override_end`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from credit_svc.audit.service import Actor, audit
from credit_svc.dates import today
from credit_svc.grading.models import CreditGrade, GradeTrigger, GradingScheme
from credit_svc.grading.service import bump_inputs, regrade
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.overrides.models import GradeOverride, OverrideStatus
from credit_svc.overrides.schemas import OverrideCreate, OverrideLift, OverrideRead
from credit_svc.records.service import InvalidState, get_object, snapshot
from credit_svc.settings import CreditSettings
from svc_runtime.db import get_or_not_found, utc_now
from svc_runtime.problems import Forbidden, Problem
from svc_runtime.scope import DEPARTMENT_ADMIN, PLATFORM_ADMIN

_log = logging.getLogger("credit_svc.overrides")
OVERRIDE_SCOPE = "credit.override"
OVERRIDER_ROLES = frozenset({PLATFORM_ADMIN, DEPARTMENT_ADMIN})
SWEEP_ACTOR = "override-sweep"
BATCH = 1_000
FIELDS = (
    "object_id",
    "risk_class",
    "automatic_class",
    "status",
    "reason",
    "legal_basis",
    "document_number",
    "valid_from",
    "valid_until",
    "ended_by",
    "end_reason",
)


class InvalidOverride(Problem):
    status = 422
    title = "Invalid override"


def check_authorised(actor: Actor) -> None:
    """Overrides are decided by department administrators (or holders of the `credit.override` scope)."""
    scopes = actor.scope.principal.scopes if actor.scope else frozenset()
    if not (set(actor.roles) & OVERRIDER_ROLES) and OVERRIDE_SCOPE not in scopes and "credit.admin" not in scopes:
        raise Forbidden(
            f"overriding a class needs the {' or '.join(sorted(OVERRIDER_ROLES))} role or the {OVERRIDE_SCOPE} scope"
        )


def in_force(row: GradeOverride) -> bool:
    d = today()
    return row.status == OverrideStatus.ACTIVE and row.valid_from <= d < row.valid_until


def override_read(row: GradeOverride) -> OverrideRead:
    read = OverrideRead.model_validate(row)
    read.in_force = in_force(row)
    return read


async def get_override(session: AsyncSession, override_id: uuid.UUID, *, for_update: bool = False) -> GradeOverride:
    return await get_or_not_found(
        session, GradeOverride, override_id, for_update=for_update, missing=f"override {override_id} does not exist"
    )


async def apply(
    session: AsyncSession, object_ids: Sequence[uuid.UUID], *, trigger: GradeTrigger, refs: dict[uuid.UUID, str]
) -> list[tuple[uuid.UUID, str, str | None]]:
    """Regrade objects whose override started or ended; the write path picks the override in force."""
    known = await bump_inputs(session, object_ids)
    changed = await regrade(session, known, trigger=trigger, trigger_refs=refs, force=True)
    if changed:
        await sync_auto_lists(session, [c[0] for c in changed])
    return changed


async def create_override(
    session: AsyncSession, actor: Actor, settings: CreditSettings, object_id: uuid.UUID, body: OverrideCreate
) -> GradeOverride:
    """Decide an override; in force today, the grade changes at once (else when the sweep reaches valid_from)."""
    check_authorised(actor)
    obj = await get_object(session, object_id)
    assert actor.scope is not None
    actor.scope.check_write(region_code=obj.region_code, department_id=obj.department_id)
    d = today()
    start = body.valid_from or d
    errors: list[dict[str, Any]] = []
    if start < d:
        errors.append({"loc": ["body", "valid_from"], "msg": f"an override cannot start in the past (today is {d})"})
    if body.valid_until <= start:
        errors.append({"loc": ["body", "valid_until"], "msg": "valid_until must be after valid_from"})
    elif body.valid_until > start + timedelta(days=settings.credit_override_max_days):
        errors.append(
            {
                "loc": ["body", "valid_until"],
                "msg": f"an override lasts at most {settings.credit_override_max_days} days",
            }
        )
    grade = await session.get(CreditGrade, object_id)
    if grade is None:
        raise InvalidState(f"object {object_id} has no grade yet: there is no class to override")
    scheme = await session.get(GradingScheme, grade.scheme_id)
    labels = [str(c["label"]) for c in (scheme.classes if scheme else [])]
    if body.risk_class not in labels:
        errors.append(
            {
                "loc": ["body", "risk_class"],
                "msg": f"{body.risk_class} is not a class of the scheme ({', '.join(labels)})",
            }
        )
    if errors:
        first = errors[0]
        raise InvalidOverride(f"{first['loc'][-1]}: {first['msg']}", errors=errors)
    current = await session.scalar(
        select(GradeOverride)
        .where(GradeOverride.object_id == object_id, GradeOverride.status == OverrideStatus.ACTIVE)
        .with_for_update()
    )
    if current is not None:
        raise InvalidState(
            f"object {object_id} already has an override ({current.id}, class {current.risk_class} until "
            f"{current.valid_until}); lift it first",
            override_id=str(current.id),
        )
    row = GradeOverride(
        id=uuid.uuid4(),
        object_id=object_id,
        risk_class=body.risk_class,
        automatic_class=grade.automatic_class or grade.risk_class,
        status=OverrideStatus.ACTIVE,
        reason=body.reason,
        legal_basis=body.legal_basis,
        document_number=body.document_number,
        valid_from=start,
        valid_until=body.valid_until,
        region_code=obj.region_code,
        department_id=obj.department_id,
        decided_by=actor.subject,
        decided_by_department_id=actor.department_id,
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        actor,
        action="grade.override.created",
        entity_type="override",
        entity_id=row.id,
        object_id=object_id,
        region_code=obj.region_code,
        department_id=obj.department_id,
        before={"risk_class": grade.risk_class, "automatic_class": row.automatic_class},
        after=snapshot(row, *FIELDS),
        note=body.reason,
    )
    if start <= d:
        await apply(session, [object_id], trigger=GradeTrigger.OVERRIDE, refs={object_id: str(row.id)})
    return row


async def lift_override(
    session: AsyncSession, actor: Actor, override_id: uuid.UUID, body: OverrideLift
) -> GradeOverride:
    """End an active override early; the object is regraded by the rules at once."""
    check_authorised(actor)
    row = await get_override(session, override_id, for_update=True)
    assert actor.scope is not None
    actor.scope.check_write(region_code=row.region_code, department_id=row.department_id)
    if row.status != OverrideStatus.ACTIVE:
        raise InvalidState(f"override {override_id} is {row.status}; only an active one can be lifted")
    before = snapshot(row, *FIELDS)
    row.status = OverrideStatus.LIFTED
    row.ended_at = utc_now()
    row.ended_by = actor.subject
    row.end_reason = body.reason
    await session.flush()
    await audit(
        session,
        actor,
        action="grade.override.lifted",
        entity_type="override",
        entity_id=row.id,
        object_id=row.object_id,
        region_code=row.region_code,
        department_id=row.department_id,
        before=before,
        after=snapshot(row, *FIELDS),
        note=body.reason,
    )
    await apply(session, [row.object_id], trigger=GradeTrigger.OVERRIDE_END, refs={row.object_id: str(row.id)})
    return row


_EXPIRE_SQL = """
UPDATE credit_grade_overrides SET status = 'expired', ended_at = now(), ended_by = :actor,
       end_reason = 'validity ended (期满)'
WHERE id IN (SELECT id FROM credit_grade_overrides WHERE status = 'active' AND valid_until <= CAST(:today AS date)
             ORDER BY valid_until LIMIT :batch FOR UPDATE SKIP LOCKED)
RETURNING id, object_id, region_code, department_id, risk_class, valid_until
"""

# Objects whose grade does not carry the override in force today: one started (scheduled), or the one the
# grade carries ended. Only overridden objects are looked at (the active overrides and the grades that
# name one), never the whole grade table.
_MISMATCH_SQL = """
WITH cand AS (
    SELECT object_id FROM credit_grade_overrides WHERE status = 'active' AND valid_from <= CAST(:today AS date)
    UNION
    SELECT object_id FROM credit_grades WHERE override_id IS NOT NULL
)
SELECT c.object_id, cur.id AS current_id, g.override_id
FROM cand c
JOIN credit_grades g ON g.object_id = c.object_id
JOIN credit_objects o ON o.object_id = c.object_id AND o.status = 'active'
LEFT JOIN credit_grade_overrides cur ON cur.object_id = c.object_id AND cur.status = 'active'
     AND cur.valid_from <= CAST(:today AS date) AND cur.valid_until > CAST(:today AS date)
     -- (an override to a class the grade's scheme lacks does not apply: the write path skips it too)
     AND EXISTS (SELECT 1 FROM grading_schemes s CROSS JOIN LATERAL jsonb_array_elements(s.classes) AS e(x)
                 WHERE s.id = g.scheme_id AND e.x ->> 'label' = cur.risk_class)
WHERE g.override_id IS DISTINCT FROM cur.id
LIMIT :batch
"""


async def sweep_overrides(session: AsyncSession) -> dict[str, int]:
    """Expire overrides whose validity ended and bring grades in line with the overrides in force today."""
    if not await session.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext('credit-svc:override-sweep'))")):
        return {"expired": 0, "started": 0, "ended": 0}
    actor = Actor.system(SWEEP_ACTOR)
    params = {"today": today(), "batch": BATCH, "actor": actor.subject}
    expired = (await session.execute(text(_EXPIRE_SQL), params)).all()
    for r in expired:
        await audit(
            session,
            actor,
            action="grade.override.expired",
            entity_type="override",
            entity_id=r.id,
            object_id=r.object_id,
            region_code=r.region_code,
            department_id=r.department_id,
            after={
                "status": OverrideStatus.EXPIRED.value,
                "risk_class": r.risk_class,
                "valid_until": str(r.valid_until),
            },
        )
    rows = (await session.execute(text(_MISMATCH_SQL), params)).all()
    starting = {r.object_id: str(r.current_id) for r in rows if r.current_id is not None}
    ending = {r.object_id: str(r.override_id) for r in rows if r.current_id is None}
    if starting:
        await apply(session, list(starting), trigger=GradeTrigger.OVERRIDE, refs=starting)
    if ending:
        await apply(session, list(ending), trigger=GradeTrigger.OVERRIDE_END, refs=ending)
    return {"expired": len(expired), "started": len(starting), "ended": len(ending)}


async def run_override_sweeps(sessionmaker: async_sessionmaker[AsyncSession], settings: CreditSettings) -> None:
    """Sweep every `credit_override_sweep_interval_s` (again at once while a pass was full)."""
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                result = await sweep_overrides(session)
            if any(result.values()):
                _log.info("override sweep", extra=result)
            if max(result.values()) >= BATCH:
                continue
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("override sweep failed")
        await asyncio.sleep(settings.credit_override_sweep_interval_s)
