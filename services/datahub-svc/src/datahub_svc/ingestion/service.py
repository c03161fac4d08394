"""Idempotency keys for API pushes, and batch-file import jobs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing as mp
import os
import uuid
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from datahub_svc.access import WriteScope
from datahub_svc.ingestion.files import Chunk, FileFormat, Reader, UnreadableFile
from datahub_svc.ingestion.models import IdempotencyKey, IngestJob
from datahub_svc.objects import service as object_service
from datahub_svc.objects.prepare import ChunkResult, CleanContext, RowError, init_worker, prepare_file_chunk
from datahub_svc.quality import service as quality_service
from datahub_svc.settings import DatahubSettings
from supervision_schemas.datahub import ObjectKind
from svc_runtime.db import driver_connection, utc_now
from svc_runtime.problems import Conflict
from svc_runtime.uploads import detect_encoding


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class IdempotencyConflict(Conflict):
    title = "Idempotency key reused"


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def replay(
    session: AsyncSession, *, principal: str, key: str, route: str, request_hash: str
) -> IdempotencyKey | None:
    """The stored outcome of an earlier request with this key; 409 if the key was used for another request."""
    stored = await session.get(IdempotencyKey, (principal, key))
    if stored is None:
        return None
    if stored.request_hash != request_hash or stored.route != route:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used with a different request body; use a new key for a new request"
        )
    return stored


async def remember(
    session: AsyncSession, *, principal: str, key: str, route: str, request_hash: str, status_code: int, response: bytes
) -> None:
    """Store the outcome in the request's transaction; a concurrent first use of the key makes this one fail."""
    result = await session.execute(
        insert(IdempotencyKey)
        .values(
            principal=principal,
            key=key,
            route=route,
            request_hash=request_hash,
            status_code=status_code,
            response=response,
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if result.first() is None:
        raise IdempotencyConflict("a request with this Idempotency-Key is being processed; retry in a moment")


CHUNK_ROWS = 20_000
_log = logging.getLogger("datahub_svc.ingestion")
INTERRUPTED = (
    "the import was interrupted and its uploaded file is no longer available; upload the file again "
    "(rows already imported are kept, and a re-run changes nothing that is stored)"
)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class JobOptions:
    """How a job runs: worker processes, chunk size, when files are small enough to clean in a thread."""

    workers: int = 2
    chunk_rows: int = CHUNK_ROWS
    write_parallel: int = 2
    settle_after_rows: int = 10_000
    inline_bytes: int = 1 << 20
    heartbeat_s: float = 30.0

    @classmethod
    def of(cls, settings: DatahubSettings) -> JobOptions:
        return cls(
            workers=settings.ingest_workers,
            chunk_rows=settings.ingest_chunk_rows,
            write_parallel=settings.ingest_write_parallel,
            inline_bytes=settings.ingest_inline_bytes,
            heartbeat_s=max(1.0, settings.ingest_stale_after_s / 4),
        )


_pools: dict[int, ProcessPoolExecutor] = {}


def worker_pool(workers: int) -> ProcessPoolExecutor | None:
    """The process pool that cleans batch files (one per process, started on first use)."""
    if workers <= 0:
        return None
    pool = _pools.get(workers)
    if pool is None:
        pool = _pools[workers] = ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context("spawn"), initializer=init_worker
        )
    return pool


def _warm() -> int:
    return os.getpid()


async def warm_pool(workers: int) -> None:
    """Start the worker processes now (they import the cleaning code once), not with the first file."""
    pool = worker_pool(workers)
    if pool is not None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, _warm) for _ in range(workers)))


def shutdown_pools() -> None:
    for pool in _pools.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _pools.clear()


async def _write_errors(session: AsyncSession, job_id: uuid.UUID, errors: list[RowError]) -> None:
    if not errors:
        return
    conn = await driver_connection(session)
    await conn.copy_records_to_table(
        "ingest_row_errors",
        records=[(job_id, r, f[:100], m[:2000]) for r, f, m in errors],
        columns=["job_id", "row_number", "field", "reason"],
    )


def _context(job: IngestJob) -> CleanContext:
    scope = job.write_scope or {"unrestricted": True}
    return CleanContext(
        default_kind=ObjectKind(job.default_kind) if job.default_kind else None,
        source=job.source,
        scope_check=None if scope.get("unrestricted") else WriteScope.from_json(scope),
        provider_department_id=str(job.department_id) if job.department_id else None,
    )


def scope_json(check: WriteScope | None) -> dict[str, Any]:
    return {"unrestricted": True} if check is None else check.as_json()


async def _release(sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(IngestJob)
            .where(IngestJob.id == job_id, IngestJob.status == JobStatus.RUNNING)
            .values(heartbeat_at=None)
        )


