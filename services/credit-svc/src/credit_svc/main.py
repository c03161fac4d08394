"""ASGI entry point of credit-svc."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from credit_svc.audit.endpoints import router as audit_router
from credit_svc.grading.endpoints import router as grades_router
from credit_svc.grading.endpoints import schemes_router
from credit_svc.grading.schemes import ensure_default_schemes
from credit_svc.jobs.endpoints import router as jobs_router
from credit_svc.jobs.service import JobRunner
from credit_svc.jobs.sweep import run_sweeps
from credit_svc.learning.endpoints import router as models_router
from credit_svc.lists.endpoints import router as lists_router
from credit_svc.models import load_all_models
from credit_svc.objects.consumers import GROUP, InputConsumer
from credit_svc.objects.endpoints import router as objects_router
from credit_svc.overrides.endpoints import router as overrides_router
from credit_svc.overrides.service import run_override_sweeps
from credit_svc.public.endpoints import router as public_router
from credit_svc.records.endpoints import router as records_router
from credit_svc.settings import CreditSettings
from svc_runtime.app import ServiceSpec, create_service_app, supervise

load_all_models()

DESCRIPTION = "Credit supervision (信用监管): records, grading into risk classes, red and black lists."
TAGS = [
    {"name": "grades", "description": "Scores and risk classes with their explanation and history; recomputes."},
    {"name": "schemes", "description": "The index system as data: versioned schemes of indicators, rules, classes."},
    {
        "name": "overrides",
        "description": "Manual class overrides (人工调整) by authorised officials, with reason, legal basis and validity.",
    },
    {"name": "records", "description": "Penalties, list entries, commendations; removal (移出) and repair (信用修复)."},
    {"name": "lists", "description": "Departments' red and black lists, by decision or by rule."},
    {"name": "objects", "description": "Supervised objects as the data hub describes them, with credit profiles."},
    {"name": "models", "description": "Outcome models (scikit-learn) with held-out validation figures."},
    {"name": "jobs", "description": "Background recomputes and training runs with their progress."},
    {"name": "audit", "description": "Who changed what, when and from where (append-only)."},
    {"name": "public", "description": "Public credit disclosure of legal persons (no token)."},
]


def build_spec(settings: CreditSettings, group: str = GROUP) -> ServiceSpec:
    return ServiceSpec(
        name="credit",
        title="credit-svc",
        description=DESCRIPTION,
        migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
        routers=[
            grades_router,
            overrides_router,
            schemes_router,
            records_router,
            lists_router,
            objects_router,
            models_router,
            jobs_router,
            audit_router,
            public_router,
        ],
        subscriptions=[InputConsumer(settings, group=group).subscription()],
        openapi_tags=TAGS,
    )


_default_settings = CreditSettings()
spec = build_spec(_default_settings)


def create_app(settings: CreditSettings | None = None, *, group: str = GROUP) -> FastAPI:
    settings = settings or _default_settings
    app = create_service_app(build_spec(settings, group), settings)
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as state:
            assert state is not None
            async with state["sessionmaker"]() as session, session.begin():
                await ensure_default_schemes(session, settings.credit_default_classes)
            if settings.run_background_workers:
                runner = JobRunner(settings, state["sessionmaker"])
                app.state.job_runner = runner
                # The runtime cancels every task of `workers` when the app stops.
                state["workers"].append(asyncio.create_task(supervise("credit-jobs", runner.run), name="credit-jobs"))
                state["workers"].append(
                    asyncio.create_task(
                        supervise("credit-sweep", lambda: run_sweeps(state["sessionmaker"], settings)),
                        name="credit-sweep",
                    )
                )
                state["workers"].append(
                    asyncio.create_task(
                        supervise("credit-overrides", lambda: run_override_sweeps(state["sessionmaker"], settings)),
                        name="credit-overrides",
                    )
                )
            yield state

    app.router.lifespan_context = lifespan
    return app


app = create_app()
