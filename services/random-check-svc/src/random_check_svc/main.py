"""ASGI entry point of random-check-svc."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from random_check_svc.draws.endpoints import router as draws_router
from random_check_svc.library.consumers import GROUP, subscription
from random_check_svc.library.endpoints import conflicts_router, inspectors_router, items_router, objects_router
from random_check_svc.plans.endpoints import router as plans_router
from random_check_svc.public.endpoints import router as public_router
from random_check_svc.settings import RandomCheckSettings
from random_check_svc.stats.endpoints import router as stats_router
from random_check_svc.tasks.endpoints import mobile_router
from random_check_svc.tasks.endpoints import router as tasks_router
from random_check_svc.tasks.service import run_auto_disclosure
from svc_runtime.app import ServiceSpec, create_service_app, supervise
from svc_runtime.settings import ServiceSettings

DESCRIPTION = (
    "Double random, one public (双随机、一公开): the item list and the object and inspector databases kept from "
    "events, plans and joint plans, verifiable draws of objects and inspectors, tasks, results and disclosure."
)


def build_spec(group: str = GROUP, settings: RandomCheckSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="random-check",
        title="random-check-svc",
        description=DESCRIPTION,
        migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
        routers=[
            items_router,
            objects_router,
            inspectors_router,
            conflicts_router,
            plans_router,
            draws_router,
            tasks_router,
            mobile_router,
            stats_router,
            public_router,
        ],
        subscriptions=[
            subscription(group, deregistration_words=settings.deregistration_words if settings is not None else None)
        ],
        openapi_tags=[
            {
                "name": "list and databases",
                "description": "一单两库: random-check items (catalog-svc), supervised objects with credit classes "
                "(datahub-svc, credit-svc), inspectors (auth-svc), declared conflicts of interest.",
            },
            {"name": "plans", "description": "Check plans per department and year; joint plans (进一次门、查多项事)."},
            {
                "name": "draws",
                "description": "Seed hash published, stratified draw by credit class, inspectors assigned, seed "
                "revealed; verification re-runs the draw from the append-only ledger.",
            },
            {
                "name": "tasks",
                "description": "Tasks per object and department, results on the inspection form, evidence.",
            },
            {"name": "mobile", "description": "Compact views for the enforcement app."},
            {"name": "statistics", "description": "Completion, problem and disclosure rates."},
            {"name": "public", "description": "No token needed: item list, plans, draw proofs, disclosed results."},
        ],
    )


spec = build_spec()


def create_app(settings: ServiceSettings | None = None, *, group: str = GROUP) -> FastAPI:
    if settings is None:
        settings = RandomCheckSettings()
    elif not isinstance(settings, RandomCheckSettings):
        settings = RandomCheckSettings(**settings.model_dump())
    rc_settings = settings
    app = create_service_app(build_spec(group, rc_settings), settings)
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as state:
            assert state is not None
            if rc_settings.run_background_workers and rc_settings.auto_disclosure:
                # The runtime cancels every task of `workers` when the app stops.
                state["workers"].append(
                    asyncio.create_task(
                        supervise(
                            "rc-auto-disclosure", lambda: run_auto_disclosure(state["sessionmaker"], rc_settings)
                        ),
                        name="rc-auto-disclosure",
                    )
                )
            yield state

    app.router.lifespan_context = lifespan
    return app


app = create_app()
