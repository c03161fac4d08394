"""Full recompute: every active object's features in one set-based query (binary COPY into numpy),
scores under each region's scheme with vectorised rules, and only the changed grades written back
(staged with binary COPY, applied in batches of `credit_recompute_batch`, each its own transaction)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from credit_svc.grading.engine import Scores
from credit_svc.grading.features import FeatureFrame, FeatureSQL, parse_binary_copy
from credit_svc.grading.models import GradeTrigger
from credit_svc.grading.service import (
    GradingContext,
    ScoredGroup,
    load_context,
    score_frame,
    stage_groups,
    write_staged,
)
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.settings import CreditSettings
from svc_runtime.db import driver_connection

Report = Callable[..., Awaitable[None]]


async def read_features(
    sessionmaker: async_sessionmaker[AsyncSession], settings: CreditSettings, ctx: GradingContext | None = None
) -> tuple[GradingContext, FeatureFrame]:
    """The grading context and the features of every active object, in one statement."""
    async with sessionmaker() as session, session.begin():
        ctx = ctx or await load_context(session)
        await session.execute(text(f"SET LOCAL work_mem = '{settings.credit_recompute_work_mem}'"))
        conn = await driver_connection(session)
        chunks: list[bytes] = []

        async def sink(chunk: bytes) -> None:
            chunks.append(chunk)

        query = FeatureSQL(tuple(ctx.refs), ctx.as_of).sql(ids=False)
        await conn.copy_from_query(query, output=sink, format="binary")
    data = b"".join(chunks)
    frame = await asyncio.to_thread(parse_binary_copy, ctx.refs, data)
    return ctx, frame


def _slice(group: ScoredGroup, start: int, stop: int) -> ScoredGroup:
    s = group.scores
    return ScoredGroup(
        group.scheme,
        group.index[start:stop],
        Scores(
            s.score[start:stop],
            s.rule_score[start:stop],
            s.model_score[start:stop],
            s.class_rank[start:stop],
            s.contributions[start:stop],
            s.feature_values[start:stop],
        ),
    )


async def full_recompute(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: CreditSettings,
    *,
    job_id: uuid.UUID | None,
    report: Report | None = None,
) -> dict[str, Any]:
    """Regrade every active object; returns counts and the time of each phase."""

    async def progress(**fields: Any) -> None:
        if report is not None:
            await report(**fields)

    timings: dict[str, float] = {}
    t = time.perf_counter()
    await progress(phase="reading inputs", progress=0.0)
    ctx, frame = await read_features(sessionmaker, settings)
    timings["read_s"] = round(time.perf_counter() - t, 3)
    if not ctx.schemes:
        return {"objects": len(frame), "changed": 0, "reason": "no active scheme", **timings}
    await progress(phase="scoring", progress=0.3, total=len(frame))
    t = time.perf_counter()
    groups = await asyncio.to_thread(score_frame, ctx, frame, only_changed=True)
    timings["score_s"] = round(time.perf_counter() - t, 3)
    staged = sum(len(g.index) for g in groups)
    await progress(phase="writing grades", progress=0.4, processed=len(frame))
    t = time.perf_counter()
    batch = settings.credit_recompute_batch
    parts = [_slice(g, start, start + batch) for g in groups for start in range(0, len(g.index), batch)]
    written = changed = 0
    writers = asyncio.Semaphore(settings.credit_recompute_writers)
    trigger_ref = str(job_id) if job_id else None

    async def write(part: ScoredGroup) -> None:
        nonlocal written, changed
        async with writers:
            async with sessionmaker() as session, session.begin():
                await stage_groups(session, frame, [part])
                rows = await write_staged(session, trigger=GradeTrigger.RECOMPUTE, trigger_ref=trigger_ref)
            written += len(part.index)
            changed += len(rows)
            await progress(progress=0.4 + 0.55 * written / max(staged, 1), changed=changed)

    # Batches touch distinct objects, so they are written concurrently (each in its own transaction).
    await asyncio.gather(*(write(part) for part in parts))
    timings["write_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        added, removed = await sync_auto_lists(session, None)
    timings["lists_s"] = round(time.perf_counter() - t, 3)
    return {
        "objects": len(frame),
        "candidates": staged,
        "changed": changed,
        "list_entries_added": added,
        "list_entries_removed": removed,
        "as_of": ctx.as_of.isoformat(),
        "schemes": [f"{s.key}@{s.version}" for s in ctx.schemes],
        "model": ctx.model.version if ctx.uses_model and ctx.model is not None else None,
        **timings,
    }
