"""Records follow merges (and go back on a split); import jobs interrupted by a restart resume or fail cleanly."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from datahub_helpers import Hub
from sqlalchemy import text, update

from datahub_svc.ingestion import service as ingestion_service
from datahub_svc.ingestion.models import IngestJob
from datahub_svc.settings import DatahubSettings
from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.db import create_sessionmaker

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]


def uscc(n: int) -> str:
    first17 = f"91341602MB{n:07d}"
    return first17 + uscc_check_char(first17)


async def company(hub: Hub, name: str) -> tuple[str, str]:
    code = uscc(uuid.uuid4().int % 10**7)
    r = await hub.client.post(
        "/v1/objects", json={"kind": "legal_person", "name": name, "uscc": code, "region_code": "341602"}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], code


async def act_on(hub: Hub, code: str) -> str:
    r = await hub.client.post(
        "/v1/behaviour-records",
        json={
            "record_type": "penalty",
            "record_code": uuid.uuid4().hex,
            "item_code": "34160000000002",
            "implementing_agency": "亳州市市场监督管理局",
            "object_name": "x",
            "object_uscc": code,
            "region_code": "341602",
            "acted_on": "2024-06-01",
            "details": {"fine_amount": "1000元"},
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["items"][0]["id"])


class TestRelinking:
    async def test_merged_objects_records_move_to_the_survivor_and_back_on_split(self, hub: Hub) -> None:
        survivor, code_a = await company(hub, "重链甲公司")
        duplicate, code_b = await company(hub, "重链甲公司(重复)")
        record = await act_on(hub, code_b)
        complaint = await hub.client.post(
            "/v1/complaints",
            json={
                "number": uuid.uuid4().hex,
                "channel": "12315",
                "received_at": datetime.now(UTC).isoformat(),
                "region_code": "341602",
                "target_uscc": code_b,
            },
        )
        assert complaint.status_code == 201, complaint.text
        merged = await hub.client.post(f"/v1/objects/{survivor}/merge", json={"merged_object_ids": [duplicate]})
        assert merged.status_code == 200, merged.text
        assert (await hub.client.get(f"/v1/behaviour-records/{record}")).json()["object_id"] == survivor
        profile = (await hub.client.get(f"/v1/objects/{survivor}/profile")).json()
        assert profile["penalty_summary"]["count"] == 1
        assert len(profile["complaints"]) == 1
        # A record arriving later under the merged object's credit code goes to the survivor too.
        later = await act_on(hub, code_b)
        assert (await hub.client.get(f"/v1/behaviour-records/{later}")).json()["object_id"] == survivor

        split = await hub.client.post(f"/v1/objects/{survivor}/split", json={"merged_object_id": duplicate})
        assert split.status_code == 200, split.text
        assert (await hub.client.get(f"/v1/behaviour-records/{record}")).json()["object_id"] == duplicate
        # Linked after the merge: it was the survivor's from the start, so it stays there.
        assert (await hub.client.get(f"/v1/behaviour-records/{later}")).json()["object_id"] == survivor
        assert code_a != code_b


class TestResume:
    async def test_an_interrupted_job_resumes_after_its_last_committed_chunk(self, hub: Hub, tmp_path: Path) -> None:
        settings = DatahubSettings(
            database_url=hub.url, datahub_spool_dir=tmp_path, ingest_stale_after_s=1, ingest_workers=0
        )
        sessionmaker = create_sessionmaker(hub.engine)
        header = "kind,name,uscc,region_code\n"
        base = uuid.uuid4().int % 10**6 * 10
        rows = "".join(f"legal_person,续传{base + i}号店,{uscc(base + i)},341602\n" for i in range(250))
        job_id = uuid.uuid4()
        path = ingestion_service.spool_path(settings, job_id, "csv")
        path.write_text(header + rows, encoding="utf-8")
        async with sessionmaker() as session, session.begin():
            session.add(
                IngestJob(
                    id=job_id,
                    library="objects",
                    status="queued",
                    filename="resume.csv",
                    file_format="csv",
                    file_sha256="-",
                    size_bytes=path.stat().st_size,
                    rows_read=0,
                    rows_accepted=0,
                    rows_rejected=0,
                    created=0,
                    updated=0,
                    unchanged=0,
                    ignored_columns=[],
                    created_by="test",
                    write_scope={"unrestricted": True},
                )
            )
        # A first run stops after its first chunk of 100 (the process "died"): the job stays running.
        keep = tmp_path / "keep.csv"
        shutil.copy(path, keep)
        options = ingestion_service.JobOptions(workers=0, chunk_rows=100, inline_bytes=1 << 30)
        await ingestion_service.run_object_job(sessionmaker, job_id, path, options=options)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(IngestJob)
                .where(IngestJob.id == job_id)
                .values(
                    status="running",
                    rows_read=100,
                    rows_accepted=100,
                    created=100,
                    finished_at=None,
                    heartbeat_at=datetime.now(UTC) - timedelta(minutes=5),
                )
            )
        shutil.copy(keep, path)
        async with hub.engine.connect() as conn:
            before = await conn.scalar(text("SELECT count(*) FROM supervised_objects"))
        taken = await ingestion_service.recover_jobs(sessionmaker, settings)
        assert job_id in taken
        job = (await hub.client.get(f"/v1/ingest-jobs/{job_id}")).json()
        assert (job["status"], job["rows_read"], job["created"], job["attempts"]) == (
            "succeeded",
            250,
            100,
            1,
        ), job
        assert job["unchanged"] == 150  # the first run stored them all; the resumed part changes nothing
        async with hub.engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM supervised_objects")) == before
        assert not path.exists()

    async def test_an_interrupted_job_without_its_file_fails_with_advice(self, hub: Hub, tmp_path: Path) -> None:
        settings = DatahubSettings(database_url=hub.url, datahub_spool_dir=tmp_path, ingest_stale_after_s=1)
        sessionmaker = create_sessionmaker(hub.engine)
        job_id = uuid.uuid4()
        async with sessionmaker() as session, session.begin():
            session.add(
                IngestJob(
                    id=job_id,
                    library="objects",
                    status="running",
                    filename="gone.csv",
                    file_format="csv",
                    file_sha256="-",
                    size_bytes=1,
                    rows_read=0,
                    rows_accepted=0,
                    rows_rejected=0,
                    created=0,
                    updated=0,
                    unchanged=0,
                    ignored_columns=[],
                    created_by="test",
                    heartbeat_at=datetime.now(UTC) - timedelta(minutes=5),
                )
            )
        assert job_id in await ingestion_service.recover_jobs(sessionmaker, settings)
        job = (await hub.client.get(f"/v1/ingest-jobs/{job_id}")).json()
        assert job["status"] == "failed"
        assert "upload the file again" in job["error"]
        # A live job (recent heartbeat) is left alone.
        assert job_id not in await ingestion_service.recover_jobs(sessionmaker, settings)


class TestParallelWrites:
    async def test_chunks_written_together_keep_the_later_row_of_an_object(self, hub: Hub, tmp_path: Path) -> None:
        sessionmaker = create_sessionmaker(hub.engine)
        base = uuid.uuid4().int % 10**6 * 10
        header = "kind,name,uscc,region_code,credit_class\n"
        first = "".join(f"legal_person,并行{base + i}号店,{uscc(base + i)},341602,A\n" for i in range(50))
        other = "".join(f"legal_person,并行{base + i}号店,{uscc(base + i)},341602,B\n" for i in range(50, 100))
        again = "".join(f"legal_person,并行{base + i}号店,{uscc(base + i)},341602,C\n" for i in range(50))
        path = tmp_path / "parallel.csv"
        path.write_text(header + first + other + again, encoding="utf-8")
        job_id = uuid.uuid4()
        async with sessionmaker() as session, session.begin():
            session.add(
                IngestJob(
                    id=job_id,
                    library="objects",
                    status="queued",
                    filename="parallel.csv",
                    file_format="csv",
                    file_sha256="-",
                    size_bytes=path.stat().st_size,
                    rows_read=0,
                    rows_accepted=0,
                    rows_rejected=0,
                    created=0,
                    updated=0,
                    unchanged=0,
                    ignored_columns=[],
                    created_by="test",
                )
            )
        options = ingestion_service.JobOptions(workers=0, chunk_rows=50, write_parallel=3, inline_bytes=1 << 30)
        await ingestion_service.run_object_job(sessionmaker, job_id, path, options=options)
        job = (await hub.client.get(f"/v1/ingest-jobs/{job_id}")).json()
        assert (job["status"], job["rows_read"], job["created"], job["updated"]) == ("succeeded", 150, 100, 50), job
        got = (await hub.client.get("/v1/objects", params={"uscc": uscc(base)})).json()["items"][0]
        assert got["credit_class"] == "C"


async def test_a_job_released_by_a_graceful_stop_is_taken_over_at_once(hub: Hub, tmp_path: Path) -> None:
    settings = DatahubSettings(database_url=hub.url, datahub_spool_dir=tmp_path, ingest_stale_after_s=3600)
    sessionmaker = create_sessionmaker(hub.engine)
    job_id = uuid.uuid4()
    path = ingestion_service.spool_path(settings, job_id, "csv")
    path.write_text(f"kind,name,uscc,region_code\nlegal_person,释放测试店,{uscc(9_999_999)},341602\n", encoding="utf-8")
    async with sessionmaker() as session, session.begin():
        session.add(
            IngestJob(
                id=job_id,
                library="objects",
                status="running",
                filename="released.csv",
                file_format="csv",
                file_sha256="-",
                size_bytes=path.stat().st_size,
                rows_read=0,
                rows_accepted=0,
                rows_rejected=0,
                created=0,
                updated=0,
                unchanged=0,
                ignored_columns=[],
                created_by="test",
                heartbeat_at=datetime.now(UTC),
            )
        )
    assert job_id not in await ingestion_service.recover_jobs(sessionmaker, settings, run=False)
    await ingestion_service._release(sessionmaker, job_id)  # what a graceful stop does
    assert job_id in await ingestion_service.recover_jobs(sessionmaker, settings)
    job = (await hub.client.get(f"/v1/ingest-jobs/{job_id}")).json()
    assert (job["status"], job["rows_read"]) == ("succeeded", 1), job
