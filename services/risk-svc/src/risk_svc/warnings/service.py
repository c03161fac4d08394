"""Warnings: raising and updating them from scores, disposal feedback, and reading them within data scope."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.features.signals import Signal
from risk_svc.warnings.models import Disposal, RiskWarning, WarningStatus
from risk_svc.warnings.schemas import FeedbackCreate
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.risk import (
    DisposalFeedbackData,
    DisposalFeedbackRecorded,
    DisposalOutcome,
    Evidence,
    ModelRef,
    WarningClosed,
    WarningClosedData,
    WarningData,
    WarningLevel,
    WarningObject,
    WarningRaised,
    WarningUpdated,
)
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, NotFound
from svc_runtime.scope import DataScope

_log = logging.getLogger("risk_svc.warnings")
EVIDENCE_EVENTS = 50
SCORE_CHANGE = 0.05  # a repeat whose score moves less than this (same level) updates quietly
SOURCE = "/risk-svc"


_UPDATE_OPEN = text(
    """
    UPDATE risk_warnings w SET model_version = u.version, estimator = u.estimator, rule_id = u.rule_id,
        level = u.level, score = u.score, evidence = CAST(u.evidence AS jsonb), properties = CAST(u.properties AS jsonb),
        trigger_event_id = u.trigger, update_count = u.count, updated_at = :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[]), CAST(:estimators AS text[]), CAST(:rule_ids AS text[]),
                CAST(:levels AS text[]), CAST(:scores AS double precision[]), CAST(:evidence AS text[]),
                CAST(:properties AS text[]), CAST(:triggers AS text[]), CAST(:counts AS int[]))
         AS u(id, version, estimator, rule_id, level, score, evidence, properties, trigger, count)
    WHERE w.id = u.id
    """
)


_INSERT_COLUMNS = {
    "id": "uuid",
    "object_key": "text",
    "model_key": "text",
    "model_version": "int",
    "estimator": "text",
    "rule_id": "text",
    "title": "text",
    "domain": "text",
    "level": "text",
    "score": "double precision",
    "status": "text",
    "object_name": "text",
    "uscc": "text",
    "object_id": "text",
    "region_code": "text",
    "industry_code": "text",
    "responsible_department_id": "uuid",
    "responsible_department": "text",
    "evidence": "jsonb",
    "properties": "jsonb",
    "trigger_event_id": "text",
    "update_count": "int",
    "raised_at": "timestamptz",
    "updated_at": "timestamptz",
}
_JSON_COLUMNS = ("evidence", "properties")
# New warnings in one statement, JSON encoded once with orjson (as text, cast in the database).
_INSERT_NEW = text(
    "INSERT INTO risk_warnings ("
    + ", ".join(_INSERT_COLUMNS)
    + ") SELECT "
    + ", ".join(f"CAST(u.{c} AS jsonb)" if t == "jsonb" else f"u.{c}" for c, t in _INSERT_COLUMNS.items())
    + " FROM unnest("
    + ", ".join(f"CAST(:{c} AS {'text' if t == 'jsonb' else t}[])" for c, t in _INSERT_COLUMNS.items())
    + ") AS u("
    + ", ".join(_INSERT_COLUMNS)
    + ")"
)


def _insert_params(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {c: [r[c] for r in rows] for c in _INSERT_COLUMNS if c not in _JSON_COLUMNS}
    for c in _JSON_COLUMNS:
        params[c] = [orjson.dumps(r[c]).decode() for r in rows]
    return params


@dataclass
class Candidate:
    key: str
    model_key: str
    model_version: int
    estimator: str
    title: str
    domain: str
    department: str
    score: float
    level: WarningLevel
    features: dict[str, float]
    escalated_by: tuple[str, ...] = ()


@dataclass
class OpenWarning:
    """What a repeat needs of the open warning it updates."""

    id: uuid.UUID
    level: str
    score: float
    event_ids: list[str]
    raised_at: datetime
    update_count: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpenWarning:
        return cls(
            id=uuid.UUID(data["id"]),
            level=data["level"],
            score=float(data["score"]),
            event_ids=list(data.get("event_ids") or []),
            raised_at=datetime.fromisoformat(data["raised_at"]),
            update_count=int(data["update_count"]),
        )


async def load_open(session: AsyncSession, keys: Sequence[str]) -> dict[tuple[str, str], OpenWarning]:
    cols = RiskWarning.__table__.c
    rows = (
        await session.execute(
            select(
                cols.id,
                cols.object_key,
                cols.model_key,
                cols.level,
                cols.score,
                cols.evidence,
                cols.raised_at,
                cols.update_count,
            ).where(cols.status == WarningStatus.OPEN, cols.object_key.in_(keys))
        )
    ).all()
    return {
        (r.object_key, r.model_key): OpenWarning(
            r.id, r.level, r.score, list(r.evidence.get("event_ids", [])), r.raised_at, r.update_count
        )
        for r in rows
    }


class WarningNotFound(NotFound):
    title = "Warning not found"


def _province(region_code: str) -> str:
    return region_code[:2] + "0000"


def _data(row: dict[str, Any]) -> WarningData:
    props = {k: v for k, v in (row.get("properties") or {}).items() if v is not None}
    return WarningData(
        warning_id=row["id"],
        rule_id=row["rule_id"],
        title=row["title"],
        level=row["level"],
        score=row["score"],
        domain=row["domain"],
        source=SOURCE + "/streaming",
        province=_province(row["region_code"]),
        object=WarningObject(
            key=row["object_key"],
            uscc=row["uscc"],
            object_id=row["object_id"],
            name=row["object_name"],
            region_code=row["region_code"],
            industry_code=row["industry_code"],
        ),
        evidence=Evidence(**row["evidence"]),
        model=ModelRef(model_key=row["model_key"], version=row["model_version"], estimator=row["estimator"]),
        responsible_department_id=row["responsible_department_id"],
        responsible_department=row["responsible_department"],
        properties=props,
        trigger_event_id=row["trigger_event_id"],
        raised_at=row["raised_at"],
        updated_at=row["updated_at"],
    )


def _escalation(c: Candidate) -> dict[str, str]:
    return {"escalated_by": "；".join(c.escalated_by)} if c.escalated_by else {}


async def apply_candidates(
    session: AsyncSession,
    candidates: Sequence[Candidate],
    signals: Sequence[Signal],
    objects: dict[str, Any],
    source: str = SOURCE,
    open_warnings: dict[tuple[str, str], OpenWarning] | None = None,
) -> int:
    """Raise a warning per new (object, model) pair, update the open one otherwise; stage the events."""
    events_by_key: dict[str, list[str]] = {}
    for s in signals:
        events_by_key.setdefault(s.key, []).append(s.event_id)
    if open_warnings is None:
        open_warnings = await load_open(session, sorted({c.key for c in candidates}))
    open_rows = open_warnings
    now = utc_now()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    events: list[CloudEvent] = []
    for c in candidates:
        obj = objects.get(c.key)
        if obj is None:
            continue
        batch_ids = events_by_key.get(c.key, [])
        existing = open_rows.get((c.key, c.model_key))
        row: dict[str, Any] = {
            "object_key": c.key,
            "model_key": c.model_key,
            "model_version": c.model_version,
            "estimator": c.estimator,
            "rule_id": f"{c.model_key}@{c.model_version}",
            "title": f"{obj.name}: {c.title}",
            "domain": c.domain,
            "level": c.level.value,
            "score": c.score,
            "status": WarningStatus.OPEN.value,
            "object_name": obj.name,
            "uscc": obj.uscc,
            "object_id": obj.object_id,
            "region_code": obj.region_code,
            "industry_code": obj.industry_code,
            "responsible_department_id": obj.department_id,
            "responsible_department": obj.department_name or c.department,
            "trigger_event_id": batch_ids[-1] if batch_ids else "",
            "updated_at": now,
        }
        if existing is None:
            row.update(
                id=uuid.uuid4(),
                raised_at=now,
                update_count=0,
                evidence={"event_ids": batch_ids[-EVIDENCE_EVENTS:], "features": c.features, "rule_matched": True},
            )
            row["properties"] = {"industry_code": obj.industry_code, "update_count": 0, **_escalation(c)}
            inserts.append(row)
            events.append(WarningRaised.build(source=source, subject=c.key, data=_data(row)))
        else:
            old_ids = existing.event_ids
            merged = (old_ids + [i for i in batch_ids if i not in old_ids])[-EVIDENCE_EVENTS:]
            row.update(
                id=existing.id,
                raised_at=existing.raised_at,
                update_count=existing.update_count + 1,
                evidence={"event_ids": merged, "features": c.features, "rule_matched": True},
            )
            row["properties"] = {
                "industry_code": obj.industry_code,
                "update_count": row["update_count"],
                **_escalation(c),
            }
            updates.append(row)
            if existing.level != c.level.value or abs(existing.score - c.score) >= SCORE_CHANGE:
                events.append(WarningUpdated.build(source=source, subject=c.key, data=_data(row)))
    if inserts:
        await session.execute(_INSERT_NEW, _insert_params(inserts))
    if updates:
        await session.execute(
            _UPDATE_OPEN,
            {
                "ids": [u["id"] for u in updates],
                "versions": [u["model_version"] for u in updates],
                "estimators": [u["estimator"] for u in updates],
                "rule_ids": [u["rule_id"] for u in updates],
                "levels": [u["level"] for u in updates],
                "scores": [u["score"] for u in updates],
                "evidence": [orjson.dumps(u["evidence"]).decode() for u in updates],
                "properties": [orjson.dumps(u["properties"]).decode() for u in updates],
                "triggers": [u["trigger_event_id"] for u in updates],
                "counts": [u["update_count"] for u in updates],
                "now": now,
            },
        )
    if events:
        await outbox.stage_many(session, events)
    return len(events)


def readable(scope: DataScope) -> Select[tuple[RiskWarning]]:
    return scope.filter(
        select(RiskWarning), region=RiskWarning.region_code, department=RiskWarning.responsible_department_id
    )


async def get(session: AsyncSession, scope: DataScope, warning_id: uuid.UUID) -> RiskWarning:
    row = await session.get(RiskWarning, warning_id)
    if row is None or not scope.can_read(region_code=row.region_code, department_id=row.responsible_department_id):
        raise WarningNotFound(f"no warning {warning_id}")
    return row


async def record_feedback(
    session: AsyncSession, scope: DataScope, warning_id: uuid.UUID, body: FeedbackCreate, *, actor: str
) -> Disposal:
    """Record how the warning was disposed of, close it, and stage the feedback and closing events."""
    row = await session.get(RiskWarning, warning_id, with_for_update=True)
    if row is None or not scope.can_read(region_code=row.region_code, department_id=row.responsible_department_id):
        raise WarningNotFound(f"no warning {warning_id}")
    scope.check_write(region_code=row.region_code, department_id=row.responsible_department_id)
    if row.status != WarningStatus.OPEN:
        raise Conflict(f"warning {warning_id} was already disposed of ({row.outcome})")
    disposal = await _dispose(
        session,
        row,
        feedback_id=uuid.uuid4(),
        outcome=body.outcome,
        action=body.action,
        note=body.note,
        department_id=row.responsible_department_id,
        actor=actor,
        at=utc_now(),
        source=SOURCE,
    )
    await outbox.stage(
        session,
        DisposalFeedbackRecorded.build(
            source=SOURCE,
            subject=row.object_key,
            data=DisposalFeedbackData(
                feedback_id=disposal.id,
                warning_id=row.id,
                object_key=row.object_key,
                model_key=row.model_key,
                model_version=row.model_version,
                outcome=body.outcome,
                action=body.action,
                note=body.note,
                department_id=row.responsible_department_id,
                recorded_by=actor,
                recorded_at=disposal.recorded_at,
            ),
        ),
    )
    return disposal


async def apply_feedback_event(session: AsyncSession, event: DisposalFeedbackRecorded) -> Disposal | None:
    """Apply disposal feedback that arrived as an event (joint-svc's disposal tasks); None when it changes nothing.

    Our own API feedback comes back on the same topic and is recognised by its feedback id; feedback on a
    warning that is unknown here, that names another object, or that follows an earlier disposal is ignored
    (logged): the first disposal of a warning is its label.
    """
    data = event.data
    row = await session.get(RiskWarning, data.warning_id, with_for_update=True)
    if row is None:
        _log.warning("disposal feedback on an unknown warning ignored", extra=_feedback_log(event))
        return None
    if row.object_key != data.object_key or row.model_key != data.model_key:
        _log.warning(
            "disposal feedback does not match its warning; ignored",
            extra={**_feedback_log(event), "warning_object": row.object_key, "warning_model": row.model_key},
        )
        return None
    if row.status != WarningStatus.OPEN:
        existing = await session.scalar(select(Disposal.id).where(Disposal.warning_id == row.id))
        if existing != data.feedback_id:
            _log.info("warning already disposed of; later feedback ignored", extra=_feedback_log(event))
        return None
    return await _dispose(
        session,
        row,
        feedback_id=data.feedback_id,
        outcome=data.outcome,
        action=data.action,
        note=data.note,
        department_id=data.department_id or row.responsible_department_id,
        actor=data.recorded_by,
        at=data.recorded_at,
        source=event.source,
    )


def _feedback_log(event: DisposalFeedbackRecorded) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "source": event.source,
        "warning_id": str(event.data.warning_id),
        "feedback_id": str(event.data.feedback_id),
    }


async def _dispose(
    session: AsyncSession,
    row: RiskWarning,
    *,
    feedback_id: uuid.UUID,
    outcome: DisposalOutcome,
    action: str | None,
    note: str | None,
    department_id: uuid.UUID | None,
    actor: str,
    at: datetime,
    source: str,
) -> Disposal:
    """Record the disposal (the label: anything but a false alarm is a true positive), close the warning, stage the closing."""
    disposal = Disposal(
        id=feedback_id,
        warning_id=row.id,
        model_key=row.model_key,
        model_version=row.model_version,
        outcome=outcome,
        label=outcome is not DisposalOutcome.FALSE_ALARM,
        action=action,
        note=note,
        department_id=department_id,
        recorded_by=actor,
        recorded_at=at,
        source=source[:100],
        features=dict(row.evidence.get("features", {})),
    )
    session.add(disposal)
    row.status = WarningStatus.CLOSED
    row.outcome = outcome
    row.closed_at = at
    await session.flush()
    await outbox.stage(
        session,
        WarningClosed.build(
            source=SOURCE,
            subject=row.object_key,
            data=WarningClosedData(
                warning_id=row.id, object_key=row.object_key, model_key=row.model_key, outcome=outcome, closed_at=at
            ),
        ),
    )
    return disposal
