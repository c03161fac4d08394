"""Import jobs that a stopped process left queued or running: failed at start-up (and by a new upload of the
same file), never while a live process still works on them."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from catalog_fixtures import Catalog
from test_imports import finished, province_list, query, to_csv, upload

from catalog_svc.imports.service import spool_dir
from catalog_svc.main import create_app
from svc_runtime.devstack.topology import Profile
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import serve_in_process, settings_for

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def left_job(
    url: str, *, status: str, age: timedelta = timedelta(minutes=5), sha256: str | None = None
) -> uuid.UUID:
    """A job row as a process leaves it when it stops mid-way: queued or running, with its spooled file."""
    job_id = uuid.uuid4()
    created = datetime.now(UTC) - age
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute(
            "INSERT INTO import_jobs (id, kind, source, format, filename, file_sha256, size_bytes, list_region, "
            "remove_missing, status, rows_read, rows_accepted, rows_rejected, added, changed, unchanged, removed, "
            "ignored_columns, created_by, region_code, created_at, started_at) VALUES ($1, 'items', 'provincial', "
            "'csv', 'list.csv', $2, 100, '340000', false, $3, 10000, 10000, 0, 10000, 0, 0, 0, '[]', 'official', "
            "'340000', $4, $5)",
            job_id,
            sha256 or uuid.uuid4().hex * 2,
            status,
            created,
            created if status == "running" else None,
        )
    finally:
        await conn.close()
    spool_dir().mkdir(parents=True, exist_ok=True)
    (spool_dir() / f"{job_id}.csv").write_bytes(b"code,name\n")
    return job_id


async def jobs(url: str, *ids: uuid.UUID) -> dict[uuid.UUID, tuple[str, str | None]]:
    listed = ", ".join(f"'{i}'" for i in ids)
    rows = await query(url, f"SELECT id, status, error FROM import_jobs WHERE id IN ({listed})")
    return {r[0]: (r[1], r[2]) for r in rows}


async def restart(cat: Catalog, stack: Profile) -> None:
    """Start the service again on the same database (what a restart after a crash does)."""
    settings = ServiceSettings(
        **settings_for(stack, "catalog-svc", cat.url, auth_jwks_url=cat.issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_app(settings)) as client:
        r = await client.get("/healthz")
        assert r.status_code == 200, r.text


class TestInterruptedImportJobs:
    async def test_jobs_left_by_a_stopped_process_are_failed_at_start_up(
        self, catalog: Catalog, stack: Profile
    ) -> None:
        running = await left_job(catalog.url, status="running")
        queued = await left_job(catalog.url, status="queued")
        just_queued = await left_job(catalog.url, status="queued", age=timedelta(seconds=1))
        alive = await left_job(catalog.url, status="running")
        # another process still works on `alive`: it holds the job's lock
        holder = await asyncpg.connect(_dsn(catalog.url))
        try:
            await holder.execute(
                "SELECT pg_advisory_lock(hashtextextended('catalog-import-job:' || $1::text, 0))", str(alive)
            )
            await restart(catalog, stack)
        finally:
            await holder.close()

        found = await jobs(catalog.url, running, queued, just_queued, alive)
        status, error = found[running]
        assert status == "failed"
        assert error is not None
        assert "interrupted" in error
        assert "chunks written before it stopped are kept" in error
        status, error = found[queued]
        assert status == "failed"
        assert error is not None
        assert "before this job started" in error
        assert found[just_queued] == ("queued", None)  # its task may be about to take it
        assert found[alive] == ("running", None)
        assert not (spool_dir() / f"{running}.csv").exists()
        assert not (spool_dir() / f"{queued}.csv").exists()
        assert (spool_dir() / f"{alive}.csv").exists()
        (spool_dir() / f"{alive}.csv").unlink()
        (spool_dir() / f"{just_queued}.csv").unlink()

        r = await catalog.client.get(f"/v1/import-jobs/{running}", headers=catalog.as_admin())
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "failed"
        assert r.json()["error"].startswith("interrupted")
        assert r.json()["finished_at"] is not None

    async def test_an_upload_of_the_same_file_is_not_held_by_an_interrupted_twin(self, catalog: Catalog) -> None:
        data = to_csv(province_list())
        orphan = await left_job(catalog.url, status="running", sha256=hashlib.sha256(data).hexdigest())

        job = await upload(catalog, data)
        assert job["id"] != str(orphan)
        done = await finished(catalog, job)
        assert (done["status"], done["added"]) == ("done", 4), done
        status, error = (await jobs(catalog.url, orphan))[orphan]
        assert status == "failed"
        assert error is not None
        assert error.startswith("interrupted")

    async def test_an_upload_sent_twice_still_gets_the_running_job(self, catalog: Catalog) -> None:
        data = to_csv(province_list())
        first = await upload(catalog, data)
        second = await upload(catalog, data)
        done = await finished(catalog, first)
        assert done["status"] == "done", done
        # the second upload either found the first job still at work, or came after it and changed nothing
        if second["id"] != first["id"]:
            again = await finished(catalog, second)
            assert (again["status"], again["added"], again["unchanged"]) == ("done", 0, 4), again
