"""ASGI entry point of complaint-svc."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI

from complaint_svc.complaints.endpoints import router as complaints_router
from complaint_svc.complaints.public import router as public_router
from complaint_svc.complaints.service import make_context
from complaint_svc.deadlines import service as deadlines
from complaint_svc.deadlines.endpoints import router as deadlines_router
from complaint_svc.hotspots import service as hotspots
from complaint_svc.hotspots.endpoints import router as hotspots_router
from complaint_svc.national.consumers import GROUP as NATIONAL_GROUP
from complaint_svc.national.consumers import DispatchConsumer
from complaint_svc.objects.consumers import GROUP, subscription
from complaint_svc.open311.endpoints import router as open311_router
from complaint_svc.routing import service as routing
from complaint_svc.routing.endpoints import router as routing_router
from complaint_svc.settings import ComplaintSettings
from complaint_svc.statistics.endpoints import router as statistics_router
from svc_runtime.app import ServiceSpec, State, create_service_app, supervise
from svc_runtime.db import utc_now

DESCRIPTION = (
    "Complaints and reports (投诉举报): intake from every channel, linking, routing, the 12345-style closed loop "
    "with working-day deadlines, reminders and escalation, public status, statistics, Open311 GeoReport v2."
)
_log = logging.getLogger("complaint_svc")


def build_spec(
    settings: ComplaintSettings | None = None, group: str = GROUP, national_group: str = NATIONAL_GROUP
) -> ServiceSpec:
    return ServiceSpec(
        name="complaint",
        title="complaint-svc",
        description=DESCRIPTION,
        migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
        routers=[
            complaints_router,
            public_router,
            routing_router,
            deadlines_router,
            statistics_router,
            hotspots_router,
        ],
        subscriptions=[
            subscription(group),
            DispatchConsumer(settings or ComplaintSettings(), national_group).subscription(),
        ],
        openapi_tags=[
            {"name": "complaints", "description": "Intake, lists, details, timeline and the workflow's actions."},
            {"name": "public", "description": "Status by tracking number without login; rating with the query code."},
            {"name": "routing", "description": "Categories, the routing classifier and its accuracy, the switch."},
            {"name": "deadlines", "description": "Working-day deadline policies; reminders and escalation (督办)."},
            {"name": "statistics", "description": "Volumes, timeliness, satisfaction and hot spots."},
            {"name": "open311", "description": "Open311 GeoReport v2 (JSON and XML), public, under /open311/v2."},
        ],
    )


spec = build_spec()


async def _deadline_worker(app: FastAPI, settings: ComplaintSettings, sessionmaker: Any) -> None:
    ctx = make_context(settings)
    while True:
        await asyncio.sleep(settings.deadline_scan_interval_s)
        async with sessionmaker() as session, session.begin():
            result = await deadlines.scan(session, ctx, utc_now())
        if result.reminded or result.escalated:
            _log.info("deadline scan", extra=result.__dict__)


async def _hotspot_worker(settings: ComplaintSettings, sessionmaker: Any) -> None:
    while True:
        await asyncio.sleep(settings.hotspot_scan_interval_s)
        async with sessionmaker() as session, session.begin():
            result = await hotspots.scan(session, settings, utc_now())
        if result.changes:
            _log.info("hot spot scan", extra={"clusters": result.clusters, "changes": len(result.changes)})


def create_app(
    settings: ComplaintSettings | None = None, *, group: str = GROUP, national_group: str = NATIONAL_GROUP
) -> FastAPI:
    settings = settings or ComplaintSettings()
    app = create_service_app(build_spec(settings, group, national_group), settings)
    app.include_router(open311_router)
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as runtime_state:
            state = cast(State, runtime_state)  # starlette types it Mapping | None; the runtime yields its State
            await routing.warm_up()
            workers = []
            if settings.run_background_workers and settings.deadline_scan_interval_s > 0:
                run = lambda: _deadline_worker(app, settings, state["sessionmaker"])  # noqa: E731
                workers.append(asyncio.create_task(supervise("deadline-scan", run), name="deadline-scan"))
            if settings.run_background_workers and settings.hotspot_scan_interval_s > 0:
                scan = lambda: _hotspot_worker(settings, state["sessionmaker"])  # noqa: E731
                workers.append(asyncio.create_task(supervise("hotspot-scan", scan), name="hotspot-scan"))
            try:
                yield state
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    app.router.lifespan_context = lifespan
    return app


app = create_app()
