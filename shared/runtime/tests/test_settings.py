"""Settings shared by every service."""

from svc_runtime.settings import ServiceSettings


def test_upload_paths_get_the_upload_limit_and_everything_else_the_body_limit() -> None:
    s = ServiceSettings(max_body_bytes=1000, max_upload_bytes=10_000, upload_paths=["/v1/ingest-jobs"])
    assert s.body_limit("/v1/ingest-jobs") == 10_000
    assert s.body_limit("/v1/ingest-jobs/123/errors") == 10_000
    assert s.body_limit("/v1/objects") == 1000


def test_plain_postgres_urls_get_the_async_driver() -> None:
    s = ServiceSettings(database_url="postgresql://u@127.0.0.1:5432/db")
    assert s.database_url == "postgresql+asyncpg://u@127.0.0.1:5432/db"
