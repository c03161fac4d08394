"""`/healthz` (the process is alive) and `/readyz` (its database and broker answer)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from svc_runtime.kafka import broker_ready

router = APIRouter(include_in_schema=False)
_BROKER_CACHE_S = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_ok(request: Request) -> bool:
    try:
        async with request.state.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2.0)
        return True
    except Exception:
        return False


async def _broker_ok(request: Request) -> bool:
    cache: dict[str, Any] = request.state.readiness_cache
    if time.monotonic() - cache.get("broker_at", 0.0) < _BROKER_CACHE_S:
        return bool(cache["broker_ok"])
    ok = await broker_ready(request.state.settings)
    cache.update(broker_at=time.monotonic(), broker_ok=ok)
    return ok


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    database, broker = await asyncio.gather(_database_ok(request), _broker_ok(request))
    workers = all(not t.done() for t in request.state.workers)
    checks = {"database": database, "broker": broker, "workers": workers}
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )
