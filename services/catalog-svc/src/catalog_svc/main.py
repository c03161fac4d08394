"""ASGI entry point of catalog-svc."""

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from catalog_svc.coding.endpoints import router as coding_router
from catalog_svc.imports.endpoints import export_router
from catalog_svc.imports.endpoints import router as imports_router
from catalog_svc.imports.service import fail_interrupted
from catalog_svc.inspection.endpoints import router as inspection_router
from catalog_svc.items.endpoints import router as items_router
from catalog_svc.laws.endpoints import articles_router, tasks_router
from catalog_svc.laws.endpoints import router as laws_router
from catalog_svc.review.endpoints import router as owners_router
from catalog_svc.validation.endpoints import router as validation_router
from svc_runtime.app import ServiceSpec, State, create_service_app
from svc_runtime.settings import ServiceSettings

spec = ServiceSpec(
    name="catalog",
    title="catalog-svc",
    description="Supervision item catalog (监管事项目录清单) and inspection implementation lists (检查实施清单).",
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    routers=[
        export_router,
        items_router,
        inspection_router,
        coding_router,
        validation_router,
        imports_router,
        laws_router,
        articles_router,
        tasks_router,
        owners_router,
    ],
    openapi_tags=[
        {"name": "items", "description": "Supervision items (监管事项): main and sub items, lifecycle, versions."},
        {"name": "inspection-lists", "description": "Inspection implementation lists (检查实施清单) and forms."},
        {"name": "coding", "description": "Code schemes (编码规则管理) and the code ledger."},
        {"name": "validation", "description": "Is code X a published item department D may use on date T."},
        {
            "name": "legal basis",
            "description": "The law library (法律法规库); article amendments, repeals and reinterpretations "
            "(立改废释) open adjustment tasks for the owners of every item and inspection list resting on them.",
        },
        {
            "name": "import and export",
            "description": "Bulk import of national, provincial and local lists and of mapping tables (CSV in UTF-8 "
            "or GBK, JSON lines, JSON, XLSX) as background jobs with per-row error and change reports; export.",
        },
    ],
)


_log = logging.getLogger("catalog_svc")


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    app = create_service_app(spec, settings or ServiceSettings(service_name="catalog-svc"))
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as runtime_state:
            state: State = runtime_state  # type: ignore[assignment]
            try:
                # import jobs run in the process that took the upload: those a stopped process left are failed
                await fail_interrupted(state["sessionmaker"])
            except Exception:
                _log.exception("could not check for interrupted import jobs")
            yield runtime_state

    app.router.lifespan_context = lifespan
    return app


app = create_app()
