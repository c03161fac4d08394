"""Routing: the category and the responsible department of a complaint.

The classifier proposes a category and a department type from the text. Rules are the fallback:
the linked object's supervising department, then the category's default department type (the
category catalog). A department type is resolved to a department of the complaint's region (the
county, else its city, else its province) from the department view.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from complaint_svc import categories
from complaint_svc.objects.linking import Link
from complaint_svc.objects.models import DepartmentView
from complaint_svc.routing.classifier import Proposal, default_classifier
from complaint_svc.routing.models import RoutingSetting
from complaint_svc.settings import ComplaintSettings


@dataclass
class Decision:
    category: str
    routed_by: str  # classifier | object | catalog | declared | none
    department_type: str | None = None
    department_id: uuid.UUID | None = None
    department_name: str | None = None
    proposal: Proposal | None = None


class _Switch:
    """The run-time classification switch, read from a service's database at most once a second per process."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, bool | None]] = {}

    async def enabled(self, session: AsyncSession, settings: ComplaintSettings) -> bool:
        now = time.monotonic()
        cached = self._values.get(settings.database_url)
        if cached is None or now - cached[0] > 1.0:
            stored = await session.scalar(select(RoutingSetting.classification_enabled).where(RoutingSetting.id == 1))
            cached = self._values[settings.database_url] = (now, stored)
        return settings.classification_enabled if cached[1] is None else cached[1]

    def forget(self) -> None:
        self._values.clear()


switch = _Switch()
_department_cache: dict[tuple[str, str], tuple[float, tuple[uuid.UUID, str] | None]] = {}


def _region_chain(region_code: str) -> list[str]:
    chain = [region_code, region_code[:4] + "00", region_code[:2] + "0000"]
    return list(dict.fromkeys(chain))


async def department_for(session: AsyncSession, department_type: str, region_code: str) -> tuple[uuid.UUID, str] | None:
    """The active department of this type nearest to the region (county, city, province); cached 10 s."""
    key = (department_type, region_code)
    cached = _department_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    chain = _region_chain(region_code)
    rows = (
        await session.execute(
            select(DepartmentView.department_id, DepartmentView.name, DepartmentView.region_code).where(
                DepartmentView.department_type == department_type,
                DepartmentView.active.is_(True),
                DepartmentView.region_code.in_(chain),
            )
        )
    ).all()
    best = min(rows, key=lambda r: (chain.index(r.region_code), r.name), default=None)
    found = (best.department_id, best.name) if best is not None else None
    if len(_department_cache) > 10_000:
        _department_cache.clear()
    _department_cache[key] = (time.monotonic() + 10.0, found)
    return found


def classify(text: str) -> Proposal:
    return default_classifier().predict(text)


async def warm_up() -> None:
    """Train the classifier in a thread at start-up, so that no request waits for it."""
    await asyncio.to_thread(default_classifier)


async def route(
    session: AsyncSession,
    settings: ComplaintSettings,
    *,
    text: str,
    declared_category: str | None,
    region_code: str,
    target: Link,
) -> Decision:
    """Propose the category and the department; see the module docstring for the order of the rules."""
    proposal = classify(text) if await switch.enabled(session, settings) else None
    threshold = settings.classifier_min_confidence
    if declared_category and declared_category != categories.OTHER.code:
        category, by = declared_category, "declared"
    elif proposal is not None and proposal.category_p >= threshold:
        category, by = proposal.category, "classifier"
    else:
        category, by = categories.OTHER.code, "none"
    decision = Decision(category=category, routed_by=by, proposal=proposal)
    if proposal is not None and proposal.department_p >= threshold:
        decision.department_type, decision.routed_by = proposal.department_type, "classifier"
        if target.department_id is not None and target.department_type == proposal.department_type:
            decision.department_id, decision.department_name = target.department_id, target.department_name
            return decision
    elif target.department_id is not None:
        decision.routed_by = "object"
        decision.department_type = target.department_type
        decision.department_id, decision.department_name = target.department_id, target.department_name
        return decision
    else:
        decision.department_type = categories.BY_CODE[category].department_type
        decision.routed_by = ("declared" if by == "declared" else "catalog") if decision.department_type else "none"
    if decision.department_type:
        found = await department_for(session, decision.department_type, region_code)
        if found is not None:
            decision.department_id, decision.department_name = found
    return decision
