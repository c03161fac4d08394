"""HTTP interface of routing: categories, the classifier's accuracy, a dry run, and the run-time switch."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import insert

from complaint_svc import categories
from complaint_svc.routing import classifier
from complaint_svc.routing import service as routing
from complaint_svc.routing.models import RoutingSetting
from complaint_svc.settings import ComplaintSettings
from supervision_schemas.identifiers import NormalisedStr
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.scope import DataScopeDep, OutOfScope

router = APIRouter(tags=["routing"])


class CategoryRead(BaseModel):
    code: str
    name: str
    description: str
    department_type: str | None
    group: str


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: NormalisedStr = Field(min_length=2, max_length=5000)


class ProposalRead(BaseModel):
    category: str
    category_p: float
    department_type: str
    department_p: float


class ModelRead(BaseModel):
    """The routing classifier and its accuracy on the labelled set in the repository (cross-validated)."""

    enabled: bool
    min_confidence: float
    evaluation: dict[str, Any]


class SwitchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    classification_enabled: bool


@router.get("/categories", response_model=list[CategoryRead])
async def list_categories(scope: DataScopeDep) -> list[CategoryRead]:
    """The complaint categories and the department type each falls to by default."""
    return [
        CategoryRead(
            code=c.code, name=c.name, description=c.description, department_type=c.department_type, group=c.group
        )
        for c in categories.CATEGORIES
    ]


@router.get("/routing/model", response_model=ModelRead)
async def routing_model(request: Request, session: SessionDep, scope: DataScopeDep) -> ModelRead:
    """The classifier's routing accuracy on the committed labelled set, and whether it is switched on."""
    settings: ComplaintSettings = request.state.settings
    evaluation = await asyncio.to_thread(classifier.default_evaluation)
    return ModelRead(
        enabled=await routing.switch.enabled(session, settings),
        min_confidence=settings.classifier_min_confidence,
        evaluation=evaluation,
    )


@router.post("/routing/classify", response_model=ProposalRead)
async def classify(body: ClassifyIn, scope: DataScopeDep) -> ProposalRead:
    """What the classifier proposes for a text (nothing is stored)."""
    p = routing.classify(body.text)
    return ProposalRead(**p.__dict__)


@router.put("/routing/settings", response_model=SwitchIn)
async def set_switch(body: SwitchIn, session: SessionDep, scope: DataScopeDep) -> SwitchIn:
    """Switch the classifier on or off at run time (platform administrators); routing falls back to the rules."""
    if not scope.unrestricted:
        raise OutOfScope("only platform administrators switch the routing classifier")
    statement = insert(RoutingSetting).values(
        id=1,
        classification_enabled=body.classification_enabled,
        updated_by=scope.principal.subject,
        updated_at=utc_now(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[RoutingSetting.id],
            set_={
                "classification_enabled": body.classification_enabled,
                "updated_by": scope.principal.subject,
                "updated_at": utc_now(),
            },
        )
    )
    routing.switch.forget()
    return body


@router.get("/routing/settings", response_model=SwitchIn)
async def get_switch(request: Request, session: SessionDep, scope: DataScopeDep) -> SwitchIn:
    """Whether the classifier routes now."""
    settings: ComplaintSettings = request.state.settings
    return SwitchIn(classification_enabled=await routing.switch.enabled(session, settings))
