"""API shapes of draws and their verification."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from random_check_svc.draws.models import DrawStatus


class DrawCommit(BaseModel):
    """Commit to a draw: its seed is generated and sealed now; only the seed's SHA-256 is published."""

    model_config = ConfigDict(extra="forbid")

    check_date: date = Field(description="Planned check date (within the plan's year); deadlines count from it.")
    note: str | None = Field(default=None, max_length=500)


class DrawExecute(BaseModel):
    """Run a committed draw; the seed is revealed in the answer."""

    model_config = ConfigDict(extra="forbid")

    public_entropy: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Optional public randomness fixed only now (e.g. a lottery result announced after the "
        "commitment); mixed into the seed with HMAC-SHA256, so not even the operator knew the outcome beforehand.",
    )


class DrawRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    department_id: uuid.UUID
    region_code: str
    status: DrawStatus
    algorithm: str
    check_date: date
    seed_hash: str = Field(description="SHA-256 of the seed, published before the draw.")
    seed: str | None = Field(description="The seed (hex), revealed after the draw.")
    public_entropy: str | None
    inputs_hash: str | None
    outputs_hash: str | None
    summary: dict[str, Any] | None = Field(
        description="Population, exclusions, strata (ratio, size, quota), visits, tasks, understaffed tasks."
    )
    note: str | None
    created_by: str
    committed_at: datetime
    drawn_at: datetime | None


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    draw_id: uuid.UUID
    entry: str
    body: dict[str, Any]
    blob_sha256: str | None
    size: int
    prev_hash: str
    entry_hash: str
    recorded_at: datetime


class Verification(BaseModel):
    """The proof that a draw is what its revealed seed and recorded inputs give."""

    draw_id: uuid.UUID
    algorithm: str
    verified: bool = Field(description="Every check below passed.")
    seed_hash: str
    seed: str | None
    seed_matches_hash: bool
    inputs_hash_recorded: str | None
    inputs_hash_recomputed: str | None
    inputs_match: bool
    outputs_hash_recorded: str | None
    outputs_hash_recomputed: str | None
    outputs_identical: bool = Field(description="The re-run's outputs are byte-identical to the recorded ones.")
    tasks_match_outputs: bool | None = Field(
        default=None, description="The tasks in force carry the recorded objects and inspectors (not shown publicly)."
    )
    ledger_intact: bool
    visits: int
    tasks: int
    detail: str


class ChainRead(BaseModel):
    entries: int
    intact: bool
    first_broken_seq: int | None
    reason: str | None
