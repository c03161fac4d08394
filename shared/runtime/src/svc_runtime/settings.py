"""Service settings from environment variables (pydantic-settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from svc_runtime.workdays import WorkdayCalendar


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it for its own.

    The launcher (`platformctl up`) sets these per process; in production they come from the
    Kubernetes ConfigMap and Secret of each Deployment.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = Field(default="service", description="Name used in logs, metrics and ce_source.")
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:55432/postgres",
        description="SQLAlchemy URL of this service's own database (asyncpg driver).",
    )
    database_pool_size: int = 10
    kafka_bootstrap: str = Field(default="127.0.0.1:59092", description="Kafka bootstrap servers.")
    kafka_enable_idempotence: bool = Field(
        default=False, description="Idempotent producer: on for Apache Kafka, off for the tansu dev broker."
    )
    kafka_topic_replication: int = 1
    redis_url: str = "redis://127.0.0.1:56379/0"
    auth_issuer: str = Field(default="http://127.0.0.1:8000/auth", description="Issuer (iss) that tokens must carry.")
    auth_jwks_url: str = Field(
        default="http://127.0.0.1:8008/.well-known/jwks.json",
        description="Where the verifier fetches the auth service's signing keys.",
    )
    auth_audience: str = Field(default="supervision-platform", description="Audience (aud) tokens must carry.")
    outbox_batch_size: int = 2000
    outbox_poll_interval_s: float = 0.5
    outbox_relay_lanes: int = Field(
        default=2, ge=1, le=8, description="Batches in flight at once (one claims while another awaits acks)."
    )
    outbox_retention_s: float = Field(
        default=24 * 3600,
        description="How long sent outbox events are kept, to be re-sent if the broker loses them.",
    )
    broker_check_interval_s: float = Field(
        default=2.0, description="How often relays and consumers check whether the broker lost its state."
    )
    consumer_max_retries: int = 3
    consumer_retry_backoff_s: float = 0.2
    gc_gen0_threshold: int = Field(
        default=50_000,
        ge=0,
        description="Allocations between young-generation collections after start-up (0: Python's default, 700).",
    )
    run_migrations_on_start: bool = True
    run_background_workers: bool = Field(
        default=True, description="Start the outbox relay and event consumers inside the web process."
    )
    log_level: str = "INFO"
    max_body_bytes: int = Field(default=1_048_576, description="Largest request body accepted.")
    max_upload_bytes: int = Field(
        default=2 * 1024**3, description="Largest body on `upload_paths` (batch files of millions of rows)."
    )
    upload_paths: list[str] = Field(
        default_factory=lambda: [
            "/v1/ingest-jobs",
            "/api/datahub/v1/ingest-jobs",
            "/v1/import-jobs",
            "/api/catalog/v1/import-jobs",
            "/api/random-check/v1/evidence",  # photos and videos of checks (the service limits them itself)
        ],
        description="Path prefixes that take file uploads up to `max_upload_bytes` (JSON list in UPLOAD_PATHS).",
    )

    workday_calendar: str | None = Field(
        default=None,
        description='Holiday calendar: a JSON file path or JSON text {"holidays": [...], "workdays": [...]} (WORKDAY_CALENDAR).',
    )

    def calendar(self) -> WorkdayCalendar:
        """The configured working-day calendar (weekends only when none is set)."""
        return WorkdayCalendar.from_json(self.workday_calendar) if self.workday_calendar else WorkdayCalendar()

    def body_limit(self, path: str) -> int:
        """The largest body accepted on this path."""
        if any(path.startswith(prefix) for prefix in self.upload_paths):
            return self.max_upload_bytes
        return self.max_body_bytes

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        return value
