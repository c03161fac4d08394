"""Dispatches (派单) of the national or provincial complaint platform, from the cross-level bridge.

Each becomes a complaint of the `national` channel with the dispatch number as `channel_ref`, taken in
like any other (linked, routed, merged with repeats); a dispatch sent again is recognised by its number.
The upstream reply deadline binds the handling deadline. The result goes back up as the complaint's
`ComplaintStatusChanged` events, which carry the channel and the dispatch number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from complaint_svc.complaints import service
from complaint_svc.complaints.schemas import ComplaintIn
from complaint_svc.settings import ComplaintSettings
from supervision_schemas.complaint import (
    COMPLAINT_DISPATCHES_TOPIC,
    ComplaintChannel,
    ComplaintDispatched,
    ComplaintDispatchedData,
)
from svc_runtime.consumer import Subscription

GROUP = "complaint.national"
_log = logging.getLogger("complaint_svc.national")
# what may be dropped from a dispatch the platform cannot take as it is (kept in the attributes instead)
_OPTIONAL = ("category", "target", "complainant", "address", "occurred_at", "media_urls", "title")


def complaint_in(d: ComplaintDispatchedData) -> tuple[ComplaintIn, dict[str, Any]]:
    """The dispatch as an intake body; optional parts the platform refuses are left out and named."""
    body: dict[str, Any] = {
        "kind": d.kind.value,
        "channel": ComplaintChannel.NATIONAL.value,
        "channel_ref": d.dispatch_no,
        "title": d.title,
        "content": d.content,
        "category": d.category,
        "region_code": d.region_code,
        "address": d.address,
        "occurred_at": d.occurred_at,
        "target": d.target.model_dump(exclude_none=True) if d.target else None,
        "complainant": d.complainant.model_dump(exclude_none=True),
        "media_urls": d.media_urls,
    }
    dropped: dict[str, Any] = {}
    while True:
        try:
            return ComplaintIn.model_validate(body), dropped
        except ValidationError as exc:
            fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]} & set(_OPTIONAL)
            fields -= set(dropped)
            if not fields:
                raise
            for name in fields:
                dropped[name] = body.pop(name)
                if name == "complainant":  # contact data that does not validate is kept out, not the whole dispatch
                    dropped[name] = "invalid"
            if "complainant" in dropped:
                body["complainant"] = {"anonymous": True}


class DispatchConsumer:
    def __init__(self, settings: ComplaintSettings, group: str = GROUP) -> None:
        self.settings = settings
        self.group = group
        self.ctx = service.make_context(settings)

    async def on_dispatched(self, session: AsyncSession, events: Sequence[ComplaintDispatched]) -> None:
        for e in events:
            d = e.data
            body, dropped = complaint_in(d)
            attributes: dict[str, Any] = {
                "source_system": d.source_system,
                "dispatched_at": d.dispatched_at.isoformat(),
                "dispatch_event_id": e.id,
            }
            if d.reply_due is not None:
                attributes["upstream_reply_due"] = d.reply_due.isoformat()
            if dropped:
                attributes["dropped"] = {k: str(v)[:500] for k, v in dropped.items() if k != "complainant"}
                attributes["dropped_fields"] = sorted(dropped)
            try:
                async with session.begin_nested():
                    complaint, again = await service.intake(
                        session,
                        self.ctx,
                        body,
                        principal=f"national:{d.source_system}",
                        idempotency_key=None,
                        attributes=attributes,
                        upstream_due=d.reply_due,
                    )
            except service.DuplicateWorkOrder:
                # the bridge sent the number again with other content: the first one stands, and is being handled
                _log.warning("dispatch number reused with other content", extra={"dispatch_no": d.dispatch_no})
                continue
            if again:
                _log.info("dispatch received before", extra={"dispatch_no": d.dispatch_no})
            else:
                _log.info(
                    "national dispatch taken in",
                    extra={"dispatch_no": d.dispatch_no, "tracking_no": complaint.tracking_no},
                )

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group,
            topics=(COMPLAINT_DISPATCHES_TOPIC,),
            handlers={"gov.supervision.complaint.dispatched.v1": self.on_dispatched},
        )
