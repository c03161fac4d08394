"""The legal-basis library (法律法规库) and dynamic adjustment (立改废释).

Items name their legal bases as text (《法律》第X条) or as articles of the library; a basis given as
text is linked to the library as soon as the law and article are there. When an article is amended,
repealed or reinterpreted, every item resting on it and every inspection list of those items (or
citing the article in its basis) gets an adjustment task for its owner, who closes it by adjusting or
abolishing the item, or by saying why nothing needs to change.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_svc.errors import IllegalTransition, InvalidField
from catalog_svc.inspection.models import InspectionList, ListStatus
from catalog_svc.items.models import ItemLegalBasis, ItemStatus, ItemVersion, SupervisionItem
from catalog_svc.laws.models import (
    AdjustmentTask,
    ArticleChange,
    ArticleStatus,
    Law,
    LawArticle,
    LawArticleChange,
    Resolution,
    TaskStatus,
)
from catalog_svc.laws.schemas import (
    Affected,
    AffectedItem,
    AffectedList,
    ArticleIn,
    ArticleUpdate,
    ChangeCreate,
    ChangeRead,
    ChangeResult,
    LawCreate,
    LawUpdate,
    TaskClose,
)
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams, paginate
from svc_runtime.problems import Conflict, NotFound
from svc_runtime.scope import DEPARTMENT_ADMIN, DataScope, OutOfScope

_STATUS_AFTER = {
    ArticleChange.AMEND: ArticleStatus.AMENDED,
    ArticleChange.REPEAL: ArticleStatus.REPEALED,
    ArticleChange.INTERPRET: ArticleStatus.REINTERPRETED,
}


class LawNotFound(NotFound):
    title = "Law not found"


class ArticleNotFound(NotFound):
    title = "Article not found"


class TaskNotFound(NotFound):
    title = "Adjustment task not found"


def check_maintainer(scope: DataScope) -> None:
    """The library is kept by platform administrators and department administrators."""
    if scope.unrestricted:
        return
    if scope.read_only or DEPARTMENT_ADMIN not in scope.principal.roles:
        raise OutOfScope("only platform or department administrators maintain the law library")


async def _link_bases(session: AsyncSession, law: Law) -> None:
    """Point bases given as text (《title》article) at the library's law and articles."""
    await session.execute(
        update(ItemLegalBasis)
        .where(ItemLegalBasis.law_title == law.title, ItemLegalBasis.law_id.is_(None))
        .values(law_id=law.id)
    )
    await session.execute(
        text(
            "UPDATE item_legal_bases b SET article_id = a.id FROM law_articles a "
            "WHERE a.law_id = :law AND b.law_id = :law AND b.article = a.article AND b.article_id IS NULL"
        ),
        {"law": law.id},
    )


