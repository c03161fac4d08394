"""Appending to the audit log (in the caller's transaction, chained under a lock) and reading it back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from auth_svc.audit.chain import FIELDS, GENESIS_HASH, normalise_details, record_hash
from auth_svc.audit.models import AuditRecord
from svc_runtime.db import utc_now

# pg_advisory_xact_lock id ("audit"): appends take turns, so each one chains onto the last committed
# record. The lock is held until the appending transaction ends, so append last in a transaction.
AUDIT_LOCK_ID = 0x61756469_74000001


@dataclass(frozen=True)
class Actor:
    """Who did it and from where."""

    subject: str
    roles: tuple[str, ...] = ()
    client_id: str | None = None
    ip: str | None = None
    request_id: str | None = None


async def append(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str,
    target_type: str,
    target_id: str | uuid.UUID | None,
    region_code: str | None = None,
    department_id: str | uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Stage one audit record in the session's transaction, chained onto the latest record."""
    await session.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK_ID)))
    last = (
        await session.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1))
    ).first()
    values: dict[str, Any] = {
        "seq": (last.seq + 1) if last else 1,
        "time": utc_now(),
        "actor": actor.subject,
        "actor_roles": sorted(actor.roles),
        "client_id": actor.client_id,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "region_code": region_code,
        "department_id": str(department_id) if department_id is not None else None,
        "details": normalise_details(details or {}),
        "ip": actor.ip,
        "request_id": actor.request_id,
        "prev_hash": last.hash if last else GENESIS_HASH,
    }
    record = AuditRecord(**values, hash=record_hash(values))
    session.add(record)
    await session.flush()
    return record


def query(
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditRecord]:
    statement = select(AuditRecord)
    if actor is not None:
        statement = statement.where(AuditRecord.actor == actor)
    if action is not None:
        # "user." matches every user action.
        statement = statement.where(
            AuditRecord.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditRecord.action == action
        )
    if target_type is not None:
        statement = statement.where(AuditRecord.target_type == target_type)
    if target_id is not None:
        statement = statement.where(AuditRecord.target_id == target_id)
    if since is not None:
        statement = statement.where(AuditRecord.time >= since)
    if until is not None:
        statement = statement.where(AuditRecord.time < until)
    return statement


@dataclass(frozen=True)
class Verification:
    """Outcome of recomputing the chain: how many rows were checked and the first broken one."""

    checked: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


async def _rows(connection: AsyncConnection, batch: int) -> AsyncIterator[Mapping[str, Any]]:
    columns = [getattr(AuditRecord, name) for name in FIELDS] + [AuditRecord.hash]
    result = await connection.stream(select(*columns).order_by(AuditRecord.seq).execution_options(yield_per=batch))
    async for row in result.mappings():
        # RowMapping is typed with str | column keys; these rows are read by column name only.
        yield cast(Mapping[str, Any], row)


async def verify(connection: AsyncConnection, *, batch: int = 1000) -> Verification:
    """Recompute every hash in seq order; report the first row whose seq, link or hash is wrong."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    async for row in _rows(connection, batch):
        seq = row["seq"]
        if seq != expected_seq:
            return Verification(checked, seq, f"expected seq {expected_seq}: rows are missing or renumbered")
        if row["prev_hash"] != prev_hash:
            return Verification(checked, seq, "prev_hash does not match the previous record's hash")
        if record_hash(row) != row["hash"]:
            return Verification(checked, seq, "hash does not match the record's content")
        checked += 1
        expected_seq, prev_hash = seq + 1, row["hash"]
    return Verification(checked)
