"""The task engine's state machines, one per kind of joint work, defined as data.

Each machine lists its states with the national status each maps onto (分发 dispatched, 认领 claimed,
结束 ended, 反馈 feedback), and its transitions: which action leads from which states to which, who
may take it (the initiating department, the receiving department, a regional dispatcher, or the
system), and which fields the action needs. `transition()` is the only way a task changes state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from supervision_schemas.joint import NATIONAL_STATUS_LABELS, JointTaskKind, NationalStatus
from svc_runtime.problems import Conflict

D, C, E, F = NationalStatus.DISPATCHED, NationalStatus.CLAIMED, NationalStatus.ENDED, NationalStatus.FEEDBACK


class Side(StrEnum):
    """Who may take an action."""

    INITIATOR = "initiator"  # the department that sent the task
    ASSIGNEE = "assignee"  # the department that received it
    DISPATCHER = "dispatcher"  # a department administrator of the task's region (assigns unassigned tasks)
    SYSTEM = "system"  # the service itself (consumers, cascades)


class Action(StrEnum):
    """Every action of every machine (a machine uses some of them)."""

    CLAIM = "claim"  # 认领
    RETURN = "return"  # 退回: not our responsibility
    REROUTE = "reroute"  # send a returned task to another department
    START = "start"
    FEED_BACK = "feed_back"  # 反馈
    REJECT_FEEDBACK = "reject_feedback"  # the feedback is not enough: back to work
    CLOSE = "close"  # 结束
    CANCEL = "cancel"  # 撤回
    RECEIVE = "receive"  # 接收
    COMPLETE = "complete"
    ACCEPT = "accept"
    DECLINE = "decline"
    SUBMIT_RESULT = "submit_result"
    CONFIRM = "confirm"
    LAUNCH = "launch"
    BEGIN = "begin"  # a campaign is under way (its first task was claimed)
    REPORT_PROGRESS = "report_progress"
    RETURN_FOR_REWORK = "return_for_rework"
    SUMMARISE = "summarise"
    ASSIGN = "assign"
    DISPOSE = "dispose"
    WARNING_CLOSED = "warning_closed"  # risk-svc closed the warning


class Field_(StrEnum):
    """Fields of the action request an action may require."""

    REASON = "reason"
    MEASURES = "measures"
    RESULT = "result"
    PROGRESS = "progress"
    DEPARTMENT = "department_id"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[str]
    target: str
    sides: frozenset[Side]
    requires: tuple[Field_, ...] = ()
    optional: tuple[Field_, ...] = ()

    def accepts(self) -> frozenset[str]:
        """Request fields this action reads (besides comment and attachments)."""
        return frozenset(f.value for f in (*self.requires, *self.optional))


@dataclass(frozen=True)
class Machine:
    kind: JointTaskKind
    label: str
    initial: str
    states: dict[str, NationalStatus | None]
    transitions: tuple[Transition, ...]
    terminal: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        assert self.initial in self.states, self.initial
        for t in self.transitions:
            unknown = (t.sources | {t.target}) - set(self.states)
            assert not unknown, f"{self.kind}: {t.action} names unknown states {unknown}"
        assert self.terminal <= set(self.states)

    def national(self, state: str) -> NationalStatus | None:
        return self.states[state]

    def clock_runs(self, state: str) -> bool:
        """Whether the deadline applies in this state (the task is dispatched or claimed, not yet answered)."""
        return self.states[state] in (D, C)

    def actions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def find(self, state: str, action: Action) -> Transition:
        """The transition `action` takes from `state`; a 409 naming the state when there is none."""
        for t in self.transitions:
            if t.action == action and state in t.sources:
                return t
        allowed = sorted({t.action.value for t in self.actions_from(state) if t.sides != {Side.SYSTEM}})
        if not any(t.action == action for t in self.transitions):
            detail = f"a {self.kind.value} task has no action {action.value!r}"
        else:
            detail = f"cannot {action.value} a {self.kind.value} task in state {state!r}"
        detail += f"; allowed in {state!r}: {', '.join(allowed) if allowed else 'nothing (the task is finished)'}"
        raise IllegalTransition(detail, state=state, action=action.value, allowed_actions=allowed)


class IllegalTransition(Conflict):
    title = "Illegal state transition"


def _t(
    action: Action,
    sources: str,
    target: str,
    side: Side | tuple[Side, ...],
    *requires: Field_,
    optional: tuple[Field_, ...] = (),
) -> Transition:
    sides = frozenset(side if isinstance(side, tuple) else (side,))
    return Transition(action, frozenset(sources.split()), target, sides, requires, optional)


INI, A, S, X = Side.INITIATOR, Side.ASSIGNEE, Side.DISPATCHER, Side.SYSTEM

APPROVAL_LINKAGE = Machine(
    kind=JointTaskKind.APPROVAL_LINKAGE,
    label="审批联动",
    initial="pushed",
    states={
        "unassigned": D,
        "pushed": D,
        "returned": E,
        "claimed": C,
        "supervising": C,
        "fed_back": F,
        "closed": E,
        "cancelled": E,
    },
    transitions=(
        _t(Action.ASSIGN, "unassigned", "pushed", S, Field_.DEPARTMENT),
        _t(Action.CLAIM, "pushed", "claimed", A),
        _t(Action.RETURN, "pushed", "returned", A, Field_.REASON),
        _t(Action.REROUTE, "returned", "pushed", (INI, S), Field_.DEPARTMENT),
        _t(Action.START, "claimed", "supervising", A),
        _t(Action.FEED_BACK, "claimed supervising", "fed_back", A, Field_.RESULT),
        _t(Action.REJECT_FEEDBACK, "fed_back", "supervising", INI, Field_.REASON),
        _t(Action.CLOSE, "fed_back", "closed", INI),
        _t(Action.CANCEL, "pushed returned", "cancelled", INI, Field_.REASON),
    ),
    terminal=frozenset({"closed", "cancelled"}),
)

LEAD_FORWARDING = Machine(
    kind=JointTaskKind.LEAD_FORWARDING,
    label="抄告抄送",
    initial="sent",
    states={
        "unassigned": D,
        "sent": D,
        "returned": E,
        "received": C,
        "handling": C,
        "fed_back": F,
        "cancelled": E,
    },
    transitions=(
        _t(Action.ASSIGN, "unassigned", "sent", S, Field_.DEPARTMENT),
        _t(Action.RECEIVE, "sent", "received", A),
        _t(Action.RETURN, "sent", "returned", A, Field_.REASON),
        _t(Action.REROUTE, "returned", "sent", (INI, S), Field_.DEPARTMENT),
        _t(Action.START, "received", "handling", A),
        # Handling ends in the automatic feedback to the sender.
        _t(Action.COMPLETE, "received handling", "fed_back", A, Field_.RESULT),
        _t(Action.CANCEL, "sent returned", "cancelled", INI, Field_.REASON),
    ),
    terminal=frozenset({"fed_back", "cancelled"}),
)

ASSISTANCE = Machine(
    kind=JointTaskKind.ASSISTANCE,
    label="协查协办",
    initial="requested",
    states={
        "unassigned": D,
        "requested": D,
        "accepted": C,
        "declined": E,
        "assisting": C,
        "fed_back": F,
        "closed": E,
        "cancelled": E,
    },
    transitions=(
        _t(Action.ASSIGN, "unassigned", "requested", S, Field_.DEPARTMENT),
        _t(Action.ACCEPT, "requested", "accepted", A),
        _t(Action.DECLINE, "requested", "declined", A, Field_.REASON),
        _t(Action.START, "accepted", "assisting", A),
        # The result is fed back to the requester automatically.
        _t(Action.SUBMIT_RESULT, "accepted assisting", "fed_back", A, Field_.RESULT),
        _t(Action.REJECT_FEEDBACK, "fed_back", "assisting", INI, Field_.REASON),
        _t(Action.CONFIRM, "fed_back", "closed", INI),
        _t(Action.CANCEL, "requested", "cancelled", INI, Field_.REASON),
    ),
    terminal=frozenset({"declined", "closed", "cancelled"}),
)

CAMPAIGN = Machine(
    kind=JointTaskKind.CAMPAIGN,
    label="专项整治",
    initial="draft",
    states={
        "draft": None,
        "launched": D,
        "in_progress": C,
        "summarised": F,
        "closed": E,
        "cancelled": E,
    },
    transitions=(
        _t(Action.LAUNCH, "draft", "launched", INI),
        _t(Action.BEGIN, "launched", "in_progress", X),
        _t(Action.SUMMARISE, "launched in_progress", "summarised", INI, Field_.RESULT),
        _t(Action.CLOSE, "summarised", "closed", INI),
        _t(Action.CANCEL, "draft launched in_progress", "cancelled", INI, Field_.REASON),
    ),
    terminal=frozenset({"closed", "cancelled"}),
)

CAMPAIGN_TASK = Machine(
    kind=JointTaskKind.CAMPAIGN_TASK,
    label="专项整治任务",
    initial="dispatched",
    states={
        "unassigned": D,
        "dispatched": D,
        "claimed": C,
        "declined": E,
        "in_progress": C,
        "completed": F,
        "closed": E,
        "cancelled": E,
    },
    transitions=(
        _t(Action.ASSIGN, "unassigned", "dispatched", S, Field_.DEPARTMENT),
        _t(Action.CLAIM, "dispatched", "claimed", A),
        _t(Action.DECLINE, "dispatched", "declined", A, Field_.REASON),
        _t(Action.REPORT_PROGRESS, "claimed in_progress", "in_progress", A, Field_.PROGRESS),
        _t(Action.COMPLETE, "claimed in_progress", "completed", A, Field_.RESULT),
        _t(Action.RETURN_FOR_REWORK, "completed", "in_progress", INI, Field_.REASON),
        _t(Action.CLOSE, "completed", "closed", X),
        _t(Action.CANCEL, "unassigned dispatched claimed in_progress", "cancelled", X, Field_.REASON),
    ),
    terminal=frozenset({"declined", "closed", "cancelled"}),
)

DISPOSAL = Machine(
    kind=JointTaskKind.DISPOSAL,
    label="风险处置",
    initial="dispatched",
    states={
        "unassigned": D,
        "dispatched": D,
        "claimed": C,
        "disposing": C,
        "disposed": F,
        "closed": E,
    },
    transitions=(
        _t(Action.ASSIGN, "unassigned", "dispatched", S, Field_.DEPARTMENT),
        _t(Action.CLAIM, "dispatched", "claimed", A),
        _t(Action.RETURN, "dispatched", "unassigned", A, Field_.REASON),
        _t(Action.START, "claimed", "disposing", A),
        # The outcome goes back to risk-svc as disposal feedback.
        _t(
            Action.DISPOSE,
            "claimed disposing",
            "disposed",
            A,
            Field_.OUTCOME,
            optional=(Field_.MEASURES, Field_.RESULT),
        ),
        _t(Action.WARNING_CLOSED, "unassigned dispatched claimed disposing disposed", "closed", X),
    ),
    terminal=frozenset({"closed"}),
)

MACHINES: dict[JointTaskKind, Machine] = {
    m.kind: m for m in (APPROVAL_LINKAGE, LEAD_FORWARDING, ASSISTANCE, CAMPAIGN, CAMPAIGN_TASK, DISPOSAL)
}
assert set(MACHINES) == set(JointTaskKind)


def machine(kind: JointTaskKind | str) -> Machine:
    return MACHINES[JointTaskKind(kind)]


def transition(kind: JointTaskKind | str, state: str, action: Action) -> Transition:
    """The transition an action takes from a state; IllegalTransition (409) when the machine has none."""
    return machine(kind).find(state, action)


def national_label(status: NationalStatus | None) -> str | None:
    return NATIONAL_STATUS_LABELS[status] if status is not None else None


#: States whose national status means the task is still open (the deadline clock runs).
OPEN_NATIONAL = (D.value, C.value)
