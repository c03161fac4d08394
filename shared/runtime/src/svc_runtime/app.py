"""The app factory every service is built with: lifespan, middleware, errors, health, metrics, workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import httpx
import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from svc_runtime import health, metrics
from svc_runtime.auth import TokenVerifier
from svc_runtime.consumer import EventConsumer, Subscription
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.gctuning import tune_gc
from svc_runtime.http import ServiceMiddleware
from svc_runtime.logging import configure_logging
from svc_runtime.migrations import upgrade
from svc_runtime.outbox import OutboxRelay
from svc_runtime.problems import install_problem_handlers
from svc_runtime.settings import ServiceSettings

_log = logging.getLogger("svc_runtime.app")


class State(TypedDict):
    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    http: httpx.AsyncClient
    verifier: TokenVerifier
    workers: list[asyncio.Task[None]]
    readiness_cache: dict[str, Any]


@dataclass
class ServiceSpec:
    """What makes one service: its identity, routers, migrations, subscriptions and event production."""

    name: str
    title: str
    description: str
    migrations_dir: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    produces_events: bool = True
    api_prefix: str = "/v1"
    openapi_tags: list[dict[str, str]] = field(default_factory=list)


async def supervise(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Run a background worker for the life of the process, restarting it after a crash."""
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("background worker crashed; restarting", extra={"worker": name})
            await asyncio.sleep(1.0)


async def stop_workers(tasks: Sequence[asyncio.Task[Any]], timeout: float = 15.0) -> None:
    """Cancel background workers and wait for them, but never longer than `timeout` seconds.

    A worker stuck in a broker call must not keep the process (or a test session) from shutting down.
    """
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    if pending:
        _log.warning("workers did not stop in time", extra={"workers": sorted(t.get_name() for t in pending)})


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        configure_logging(settings.service_name, settings.log_level)
        if settings.run_migrations_on_start:
            await asyncio.to_thread(upgrade, spec.migrations_dir, settings.database_url)
        engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        sessionmaker = create_sessionmaker(engine)
        http = httpx.AsyncClient(timeout=10.0)
        redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(settings.redis_url, max_connections=50, timeout=5)
        )
        verifier = TokenVerifier(
            jwks_url=settings.auth_jwks_url, issuer=settings.auth_issuer, audience=settings.auth_audience, http=http
        )
        workers: list[asyncio.Task[None]] = []
        if settings.run_background_workers:
            if spec.produces_events:
                relay = OutboxRelay(settings, engine)
                workers.append(asyncio.create_task(supervise("outbox-relay", relay.run), name="outbox-relay"))
            for sub in spec.subscriptions:
                consumer = EventConsumer(settings, sessionmaker, sub)
                workers.append(asyncio.create_task(supervise(sub.group, consumer.run), name=f"consumer-{sub.group}"))
        tune_gc(settings.gc_gen0_threshold)
        _log.info("service started", extra={"workers": [t.get_name() for t in workers]})
        try:
            yield State(
                settings=settings,
                engine=engine,
                sessionmaker=sessionmaker,
                redis=redis,
                http=http,
                verifier=verifier,
                workers=workers,
                readiness_cache={},
            )
        finally:
            await stop_workers(workers)
            await redis.aclose()
            await http.aclose()
            await engine.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=spec.openapi_tags or None,
    )
    install_problem_handlers(app)
    app.add_middleware(ServiceMiddleware, body_limit=settings.body_limit)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in spec.routers:
        app.include_router(router, prefix=spec.api_prefix)
    return app
