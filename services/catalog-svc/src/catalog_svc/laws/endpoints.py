"""HTTP interface of the legal-basis library (法律法规库), article changes (立改废释) and adjustment tasks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from catalog_svc.laws import service as law_service
from catalog_svc.laws.models import TaskStatus
from catalog_svc.laws.schemas import (
    Affected,
    ArticleIn,
    ArticleRead,
    ArticleUpdate,
    ChangeCreate,
    ChangeRead,
    ChangeResult,
    LawCreate,
    LawDetail,
    LawRead,
    LawUpdate,
    TaskClose,
    TaskRead,
)
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/laws", tags=["legal basis"])
articles_router = APIRouter(prefix="/law-articles", tags=["legal basis"])
tasks_router = APIRouter(prefix="/adjustment-tasks", tags=["legal basis"])

WRITE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only platform and department administrators maintain the library"}
}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Duplicate, still cited, or an illegal change"}}
LAW_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such law"}}
ARTICLE_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such article"}}
TASK_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such task in your scope"}}


async def _detail(session: SessionDep, law: Any) -> LawDetail:
    articles = await law_service.articles_of(session, law.id)
    return LawDetail(
        **LawRead.model_validate(law).model_dump(), articles=[ArticleRead.model_validate(a) for a in articles]
    )


@router.post("", response_model=LawDetail, status_code=status.HTTP_201_CREATED, responses={**WRITE, **CONFLICT})
async def create_law(data: LawCreate, session: SessionDep, scope: DataScopeDep) -> LawDetail:
    """Add a law, regulation or rule with its articles; item bases citing it are linked to it."""
    law, _ = await law_service.create_law(session, data=data, scope=scope)
    return await _detail(session, law)


@router.get("", response_model=Page[LawRead])
async def list_laws(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words the title contains.")] = None,
) -> Page[LawRead]:
    """List the laws of the library by title."""
    rows, total = await law_service.list_laws(session, pagination, q=q)
    return Page(
        items=[LawRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{law_id}", response_model=LawDetail, responses=LAW_404)
async def get_law(law_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> LawDetail:
    """Get a law with its articles."""
    return await _detail(session, await law_service.get_law(session, law_id))


@router.patch("/{law_id}", response_model=LawDetail, responses={**LAW_404, **WRITE})
async def update_law(law_id: uuid.UUID, data: LawUpdate, session: SessionDep, scope: DataScopeDep) -> LawDetail:
    """Change a law's document number, issuer or date of effect."""
    return await _detail(session, await law_service.update_law(session, law_id, data=data, scope=scope))


@router.delete("/{law_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**LAW_404, **WRITE, **CONFLICT})
async def delete_law(law_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Response:
    """Remove a law that no item cites and whose articles never changed."""
    await law_service.delete_law(session, law_id, scope=scope)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{law_id}/articles",
    response_model=ArticleRead,
    status_code=status.HTTP_201_CREATED,
    responses={**LAW_404, **WRITE, **CONFLICT},
)
async def add_article(law_id: uuid.UUID, data: ArticleIn, session: SessionDep, scope: DataScopeDep) -> ArticleRead:
    """Add an article to a law; item bases citing it are linked to it."""
    return ArticleRead.model_validate(await law_service.add_article(session, law_id, data=data, scope=scope))


@articles_router.get("/{article_id}", response_model=ArticleRead, responses=ARTICLE_404)
async def get_article(article_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> ArticleRead:
    """Get an article as it is in force now."""
    return ArticleRead.model_validate(await law_service.get_article(session, article_id))


@articles_router.patch("/{article_id}", response_model=ArticleRead, responses={**ARTICLE_404, **WRITE, **CONFLICT})
async def correct_article(
    article_id: uuid.UUID, data: ArticleUpdate, session: SessionDep, scope: DataScopeDep
) -> ArticleRead:
    """Correct the text of an article as entered (a change in law is recorded as a change instead)."""
    return ArticleRead.model_validate(await law_service.update_article(session, article_id, data=data, scope=scope))


@articles_router.delete(
    "/{article_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**ARTICLE_404, **WRITE, **CONFLICT}
)
async def delete_article(article_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Response:
    """Remove an article that no item cites and that never changed."""
    await law_service.delete_article(session, article_id, scope=scope)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@articles_router.get("/{article_id}/affected", response_model=Affected, responses=ARTICLE_404)
async def affected(article_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Affected:
    """List the items and inspection lists that rest on an article."""
    return await law_service.affected_by(session, article_id)


@articles_router.post(
    "/{article_id}/changes",
    response_model=ChangeResult,
    status_code=status.HTTP_201_CREATED,
    responses={**ARTICLE_404, **WRITE, **CONFLICT},
)
async def change_article(
    article_id: uuid.UUID, data: ChangeCreate, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> ChangeResult:
    """Record that an article was amended, repealed or reinterpreted; open adjustment tasks for what rests on it."""
    return await law_service.change_article(session, article_id, data=data, scope=scope, actor=principal.subject)


@articles_router.get("/{article_id}/changes", response_model=list[ChangeRead], responses=ARTICLE_404)
async def list_changes(article_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[ChangeRead]:
    """List the changes of an article, oldest first, with the text before and after."""
    return [ChangeRead.model_validate(c) for c in await law_service.changes_of(session, article_id)]


@tasks_router.get("", response_model=Page[TaskRead])
async def list_tasks(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[TaskStatus | None, Query(description="Only open or only resolved tasks.")] = None,
    article_id: Annotated[uuid.UUID | None, Query(description="Only tasks opened by this article.")] = None,
    item_id: Annotated[uuid.UUID | None, Query(description="Only tasks about this item.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Only tasks of this department.")] = None,
) -> Page[TaskRead]:
    """List the adjustment tasks of your region and department."""
    rows, total = await law_service.list_tasks(
        session,
        pagination,
        scope=scope,
        status=status,
        article_id=article_id,
        item_id=item_id,
        department_id=department_id,
    )
    return Page(
        items=[TaskRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@tasks_router.get("/{task_id}", response_model=TaskRead, responses=TASK_404)
async def get_task(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> TaskRead:
    """Get an adjustment task."""
    return TaskRead.model_validate(await law_service.get_task(session, task_id, scope))


@tasks_router.post("/{task_id}/close", response_model=TaskRead, responses={**TASK_404, **CONFLICT})
async def close_task(
    task_id: uuid.UUID, data: TaskClose, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> TaskRead:
    """Close a task: the item was adjusted or abolished, or needs no change (say why)."""
    task = await law_service.close_task(session, task_id, data=data, scope=scope, actor=principal.subject)
    return TaskRead.model_validate(task)
