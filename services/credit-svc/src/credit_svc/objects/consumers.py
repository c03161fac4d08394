"""The input consumer: objects, behaviour, complaints, third-party data and risk warnings in; regrades out.

Each handler applies a run of events with set-based statements and then regrades the objects whose
inputs changed, in the same transaction (so the GradeChanged events commit with the inputs).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.dates import local_date, today
from credit_svc.grading.models import GradeTrigger
from credit_svc.grading.service import bump_inputs, regrade
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.objects import service
from credit_svc.objects.models import WARNING_LEVEL_RANK, SignalKind
from credit_svc.objects.service import PenaltyRow, Ref, SignalRow, WarningRow
from credit_svc.settings import CreditSettings
from supervision_schemas.datahub import (
    DATAHUB_BEHAVIOUR_TOPIC,
    DATAHUB_OBJECTS_TOPIC,
    BehaviourRecorded,
    BehaviourType,
    ObjectChanged,
    ObjectCreated,
    ObjectMerged,
)
from supervision_schemas.randomcheck import (
    PROBLEM_CATEGORIES,
    RANDOMCHECK_RESULTS_TOPIC,
    CheckResultPublished,
    ResultCategory,
)
from supervision_schemas.risk import RISK_WARNINGS_TOPIC, WarningClosed, WarningRaised, WarningUpdated
from supervision_schemas.signals import (
    COMPLAINT_SIGNALS_TOPIC,
    THIRDPARTY_OBSERVATIONS_TOPIC,
    ComplaintSignalRecorded,
    ObservationRecorded,
)
from svc_runtime.consumer import Subscription

GROUP = "credit.inputs"
TOPICS = (
    DATAHUB_OBJECTS_TOPIC,
    DATAHUB_BEHAVIOUR_TOPIC,
    COMPLAINT_SIGNALS_TOPIC,
    THIRDPARTY_OBSERVATIONS_TOPIC,
    RISK_WARNINGS_TOPIC,
    RANDOMCHECK_RESULTS_TOPIC,
)
#: Random-check outcomes that count against the object besides a problem found: unreachable at its
#: registered address (a ground for the abnormal-operation list) and refusing the check.
ADVERSE_RESULTS = PROBLEM_CATEGORIES | {ResultCategory.NOT_REACHABLE, ResultCategory.REFUSED}


def inspection_kind(result: str | None, settings: CreditSettings) -> SignalKind:
    """Passed, failed or unknown, from the words of an inspection result (检查结果)."""
    text = (result or "").lower()
    if any(w.lower() in text for w in settings.credit_inspection_pass_words):
        return SignalKind.INSPECTION_PASSED
    if any(w.lower() in text for w in settings.credit_inspection_fail_words):
        return SignalKind.INSPECTION_FAILED
    if any(w.lower() in text for w in settings.credit_inspection_ok_words):
        return SignalKind.INSPECTION_PASSED
    return SignalKind.INSPECTION


class InputConsumer:
    """Handlers of the input topics; `group` is configurable so tests and benchmarks get their own."""

    def __init__(self, settings: CreditSettings, *, group: str = GROUP, topics: Sequence[str] = TOPICS) -> None:
        self.settings = settings
        self.group = group
        self.topics = tuple(topics)

    async def _regrade(self, session: AsyncSession, changed: dict[uuid.UUID, str]) -> None:
        """Count the input change and regrade, each object's grade naming the event that changed it."""
        if not changed:
            return
        known = await bump_inputs(session, list(changed))
        graded = await regrade(session, known, trigger=GradeTrigger.EVENT, trigger_refs={i: changed[i] for i in known})
        if graded:
            await sync_auto_lists(session, [g[0] for g in graded])

    async def on_objects(self, session: AsyncSession, events: Sequence[ObjectCreated | ObjectChanged]) -> None:
        stored = await service.upsert_objects(session, [(e.data, e.time) for e in events])
        by_object = {e.data.object_id: e.id for e in events}
        await self._regrade(session, {i: by_object[i] for i in stored})

    async def on_merged(self, session: AsyncSession, events: Sequence[ObjectMerged]) -> None:
        changed: dict[uuid.UUID, str] = {}
        for e in events:
            d = e.data
            if d.action == "merge":
                await service.merge(session, d.surviving_object_id, d.merged_object_ids, today())
            else:
                await service.split(session, d.surviving_object_id, d.merged_object_ids)
                changed.update(dict.fromkeys(d.merged_object_ids, e.id))
            changed[d.surviving_object_id] = e.id
        await self._regrade(session, changed)

    async def on_behaviour(self, session: AsyncSession, events: Sequence[BehaviourRecorded]) -> None:
        refs = [Ref(e.data.object_id, e.data.object_uscc) for e in events]
        resolved = await service.resolve(session, refs)
        signals: list[SignalRow] = []
        penalties: list[PenaltyRow] = []
        event_of: dict[str, str] = {}
        for e, object_id in zip(events, resolved, strict=True):
            d = e.data
            # A record mirroring a random-check result (its code is the result id) is that same inspection.
            mirrored = service.parse_uuid(d.record_code) if d.record_type is BehaviourType.INSPECTION else None
            source_ref = f"randomcheck:{mirrored}" if mirrored else f"behaviour:{d.record_id}"
            event_of[source_ref] = e.id
            if d.record_type is BehaviourType.PENALTY:
                penalties.append(
                    PenaltyRow(
                        object_id=object_id,
                        uscc=d.object_uscc,
                        object_name=d.object_name,
                        region_code=d.region_code,
                        department_id=d.department_id,
                        reason=d.result or f"行政处罚 {d.record_code}",
                        document_number=d.record_code,
                        amount=d.penalty_amount,
                        decided_on=d.acted_on,
                        source_ref=source_ref,
                    )
                )
                continue
            kind = {
                BehaviourType.INSPECTION: inspection_kind(d.result, self.settings),
                BehaviourType.ENFORCEMENT_MEASURE: SignalKind.ENFORCEMENT_MEASURE,
                BehaviourType.OTHER: SignalKind.OTHER_ACT,
            }[d.record_type]
            signals.append(
                SignalRow(object_id, d.object_uscc, kind.value, d.acted_on, None, source_ref, d.department_id)
            )
        changed = await service.upsert_signals(session, signals)
        changed += await service.upsert_penalties(session, penalties, self.settings.credit_penalty_publicity_days)
        ids = {object_id: e.id for e, object_id in zip(events, resolved, strict=True) if object_id is not None}
        await self._regrade(session, {i: ids.get(i, events[-1].id) for i in changed})

    async def on_check_results(self, session: AsyncSession, events: Sequence[CheckResultPublished]) -> None:
        rows = []
        for e in events:
            d = e.data
            if d.problem_found or d.category in ADVERSE_RESULTS:
                kind = SignalKind.INSPECTION_FAILED
            elif d.category is ResultCategory.NO_PROBLEM:
                kind = SignalKind.INSPECTION_PASSED
            else:
                kind = SignalKind.INSPECTION
            rows.append(
                SignalRow(
                    d.object_id, d.uscc, kind.value, d.checked_on, None, f"randomcheck:{d.result_id}", d.department_id
                )
            )
        changed = await service.upsert_signals(session, rows)
        ids = {e.data.object_id: e.id for e in events}
        await self._regrade(session, {i: ids.get(i, events[-1].id) for i in changed})

    async def on_complaints(self, session: AsyncSession, events: Sequence[ComplaintSignalRecorded]) -> None:
        refs = [Ref(service.parse_uuid(e.data.object.object_id), e.data.object.uscc) for e in events]
        resolved = await service.resolve(session, refs)
        rows = [
            SignalRow(
                object_id,
                e.data.object.uscc,
                (SignalKind.REPORT if e.data.is_report else SignalKind.COMPLAINT).value,
                local_date(e.data.received_at),
                None,
                f"complaint:{e.data.complaint_id}",
                e.data.object.department_id,
            )
            for e, object_id in zip(events, resolved, strict=True)
        ]
        changed = await service.upsert_signals(session, rows)
        ids = {o: e.id for e, o in zip(events, resolved, strict=True) if o is not None}
        await self._regrade(session, {i: ids.get(i, events[-1].id) for i in changed})

    async def on_observations(self, session: AsyncSession, events: Sequence[ObservationRecorded]) -> None:
        refs = [Ref(service.parse_uuid(e.data.object.object_id), e.data.object.uscc) for e in events]
        resolved = await service.resolve(session, refs)
        rows = []
        for e, object_id in zip(events, resolved, strict=True):
            d = e.data
            adverse = service.adverse_observation(d.values, d.threshold_exceeded)
            kind = SignalKind.THIRD_PARTY_ADVERSE if adverse else SignalKind.THIRD_PARTY
            rows.append(
                SignalRow(
                    object_id,
                    d.object.uscc,
                    kind.value,
                    local_date(d.observed_at),
                    None,
                    f"observation:{d.observation_id}",
                    d.object.department_id,
                )
            )
        changed = await service.upsert_signals(session, rows)
        ids = {o: e.id for e, o in zip(events, resolved, strict=True) if o is not None}
        await self._regrade(session, {i: ids.get(i, events[-1].id) for i in changed})

    async def on_warnings(self, session: AsyncSession, events: Sequence[WarningRaised | WarningUpdated]) -> None:
        refs = [Ref(service.parse_uuid(e.data.object.object_id), e.data.object.uscc) for e in events]
        resolved = await service.resolve(session, refs)
        rows = [
            WarningRow(
                warning_id=e.data.warning_id,
                object_id=object_id,
                object_key=e.data.object.key,
                uscc=e.data.object.uscc,
                level=e.data.level.value,
                level_rank=WARNING_LEVEL_RANK[e.data.level.value],
                score=e.data.score,
                model_key=e.data.model.model_key,
                title=e.data.title,
                raised_at=e.data.raised_at,
                updated_at=e.data.updated_at,
            )
            for e, object_id in zip(events, resolved, strict=True)
        ]
        changed = await service.upsert_warnings(session, rows)
        ids = {o: e.id for e, o in zip(events, resolved, strict=True) if o is not None}
        await self._regrade(session, {i: ids.get(i, events[-1].id) for i in changed})

    async def on_warnings_closed(self, session: AsyncSession, events: Sequence[WarningClosed]) -> None:
        changed = await service.close_warnings(
            session, [(e.data.warning_id, e.data.outcome.value, e.data.closed_at) for e in events]
        )
        await self._regrade(session, dict.fromkeys(changed, events[-1].id))

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group,
            topics=self.topics,
            handlers={
                "gov.supervision.datahub.object.created.v1": self.on_objects,
                "gov.supervision.datahub.object.changed.v1": self.on_objects,
                "gov.supervision.datahub.object.merged.v1": self.on_merged,
                "gov.supervision.datahub.behaviour.recorded.v1": self.on_behaviour,
                "gov.supervision.signals.complaint.recorded.v1": self.on_complaints,
                "gov.supervision.thirdparty.observation.recorded.v1": self.on_observations,
                "gov.supervision.risk.warning.raised.v1": self.on_warnings,
                "gov.supervision.risk.warning.updated.v1": self.on_warnings,
                "gov.supervision.risk.warning.closed.v1": self.on_warnings_closed,
                "gov.supervision.randomcheck.result.published.v1": self.on_check_results,
            },
        )
