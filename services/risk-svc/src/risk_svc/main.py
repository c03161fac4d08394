"""ASGI entry point of risk-svc."""

from pathlib import Path

from fastapi import FastAPI

from risk_svc.features.endpoints import router as features_router
from risk_svc.reports.endpoints import router as reports_router
from risk_svc.riskmodels.endpoints import router as models_router
from risk_svc.scoring.consumers import GROUP, SignalProcessor
from risk_svc.warnings.endpoints import router as warnings_router
from svc_runtime.app import ServiceSpec, create_service_app
from svc_runtime.settings import ServiceSettings

DESCRIPTION = "Risk early warning (风险预警): streaming features, rule and learned models, warnings and feedback."


def build_spec(settings: ServiceSettings, group: str = GROUP) -> ServiceSpec:
    return ServiceSpec(
        name="risk",
        title="risk-svc",
        description=DESCRIPTION,
        migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
        routers=[warnings_router, models_router, features_router, reports_router],
        subscriptions=[SignalProcessor(settings, group=group).subscription()],
        openapi_tags=[
            {"name": "warnings", "description": "Risk warnings and disposal feedback."},
            {"name": "models", "description": "Rule and scikit-learn models, versions, promotion and rollback."},
            {"name": "features", "description": "Streaming features per object and their rebuild."},
            {"name": "reports", "description": "Risk reports by region, industry and model."},
        ],
    )


_default_settings = ServiceSettings(service_name="risk-svc")
spec = build_spec(_default_settings)


def create_app(settings: ServiceSettings | None = None, *, group: str = GROUP) -> FastAPI:
    settings = settings or _default_settings
    app = create_service_app(build_spec(settings, group), settings)
    app.state.risk_signal_group = group
    return app


app = create_app()
