"""ASGI entry point of datahub-svc."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI

from datahub_svc.behaviour.endpoints import router as behaviour_router
from datahub_svc.catalog.consumers import subscription as catalog_subscription
from datahub_svc.catalog.endpoints import router as catalog_router
from datahub_svc.complaints.consumers import subscription as complaints_subscription
from datahub_svc.complaints.endpoints import router as complaints_router
from datahub_svc.credit.consumers import subscription as credit_subscription
from datahub_svc.credit.endpoints import router as credit_router
from datahub_svc.ingestion import service as ingestion_service
from datahub_svc.ingestion.endpoints import router as ingestion_router
from datahub_svc.knowledge.endpoints import router as knowledge_router
from datahub_svc.linking.endpoints import router as linking_router
from datahub_svc.objects.endpoints import router as objects_router
from datahub_svc.personnel.consumers import subscription as personnel_subscription
from datahub_svc.personnel.endpoints import router as personnel_router
from datahub_svc.quality import service as quality_service
from datahub_svc.quality.endpoints import router as quality_router
from datahub_svc.quality.rules import QualityConfig
from datahub_svc.risk_warnings.consumers import subscription as warnings_subscription
from datahub_svc.search.endpoints import router as search_router
from datahub_svc.settings import DatahubSettings
from datahub_svc.sharing.endpoints import router as sharing_router
from datahub_svc.thirdparty.consumers import subscription as thirdparty_subscription
from datahub_svc.thirdparty.endpoints import router as thirdparty_router
from svc_runtime.app import ServiceSpec, State, create_service_app
from svc_runtime.settings import ServiceSettings

spec = ServiceSpec(
    name="datahub",
    title="datahub-svc",
    description="Data hub (监管数据中心): the eight libraries, ingestion, cleaning, linking, search and sharing.",
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    routers=[
        catalog_router,
        objects_router,
        ingestion_router,
        behaviour_router,
        linking_router,
        search_router,
        personnel_router,
        complaints_router,
        credit_router,
        thirdparty_router,
        knowledge_router,
        quality_router,
        sharing_router,
    ],
    # The catalog subscription stays first (contract tests look it up there).
    subscriptions=[
        catalog_subscription,
        personnel_subscription,
        complaints_subscription,
        credit_subscription,
        thirdparty_subscription,
        warnings_subscription,
    ],
    openapi_tags=[
        {"name": "catalog library", "description": "Supervision items kept from catalog-svc events."},
        {
            "name": "supervised objects",
            "description": "The supervised-object library: legal persons, specific natural persons, equipment, "
            "products, sites and projects, with tags, field lineage, merges and splits.",
        },
        {
            "name": "ingestion",
            "description": "Batch files (CSV in UTF-8 or GBK, JSON lines) imported in the background with "
            "per-row error reports; API pushes take an Idempotency-Key.",
        },
        {
            "name": "supervision behaviour",
            "description": "Inspections, penalties, enforcement measures and other acts as the national exchange "
            "carries them, keyed by the 14-digit item code and linked to their objects.",
        },
        {"name": "linking", "description": "Exact and fuzzy matching of records to objects; the review queue."},
        {
            "name": "search and profiles",
            "description": "Full-text search across libraries (Chinese by bigrams) with facets; object profiles.",
        },
        {
            "name": "enforcement personnel",
            "description": "执法人员: unit, post, enforcement certificate and qualifications, kept from the identity "
            "system's inspector events and agency pushes.",
        },
        {
            "name": "complaints",
            "description": "投诉举报: complaints and reports from complaint-svc, hotlines and agency systems, linked to "
            "their objects; complainants' personal data masked by role.",
        },
        {
            "name": "credit",
            "description": "信用: credit grades and credit-list entries of credit-svc and other agencies.",
        },
        {
            "name": "third-party data",
            "description": "第三方和重点企业数据: public opinion, production figures, monitoring readings, ad monitoring.",
        },
        {"name": "knowledge base", "description": "知识库: laws and regulations, cases, plans, rules, risk features."},
        {
            "name": "data quality",
            "description": "Rules per library; errors fed back to the providing department (QualityErrorRaised) and "
            "tracked until fixed or dismissed; quality scores per department.",
        },
        {
            "name": "data sharing",
            "description": "Query and export of the libraries for departments and agency systems, limited by data "
            "scope, personal data masked by role, every access in an append-only log.",
        },
    ],
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service app; besides the runtime's workers it resumes interrupted imports and warms the cleaners."""
    if settings is None:
        settings = DatahubSettings()
    elif not isinstance(settings, DatahubSettings):
        settings = DatahubSettings(**settings.model_dump())
    quality_service.configure(
        QualityConfig(
            report_deadline_days=settings.quality_report_deadline_days,
            complaint_accept_days=settings.quality_complaint_accept_days,
        )
    )
    app = create_service_app(spec, settings)
    runtime_lifespan = app.router.lifespan_context
    datahub_settings = settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as runtime_state:
            state = cast(State, runtime_state)  # starlette types it Mapping | None; the runtime yields its State
            tasks: list[asyncio.Task[None]] = []
            if datahub_settings.run_background_workers:
                tasks.append(
                    asyncio.create_task(
                        ingestion_service.recovery_loop(state["sessionmaker"], datahub_settings),
                        name="ingest-recovery",
                    )
                )
                tasks.append(
                    asyncio.create_task(
                        ingestion_service.warm_pool(datahub_settings.ingest_workers), name="ingest-warm"
                    )
                )
            try:
                yield state
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                ingest_tasks = list(app.state.__dict__.get("ingest_tasks", ()))
                for task in ingest_tasks:
                    task.cancel()
                await asyncio.gather(*ingest_tasks, return_exceptions=True)
                ingestion_service.shutdown_pools()

    app.router.lifespan_context = lifespan
    return app


app = create_app()
