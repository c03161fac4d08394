"""HTTP interface of hot spots: the ones found (within your region), and a scan run now."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select

from complaint_svc.hotspots import service
from complaint_svc.hotspots.models import Hotspot
from complaint_svc.settings import ComplaintSettings
from supervision_schemas.signals import ComplaintHotspotData, HotspotDimension
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.scope import DataScopeDep, OutOfScope

router = APIRouter(prefix="/hotspots", tags=["statistics"])


class HotspotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dimension: HotspotDimension
    key: str
    label: str
    region_code: str | None
    industry_code: str | None
    hot: bool
    count: int
    previous_count: int
    growth: float | None
    reports: int
    categories: dict[str, int]
    complaint_ids: list[str]
    object: dict[str, Any] | None
    window_days: int
    detected_at: datetime
    changed_at: datetime
    cooled_at: datetime | None


class HotspotScanRead(BaseModel):
    as_of: datetime
    clusters: int
    changes: list[ComplaintHotspotData]


@router.get("", response_model=Page[HotspotRead])
async def list_hotspots(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    dimension: Annotated[HotspotDimension | None, Query(description="industry, region or object.")] = None,
    hot: Annotated[bool | None, Query(description="Only hot (true) or cooled (false) ones.")] = True,
) -> Page[HotspotRead]:
    """Hot spots found by the scans (published to risk-svc), largest first, within your region."""
    statement = select(Hotspot).where(service.visible(scope))
    if dimension is not None:
        statement = statement.where(Hotspot.dimension == dimension.value)
    if hot is not None:
        statement = statement.where(Hotspot.hot.is_(hot))
    statement = statement.order_by(Hotspot.count.desc(), Hotspot.key)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[HotspotRead.model_validate(h) for h in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.post("/scan", response_model=HotspotScanRead)
async def scan_now(
    request: Request,
    session: SessionDep,
    scope: DataScopeDep,
    as_of: Annotated[AwareDatetime | None, Query(description="Scan as if it were this time (default now).")] = None,
) -> HotspotScanRead:
    """Look for hot spots now and publish what changed (platform administrators; the service also scans periodically)."""
    if not scope.unrestricted:
        raise OutOfScope("only platform administrators run the hot spot scan")
    settings: ComplaintSettings = request.state.settings
    result = await service.scan(session, settings, as_of or utc_now())
    return HotspotScanRead(as_of=result.as_of, clusters=result.clusters, changes=result.changes)
