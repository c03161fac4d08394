"""HTTP interface of linking: match records to objects, and the review queue of uncertain matches."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select, update

from datahub_svc.behaviour import service as behaviour_service
from datahub_svc.behaviour.models import BehaviourRecord, LinkReview
from datahub_svc.behaviour.schemas import LinkReviewRead
from datahub_svc.cleaning.standardise import CleaningError, clean_uscc
from datahub_svc.linking import service as linking_service
from datahub_svc.linking.schemas import CandidateRead, MatchIn, MatchOut, MatchResult
from svc_runtime import outbox
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import Conflict, NotFound
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["linking"])


@router.post("/linking/match", response_model=MatchOut)
async def match(body: MatchIn, session: SessionDep, scope: DataScopeDep) -> Any:
    """Find the supervised object of each record: exactly by credit code, else scored fuzzy candidates."""
    results = []
    for record in body.records:
        try:
            uscc = clean_uscc(record.uscc)
        except CleaningError:
            uscc = None
        link = await linking_service.link(
            session,
            uscc=uscc,
            name=record.name,
            address=record.address,
            legal_representative=record.legal_representative,
            region_code=record.region_code,
        )
        visible = [c for c in link.candidates if scope.can_read(region_code=c.region_code)]
        results.append(
            MatchResult(
                decision=link.method,
                object_id=link.object_id,
                score=link.score,
                candidates=[CandidateRead(**c.__dict__) for c in visible],
            )
        )
    return MatchOut(
        accept_threshold=linking_service.ACCEPT_THRESHOLD,
        review_threshold=linking_service.REVIEW_THRESHOLD,
        results=results,
    )


@router.get("/link-reviews", response_model=Page[LinkReviewRead])
async def list_reviews(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[str, Query(description="pending, accepted or rejected.")] = "pending",
) -> Any:
    """List uncertain matches waiting for a decision (or decided ones)."""
    statement = scope.filter(select(LinkReview), region=LinkReview.region_code, department=LinkReview.department_id)
    statement = statement.where(LinkReview.status == status).order_by(LinkReview.created_at, LinkReview.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[LinkReviewRead.model_validate(r) for r in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


async def _decide(session: SessionDep, scope: DataScopeDep, review_id: uuid.UUID, accept: bool) -> LinkReview:
    review = await session.get(LinkReview, review_id, with_for_update=True)
    if review is None:
        raise NotFound(f"link review {review_id} does not exist")
    scope.check_write(region_code=review.region_code, department_id=review.department_id)
    if review.status != "pending":
        raise Conflict(f"this review was already {review.status}")
    review.status = "accepted" if accept else "rejected"
    review.decided_by = scope.principal.subject
    review.decided_at = utc_now()
    if accept:
        await session.execute(
            update(BehaviourRecord)
            .where(BehaviourRecord.id == review.record_id)
            .values(object_id=review.candidate_object_id, link_method="fuzzy", link_score=review.score)
        )
        record = await session.get(BehaviourRecord, review.record_id, populate_existing=True)
        if record is not None:
            await outbox.stage(session, behaviour_service.recorded_event(record))
    else:
        await session.execute(
            update(BehaviourRecord).where(BehaviourRecord.id == review.record_id).values(link_method="none")
        )
    await session.flush()
    return review


@router.post(
    "/link-reviews/{review_id}/accept",
    response_model=LinkReviewRead,
    responses={404: {"description": "No such review"}, 409: {"description": "Already decided"}},
)
async def accept_review(review_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Accept the match: the record is linked to the candidate object."""
    return LinkReviewRead.model_validate(await _decide(session, scope, review_id, True))


@router.post(
    "/link-reviews/{review_id}/reject",
    response_model=LinkReviewRead,
    responses={404: {"description": "No such review"}, 409: {"description": "Already decided"}},
)
async def reject_review(review_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Reject the match: the record stays unlinked."""
    return LinkReviewRead.model_validate(await _decide(session, scope, review_id, False))
