"""ASGI entry point of joint-svc."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from joint_svc.crosslevel.consumers import GROUP as CROSSLEVEL_GROUP
from joint_svc.crosslevel.consumers import CrossLevelConsumer
from joint_svc.deadlines.sweep import DeadlineSweeper
from joint_svc.disposal.consumers import GROUP as DISPOSAL_GROUP
from joint_svc.disposal.consumers import DisposalConsumer
from joint_svc.evidence.consumers import subscription as evidence_subscription
from joint_svc.notifications.endpoints import router as notifications_router
from joint_svc.routing.consumers import subscription as directory_subscription
from joint_svc.routing.endpoints import router as routing_router
from joint_svc.settings import JointSettings
from joint_svc.stats.endpoints import router as stats_router
from joint_svc.tasks.endpoints import router as tasks_router
from svc_runtime.app import ServiceSpec, State, create_service_app, supervise

DESCRIPTION = (
    "Joint supervision (联合监管): approval-supervision linkage, case lead forwarding, assistance requests, "
    "special rectification campaigns and risk-warning disposal, on one task engine with the national "
    "joint-task statuses (分发/认领/结束/反馈), an append-only timeline, working-day deadlines, reminders "
    "and escalation (督办)."
)


def build_spec(settings: JointSettings, group_prefix: str = "joint") -> ServiceSpec:
    return ServiceSpec(
        name="joint",
        title="joint-svc",
        description=DESCRIPTION,
        migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
        routers=[tasks_router, notifications_router, stats_router, routing_router],
        subscriptions=[
            directory_subscription(f"{group_prefix}.directory"),
            evidence_subscription(f"{group_prefix}.evidence"),
            DisposalConsumer(settings, DISPOSAL_GROUP.replace("joint", group_prefix, 1)).subscription(),
            CrossLevelConsumer(settings, CROSSLEVEL_GROUP.replace("joint", group_prefix, 1)).subscription(),
        ],
        openapi_tags=[
            {"name": "tasks", "description": "Every kind of joint task: list, read, act, timeline, comments."},
            {"name": "approval linkage", "description": "审批联动: approvals pushed to the supervising department."},
            {"name": "lead forwarding", "description": "抄告抄送: case leads and copies sent to departments."},
            {"name": "assistance", "description": "协查协办: requests for investigation or co-handling."},
            {"name": "campaigns", "description": "专项整治: campaigns, their distributed tasks and progress."},
            {"name": "notifications", "description": "A department's inbox of steps, reminders and escalations."},
            {"name": "statistics", "description": "Volumes, timeliness and overdue tasks by department."},
            {"name": "routing", "description": "Supervision routes and the department directory."},
        ],
    )


_default_settings = JointSettings()
spec = build_spec(_default_settings)


def create_app(settings: JointSettings | None = None, *, group_prefix: str = "joint") -> FastAPI:
    settings = settings or _default_settings
    app = create_service_app(build_spec(settings, group_prefix), settings)
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with runtime_lifespan(app) as runtime_state:
            state: State = runtime_state  # type: ignore[assignment]
            sweeper: asyncio.Task[None] | None = None
            if settings.run_background_workers and settings.joint_sweep_enabled:
                runner = DeadlineSweeper(state["sessionmaker"], settings)
                sweeper = asyncio.create_task(supervise("deadline-sweep", runner.run), name="deadline-sweep")
            try:
                yield dict(state)
            finally:
                if sweeper is not None:
                    sweeper.cancel()
                    await asyncio.gather(sweeper, return_exceptions=True)

    app.router.lifespan_context = lifespan
    return app


app = create_app()