async def _add_articles(session: AsyncSession, law: Law, articles: list[ArticleIn]) -> list[LawArticle]:
    rows = [
        LawArticle(
            id=uuid.uuid4(), law_id=law.id, article=a.article, text=a.text, status=ArticleStatus.IN_FORCE, version=1
        )
        for a in articles
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def create_law(session: AsyncSession, *, data: LawCreate, scope: DataScope) -> tuple[Law, list[LawArticle]]:
    """Add a law with its articles and link the item bases that already cite it."""
    check_maintainer(scope)
    if await session.scalar(select(Law.id).where(Law.title == data.title)):
        raise Conflict(f"the library already has 《{data.title}》")
    law = Law(id=uuid.uuid4(), **data.model_dump(exclude={"articles"}), created_at=utc_now())
    session.add(law)
    await session.flush()
    articles = await _add_articles(session, law, data.articles)
    await _link_bases(session, law)
    return law, articles


async def get_law(session: AsyncSession, law_id: uuid.UUID) -> Law:
    law = await session.get(Law, law_id)
    if law is None:
        raise LawNotFound(f"no law {law_id} in the library")
    return law


async def articles_of(session: AsyncSession, law_id: uuid.UUID) -> list[LawArticle]:
    return list(
        await session.scalars(
            select(LawArticle).where(LawArticle.law_id == law_id).order_by(LawArticle.created_at, LawArticle.article)
        )
    )


async def list_laws(session: AsyncSession, params: PaginationParams, *, q: str | None) -> tuple[list[Any], int]:
    statement = select(Law)
    if q:
        statement = statement.where(Law.title.contains(q, autoescape=True))
    return await paginate(session, statement.order_by(Law.title, Law.id), params)


async def update_law(session: AsyncSession, law_id: uuid.UUID, *, data: LawUpdate, scope: DataScope) -> Law:
    check_maintainer(scope)
    law = await get_law(session, law_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(law, key, value)
    await session.flush()
    return law


async def _cited(
    session: AsyncSession, *, law_id: uuid.UUID | None = None, article_id: uuid.UUID | None = None
) -> bool:
    if article_id is not None:
        clause = ItemLegalBasis.article_id == article_id
        changed = exists().where(LawArticleChange.article_id == article_id)
    else:
        clause = ItemLegalBasis.law_id == law_id
        changed = exists().where(LawArticleChange.article_id == LawArticle.id, LawArticle.law_id == law_id)
    return bool(await session.scalar(select(exists().where(clause)))) or bool(await session.scalar(select(changed)))


async def delete_law(session: AsyncSession, law_id: uuid.UUID, *, scope: DataScope) -> None:
    """Remove a law nothing cites and nothing has changed (otherwise it is history and stays)."""
    check_maintainer(scope)
    law = await get_law(session, law_id)
    if await _cited(session, law_id=law.id):
        raise Conflict("items rest on this law or its articles have changed: it stays in the library")
    await session.execute(LawArticle.__table__.delete().where(LawArticle.law_id == law.id))
    await session.delete(law)


async def add_article(session: AsyncSession, law_id: uuid.UUID, *, data: ArticleIn, scope: DataScope) -> LawArticle:
    check_maintainer(scope)
    law = await get_law(session, law_id)
    if await session.scalar(
        select(LawArticle.id).where(LawArticle.law_id == law.id, LawArticle.article == data.article)
    ):
        raise Conflict(f"《{law.title}》 already has {data.article}")
    (article,) = await _add_articles(session, law, [data])
    await _link_bases(session, law)
    return article


async def get_article(session: AsyncSession, article_id: uuid.UUID, *, for_update: bool = False) -> LawArticle:
    statement = select(LawArticle).where(LawArticle.id == article_id)
    if for_update:
        statement = statement.with_for_update()
    article = await session.scalar(statement)
    if article is None:
        raise ArticleNotFound(f"no article {article_id} in the library")
    return article


async def update_article(
    session: AsyncSession, article_id: uuid.UUID, *, data: ArticleUpdate, scope: DataScope
) -> LawArticle:
    """Correct the text of an article still in force as first entered (no legal change: no tasks)."""
    check_maintainer(scope)
    article = await get_article(session, article_id, for_update=True)
    if article.status is not ArticleStatus.IN_FORCE or article.version != 1:
        raise IllegalTransition(
            "the article has changed in law since it was entered; record an amendment (POST .../changes) instead"
        )
    article.text = data.text
    await session.flush()
    return article


async def delete_article(session: AsyncSession, article_id: uuid.UUID, *, scope: DataScope) -> None:
    check_maintainer(scope)
    article = await get_article(session, article_id)
    if await _cited(session, article_id=article.id):
        raise Conflict("items rest on this article or it has changed: it stays in the library")
    await session.delete(article)


async def affected(session: AsyncSession, article: LawArticle) -> tuple[list[SupervisionItem], list[InspectionList]]:
    """The items resting on an article (linked, or citing it as text) and the inspection lists of those items or
    citing the article in their basis; abolished ones are left out."""
    law = await get_law(session, article.law_id)
    cites = or_(
        ItemLegalBasis.article_id == article.id,
        and_(
            ItemLegalBasis.article_id.is_(None),
            ItemLegalBasis.law_title == law.title,
            ItemLegalBasis.article == article.article,
        ),
    )
    items = list(
        await session.scalars(
            select(SupervisionItem)
            .where(
                SupervisionItem.status != ItemStatus.ABOLISHED,
                SupervisionItem.id.in_(select(ItemLegalBasis.item_id).where(cites)),
            )
            .order_by(SupervisionItem.code, SupervisionItem.id)
        )
    )
    citation = f"%《{law.title}》{article.article}%"
    lists = list(
        await session.scalars(
            select(InspectionList)
            .where(
                InspectionList.status != ListStatus.ABOLISHED,
                or_(
                    InspectionList.item_id.in_([i.id for i in items]),
                    func.replace(InspectionList.basis, " ", "").like(citation.replace(" ", "")),
                ),
            )
            .order_by(InspectionList.code, InspectionList.id)
        )
    )
    return items, lists


def _affected(items: list[SupervisionItem], lists: list[InspectionList]) -> Affected:
    return Affected(
        items=[AffectedItem.model_validate(i) for i in items],
        inspection_lists=[AffectedList.model_validate(x) for x in lists],
    )


async def affected_by(session: AsyncSession, article_id: uuid.UUID) -> Affected:
    article = await get_article(session, article_id)
    return _affected(*await affected(session, article))


async def change_article(
    session: AsyncSession, article_id: uuid.UUID, *, data: ChangeCreate, scope: DataScope, actor: str | None
) -> ChangeResult:
    """Record an amendment, repeal or reinterpretation and open a task for the owner of everything it touches."""
    check_maintainer(scope)
    article = await get_article(session, article_id, for_update=True)
    if article.status is ArticleStatus.REPEALED:
        raise IllegalTransition(f"{article.article} was repealed; a repealed article does not change again")
    law = await get_law(session, article.law_id)
    await _link_bases(session, law)
    previous = article.text
    if data.change is ArticleChange.AMEND:
        if data.text == previous:
            raise InvalidField("text", "the amended text is the same as the text in force")
        article.text = data.text
    article.status = _STATUS_AFTER[data.change]
    article.version += 1
    items, lists = await affected(session, article)
    change = LawArticleChange(
        id=uuid.uuid4(),
        article_id=article.id,
        change=data.change,
        version=article.version,
        previous_text=previous,
        text=article.text,
        note=data.note,
        effective_on=data.effective_on,
        affected_items=len(items),
        affected_lists=len(lists),
        actor=actor,
        created_at=utc_now(),
    )
    session.add(change)
    await session.flush()
    verb = {ArticleChange.AMEND: "amended", ArticleChange.REPEAL: "repealed", ArticleChange.INTERPRET: "reinterpreted"}
    note = f"《{law.title}》{article.article} {verb[data.change]}" + (f": {data.note}" if data.note else "")
    tasks = [
        AdjustmentTask(
            id=uuid.uuid4(),
            change_id=change.id,
            item_id=i.id,
            article_id=article.id,
            change=data.change,
            note=note,
            department_id=i.department_id,
            region_code=i.region_code,
            status=TaskStatus.OPEN,
            created_at=change.created_at,
        )
        for i in items
    ] + [
        AdjustmentTask(
            id=uuid.uuid4(),
            change_id=change.id,
            inspection_list_id=x.id,
            article_id=article.id,
            change=data.change,
            note=note,
            department_id=x.department_id,
            region_code=x.region_code,
            status=TaskStatus.OPEN,
            created_at=change.created_at,
        )
        for x in lists
    ]
    session.add_all(tasks)
    await session.flush()
    return ChangeResult(
        change=ChangeRead.model_validate(change), affected=_affected(items, lists), tasks_opened=len(tasks)
    )


async def changes_of(session: AsyncSession, article_id: uuid.UUID) -> list[LawArticleChange]:
    await get_article(session, article_id)
    return list(
        await session.scalars(
            select(LawArticleChange).where(LawArticleChange.article_id == article_id).order_by(LawArticleChange.version)
        )
    )


def _readable_tasks(scope: DataScope) -> Any:
    return scope.condition(region=AdjustmentTask.region_code, department=AdjustmentTask.department_id)


async def list_tasks(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    status: TaskStatus | None,
    article_id: uuid.UUID | None,
    item_id: uuid.UUID | None,
    department_id: uuid.UUID | None,
) -> tuple[list[Any], int]:
    """The adjustment tasks of the caller's region and department, oldest open first."""
    statement = select(AdjustmentTask).where(_readable_tasks(scope))
    if status:
        statement = statement.where(AdjustmentTask.status == status)
    if article_id:
        statement = statement.where(AdjustmentTask.article_id == article_id)
    if item_id:
        statement = statement.where(AdjustmentTask.item_id == item_id)
    if department_id:
        statement = statement.where(AdjustmentTask.department_id == department_id)
    return await paginate(
        session, statement.order_by(AdjustmentTask.status, AdjustmentTask.created_at, AdjustmentTask.id), params
    )


async def get_task(session: AsyncSession, task_id: uuid.UUID, scope: DataScope) -> AdjustmentTask:
    task = await session.scalar(
        select(AdjustmentTask).where(AdjustmentTask.id == task_id, _readable_tasks(scope)).with_for_update()
    )
    if task is None:
        raise TaskNotFound(f"no adjustment task {task_id} (or it is outside your data scope)")
    return task


async def close_task(
    session: AsyncSession, task_id: uuid.UUID, *, data: TaskClose, scope: DataScope, actor: str | None
) -> AdjustmentTask:
    """Close a task; `adjusted` and `abolished` must be true of the item (or list) by now."""
    task = await get_task(session, task_id, scope)
    scope.check_write(region_code=task.region_code, department_id=task.department_id)
    if task.status is TaskStatus.RESOLVED:
        raise IllegalTransition("the task is closed already")
    if task.item_id is not None:
        item = await session.get(SupervisionItem, task.item_id)
        assert item is not None
        if data.resolution is Resolution.ABOLISHED and item.status is not ItemStatus.ABOLISHED:
            raise IllegalTransition("the item is not abolished; abolish it first (POST /v1/items/{id}/abolish)")
        if data.resolution is Resolution.ADJUSTED:
            newer = await session.scalar(
                select(ItemVersion.version)
                .where(ItemVersion.item_id == item.id, ItemVersion.created_at > task.created_at)
                .limit(1)
            )
            if newer is None:
                raise IllegalTransition(
                    "the item has no version since the task was opened; adjust it first (POST /v1/items/{id}/adjust)"
                )
    elif task.inspection_list_id is not None:
        listing = await session.get(InspectionList, task.inspection_list_id)
        assert listing is not None
        if data.resolution is Resolution.ABOLISHED and listing.status is not ListStatus.ABOLISHED:
            raise IllegalTransition("the inspection list is not abolished")
        if data.resolution is Resolution.ADJUSTED and not data.note:
            raise InvalidField("note", "say how the inspection list was adjusted")
    task.status = TaskStatus.RESOLVED
    task.resolution = data.resolution
    task.resolution_note = data.note
    task.resolved_by = actor
    task.resolved_at = utc_now()
    await session.flush()
    return task
