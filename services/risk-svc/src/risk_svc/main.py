"""ASGI entry point of risk-svc."""

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI

from risk_svc.features.endpoints import router as features_router
from risk_svc.reports.endpoints import router as reports_router
from risk_svc.riskmodels.endpoints import router as models_router
from risk_svc.scoring.consumers import GROUP, TOPICS, SignalProcessor
from risk_svc.warnings.consumers import GROUP as FEEDBACK_GROUP
from risk_svc.warnings.consumers import FeedbackProcessor
from risk_svc.warnings.endpoints import router as warnings_router
from supervision_schemas.risk import RISK_DISPOSALS_TOPIC
from svc_runtime.app import ServiceSpec, create_service_app
from svc_runtime.settings import ServiceSettings

DESCRIPTION = "Risk early warning (风险预警): streaming features, rule and learned models, warnings and feedback."


def build_spec(
    settings: ServiceSettings,
    group: str = GROUP,
    *,
    feedback_group: str = FEEDBACK_GROUP,
    topics: Mapping[str, str] | None = None,
) -> ServiceSpec:
    """The service; `topics` renames consumed topics (tests read topics of their own on a shared broker)."""
    rename = dict(topics or {})
    return ServiceSpec(
        name="risk",
        title="risk-svc",
        description=DESCRIPTION,
        migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
        routers=[warnings_router, models_router, features_router, reports_router],
        subscriptions=[
            SignalProcessor(settings, group=group, topics=signal_topics(rename)).subscription(),
            FeedbackProcessor(
                group=feedback_group, topic=rename.get(RISK_DISPOSALS_TOPIC, RISK_DISPOSALS_TOPIC)
            ).subscription(),
        ],
        openapi_tags=[
            {"name": "warnings", "description": "Risk warnings and disposal feedback."},
            {"name": "models", "description": "Rule and scikit-learn models, versions, promotion and rollback."},
            {"name": "features", "description": "Streaming features per object and their rebuild."},
            {"name": "reports", "description": "Risk reports by region, industry and model."},
        ],
    )


def signal_topics(rename: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(rename.get(t, t) for t in TOPICS)


_default_settings = ServiceSettings(service_name="risk-svc")
spec = build_spec(_default_settings)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    group: str = GROUP,
    feedback_group: str = FEEDBACK_GROUP,
    topics: Mapping[str, str] | None = None,
) -> FastAPI:
    settings = settings or _default_settings
    app = create_service_app(build_spec(settings, group, feedback_group=feedback_group, topics=topics), settings)
    app.state.risk_signal_group = group
    app.state.risk_signal_topics = signal_topics(topics or {})
    return app


app = create_app()
