"""HTTP interface of outcome models: training (a background job), validation figures, activation."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from credit_svc.access import CreditAdmin
from credit_svc.jobs.models import JobKind
from credit_svc.jobs.schemas import JobRead
from credit_svc.jobs.service import enqueue
from credit_svc.learning.models import OutcomeModel
from credit_svc.learning.schemas import ModelRead, TrainIn
from credit_svc.learning.training import activate_model
from svc_runtime.db import SessionDep
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/models", tags=["models"])


@router.post("/train", status_code=202, response_model=JobRead, responses={403: {"description": "Not an admin"}})
async def train_model(body: TrainIn, session: SessionDep, actor: CreditAdmin) -> Any:
    """Train an outcome model in the background; its held-out figures are stored with it."""
    return JobRead.model_validate(await enqueue(session, actor, JobKind.TRAIN, body.model_dump(mode="json")))


@router.get("", response_model=list[ModelRead])
async def list_models(session: SessionDep, scope: DataScopeDep) -> Any:
    """List trained models with their validation figures, newest first."""
    rows = await session.scalars(select(OutcomeModel).order_by(OutcomeModel.version.desc()))
    return [ModelRead.model_validate(m) for m in rows.all()]


@router.get("/{model_id}", response_model=ModelRead, responses={404: {"description": "No such model"}})
async def get_model(model_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one model with its validation figures."""
    model = await session.get(OutcomeModel, model_id)
    if model is None:
        raise NotFound(f"model {model_id} does not exist")
    return ModelRead.model_validate(model)


@router.post("/{model_id}/activate", response_model=ModelRead, responses={404: {"description": "No such model"}})
async def activate(model_id: uuid.UUID, session: SessionDep, actor: CreditAdmin) -> Any:
    """Serve this model; schemes with a model_weight blend it into their score from now on."""
    return ModelRead.model_validate(await activate_model(session, actor, model_id))
