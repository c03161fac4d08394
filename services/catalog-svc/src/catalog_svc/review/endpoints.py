"""HTTP interface of list owners: the departments that review what departments submit (事项汇聚审核)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from catalog_svc.review import service as review_service
from catalog_svc.review.schemas import ListOwnerRead, ListOwnerSet
from svc_runtime.db import SessionDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/list-owners", tags=["items"])
Region = Annotated[str, Path(pattern=r"^\d{6}$", description="GB/T 2260 code of the region (100000: national).")]
ADMIN: dict[int | str, dict[str, Any]] = {403: {"description": "Only platform administrators name list owners"}}


@router.get("", response_model=list[ListOwnerRead])
async def list_owners(session: SessionDep, scope: DataScopeDep) -> list[ListOwnerRead]:
    """List the owners of regional lists (who reviews submitted items)."""
    return [ListOwnerRead.model_validate(o) for o in await review_service.owners(session)]


@router.put("/{region_code}", response_model=ListOwnerRead, responses=ADMIN)
async def set_owner(region_code: Region, data: ListOwnerSet, session: SessionDep, scope: DataScopeDep) -> ListOwnerRead:
    """Name the department that owns (and reviews) the list of a region."""
    return ListOwnerRead.model_validate(await review_service.set_owner(session, region_code, data=data, scope=scope))


@router.delete(
    "/{region_code}", status_code=status.HTTP_204_NO_CONTENT, responses={**ADMIN, 404: {"description": "No owner"}}
)
async def remove_owner(region_code: Region, session: SessionDep, scope: DataScopeDep) -> Response:
    """Remove a region's list owner (any other department of the region reviews again)."""
    await review_service.remove_owner(session, region_code, scope=scope)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