async def _heartbeat(sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        async with sessionmaker() as session, session.begin():
            await session.execute(update(IngestJob).where(IngestJob.id == job_id).values(heartbeat_at=utc_now()))


async def run_object_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    path: Path,
    scope_check: Any = None,
    *,
    options: JobOptions | None = None,
) -> None:
    """Import a file of supervised objects chunk by chunk; each chunk commits with its errors and counts.

    Chunks are cleaned in worker processes (a few ahead) while the previous chunk is written. A chunk
    is all-or-nothing and carries the job's progress, so an interrupted job resumes after the last
    committed chunk, and a re-run of the file changes nothing that is already stored (the upsert is
    keyed on the object identity). `scope_check` is kept for callers of the previous signature; the
    job's stored write scope decides.
    """
    options = options or JobOptions()
    heartbeat: asyncio.Task[None] | None = None
    error: str | None
    final, error = JobStatus.FAILED, "the import stopped"
    try:
        job = None
        for _ in range(100):  # the row is committed with the upload request, which may still be finishing
            async with sessionmaker() as session:
                job = await session.get(IngestJob, job_id)
            if job is not None:
                break
            await asyncio.sleep(0.05)
        if job is None:
            return
        if job.write_scope is None and scope_check is not None:
            job.write_scope = scope_json(scope_check)
        file_format = FileFormat(job.file_format)
        encoding = None if file_format is FileFormat.XLSX else await asyncio.to_thread(detect_encoding, path)
        reader = Reader(
            path, file_format, encoding or "utf-8", object_service.header_field, object_service.KNOWN_FIELDS
        )
        ctx = _context(job)
        skip = job.rows_read  # records already committed by an earlier attempt
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(IngestJob)
                .where(IngestJob.id == job_id)
                .values(
                    status=JobStatus.RUNNING,
                    encoding=encoding,
                    started_at=job.started_at or utc_now(),
                    heartbeat_at=utc_now(),
                    write_scope=job.write_scope,
                )
            )
        heartbeat = asyncio.create_task(_heartbeat(sessionmaker, job_id, options.heartbeat_s))
        await _pipeline(sessionmaker, job_id, reader, ctx, skip, options, path.stat().st_size, job.region_code)
        await _settle_indexes(sessionmaker, job_id, options)
        final, error = JobStatus.SUCCEEDED, None
    except UnreadableFile as exc:
        final, error = JobStatus.FAILED, str(exc)
    except asyncio.CancelledError:
        # The service is stopping: the job stays running without a heartbeat, so that the next live
        # process takes it over at once and resumes it after its last committed chunk.
        _log.warning("import job interrupted by shutdown", extra={"job_id": str(job_id)})
        if heartbeat is not None:
            heartbeat.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(_release(sessionmaker, job_id)), timeout=2)
        raise
    except Exception as exc:
        _log.exception("import job failed", extra={"job_id": str(job_id)})
        final, error = JobStatus.FAILED, f"the import stopped: {type(exc).__name__}; completed chunks are kept"
    if heartbeat is not None:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
    path.unlink(missing_ok=True)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(IngestJob).where(IngestJob.id == job_id).values(status=final, error=error, finished_at=utc_now())
        )


async def _settle_indexes(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID, options: JobOptions
) -> None:
    """After a large import: merge the full-text index's pending entries and refresh the planner's statistics.

    Until then every search scans the pending entries one by one and plans with stale row counts; doing
    it here makes the job's end the point from which searches are fast again (and counts it in the job).
    """
    async with sessionmaker() as session, session.begin():
        job = await session.get(IngestJob, job_id)
        if job is None or job.created + job.updated < options.settle_after_rows:
            return
        await session.execute(text("SELECT gin_clean_pending_list('ix_supervised_objects_search_vector'::regclass)"))
        await session.execute(text("ANALYZE supervised_objects"))


