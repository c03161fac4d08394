"""The draw ledger: append-only rows whose hashes chain, so that no recorded draw can change unnoticed.

entry_hash = SHA-256(prev_hash "\\n" draw_id "\\n" entry "\\n" canonical body "\\n" blob SHA-256)

The table refuses UPDATE, DELETE and TRUNCATE (trigger), appends are serialised by an advisory
lock, and `verify_chain` recomputes every hash (blob hashes are computed inside PostgreSQL, so the
check does not move the blobs).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from random_check_svc.draws.algorithm import canonical_json, sha256_hex
from random_check_svc.draws.models import LedgerEntry, RcDrawLedger

GENESIS = "0" * 64
LEDGER_LOCK = 7_301_002


def entry_hash(prev_hash: str, draw_id: uuid.UUID, entry: str, body: dict[str, Any], blob_sha: str | None) -> str:
    parts = [prev_hash.encode(), str(draw_id).encode(), entry.encode(), canonical_json(body), (blob_sha or "").encode()]
    return sha256_hex(b"\n".join(parts))


async def append(
    session: AsyncSession, draw_id: uuid.UUID, entry: LedgerEntry, body: dict[str, Any], blob: bytes | None = None
) -> RcDrawLedger:
    """Append one entry at the end of the chain (in the caller's transaction)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK})
    prev = await session.scalar(select(RcDrawLedger.entry_hash).order_by(RcDrawLedger.seq.desc()).limit(1))
    prev_hash = prev or GENESIS
    blob_sha = sha256_hex(blob) if blob is not None else None
    row = RcDrawLedger(
        draw_id=draw_id,
        entry=entry,
        body=body,
        blob=blob,
        blob_sha256=blob_sha,
        prev_hash=prev_hash,
        entry_hash=entry_hash(prev_hash, draw_id, entry.value, body, blob_sha),
        size=len(blob) if blob is not None else 0,
    )
    session.add(row)
    await session.flush()
    return row


async def entries(session: AsyncSession, draw_id: uuid.UUID, *, with_blobs: bool = True) -> dict[str, RcDrawLedger]:
    """A draw's entries by kind."""
    statement = select(RcDrawLedger).where(RcDrawLedger.draw_id == draw_id).order_by(RcDrawLedger.seq)
    rows = (await session.scalars(statement)).all()
    return {row.entry: row for row in rows}


@dataclass
class ChainCheck:
    entries: int
    intact: bool
    first_broken_seq: int | None
    reason: str | None


async def verify_chain(session: AsyncSession, draw_id: uuid.UUID | None = None) -> ChainCheck:
    """Recompute the hashes of the whole chain, or of one draw's entries and their links to the chain."""
    rows = (
        await session.execute(
            text(
                "SELECT * FROM (SELECT seq, draw_id, entry, body, blob_sha256, prev_hash, entry_hash, "
                "CASE WHEN blob IS NULL THEN NULL ELSE encode(sha256(blob), 'hex') END AS actual_blob, "
                "lag(entry_hash) OVER (ORDER BY seq) AS actual_prev FROM rc_draw_ledger) l "
                "WHERE CAST(:draw AS uuid) IS NULL OR l.draw_id = CAST(:draw AS uuid) ORDER BY seq"
            ),
            {"draw": str(draw_id) if draw_id else None},
        )
    ).all()
    for row in rows:
        expected_prev = row.actual_prev or GENESIS
        if row.prev_hash != expected_prev:
            return ChainCheck(len(rows), False, row.seq, "the entry does not link to the entry before it")
        if row.blob_sha256 != row.actual_blob:
            return ChainCheck(len(rows), False, row.seq, "the blob does not match its recorded SHA-256")
        if row.entry_hash != entry_hash(row.prev_hash, row.draw_id, row.entry, row.body, row.blob_sha256):
            return ChainCheck(len(rows), False, row.seq, "the entry's hash does not match its content")
    return ChainCheck(len(rows), True, None, None)
