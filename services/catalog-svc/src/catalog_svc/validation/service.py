"""The fast check other services call: is code X a published item that department D may use on date T.

Answers are cached in-process and stamped with the catalog generation, a Redis counter bumped by
every publication, adjustment, abolition and claim; a process re-reads the counter at most every
`GENERATION_POLL_S`, and an entry lives at most `TTL_S`, so a change is seen within about a second.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_svc.items.models import IN_FORCE, ItemClaim, ItemVersion, SupervisionItem

TTL_S = 30.0
GENERATION_POLL_S = 0.25
MAX_ENTRIES = 200_000


class CodeValidity(BaseModel):
    code: str
    valid: bool
    reason: str
    item_id: uuid.UUID | None = None
    name: str | None = None
    version: int | None = None
    on: date


class ValidationCache:
    """Process-local answers, invalidated when the catalog generation moves."""

    def __init__(self, redis: aioredis.Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        self.generation = -1
        self._checked = 0.0
        self._entries: dict[tuple[str, str | None, date], tuple[int, float, CodeValidity]] = {}

    async def current_generation(self) -> int:
        now = time.monotonic()
        if now - self._checked > GENERATION_POLL_S:
            value = await self.redis.get(self.key)
            self._checked = now
            generation = int(value or 0)
            if generation != self.generation:
                self._entries.clear()
                self.generation = generation
        return self.generation

    async def bump(self) -> None:
        """Called after a change to the catalog: every process drops its cached answers."""
        self.generation = int(await self.redis.incr(self.key))
        self._checked = time.monotonic()
        self._entries.clear()

    def get(self, key: tuple[str, str | None, date], generation: int) -> CodeValidity | None:
        hit = self._entries.get(key)
        if hit and hit[0] == generation and hit[1] > time.monotonic():
            return hit[2]
        return None

    def put(self, key: tuple[str, str | None, date], generation: int, value: CodeValidity) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (generation, time.monotonic() + TTL_S, value)


def get_cache(request: Request) -> ValidationCache:
    cache: ValidationCache | None = getattr(request.app.state, "validation_cache", None)
    if cache is None:
        database = request.state.settings.database_url.rsplit("/", 1)[-1]
        cache = ValidationCache(request.state.redis, f"catalog:{database}:generation")
        request.app.state.validation_cache = cache
    return cache


ValidationCacheDep = Annotated[ValidationCache, Depends(get_cache)]


async def check(session: AsyncSession, *, code: str, department_id: uuid.UUID | None, on: date) -> CodeValidity:
    """Decide from the database (the item's version in force at the end of day `on`, and its claims)."""
    item = await session.scalar(select(SupervisionItem).where(SupervisionItem.code == code))
    if item is None:
        return CodeValidity(code=code, valid=False, reason="no item has this code", on=on)
    end_of_day = datetime.combine(on, dtime.min, tzinfo=UTC) + timedelta(days=1)
    current = await session.scalar(
        select(ItemVersion)
        .where(ItemVersion.item_id == item.id, ItemVersion.created_at < end_of_day)
        .order_by(ItemVersion.created_at.desc(), ItemVersion.version.desc())
        .limit(1)
    )
    base = {"code": code, "item_id": item.id, "name": item.name, "on": on}
    if current is None or current.status not in IN_FORCE:
        state = "did not exist" if current is None else f"was {current.status.value}"
        return CodeValidity(**base, valid=False, reason=f"the item {state} on {on.isoformat()}")
    if department_id is not None and item.department_id != department_id:
        claimed = await session.scalar(
            select(ItemClaim.id).where(
                ItemClaim.item_id == item.id,
                ItemClaim.department_id == department_id,
                or_(ItemClaim.created_at < end_of_day),
            )
        )
        if claimed is None:
            return CodeValidity(
                **base,
                version=current.version,
                valid=False,
                reason="the department neither owns nor has claimed the item",
            )
    return CodeValidity(**base, version=current.version, valid=True, reason="published and usable")


async def cached_check(
    session: AsyncSession, cache: ValidationCache, *, code: str, department_id: uuid.UUID | None, on: date
) -> CodeValidity:
    generation = await cache.current_generation()
    key = (code, str(department_id) if department_id else None, on)
    hit = cache.get(key, generation)
    if hit is not None:
        return hit
    result = await check(session, code=code, department_id=department_id, on=on)
    cache.put(key, generation, result)
    return result
