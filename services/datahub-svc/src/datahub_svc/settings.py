"""Settings of datahub-svc (environment variables, as every service's; upload size limits are the runtime's)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field

from svc_runtime.settings import ServiceSettings


class DatahubSettings(ServiceSettings):
    service_name: str = "datahub-svc"
    datahub_spool_dir: Path = Field(
        default=Path(tempfile.gettempdir()) / "datahub-spool",
        description="Where uploaded batch files wait until their import finishes (kept so an interrupted job can resume).",
    )
    ingest_workers: int = Field(
        default=2,
        ge=0,
        le=32,
        description="Worker processes that clean batch files (0: clean in a thread of the service process).",
    )
    ingest_chunk_rows: int = Field(
        default=20_000, ge=100, le=200_000, description="Rows per chunk; each chunk commits with its counts."
    )
    ingest_write_parallel: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Chunks written at once (each commits after the one before it, so progress stays in order).",
    )
    ingest_inline_bytes: int = Field(
        default=1 << 20, description="Files smaller than this are cleaned in a thread (no worker processes)."
    )
    ingest_stale_after_s: float = Field(
        default=120.0,
        gt=0,
        description="A running job whose last chunk committed longer ago than this is taken over (resumed) by a live process.",
    )
    ingest_recovery_interval_s: float = Field(
        default=30.0, gt=0, description="How often the service looks for interrupted import jobs."
    )
    quality_report_deadline_days: int = Field(
        default=7, ge=0, description="Days after a supervision act by which it must be reported (timeliness rule)."
    )
    quality_complaint_accept_days: int = Field(
        default=7, ge=0, description="Days within which a complaint must be accepted (timeliness rule)."
    )