async def _pipeline(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    reader: Reader,
    ctx: CleanContext,
    skip: int,
    options: JobOptions,
    size: int,
    region_code: str | None,
) -> None:
    loop = asyncio.get_running_loop()
    chunks = reader.chunks(options.chunk_rows, skip)
    pool = worker_pool(options.workers) if size >= options.inline_bytes else None
    depth = (options.workers + 1) if pool is not None else 1

    def read_chunk() -> Chunk | None:
        return next(chunks, None)

    async def submit() -> tuple[str, asyncio.Future[ChunkResult]] | None:
        chunk = await asyncio.to_thread(read_chunk)
        if chunk is None:
            return None
        columns = reader.columns if reader.file_format is not FileFormat.JSONL else None
        now = object_service.now_rfc3339()
        if pool is None:
            return now, asyncio.ensure_future(asyncio.to_thread(prepare_file_chunk, ctx, columns, chunk, now))
        return now, loop.run_in_executor(pool, prepare_file_chunk, ctx, columns, chunk, now)

    async def apply(now: str, result: ChunkResult, previous: asyncio.Task[None] | None) -> None:
        """Write one chunk; it commits only after the chunk before it did (progress stays a prefix)."""
        async with sessionmaker() as session, session.begin():
            # A chunk carries its own progress: if the server lost its last commits, the job resumes
            # before them, so the chunk need not wait for its WAL flush (the job's end does).
            await session.execute(text("SET LOCAL jit = off"))
            await session.execute(text("SET LOCAL synchronous_commit = off"))
            counts = await object_service.apply_prepared(session, result.prepared, now=now, track=False)
            await quality_service.resolve_corrected(
                session, [*counts.created_ids, *counts.changed_ids], ctx.provider_department_id
            )
            await quality_service.raise_rejected_rows(
                session,
                "objects",
                job_id,
                result.errors,
                result.refused_subjects,
                provider_department_id=ctx.provider_department_id,
                region_code=region_code,
                source=ctx.source,
            )
            await _write_errors(session, job_id, result.errors)
            if previous is not None:
                await previous  # raises if it failed: this chunk then rolls back too
            # The job row is locked only once the chunk before has committed (no lock cycles).
            await session.execute(
                update(IngestJob)
                .where(IngestJob.id == job_id)
                .values(
                    rows_read=IngestJob.rows_read + result.read,
                    rows_accepted=IngestJob.rows_accepted + result.accepted,
                    rows_rejected=IngestJob.rows_rejected + result.rejected,
                    created=IngestJob.created + counts.created,
                    updated=IngestJob.updated + counts.updated,
                    unchanged=IngestJob.unchanged + counts.unchanged,
                    ignored_columns=reader.ignored_columns,
                    heartbeat_at=utc_now(),
                )
            )

    in_flight: deque[tuple[str, asyncio.Future[ChunkResult]]] = deque()
    writing: deque[tuple[asyncio.Task[None], frozenset[str]]] = deque()
    exhausted = False
    try:
        while True:
            while not exhausted and len(in_flight) < depth:
                item = await submit()
                if item is None:
                    exhausted = True
                else:
                    in_flight.append(item)
            if not in_flight:
                break
            now, future = in_flight.popleft()
            result = await future
            keys = frozenset(result.prepared.keys)
            # Chunks are written `write_parallel` at a time; one that shares objects with a chunk still
            # being written waits for it, so that the later row of an object is applied last.
            while writing and (
                len(writing) >= options.write_parallel or any(not k.isdisjoint(keys) for _, k in writing)
            ):
                task, _ = writing.popleft()
                await task
            previous = writing[-1][0] if writing else None
            writing.append((asyncio.create_task(apply(now, result, previous)), keys))
        while writing:
            task, _ = writing.popleft()
            await task
    finally:
        for task, _ in writing:
            task.cancel()
        await asyncio.gather(*(task for task, _ in writing), return_exceptions=True)


async def claim_interrupted_job(
    sessionmaker: async_sessionmaker[AsyncSession], *, stale_after_s: float
) -> IngestJob | None:
    """Take over one job whose process stopped (no heartbeat for `stale_after_s`), or None."""
    async with sessionmaker() as session, session.begin():
        job = await session.scalar(
            select(IngestJob)
            .where(
                IngestJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                or_(
                    # released by a process that stopped gracefully
                    (IngestJob.status == JobStatus.RUNNING) & IngestJob.heartbeat_at.is_(None),
                    func.coalesce(IngestJob.heartbeat_at, IngestJob.created_at)
                    < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_after_s),
                ),
            )
            .order_by(IngestJob.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        job.attempts += 1
        job.heartbeat_at = utc_now()
        await session.flush()
        session.expunge(job)
        return job


async def recover_jobs(
    sessionmaker: async_sessionmaker[AsyncSession], settings: DatahubSettings, *, run: bool = True
) -> list[uuid.UUID]:
    """Resume every interrupted import whose file is still in the spool; fail the others (can be retried).

    Returns the ids of the jobs taken over. With `run`, each resumed job runs to its end here.
    """
    taken: list[uuid.UUID] = []
    while (job := await claim_interrupted_job(sessionmaker, stale_after_s=settings.ingest_stale_after_s)) is not None:
        taken.append(job.id)
        path = spool_path(settings, job.id, job.file_format)
        if not path.exists() or job.attempts > MAX_ATTEMPTS:
            reason = INTERRUPTED if not path.exists() else f"the import failed {MAX_ATTEMPTS} times; upload it again"
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    update(IngestJob)
                    .where(IngestJob.id == job.id)
                    .values(status=JobStatus.FAILED, error=reason, finished_at=utc_now())
                )
            path.unlink(missing_ok=True)
            continue
        _log.warning("resuming interrupted import job", extra={"job_id": str(job.id), "after_rows": job.rows_read})
        if run:
            await run_object_job(sessionmaker, job.id, path, options=JobOptions.of(settings))
    return taken


def spool_path(settings: DatahubSettings, job_id: uuid.UUID, file_format: str) -> Path:
    return Path(settings.datahub_spool_dir) / f"{job_id}.{file_format}"


async def recovery_loop(sessionmaker: async_sessionmaker[AsyncSession], settings: DatahubSettings) -> None:
    """Background worker: take over interrupted imports (after a restart, or from a process that died)."""
    while True:
        try:
            await recover_jobs(sessionmaker, settings)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.warning("import recovery failed", extra={"error": repr(exc)})
        await asyncio.sleep(settings.ingest_recovery_interval_s)
