"""Queueing jobs, and the runner that claims and executes them with progress and heartbeats."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from credit_svc.audit.service import Actor, audit
from credit_svc.grading.recompute import full_recompute
from credit_svc.jobs.models import Job, JobKind, JobStatus
from credit_svc.learning.models import EstimatorKind
from credit_svc.learning.training import train_outcome_model
from credit_svc.settings import CreditSettings

_log = logging.getLogger("credit_svc.jobs")


async def enqueue(session: AsyncSession, actor: Actor, kind: JobKind, params: dict[str, Any]) -> Job:
    """Queue a job; while one of the same kind is queued (not yet started) that one is returned instead."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('credit-svc:enqueue:' || :k))"), {"k": kind})
    queued = await session.scalar(select(Job).where(Job.kind == kind, Job.status == JobStatus.QUEUED))
    if queued is not None:
        return queued
    job = Job(id=uuid.uuid4(), kind=kind, status=JobStatus.QUEUED, params=params, requested_by=actor.subject)
    session.add(job)
    await session.flush()
    await audit(session, actor, action=f"job.{kind}.requested", entity_type="job", entity_id=job.id, after=params)
    return job


CLAIM_SQL = """
UPDATE credit_jobs SET status = 'running', started_at = COALESCE(started_at, now()), heartbeat_at = now(),
    phase = 'starting'
WHERE id = (
    SELECT j.id FROM credit_jobs j
    WHERE (j.status = 'queued' OR (j.status = 'running' AND j.heartbeat_at < now() - make_interval(secs => :stale)))
      AND NOT EXISTS (SELECT 1 FROM credit_jobs r WHERE r.kind = j.kind AND r.id <> j.id AND r.status = 'running'
                      AND r.heartbeat_at >= now() - make_interval(secs => :stale))
    ORDER BY j.requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, kind, params, requested_by
"""


class JobRunner:
    """Claims queued jobs (or jobs whose runner stopped beating) and runs them one at a time."""

    def __init__(self, settings: CreditSettings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.wakeup = asyncio.Event()

    async def run(self) -> None:
        while True:
            ran = await self.run_once()
            if not ran:
                self.wakeup.clear()
                try:
                    await asyncio.wait_for(self.wakeup.wait(), self.settings.credit_job_poll_interval_s)
                except TimeoutError:
                    pass

    async def run_once(self) -> bool:
        async with self.sessionmaker() as session, session.begin():
            row = (await session.execute(text(CLAIM_SQL), {"stale": self.settings.credit_job_stale_after_s})).first()
        if row is None:
            return False
        job_id, kind, params, requested_by = row
        _log.info("job started", extra={"job_id": str(job_id), "kind": kind})

        async def report(**fields: Any) -> None:
            fields["heartbeat_at"] = datetime.now(UTC)
            async with self.sessionmaker() as session, session.begin():
                await session.execute(update(Job).where(Job.id == job_id).values(**fields))

        beat = asyncio.create_task(self._heartbeat(job_id))
        try:
            result = await self.execute(job_id, JobKind(kind), params, requested_by, report)
        except Exception as exc:
            _log.exception("job failed", extra={"job_id": str(job_id)})
            await report(status=JobStatus.FAILED, error=repr(exc)[:2000], finished_at=datetime.now(UTC))
        else:
            await report(
                status=JobStatus.SUCCEEDED,
                result=result,
                progress=1.0,
                phase="done",
                changed=int(result.get("changed", 0)),
                finished_at=datetime.now(UTC),
            )
            _log.info("job finished", extra={"job_id": str(job_id), "result": result})
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
        return True

    async def _heartbeat(self, job_id: uuid.UUID) -> None:
        interval = max(1.0, self.settings.credit_job_stale_after_s / 5)
        while True:
            await asyncio.sleep(interval)
            async with self.sessionmaker() as session, session.begin():
                await session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=datetime.now(UTC)))

    async def execute(
        self, job_id: uuid.UUID, kind: JobKind, params: dict[str, Any], requested_by: str, report: Any
    ) -> dict[str, Any]:
        match kind:
            case JobKind.RECOMPUTE:
                return await full_recompute(self.sessionmaker, self.settings, job_id=job_id, report=report)
            case JobKind.TRAIN:
                return await train_outcome_model(
                    self.sessionmaker,
                    self.settings,
                    estimator=EstimatorKind(params.get("estimator", EstimatorKind.GRADIENT_BOOSTING)),
                    horizon_days=int(params.get("horizon_days", 365)),
                    seed=int(params.get("seed", 7)),
                    requested_by=requested_by,
                    report=report,
                )
